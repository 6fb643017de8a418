package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestEtcdPasskeyTwoMachines: a passkey registered on machine A logs in
// on machine B, which has never logged in and is given no User ID: the
// discoverable passkey's user handle names the account. B's session is
// in A's session list, made by the passkey alone; the record on etcd
// holds the public key and no private part.
func TestEtcdPasskeyTwoMachines(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	eps := c.Endpoints()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "key.json")
	browser := []string{"BROWSER=" + self, "KCLOUD_SOFTKEY=" + key}
	a := append(etcdEnv(t, eps, prefix), browser...)
	b := append(etcdEnv(t, eps, prefix), browser...)
	run(t, a, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, a, password+"\n", "login", "--password-stdin")
	run(t, a, password+"\n", "passkey", "register", "--name", "laptop", "--password-stdin")

	bin := kcloudBin(t)
	if r := runWith(bin, b, "", "login", "--passkey"); r.code != 0 || !strings.Contains(r.stderr, "Logged in as alice") {
		t.Fatalf("login --passkey on B, no User ID: exit %d: %s", r.code, r.stderr)
	}
	var list []struct {
		Current bool
		Method  string
	}
	cmd := exec.Command(bin, "session", "list", "--password-stdin", "-o", "json")
	cmd.Env, cmd.Stdin = a, strings.NewReader(password+"\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("session list on A: %v", err)
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Current == list[1].Current {
		t.Fatalf("A's session list: %+v; want A's and B's", list)
	}
	for _, s := range list {
		if !s.Current && s.Method != "passkey" {
			t.Fatalf("B's session: method %q, want passkey", s.Method)
		}
	}
	rec := etcdAccount(t, eps, prefix, "alice")
	if rec.OTP == nil || len(rec.OTP.Passkeys) != 1 || len(rec.OTP.Passkeys[0].PublicKey) == 0 {
		t.Fatalf("the record on etcd: %+v", rec.OTP)
	}
	private, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	var soft struct {
		Key []byte `json:"key"` // PKCS #8
	}
	if err := json.Unmarshal(private, &soft); err != nil {
		t.Fatalf("the software authenticator's file: %v", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(soft.Key)
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.(*ecdsa.PrivateKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rec)
	// The scalar in base64 at each of the three alignments a byte string
	// can start at: its middle is the same wherever it sits.
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), d...))
		if strings.Contains(string(raw), enc[4:len(enc)-4]) {
			t.Fatal("the record on etcd holds the passkey's private key")
		}
	}
}
