//go:build unix

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// etcdServer starts the etcd server found on PATH (Debian's etcd-server
// in CI) on loopback, for the contention figures on the etcd directory,
// and returns its client URL and a function that stops it. No etcd on
// PATH: "", and the figures are skipped.
func etcdServer(dir string) (string, func()) {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return "", func() {}
	}
	client, peer := "http://"+freeAddr(), "http://"+freeAddr()
	c := exec.Command(bin, "--name", "bench", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "bench="+peer, "--log-level", "error")
	c.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH="+os.Getenv("ETCD_UNSUPPORTED_ARCH"))
	check(c.Start())
	stop := func() { c.Process.Kill(); c.Wait() }
	for deadline := time.Now().Add(20 * time.Second); ; {
		if r, err := http.Get(client + "/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return client, stop
			}
		}
		if time.Now().After(deadline) {
			stop()
			fail("etcd at %s did not start", client)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

// newEtcdHome is a machine whose kcloud keeps the directory on the etcd
// cluster at endpoint (its config file says so), with one account,
// logged in.
func newEtcdHome(dir, kcloud, name, endpoint string) *home {
	s := etcdMachine(dir, kcloud, name, endpoint)
	s.exec(password+"\n", "init", "--org-name", "Bench", "--user-id", "user0", "--name", "User Zero", "--password-stdin")
	s.exec(password+"\n", "login", "--password-stdin")
	return s
}

// etcdMachine is a machine configured for the directory at endpoint,
// under a prefix of its own name, with nothing in it yet.
func etcdMachine(dir, kcloud, name, endpoint string) *home {
	s := &home{home: filepath.Join(dir, name), kcloud: kcloud}
	conf := filepath.Join(s.home, ".config", "kcloud")
	check(os.MkdirAll(conf, 0o700))
	check(os.WriteFile(filepath.Join(conf, "config.yaml"), []byte(fmt.Sprintf(
		"store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: /%s/\n", endpoint, strings.ToLower(name))), 0o600))
	return s
}
