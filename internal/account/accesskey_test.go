package account

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// makeKey makes an access key for the logged-in account id (password p).
func makeKey(t *testing.T, s *Service, id string, p []byte, scope string) string {
	t.Helper()
	v := on(s, acct(t, s, id))
	n, err := v.CheckNewKey(NewKey{Name: "k-" + scope, Scope: scope, ExpiresIn: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	k, err := with(v, p, nil, func(pr *Proof) (*CreatedKey, error) { return v.Visit.CreateKey(pr, n) })
	if err != nil {
		t.Fatal(err)
	}
	return k.Token
}

func keyOpens(s *Service, token string) error {
	v, pr, err := s.VisitByKey(token)
	if err != nil {
		return err
	}
	_, err = v.Show(pr)
	return err
}

// TestAccessKeyDies: a key opens nothing once its account is disabled
// (and again once enabled), after an admin's reset, a recovery, the
// account's deletion (a new account of the same User ID included), or
// its expiry (rule 14). Every refusal is an authentication error that
// says which.
func TestAccessKeyDies(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		login(t, s, "bob", bobPW)
		bob := makeKey(t, s, "bob", bobPW, ScopeRead)
		if err := keyOpens(s, bob); err != nil {
			t.Fatalf("a new key: %v", err)
		}
		check := func(what string, want error) {
			t.Helper()
			if err := keyOpens(s, bob); !errors.Is(err, want) || fail.KindOf(err) != fail.Auth {
				t.Fatalf("the key %s: %v; want %v, exit 3", what, err, want)
			}
		}
		if _, err := act(t, s, "alice", "bob", Disable, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		check("of a disabled account", ErrDisabled)
		if _, err := act(t, s, "alice", "bob", Enable, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := keyOpens(s, bob); err != nil {
			t.Fatalf("the key once the account is enabled again: %v", err)
		}
		c.t = c.t.Add(49 * time.Hour)
		check("past its expiry", ErrKeyExpired)
		c.t = c.t.Add(-49 * time.Hour)
		if _, err := act(t, s, "alice", "bob", ResetPassword, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		check("after an admin's reset", ErrKeyUnknown)

		// Deleted, then made again under the same User ID: the old token
		// names bob, and opens nothing of the new bob.
		login(t, s, "alice", pw)
		alice := makeKey(t, s, "alice", pw, ScopeRead)
		if _, err := act(t, s, "alice", "bob", Delete, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		check("of a deleted account", ErrKeyUnknown)
		nb := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), Password: checked(t, bobPW, "bob")}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, nb); err != nil {
			t.Fatal(err)
		}
		login(t, s, "bob", bobPW)
		makeKey(t, s, "bob", bobPW, ScopeRead)
		check("of a bob made again", ErrKeyUnknown)

		// A recovery deletes the account's keys.
		login(t, s, "alice", pw)
		verifyEmail(t, s, c, "alice@example.com")
		s.Logout()
		r, code := sendRecover(t, s)
		if _, err := r.Finish(code, otp.RecoveryCode{}, checked(t, newPW, "alice")); err != nil {
			t.Fatal(err)
		}
		if err := keyOpens(s, alice); !errors.Is(err, ErrKeyUnknown) {
			t.Fatalf("alice's key after her recovery: %v; want unknown", err)
		}
	})
}

// TestAccessKeyOpensOnlyItsPages: a read key opens the pages that read,
// a write key account set too; neither opens a page that needs a person,
// and neither holds the data key.
func TestAccessKeyOpensOnlyItsPages(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		read, write := makeKey(t, s, "alice", pw, ScopeRead), makeKey(t, s, "alice", pw, ScopeWrite)
		name := "Alice Park"
		for tok, want := range map[string]error{read: ErrKeyScope, write: nil} {
			v, pr, err := s.VisitByKey(tok)
			if err != nil {
				t.Fatal(err)
			}
			checked, _ := v.CheckProfile(ProfileChange{Name: &name})
			if _, err := v.SetProfile(pr, checked); !errors.Is(err, want) {
				t.Fatalf("account set with the %s key: %v; want %v", pr.key.scope, err, want)
			}
			if _, err := v.BeginOTP(pr, ""); !errors.Is(err, ErrNeedsPerson) || fail.KindOf(err) != fail.Other {
				t.Fatalf("otp register with a key: %v; want it needs a person, exit 1", err)
			}
			if _, err := v.ChangeKey(pr, pr.key.id, KeyDelete); !errors.Is(err, ErrNeedsPerson) {
				t.Fatalf("a key deleting a key: %v; want it needs a person", err)
			}
			if events, err := v.Activity(pr, ActivityQuery{Limit: 1}); err != nil || len(events) != 1 {
				t.Fatalf("account activity with a key: %v, %v", events, err)
			}
		}
		events, _ := on(s, acct(t, s, "alice")).Activity(pw, 1)
		if events[0].Event != EvProfileChanged || events[0].AccessKey == "" {
			t.Fatalf("the change by a key: %+v; want it named", events[0])
		}
	})
}

// TestAccessKeyStoredAsHash: the store file holds no token, nor its
// secret; the key's record holds the secret's SHA-256 only.
func TestAccessKeyStoredAsHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kcloud.db")
	w := &world{open: func() *store.Store { return store.Open(path, store.Options{LockTimeout: time.Second}) }}
	w, c := setup(t, w)
	s := newService(w, c)
	login(t, s, "alice", pw)
	tok := makeKey(t, s, "alice", pw, ScopeRead)
	cred, err := auth.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := tok[len(auth.TokenPrefix)+len(cred.ID):][:22]
	for what, b := range map[string]string{"the token": tok, "its secret": secret} {
		if bytes.Contains(raw, []byte(b)) {
			t.Fatalf("the store holds %s", what)
		}
	}
	a := readAccount(t, w, "alice")
	if len(a.AccessKeys) != 1 || !bytes.Equal(a.AccessKeys[0].Hash, cred.Hash(a.UUID)) {
		t.Fatalf("the key's record: %+v; want the hash of its secret", a.AccessKeys)
	}
}
