package main

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/store"
)

// TestEtcdMembers: an admin on machine A acts on bob, who works on
// machine B, while bob's own commands run: a disable ends B's session at
// once, an unlock racing wrong passwords loses no failure, and a reset
// racing logins leaves no session standing.
func TestEtcdMembers(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	eps := c.Endpoints()
	bin := kcloudBin(t)
	a, b := etcdEnv(t, eps, prefix), etcdEnv(t, eps, prefix)
	pw, bobPW := "quiet river at dawn\n", "violet lamp under snow\n"
	run(t, a, pw+pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--org-nicknames=false", "--password-stdin")
	run(t, a, pw, "login", "--user-id", "alice", "--password-stdin")
	run(t, a, pw, "org", "set", "--policy", "security.lockout_threshold=100", "--password-stdin")
	run(t, a, pw+bobPW, "member", "create", "--user-id", "bob", "--name", "Bob", "--password-stdin")
	bobLogin := []string{"login", "--user-id", "bob", "--password-stdin"}
	run(t, b, bobPW, bobLogin...)

	// Disabled on A: bob's session on B ends at once, and bob cannot log
	// in again until an admin enables the account.
	run(t, a, pw, "member", "disable", "bob", "--password-stdin")
	if r := runWith(bin, b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B after bob was disabled on A: exit %d, want 5: %s", r.code, r.stderr)
	}
	if r := runWith(bin, b, bobPW, bobLogin...); r.code != 4 || !strings.Contains(r.stderr, "disabled") {
		t.Fatalf("a disabled account's login: exit %d, want 4: %s", r.code, r.stderr)
	}
	run(t, a, pw, "member", "enable", "bob", "--password-stdin")
	run(t, b, bobPW, bobLogin...)

	// Twelve wrong passwords on B race an unlock on A. Every failure is
	// logged once, and the count the account keeps is exactly the
	// failures logged after the unlock (all twelve when the unlock came
	// first and had nothing to clear).
	var wg sync.WaitGroup
	wrong := make([]result, 12)
	for i := range wrong {
		wg.Add(1)
		go func() { defer wg.Done(); wrong[i] = runWith(bin, b, "not the password at all\n", bobLogin...) }()
	}
	var unlock result
	wg.Add(1)
	go func() { defer wg.Done(); unlock = runWith(bin, a, pw, "member", "unlock", "bob", "--password-stdin") }()
	wg.Wait()
	if unlock.code != 0 {
		t.Fatalf("member unlock: exit %d: %s", unlock.code, unlock.stderr)
	}
	for _, r := range wrong {
		if r.code != 3 {
			t.Fatalf("a wrong password: exit %d, want 3: %s", r.code, r.stderr)
		}
	}
	acc, events := etcdAccountEvents(t, eps, prefix, "bob")
	failedAfter, failed, unlocked := 0, 0, false
	for _, e := range events { // newest first, back to the enable
		if e.Event == account.EvMemberEnabled {
			break
		}
		switch e.Event {
		case account.EvMemberUnlocked:
			unlocked = true
		case account.EvLoginFailed:
			failed++
			if !unlocked {
				failedAfter++
			}
		}
	}
	t.Logf("12 wrong passwords, an unlock: %d counted after it (logged: %v)", failedAfter, unlocked)
	if failed != 12 || acc.Failures != failedAfter {
		t.Fatalf("12 wrong passwords and an unlock: %d failures logged, %d after the unlock (logged: %v); the account counts %d",
			failed, failedAfter, unlocked, acc.Failures)
	}

	// Eight logins on B race a reset on A: whichever came first, no
	// session of bob is left, and only the reset code sets a password.
	run(t, a, pw, "member", "unlock", "bob", "--password-stdin")
	logins := make([]result, 8)
	for i := range logins {
		wg.Add(1)
		go func() { defer wg.Done(); logins[i] = runWith(bin, b, bobPW, bobLogin...) }()
	}
	var reset struct {
		ResetCode string `json:"reset_code"`
	}
	if err := json.Unmarshal([]byte(run(t, a, pw, "member", "reset-password", "bob", "--password-stdin", "-o", "json")), &reset); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, r := range logins {
		if r.code != 0 && r.code != 4 {
			t.Fatalf("a login racing the reset: exit %d, want 0 or 4: %s", r.code, r.stderr)
		}
	}
	if r := runWith(bin, b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B after the reset on A: exit %d, want 5: %s", r.code, r.stderr)
	}
	if r := runWith(bin, b, bobPW, bobLogin...); r.code != 4 || !strings.Contains(r.stderr, "reset by an admin") {
		t.Fatalf("the old password after the reset: exit %d, want 4: %s", r.code, r.stderr)
	}
	newPW := "a fresh start for the member\n"
	run(t, b, reset.ResetCode+"\n"+newPW, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin")
	run(t, b, newPW, bobLogin...)
	if r := runWith(bin, b, bobPW, bobLogin...); r.code != 3 {
		t.Fatalf("the password before the reset: exit %d, want 3: %s", r.code, r.stderr)
	}
	if acc, _ := etcdAccountEvents(t, eps, prefix, "bob"); acc.ResetCode != nil || acc.OTP != nil || acc.Disabled {
		t.Fatalf("after the reset: %+v", acc)
	}
}

// etcdAccountEvents reads an account and its activity, newest first, from
// the directory on etcd.
func etcdAccountEvents(t *testing.T, endpoints []string, prefix, id string) (*account.Account, []account.Event) {
	t.Helper()
	return readAccountIn(t, store.New(store.OpenEtcd(store.EtcdOptions{Endpoints: endpoints, Prefix: prefix})), id)
}
