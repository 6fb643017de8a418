package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestEtcdAdminOnMember: an admin on machine A works on bob's account,
// whose session and access key are on machine B: lists bob's sessions,
// keys and activity (--user), disables and deletes bob's key and ends
// every session of bob (--user --all), each refused on B at once; bob's
// activity names the admin as the actor, and the admin's own names bob.
// A member is no admin: --user is refused before a password is read.
func TestEtcdAdminOnMember(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	eps := c.Endpoints()
	bin := kcloudBin(t)
	a, b := etcdEnv(t, eps, prefix), etcdEnv(t, eps, prefix)
	pw, bobPW := "quiet river at dawn\n", "violet lamp under snow\n"
	run(t, a, pw+pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--org-nicknames=false", "--password-stdin")
	run(t, a, pw, "login", "--user-id", "alice", "--password-stdin")
	run(t, a, pw+bobPW, "member", "create", "--user-id", "bob", "--name", "Bob", "--password-stdin")
	run(t, b, bobPW, "login", "--user-id", "bob", "--password-stdin")
	var key struct{ ID, Token string }
	jsonOf(t, bin, b, bobPW, &key, "access-key", "create", "--name", "ci", "--password-stdin")
	onB := append(b[:len(b):len(b)], "KCLOUD_ACCESS_KEY="+key.Token)

	if r := runWith(bin, b, "", "session", "list", "--user", "alice"); r.code != 1 || !strings.Contains(r.stderr, "not an admin") {
		t.Fatalf("a member's session list --user alice: exit %d: %s", r.code, r.stderr)
	}
	var sessions []struct{ ID, Host, Method string }
	jsonOf(t, bin, a, pw, &sessions, "session", "list", "--user", "bob", "--password-stdin")
	if len(sessions) != 1 || sessions[0].Method != "password" {
		t.Fatalf("bob's sessions, seen by alice: %+v", sessions)
	}
	var keys []struct{ ID, State string }
	jsonOf(t, bin, a, pw, &keys, "access-key", "list", "--user", "bob", "--password-stdin")
	if len(keys) != 1 || keys[0].ID != key.ID || keys[0].State != "active" {
		t.Fatalf("bob's keys, seen by alice: %+v", keys)
	}
	run(t, a, pw, "access-key", "disable", key.ID, "--user", "bob", "--password-stdin")
	if r := runWith(bin, onB, "", "whoami"); r.code != 3 || !strings.Contains(r.stderr, "disabled") {
		t.Fatalf("bob's key on B, disabled by alice on A: exit %d: %s", r.code, r.stderr)
	}
	if r := runWith(bin, a, pw, "access-key", "enable", key.ID, "--user", "bob", "--password-stdin"); r.code != 2 {
		t.Fatalf("access-key enable --user: exit %d, want 2 (no such flag): %s", r.code, r.stderr)
	}
	run(t, a, pw, "access-key", "delete", key.ID, "--user", "bob", "--password-stdin")
	run(t, a, pw, "session", "end", "--user", "bob", "--all", "--password-stdin")
	if r := runWith(bin, b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B after alice ended every session of bob: exit %d, want 5: %s", r.code, r.stderr)
	}

	var events []struct{ Event, Detail, Actor, Host string }
	jsonOf(t, bin, a, pw, &events, "account", "activity", "--user", "bob", "--type", "access_key_disabled", "--type", "sessions_ended", "--password-stdin")
	if len(events) != 2 || events[0].Event != "sessions_ended" || events[1].Event != "access_key_disabled" {
		t.Fatalf("bob's activity, --type filtered: %+v", events)
	}
	for _, e := range events {
		if e.Actor != "alice" || e.Host == "" {
			t.Fatalf("bob's event %s: actor %q, host %q; want alice and a host", e.Event, e.Actor, e.Host)
		}
	}
	events = nil // null leaves a field as it was
	jsonOf(t, bin, a, pw, &events, "account", "activity", "--type", "access_key_deleted", "--password-stdin")
	if len(events) != 1 || !strings.HasPrefix(events[0].Detail, "bob: "+key.ID) || events[0].Actor != "" {
		t.Fatalf("alice's own activity: %+v; want the deletion, naming bob", events)
	}
}

// jsonOf runs kcloud with stdin and decodes its JSON output into v.
func jsonOf(t *testing.T, bin string, env []string, stdin string, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-o", "json")...)
	cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("kcloud %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("kcloud %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestEtcdSessionEndedOnTheOtherMachine: alice, logged in on machines A
// and B that share an etcd directory, lists both sessions on A, ends B's,
// and B is refused at once (exit 5), its session file untouched, while A
// goes on.
func TestEtcdSessionEndedOnTheOtherMachine(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	eps := c.Endpoints()
	bin := kcloudBin(t)
	a, b := etcdEnv(t, eps, prefix), etcdEnv(t, eps, prefix)
	pw := "quiet river at dawn\n"
	run(t, a, pw+pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, a, pw, "login", "--user-id", "alice", "--password-stdin")
	run(t, b, pw, "login", "--user-id", "alice", "--password-stdin")
	var sessions []struct {
		ID      string
		Current bool
	}
	jsonOf(t, bin, a, pw, &sessions, "session", "list", "--password-stdin")
	if len(sessions) != 2 || sessions[0].Current == sessions[1].Current {
		t.Fatalf("alice's sessions seen on A: %+v; want A's and B's", sessions)
	}
	other := sessions[0].ID
	if sessions[0].Current {
		other = sessions[1].ID
	}
	run(t, a, pw, "session", "end", other, "--password-stdin")
	if r := runWith(bin, b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B after A ended B's session: exit %d, want 5: %s", r.code, r.stderr)
	}
	if r := runWith(bin, a, "", "whoami"); r.code != 0 {
		t.Fatalf("whoami on A: exit %d: %s", r.code, r.stderr)
	}
}
