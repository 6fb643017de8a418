package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestOldPasswordOpensNothingAfterChange: after a password change, the
// store file (freed pages included) and any backup made from it hold no
// record the old password opens, and what is sealed after the change
// does not open with the old data key (security rule 2; finding 5).
func TestOldPasswordOpensNothingAfterChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kcloud.db")
	w := &world{open: func() *store.Store { return store.Open(path, store.Options{LockTimeout: time.Second}) }}
	w, c := setup(t, w)
	s := newService(w, c)
	login(t, s, "alice", pw)
	register(t, s, c)
	before := readAccount(t, w, "alice")
	oldKEK, _ := before.Password.Verify(pw)
	oldDK, err := before.openByPassword(oldKEK)
	if err != nil {
		t.Fatal(err)
	}
	next := []byte("an entirely new pass phrase")
	if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "alice")); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "after.db")
	if err := store.Backup(w.open(), backup, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, backup} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range map[string][]byte{"the old verifier": before.Password.Verifier, "the old password slot's lock": before.passwordSlot().Locks[0], "the old password slot's box": before.passwordSlot().Box, "the old salt": before.Password.Salt} {
			enc, _ := json.Marshal(b) // as the record stores it
			if bytes.Contains(raw, b) || bytes.Contains(raw, enc[1:len(enc)-1]) {
				t.Errorf("%s still holds %s", filepath.Base(f), what)
			}
		}
	}
	// What is sealed after the change does not open with the old key.
	after := readAccount(t, w, "alice")
	if _, err := oldDK.Open(after.OTP.Secret, after.adTOTP()); err == nil {
		t.Fatal("the old data key opens the OTP secret after the change")
	}
}

// TestEtcdHistoryOpensNothingAfterChange: etcd keeps every revision of a
// record until the operator compacts it. The record as it was before a
// password change, read back from etcd's history, with the old password,
// opens nothing the current record holds: not the TOTP secrets, not the
// recovery box, not the key the codes' MACs are made with (issue 24,
// finding 1).
func TestEtcdHistoryOpensNothingAfterChange(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	w := &world{
		open: func() *store.Store {
			return store.New(store.OpenEtcd(store.EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
		},
		local: func() *store.Store {
			return store.Open(filepath.Join(t.TempDir(), "session.db"), store.Options{LockTimeout: time.Second})
		},
	}
	w, clk := setup(t, w)
	s := newService(w, clk)
	login(t, s, "alice", pw)
	register(t, s, clk)
	cli := c.Client("", "")
	key := prefix + "accounts/alice"
	old, err := cli.Get(etcdtest.Ctx(t), key)
	if err != nil || len(old.Kvs) != 1 {
		t.Fatalf("alice's record: %v %v", old, err)
	}
	rev := old.Kvs[0].ModRevision
	next := []byte("an entirely new pass phrase")
	if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "alice")); err != nil {
		t.Fatal(err)
	}
	hist, err := cli.Get(etcdtest.Ctx(t), key, clientv3.WithRev(rev))
	if err != nil || len(hist.Kvs) != 1 {
		t.Fatalf("alice's record at revision %d: %v %v", rev, hist, err)
	}
	var before Account
	if err := json.Unmarshal(hist.Kvs[0].Value, &before); err != nil {
		t.Fatal(err)
	}
	before.normalize()
	oldKEK, err := before.Password.Verify(pw)
	if err != nil || oldKEK == nil {
		t.Fatalf("the old record does not check the old password: %v", err)
	}
	oldDK, err := before.openByPassword(oldKEK)
	if err != nil {
		t.Fatal(err)
	}
	oldMAC, err := oldDK.Unwrap(before.MACKey, before.adMAC())
	if err != nil {
		t.Fatal(err)
	}
	after := readAccount(t, w, "alice")
	for _, x := range after.OTP.Authenticators {
		if _, err := oldDK.Open(x.Secret, after.adTOTP()); err == nil {
			t.Fatal("the old data key opens the current TOTP secret")
		}
	}
	for _, sl := range after.Keys.Slots {
		_, box := after.slotAD(sl.Kind)
		if _, err := oldDK.OpenBox(sl.Box, box); err == nil {
			t.Fatalf("the old data key opens the %s slot's box", sl.Kind)
		}
	}
	newKEK, _ := after.Password.Verify(next)
	newDK, err := after.openByPassword(newKEK)
	if err != nil {
		t.Fatal(err)
	}
	newMAC, err := newDK.Unwrap(after.MACKey, after.adMAC())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(oldMAC[:], newMAC[:]) {
		t.Fatal("the MAC key the old password opens is the current one")
	}
}

// TestRecoveryCodesOutlivePasswordChange: the MAC key changes with the
// password; recovery codes keep working, those made before they had a key
// of their own included, and a verification code sent before the change
// expires with it.
func TestRecoveryCodesOutlivePasswordChange(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		w, c := setup(t, w)
		s := newService(w, c)
		login(t, s, "alice", pw)
		_, codes := register(t, s, c)
		// As a record from before recovery codes had their own key: their
		// MACs under the account's MAC key.
		err := s.Store.Update(func(tx *store.Tx) error {
			a, err := getAccount(tx, "alice")
			if err != nil {
				return err
			}
			kek, _ := a.Password.Verify(pw)
			dk, err := a.openByPassword(kek)
			if err != nil {
				return err
			}
			mk, err := dk.Unwrap(a.MACKey, a.adMAC())
			if err != nil {
				return err
			}
			for i, code := range codes {
				a.OTP.RecoveryCodes[i] = mk.MAC("recovery", a.UUID, recoveryCode(code).Normal())
			}
			a.OTP.RecoveryKey = nil
			return putAccount(tx, a)
		})
		if err != nil {
			t.Fatal(err)
		}
		tgt, _ := contact.Parse(contact.Email, "alice@example.com")
		var sent string
		if _, err := on(s, acct(t, s, "alice")).SendCode(pw, tgt, func(code string, _ time.Duration) error { sent = code; return nil }); err != nil {
			t.Fatal(err)
		}
		next := []byte("an entirely new pass phrase")
		if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "alice")); err != nil {
			t.Fatal(err)
		}
		if _, err := on(s, acct(t, s, "alice")).CheckCode(next, tgt, verificationCode(sent)); !errors.Is(err, ErrCodeVoid) {
			t.Fatalf("a code sent before the password change: %v, want expired", err)
		}
		if _, err := loginAsk(s, acct(t, s, "alice"), next, func(*Who) (auth.Credential, error) { return recoveryFactor(codes[0]), nil }); err != nil {
			t.Fatalf("a recovery code from before the change: %v", err)
		}
		if err := on(s, acct(t, s, "alice")).ChangePassword(next, checked(t, pw, "alice")); err != nil {
			t.Fatal(err)
		}
		if _, err := loginAsk(s, acct(t, s, "alice"), pw, func(*Who) (auth.Credential, error) { return recoveryFactor(codes[1]), nil }); err != nil {
			t.Fatalf("a recovery code after two changes: %v", err)
		}
	})
}
