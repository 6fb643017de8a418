package account

import (
	"errors"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
)

// graceWorld is alice on one store, logged in from the terminal *ticket,
// under a policy with security.reauth_grace=5m.
func graceWorld(t *testing.T, ticket *string) (*Service, *clock) {
	t.Helper()
	w, c := setup(t, &world{open: memoryWorld()})
	s := newService(w, c)
	s.Ticket = func() string { return *ticket }
	login(t, s, "alice", pw)
	if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.reauth_grace=5m"}}); err != nil {
		t.Fatal(err)
	}
	login(t, s, "alice", pw) // the grace counts from this password
	return s, c
}

func visit(t *testing.T, s *Service) *Visit {
	t.Helper()
	v, err := s.Visit()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReauthGrace: within the grace, the pages that open no sealed secret
// open without a password, the others refuse the grace; it counts from the
// last password typed, a page opened by it does not extend it, and a page
// that took the password starts it again (the contract's
// security.reauth_grace).
func TestReauthGrace(t *testing.T) {
	ticket := "tty-1"
	s, c := graceWorld(t, &ticket)

	v := visit(t, s)
	pr := v.Graced()
	if pr == nil {
		t.Fatal("no grace right after the login's password")
	}
	if _, err := v.Show(pr); err != nil {
		t.Fatalf("account show in the grace: %v", err)
	}
	if _, err := v.Activity(pr, ActivityQuery{}); err != nil {
		t.Fatalf("account activity in the grace: %v", err)
	}
	if _, err := v.Sessions(pr); err != nil {
		t.Fatalf("session list in the grace: %v", err)
	}
	if _, err := v.BeginOTP(pr, "app"); fail.KindOf(err) != fail.Usage {
		t.Fatalf("otp register in the grace: %v, want the password asked", err)
	}
	if err := v.ChangePassword(pr, checked(t, []byte("a new pass phrase"), "alice"), false); fail.KindOf(err) != fail.Usage {
		t.Fatalf("account password in the grace: %v", err)
	}
	ch, err := v.CheckProfile(ProfileChange{Name: ptr("Alice Kim")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.SetProfile(pr, ch); err != nil {
		t.Fatalf("account set in the grace: %v", err)
	}
	events, err := v.Activity(pr, ActivityQuery{Limit: 1})
	if err != nil || len(events) != 1 || events[0].Event != EvProfileChanged || events[0].Method != string(auth.Grace) || events[0].Session == "" {
		t.Fatalf("account set in the grace logged %+v (%v)", events, err)
	}

	// A page opened by the grace does not extend it.
	c.t = c.t.Add(4 * time.Minute)
	if pr := visit(t, s).Graced(); pr == nil {
		t.Fatal("the grace ended before 5 minutes")
	}
	c.t = c.t.Add(time.Minute)
	if pr := visit(t, s).Graced(); pr != nil {
		t.Fatal("the grace outlived 5 minutes from the password")
	}
	// A page that took the password starts it again.
	if _, err := on(s, acct(t, s, "alice")).Show(pw); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(4 * time.Minute)
	if pr := visit(t, s).Graced(); pr == nil {
		t.Fatal("a page's password did not start the grace again")
	}
}

// TestReauthGraceEndsBetween: a grace that ends between the visit and its
// page, by time or by a policy change, opens nothing.
func TestReauthGraceEndsBetween(t *testing.T) {
	ticket := "tty-1"
	s, c := graceWorld(t, &ticket)
	v := visit(t, s)
	pr := v.Graced()
	c.t = c.t.Add(5 * time.Minute)
	if _, err := v.Show(pr); !errors.Is(err, ErrGraceOver) {
		t.Fatalf("a grace that ended meanwhile: %v", err)
	}
	c.t = c.t.Add(-4 * time.Minute)
	v = visit(t, s)
	pr = v.Graced()
	if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.reauth_grace=0s"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Show(pr); !errors.Is(err, ErrGraceOver) {
		t.Fatalf("a grace the policy turned off meanwhile: %v", err)
	}
	if visit(t, s).Graced() != nil {
		t.Fatal("a grace under security.reauth_grace=0")
	}
}

// TestReauthGraceHoldsOnlyOnItsTerminal: the session file used from
// another terminal or login (a copy of it, say) has no grace, and where
// the terminal cannot be named there is none.
func TestReauthGraceHoldsOnlyOnItsTerminal(t *testing.T) {
	ticket := "tty-1"
	s, _ := graceWorld(t, &ticket)
	ticket = "tty-2"
	if visit(t, s).Graced() != nil {
		t.Fatal("a grace on another terminal")
	}
	ticket = ""
	if visit(t, s).Graced() != nil {
		t.Fatal("a grace where the terminal is unknown")
	}
	ticket = "tty-1"
	v := visit(t, s)
	pr := v.Graced()
	ticket = "tty-2" // the proof was made on tty-1, the page runs on tty-2
	if _, err := v.Show(pr); !errors.Is(err, ErrGraceOver) {
		t.Fatalf("a grace carried to another terminal: %v", err)
	}
}

// TestReauthGraceIsOffByDefault: with the default policy nothing is
// recorded and no page opens without a password.
func TestReauthGraceIsOffByDefault(t *testing.T) {
	w, c := setup(t, &world{open: memoryWorld()})
	s := newService(w, c)
	s.Ticket = func() string { return "tty-1" }
	login(t, s, "alice", pw)
	if visit(t, s).Graced() != nil {
		t.Fatal("a grace under the default policy")
	}
	if _, err := on(s, acct(t, s, "alice")).Show(pw); err != nil {
		t.Fatal(err)
	}
	for _, r := range readAccount(t, w, "alice").Sessions {
		if r.PasswordAt != nil || r.Ticket != "" {
			t.Fatalf("a session record keeps a grace under the default policy: %+v", r)
		}
	}
}
