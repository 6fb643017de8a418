package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/testnet"
)

// etcdEnv is a machine (a HOME of its own) whose kcloud keeps the
// directory on the cluster at endpoints, under prefix.
func etcdEnv(t *testing.T, endpoints []string, prefix string) []string {
	return append(newHome(t),
		"KCLOUD_STORE_BACKEND=etcd",
		"KCLOUD_STORE_ETCD_ENDPOINTS="+strings.Join(endpoints, ","),
		"KCLOUD_STORE_ETCD_PREFIX="+prefix,
	)
}

func etcdAccount(t *testing.T, endpoints []string, prefix, id string) *account.Account {
	t.Helper()
	var a account.Account
	s := store.New(store.OpenEtcd(store.EtcdOptions{Endpoints: endpoints, Prefix: prefix}))
	if err := s.View(func(tx *store.Tx) error { _, err := tx.Get(store.Accounts, id, &a); return err }); err != nil {
		t.Fatal(err)
	}
	return &a
}

// race runs 16 kcloud processes at once, eight on each machine, and
// counts their exit codes.
func race(t *testing.T, machines [2][]string, stdin string, args ...string) map[int]int {
	t.Helper()
	bin := kcloudBin(t)
	var wg sync.WaitGroup
	results := make([]result, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runWith(bin, machines[i%2], stdin, args...)
		}()
	}
	wg.Wait()
	codes := map[int]int{}
	for _, r := range results {
		codes[r.code]++
		if r.code != 0 && r.code != 3 {
			t.Errorf("kcloud %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	return codes
}

// TestEtcdTwoMachines: two machines share one directory on etcd. Each
// keeps its own session; 16 processes at once, on both, use a recovery
// code once, an OTP code once, and every wrong password and wrong
// verification code is counted.
func TestEtcdTwoMachines(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	twoMachines(t, c.Endpoints(), prefix)
}

// TestEtcdTwoMachinesOnDebianEtcd runs the same against the etcd server
// Debian ships (3.4), the oldest kcloud supports, when it is installed
// (.ci/run installs it).
func TestEtcdTwoMachinesOnDebianEtcd(t *testing.T) {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv("KCLOUD_TEST_REQUIRE_ETCD") != "" {
			t.Fatal("KCLOUD_TEST_REQUIRE_ETCD is set and there is no etcd on PATH")
		}
		t.Skip("no etcd binary on PATH (.ci/run installs Debian's etcd-server)")
	}
	dir := t.TempDir()
	client, peer := "http://"+freeAddr(t), "http://"+freeAddr(t)
	cmd := exec.Command(bin, "--data-dir", filepath.Join(dir, "data"), "--name", "m0",
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "m0="+peer, "--log-level", "error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		resp, err := http.Get(client + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 200 {
			t.Fatalf("etcd at %s not healthy after 20s: %v", client, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := exec.Command(bin, "--version").Output()
	t.Logf("%s", bytes.SplitN(out, []byte("\n"), 2)[0])
	twoMachines(t, []string{client}, "/kcloud/")
}

func freeAddr(t *testing.T) string {
	a, err := testnet.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func twoMachines(t *testing.T, eps []string, prefix string) {
	a, b := etcdEnv(t, eps, prefix), etcdEnv(t, eps, prefix)
	pw := "quiet river at dawn\n"
	run(t, a, pw+pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--org-nicknames=false", "--password-stdin")
	run(t, a, pw, "login", "--user-id", "alice", "--password-stdin")

	// Sessions are per machine: B is not logged in; A's session is a
	// file of its own, 0600, and the cluster holds none.
	if r := runWith(kcloudBin(t), b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on the other machine: exit %d, want 5: %s", r.code, r.stderr)
	}
	home := strings.TrimPrefix(a[0], "HOME=")
	fi, err := os.Stat(filepath.Join(home, ".local/state/kcloud/session.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v %v", fi, err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(etcdtest.Ctx(t), prefix+"sessions", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != 0 {
		t.Fatalf("sessions in the cluster: %v %v", resp, err)
	}

	// Limits that let every wrong entry count.
	run(t, a, pw, "org", "set", "--policy", "security.lockout_threshold=100", "--policy", "verification.max_attempts=100", "--password-stdin")
	var begin struct{ Secret string }
	if err := json.Unmarshal([]byte(run(t, a, pw, "otp", "register", "--begin", "--password-stdin", "-o", "json")), &begin); err != nil {
		t.Fatal(err)
	}
	code, _ := totpCode(begin.Secret, 0)
	var done struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(run(t, a, pw, "otp", "register", "--code", code, "--password-stdin", "-o", "json")), &done); err != nil {
		t.Fatal(err)
	}
	machines := [2][]string{a, b}
	login := []string{"login", "--user-id", "alice", "--password-stdin"}

	codes := race(t, machines, pw, append(login, "--recovery-code", done.RecoveryCodes[0])...)
	if codes[0] != 1 || codes[3] != 15 {
		t.Fatalf("one recovery code, 16 logins: exit codes %v, want one 0 and fifteen 3", codes)
	}
	next, _ := totpCode(begin.Secret, 1) // not used yet: registration used this step's
	codes = race(t, machines, pw, append(login, "--otp", next)...)
	if codes[0] != 1 || codes[3] != 15 {
		t.Fatalf("one OTP code, 16 logins: exit codes %v, want one 0 and fifteen 3", codes)
	}
	codes = race(t, machines, "not the password at all\n", login...)
	if codes[3] != 16 {
		t.Fatalf("16 wrong passwords: exit codes %v", codes)
	}
	if n := etcdAccount(t, eps, prefix, "alice").Failures; n != 16 {
		t.Fatalf("16 wrong passwords at once counted %d", n)
	}

	// Both machines logged in; a code to verify; 16 wrong entries.
	for i, m := range machines {
		run(t, m, pw, append(login, "--recovery-code", done.RecoveryCodes[1+i])...)
	}
	run(t, a, pw, "contact", "verify", "email", "alice@example.com", "--send-only", "--password-stdin")
	codes = race(t, machines, pw, "contact", "verify", "email", "alice@example.com", "--code", "000000", "--password-stdin")
	if codes[3] != 16 {
		t.Fatalf("16 wrong verification codes: exit codes %v", codes)
	}
	if p := etcdAccount(t, eps, prefix, "alice").Codes[contact.Email]; p == nil || p.Failures != 16 {
		t.Fatalf("16 wrong verification codes at once counted %+v", p)
	}
	// The code sent before the 16 wrong entries is still good.
	run(t, a, pw, "contact", "verify", "email", "alice@example.com", "--code", outboxCode(t, a), "--password-stdin")

	// A password changed on A ends B's session at once, and keeps A's;
	// logout --all on A then ends A's too.
	if r := runWith(kcloudBin(t), b, "", "whoami"); r.code != 0 {
		t.Fatalf("whoami on B before the change: exit %d: %s", r.code, r.stderr)
	}
	newPW := "slow boats on the river\n"
	if out := run(t, a, pw+newPW, "account", "password", "--password-stdin"); !strings.Contains(out, "stays in etcd's history") {
		t.Fatalf("a password change on etcd with an OTP does not say what etcd keeps:\n%s", out)
	}
	if r := runWith(kcloudBin(t), b, "", "whoami"); r.code != 5 || !strings.Contains(r.stderr, "every session of alice was ended") {
		t.Fatalf("whoami on B after the password changed on A: exit %d, want 5: %s", r.code, r.stderr)
	}
	if r := runWith(kcloudBin(t), b, newPW, "account", "show", "--password-stdin"); r.code != 5 {
		t.Fatalf("a page on B after the change: exit %d, want 5: %s", r.code, r.stderr)
	}
	run(t, a, "", "whoami")
	run(t, b, newPW, append(login, "--recovery-code", done.RecoveryCodes[3])...)
	run(t, a, "", "logout", "--all")
	for i, m := range machines {
		if r := runWith(kcloudBin(t), m, "", "whoami"); r.code != 5 {
			t.Fatalf("whoami on machine %d after logout --all: exit %d, want 5: %s", i, r.code, r.stderr)
		}
	}

	// account recover: 16 processes, on both machines, race to use one
	// code and one recovery code; one wins. B's session ends; the OTP
	// registered before, and the new password, log in on either.
	run(t, a, newPW, append(login, "--recovery-code", done.RecoveryCodes[4])...)
	run(t, b, newPW, append(login, "--recovery-code", done.RecoveryCodes[5])...)
	run(t, a, "", "account", "recover", "--user-id", "alice", "--send-only")
	sent := outboxCode(t, a)
	recovered := "a third phrase, after the recovery\n"
	codes = race(t, machines, done.RecoveryCodes[6]+"\n"+recovered, "account", "recover", "--user-id", "alice", "--code", sent, "--password-stdin")
	if codes[0] != 1 || codes[3] != 15 {
		t.Fatalf("one recovery, 16 processes: exit codes %v, want one 0 and fifteen 3", codes)
	}
	if r := runWith(kcloudBin(t), b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B after the recovery on A or B: exit %d, want 5: %s", r.code, r.stderr)
	}
	if r := runWith(kcloudBin(t), b, newPW, append(login, "--recovery-code", done.RecoveryCodes[7])...); r.code != 3 {
		t.Fatalf("the password before the recovery: exit %d, want 3: %s", r.code, r.stderr)
	}
	// Two steps on, with B's clock moved as far: past every step used so
	// far, whatever the wall clock did meanwhile.
	after, _ := totpCode(begin.Secret, 2)
	run(t, append(b[:len(b):len(b)], "KCLOUD_TEST_CLOCK=60s"), recovered, append(login, "--otp", after)...)
	rec := etcdAccount(t, eps, prefix, "alice")
	locks := 0
	for _, s := range rec.Keys.Slots {
		if s.Kind == "recovery" {
			locks += len(s.Locks)
		}
	}
	if rec.RecoverCode != nil || len(rec.OTP.RecoveryCodes) != 3 || locks != 3 {
		t.Fatalf("after the recovery: pending %v, %d recovery codes, %d recovery locks; want none, 3, 3",
			rec.RecoverCode, len(rec.OTP.RecoveryCodes), locks)
	}
}

// outboxCode is the six-digit code in the newest message of the outbox
// of the machine env, as its person would read it.
func outboxCode(t *testing.T, env []string) string {
	t.Helper()
	dir := filepath.Join(strings.TrimPrefix(env[0], "HOME="), ".local/state/kcloud/outbox")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var newest os.FileInfo
	for _, e := range entries {
		fi, err := e.Info()
		if err == nil && filepath.Ext(e.Name()) != ".meta" && (newest == nil || fi.ModTime().After(newest.ModTime())) {
			newest = fi
		}
	}
	if newest == nil {
		t.Fatalf("no message in %s", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, newest.Name()))
	if err != nil {
		t.Fatal(err)
	}
	m := sixDigits.FindAllSubmatch(data, -1)
	if len(m) != 1 {
		t.Fatalf("%s holds %d six-digit numbers, want 1", newest.Name(), len(m))
	}
	return string(m[0][2])
}

// TestEtcdUnreachableExit6: a cluster that does not answer is exit 6
// naming the endpoints, for a command that reads and one that writes.
func TestEtcdUnreachableExit6(t *testing.T) {
	env := append(etcdEnv(t, []string{"http://127.0.0.1:1", "http://127.0.0.2:2"}, "/kcloud/"),
		"KCLOUD_STORE_ETCD_REQUEST_TIMEOUT=1s", "KCLOUD_STORE_ETCD_DIAL_TIMEOUT=200ms")
	pw := "quiet river at dawn\n"
	for _, args := range [][]string{
		{"init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--org-nicknames=false", "--password-stdin"},
		{"login", "--user-id", "alice", "--password-stdin"},
	} {
		r := runWith(kcloudBin(t), env, pw+pw, args...)
		if r.code != 6 || !strings.Contains(r.stderr, "127.0.0.1:1, http://127.0.0.2:2") || strings.Contains(r.stderr, "panic") {
			t.Fatalf("kcloud %s: exit %d, want 6 naming the endpoints:\n%s", args[0], r.code, r.stderr)
		}
	}
}

// grantPerson gives the etcd user id what docs/etcd.md tells operators
// to give each person: their own account's keys, the markers of
// kcloud's transactions, and a read of the organization's records.
func grantPerson(t *testing.T, cli *clientv3.Client, id, password string) {
	t.Helper()
	ctx := etcdtest.Ctx(t)
	role := "kcloud-" + id
	prefix := func(p string) [2]string { return [2]string{p, clientv3.GetPrefixRangeEnd(p)} }
	grants := []struct {
		key  [2]string
		perm clientv3.PermissionType
	}{
		{[2]string{"/kcloud/accounts/" + id, ""}, clientv3.PermissionType(clientv3.PermReadWrite)},
		{prefix("/kcloud/activity/" + id + "/"), clientv3.PermissionType(clientv3.PermReadWrite)},
		{prefix("/kcloud/txn/"), clientv3.PermissionType(clientv3.PermReadWrite)},
		{prefix("/kcloud/meta/"), clientv3.PermissionType(clientv3.PermRead)},
	}
	if _, err := cli.RoleAdd(ctx, role); err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if _, err := cli.RoleGrantPermission(ctx, role, g.key[0], g.key[1], g.perm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.UserAdd(ctx, id, password); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UserGrantRole(ctx, id, role); err != nil {
		t.Fatal(err)
	}
}

// TestEtcdPersonalCredentials: with the etcd credentials docs/etcd.md
// gives each person, alice's own pages work and bob's record is out of
// her reach, through kcloud and through etcd itself.
func TestEtcdPersonalCredentials(t *testing.T) {
	c := etcdtest.Start(t, 1) // auth is turned on: a cluster of its own
	eps := c.Endpoints()
	admin := etcdEnv(t, eps, "/kcloud/")
	pw := "quiet river at dawn\n"
	run(t, admin, pw+pw, "init", "--org-name", "Acme", "--user-id", "root", "--name", "Admin", "--org-nicknames=false", "--password-stdin")
	run(t, admin, pw, "login", "--user-id", "root", "--password-stdin")
	passwords := map[string]string{"alice": "amber tide over stone\n", "bob": "violet lamp under snow\n"}
	for _, id := range []string{"alice", "bob"} {
		run(t, admin, pw+passwords[id], "account", "create", "--user-id", id, "--name", id, "--password-stdin")
	}
	// Alice is a kcloud admin; her etcd user is still a person's.
	run(t, admin, pw, "member", "admin", "alice", "--grant", "--password-stdin")

	cli := c.Client("", "")
	ctx := etcdtest.Ctx(t)
	if _, err := cli.UserAdd(ctx, "root", "root-etcd-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	grantPerson(t, cli, "alice", "alice-etcd-pw")
	grantPerson(t, cli, "bob", "bob-etcd-pw")
	if _, err := cli.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}
	root := c.Client("root", "root-etcd-pw")
	bobKey := "/kcloud/accounts/bob"
	before, err := root.Get(ctx, bobKey)
	if err != nil || len(before.Kvs) != 1 {
		t.Fatalf("bob's record: %v %v", before, err)
	}

	// Alice's machine, with alice's etcd user.
	alice := etcdEnv(t, eps, "/kcloud/")
	home := strings.TrimPrefix(alice[0], "HOME=")
	pwFile := filepath.Join(home, "etcd-password")
	if err := os.WriteFile(pwFile, []byte("alice-etcd-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	alice = append(alice, "KCLOUD_STORE_ETCD_USERNAME=alice", "KCLOUD_STORE_ETCD_PASSWORD_FILE="+pwFile)
	apw := passwords["alice"]
	run(t, alice, apw, "login", "--user-id", "alice", "--password-stdin")
	run(t, alice, apw, "account", "set", "--name", "Alice Liddell", "--password-stdin")
	if got := run(t, alice, apw, "account", "activity", "--password-stdin"); !strings.Contains(got, "profile_changed") {
		t.Fatalf("alice's activity: %s", got)
	}

	// Bob's record through kcloud on alice's machine: refused, unchanged.
	r := runWith(kcloudBin(t), alice, passwords["bob"], "login", "--user-id", "bob", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, `the etcd user "alice" may not do this`) {
		t.Fatalf("bob's login with alice's etcd user: exit %d: %s", r.code, r.stderr)
	}
	// An admin's work on bob needs an admin's etcd user: with a person's,
	// kcloud refuses before alice types anything, and names why.
	for _, act := range [][]string{{"unlock", "bob"}, {"reset-otp", "bob"}, {"reset-password", "bob"}, {"disable", "bob"}, {"list"}} {
		r := runWith(kcloudBin(t), alice, apw, append(append([]string{"member"}, act...), "--password-stdin")...)
		if r.code != 1 || !strings.Contains(r.stderr, `the etcd user "alice" may not do this`) {
			t.Fatalf("member %s with alice's etcd user: exit %d, want 1: %s", act[0], r.code, r.stderr)
		}
	}
	// And through etcd itself, as alice.
	as := c.Client("alice", "alice-etcd-pw")
	for _, key := range []string{bobKey, "/kcloud/activity/bob/0000000000000009", "/kcloud/meta/org"} {
		if _, err := as.Put(etcdtest.Ctx(t), key, "{}"); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("alice's Put of %s: %v, want permission denied", key, err)
		}
	}
	if _, err := as.Get(etcdtest.Ctx(t), bobKey); err == nil {
		t.Fatal("alice read bob's record")
	}
	after, err := root.Get(etcdtest.Ctx(t), bobKey)
	if err != nil || len(after.Kvs) != 1 || after.Kvs[0].ModRevision != before.Kvs[0].ModRevision {
		t.Fatalf("bob's record changed: %v %v", after, err)
	}

	// A wrong etcd password is named as such.
	if err := os.WriteFile(pwFile, []byte("not it\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runWith(kcloudBin(t), alice, "", "whoami")
	if r.code != 1 || !strings.Contains(r.stderr, `refused the etcd user "alice"`) {
		t.Fatalf("a wrong etcd password: exit %d: %s", r.code, r.stderr)
	}
	// A password file others can read is refused before it is sent.
	if err := os.Chmod(pwFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if r = runWith(kcloudBin(t), alice, "", "whoami"); r.code != 1 || !strings.Contains(r.stderr, "store.etcd.password_file") {
		t.Fatalf("a readable password file: exit %d: %s", r.code, r.stderr)
	}
}
