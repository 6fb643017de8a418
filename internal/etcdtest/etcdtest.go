// Package etcdtest starts real etcd members on loopback ports, in the
// test's process (etcd's embed package), for the tests of the etcd
// directory. It is imported by tests only: kcloud's binary never links
// etcd's server or its gRPC client (cmd/kcloud's TestDependencies).
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/kcloud/kcloud/internal/testnet"
)

// Cluster is a running etcd cluster of one or more members.
type Cluster struct {
	t       testing.TB
	members []*member
}

type member struct {
	name   string
	client string // http://127.0.0.1:port
	cfg    *embed.Config

	mu      sync.Mutex
	etcd    *embed.Etcd
	stopped bool
}

// Start starts a cluster of n members and waits until it has a leader.
// It is stopped when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartTLS(t, n, "", "")
}

// StartTLS starts a cluster whose client URLs are https, with the
// certificate and key in these files.
func StartTLS(t testing.TB, n int, certFile, keyFile string) *Cluster {
	t.Helper()
	c, err := start(t, n, t.TempDir, certFile, keyFile)
	if c != nil {
		t.Cleanup(c.Stop)
	}
	if err != nil {
		t.Fatalf("etcd: %v", err)
	}
	return c
}

// start starts the cluster, on other ports when one it chose was taken
// before its member bound it (another test binary's, running alongside).
func start(t testing.TB, n int, tempDir func() string, certFile, keyFile string) (*Cluster, error) {
	for try := 1; ; try++ {
		c, err := startOnce(t, n, tempDir, certFile, keyFile)
		if !errors.Is(err, syscall.EADDRINUSE) || try == 5 {
			return c, err
		}
		c.Stop()
	}
}

func startOnce(t testing.TB, n int, tempDir func() string, certFile, keyFile string) (*Cluster, error) {
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	c := &Cluster{t: t}
	var peers []string
	for i := 0; i < n; i++ {
		cport, pport := freePort(), freePort()
		m := &member{name: fmt.Sprintf("m%d", i), client: scheme + "://127.0.0.1:" + cport}
		cfg := embed.NewConfig()
		cfg.Name = m.name
		cfg.Dir = tempDir()
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.UnsafeNoFsync = true // tests: the data dies with them
		cu, err := url.Parse(m.client)
		if err != nil {
			return nil, err
		}
		pu, err := url.Parse("http://127.0.0.1:" + pport)
		if err != nil {
			return nil, err
		}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialClusterToken = "kcloud-test"
		cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = certFile, keyFile
		cfg.TickMs, cfg.ElectionMs = 50, 500
		m.cfg = cfg
		peers = append(peers, m.name+"="+pu.String())
		c.members = append(c.members, m)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, m := range c.members {
		m.cfg.InitialCluster = strings.Join(peers, ",")
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := embed.StartEtcd(m.cfg)
			if err != nil {
				errs[i] = err
				return
			}
			m.etcd = e
			select {
			case <-e.Server.ReadyNotify():
			case <-time.After(60 * time.Second):
				errs[i] = fmt.Errorf("member %s not ready after 60s", m.name)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedDir  string
	inMain     bool // Main runs the tests: the shared cluster is cleaned up
	sharedErr  error
	prefixes   int
	prefixMu   sync.Mutex
)

// Main runs a test binary's tests (call it from TestMain) and then stops
// the shared cluster, if a test started one, and removes its files.
func Main(m *testing.M) int {
	inMain = true
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	if sharedDir != "" {
		if err := os.RemoveAll(sharedDir); err != nil {
			fmt.Fprintln(os.Stderr, "etcdtest:", err)
			code = 1
		}
	}
	return code
}

// Shared returns one single-member cluster for the whole test binary,
// started by the first test that asks, and a prefix no other caller got:
// each test has a directory of its own without an etcd of its own.
func Shared(t testing.TB) (c *Cluster, prefix string) {
	t.Helper()
	if !inMain {
		t.Fatal("etcdtest.Shared needs the package's TestMain to call etcdtest.Main, which removes the cluster's files")
	}
	sharedOnce.Do(func() {
		// It outlives the test that started it: its files go to a
		// directory of its own, which Main removes.
		sharedDir, sharedErr = os.MkdirTemp("", "kcloud-etcd-")
		if sharedErr == nil {
			shared, sharedErr = start(t, 1, func() string { d, _ := os.MkdirTemp(sharedDir, "m"); return d }, "", "")
		}
	})
	if sharedErr != nil {
		t.Fatalf("etcd: %v", sharedErr)
	}
	prefixMu.Lock()
	prefixes++
	n := prefixes
	prefixMu.Unlock()
	return shared, fmt.Sprintf("/t%d/", n)
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.client)
	}
	return eps
}

// Leader returns the index of the member that leads now, or -1.
func (c *Cluster) Leader() int {
	for i, m := range c.members {
		m.mu.Lock()
		ok := !m.stopped && m.etcd.Server.Leader() == m.etcd.Server.MemberID()
		m.mu.Unlock()
		if ok {
			return i
		}
	}
	return -1
}

// Kill stops member i at once, as a crash would: no leadership handed on.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.stopped && m.etcd != nil { // nil: it never started
		m.stopped = true
		m.etcd.Server.HardStop()
		m.etcd.Close()
	}
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for i := range c.members {
		c.Kill(i)
	}
}

// Client returns a client of etcd's own (as etcdctl would use) for the
// operator's work in a test: users, roles, reading what kcloud wrote.
func (c *Cluster) Client(user, password string) *clientv3.Client {
	c.t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints(),
		DialTimeout: 5 * time.Second,
		Username:    user,
		Password:    password,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cli.Close() })
	return cli
}

// Ctx is a context for one operator's request in a test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func freePort() string {
	a, err := testnet.FreeAddr()
	if err != nil {
		return "0"
	}
	_, port, _ := net.SplitHostPort(a)
	return port
}
