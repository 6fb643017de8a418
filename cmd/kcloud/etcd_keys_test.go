package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestEtcdAccessKeyTwoMachines: an access key made on machine A opens
// its pages on machine B, which shares the directory and has no session
// of its own; disabled on A, it opens nothing on B at once (exit 3); the
// store holds its hash only.
func TestEtcdAccessKeyTwoMachines(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	eps := c.Endpoints()
	a, b := etcdEnv(t, eps, prefix), etcdEnv(t, eps, prefix)
	run(t, a, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, a, password+"\n", "login", "--password-stdin")
	var key struct{ ID, Token string }
	if err := json.Unmarshal([]byte(run(t, a, password+"\n", "access-key", "create", "--name", "ci", "--scope", "write", "--password-stdin", "-o", "json")), &key); err != nil {
		t.Fatal(err)
	}
	bin := kcloudBin(t)
	onB := append(b[:len(b):len(b)], "KCLOUD_ACCESS_KEY="+key.Token)
	if r := runWith(bin, onB, "", "account", "set", "--name", "Alice Park"); r.code != 0 {
		t.Fatalf("account set with A's key on B: exit %d: %s", r.code, r.stderr)
	}
	if out := run(t, onB, "", "account", "show", "-q", ".name"); strings.TrimSpace(out) != "Alice Park" {
		t.Fatalf("account show with the key on B: %q", out)
	}
	if r := runWith(bin, b, "", "whoami"); r.code != 5 {
		t.Fatalf("whoami on B without the key: exit %d, want 5 (B has no session): %s", r.code, r.stderr)
	}
	run(t, a, password+"\n", "access-key", "disable", key.ID, "--password-stdin")
	if r := runWith(bin, onB, "", "whoami"); r.code != 3 || !strings.Contains(r.stderr, "disabled") {
		t.Fatalf("the key on B, disabled on A: exit %d, want 3: %s", r.code, r.stderr)
	}
	rec := etcdAccount(t, eps, prefix, "alice")
	raw, _ := json.Marshal(rec)
	if len(rec.AccessKeys) != 1 || strings.Contains(string(raw), key.Token) || strings.Contains(string(raw), key.Token[13:35]) {
		t.Fatalf("the record on etcd: %d keys, or it holds the token", len(rec.AccessKeys))
	}
}
