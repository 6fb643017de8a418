package account

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// memoryWorld is one memory store, as every process of a test finds it.
func memoryWorld() func() *store.Store {
	m := store.New(store.NewMemory())
	return func() *store.Store { return m }
}

// createInitial has alice create bob with an initial password.
func createInitial(t *testing.T, s *Service) *Created {
	t.Helper()
	login(t, s, "alice", pw)
	bob := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), MustChange: true}
	c, err := on(s, acct(t, s, "alice")).Create(pw, bob)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestInitialPassword: an initial password opens the first login alone,
// which starts no session until a new password is set; an interrupted
// first login keeps it (the contract's --must-change-password).
func TestInitialPassword(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		created := createInitial(t, s)
		initial := []byte(created.InitialPassword)
		if n := utf8.RuneCount([]byte(strings.ReplaceAll(created.InitialPassword, "-", ""))); n < InitialPasswordLength {
			t.Fatalf("the initial password %q has %d random characters", initial, n)
		}
		if want := c.t.Add(InitialPasswordTTL); !created.InitialPasswordExpiresAt.Equal(want) {
			t.Fatalf("good until %s, want %s", created.InitialPasswordExpiresAt, want)
		}
		if rec := readAccount(t, path, "bob"); strings.Contains(string(must(json.Marshal(rec))), created.InitialPassword) {
			t.Fatal("the store holds the initial password in clear")
		}

		// The password alone starts no session, and writes nothing.
		pr, err := s.ProveLogin(acct(t, s, "bob"), auth.NewPassword(initial))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := pr.InitialPassword(); !ok || err != nil {
			t.Fatalf("InitialPassword() = %v, %v", ok, err)
		}
		if _, err := s.StartSession(pr); !errors.Is(err, ErrInitialPassword) || fail.KindOf(err) != fail.Auth {
			t.Fatalf("a first login without a new password: %v", err)
		}
		if sess, _, _, err := s.Current(); err != nil || sess.UserID != "alice" {
			t.Fatalf("this machine's session after bob's initial password alone: %v, %v", sess, err)
		}
		if readAccount(t, path, "bob").InitialPassword == nil {
			t.Fatal("an interrupted first login dropped the requirement")
		}
		if err := pr.SetPassword(checked(t, initial, "bob")); fail.KindOf(err) != fail.Usage {
			t.Fatalf("the initial password again as the new one: %v", err)
		}

		// A second try, with a new password: the session starts with it.
		before := readAccount(t, path, "bob")
		pr, err = s.ProveLogin(acct(t, s, "bob"), auth.NewPassword(initial))
		if err != nil {
			t.Fatal(err)
		}
		next := []byte("amber ferry crosses north")
		if err := pr.SetPassword(checked(t, next, "bob")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartSession(pr); err != nil {
			t.Fatal(err)
		}
		if _, who, _, err := s.Current(); err != nil || who.UserID != "bob" {
			t.Fatalf("no session of bob after the first login: %v", err)
		}
		after := readAccount(t, path, "bob")
		if after.InitialPassword != nil {
			t.Fatal("the requirement outlived the new password")
		}
		oldKEK, _ := before.Password.Verify(initial)
		oldDK, _ := before.openByPassword(oldKEK)
		newKEK, _ := after.Password.Verify(next)
		newDK, err := after.openByPassword(newKEK)
		if err != nil || *oldDK == *newDK {
			t.Fatalf("the data key the admin's password opened is still the account's (%v)", err)
		}
		if err := login(t, s, "bob", initial); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("the initial password after the first login: %v", err)
		}
		if err := login(t, s, "bob", next); err != nil {
			t.Fatal(err)
		}
	})
}

// TestInitialPasswordExpires: after InitialPasswordTTL the initial
// password opens nothing, before a new one is typed; an admin's reset
// code then sets one.
func TestInitialPasswordExpires(t *testing.T) {
	w, c := setup(t, &world{open: memoryWorld()})
	s := newService(w, c)
	created := createInitial(t, s)
	c.t = c.t.Add(InitialPasswordTTL)
	pr, err := s.ProveLogin(acct(t, s, "bob"), auth.NewPassword([]byte(created.InitialPassword)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.InitialPassword(); !errors.Is(err, ErrInitialExpired) || fail.KindOf(err) != fail.Auth {
		t.Fatalf("an expired initial password: %v", err)
	}
	if _, err := s.StartSession(pr); !errors.Is(err, ErrInitialExpired) {
		t.Fatalf("a session from an expired initial password: %v", err)
	}
}

// TestCreateMustChangeTakesNoPassword: the admin types none.
func TestCreateMustChangeTakesNoPassword(t *testing.T) {
	w, c := setup(t, &world{open: memoryWorld()})
	s := newService(w, c)
	login(t, s, "alice", pw)
	bob := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), MustChange: true, Password: checked(t, []byte("quiet river at dawn"), "bob")}
	if _, err := on(s, acct(t, s, "alice")).Create(pw, bob); fail.KindOf(err) != fail.Usage {
		t.Fatalf("an initial password and a typed one: %v", err)
	}
}

// TestNotAdminNamesTheAdmins: a member who is not an admin learns whom
// to ask, by User ID.
func TestNotAdminNamesTheAdmins(t *testing.T) {
	w, c := setup(t, &world{open: memoryWorld()})
	s := newService(w, c)
	login(t, s, "alice", pw)
	for _, id := range []string{"bob", "carol"} {
		n := NewAccount{Profile: profile(t, Profile{UserID: id, Name: id}), Admin: id == "carol", Password: checked(t, []byte("quiet river at dawn"), id)}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := login(t, s, "bob", []byte("quiet river at dawn")); err != nil {
		t.Fatal(err)
	}
	v, err := s.Visit()
	if err != nil {
		t.Fatal(err)
	}
	err = v.RequireAdmin()
	if !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("RequireAdmin of a member: %v", err)
	}
	if h := fail.HintOf(err).In(fail.English); h != "ask an admin of the organization: alice, carol" {
		t.Fatalf("the hint %q", h)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
