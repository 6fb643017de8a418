package main

import (
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCDuringDelivery: an SMTP server that accepts and never answers
// holds the delivery; Ctrl-C (SIGINT) ends it at once, exit 130, and the
// code that was not delivered is void (issue 12), not left behind.
func TestCtrlCDuringDelivery(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c // held open, silent
		}
	}()
	env := newHome(t)
	pw := password + "\n"
	run(t, env, pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, pw, "login", "--password-stdin")
	_, port, _ := net.SplitHostPort(l.Addr().String())
	env = append(env[:len(env):len(env)], "KCLOUD_DELIVERY_EMAIL_METHOD=smtp", "KCLOUD_DELIVERY_EMAIL_SMTP_HOST=127.0.0.1",
		"KCLOUD_DELIVERY_EMAIL_SMTP_PORT="+port, "KCLOUD_DELIVERY_EMAIL_SMTP_TLS=none")

	cmd := exec.Command(kcloudBin(t), "contact", "verify", "email", "alice@example.com", "--send-only", "--password-stdin")
	cmd.Env = env
	cmd.Stdin = strings.NewReader(pw)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("kcloud never connected to the SMTP server")
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // the SMTP timeout is a minute
		cmd.Process.Kill()
		t.Fatal("Ctrl-C did not end the delivery")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "Cancelled: the code was not delivered and is void.") {
		t.Fatalf("exit %d, want 130:\n%s", code, stderr.String())
	}
	// Void: checking a code now finds none pending.
	r := runWith(kcloudBin(t), env, pw, "contact", "verify", "email", "alice@example.com", "--code", "123456", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "no verification code was sent") {
		t.Fatalf("after the cancelled delivery: exit %d:\n%s", r.code, r.stderr)
	}
}
