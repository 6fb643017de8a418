package account

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// machine is another kcloud process on a machine of its own: the same
// directory as s, a session file of its own.
func machine(t *testing.T, s *Service) *Service {
	t.Helper()
	m := *s
	path := filepath.Join(t.TempDir(), "session.db")
	m.Local = store.Open(path, store.Options{LockTimeout: time.Second})
	return &m
}

func sessionFile(s *Service) string { return s.Local.Name() }

// shared is a directory (in memory) that two machines share.
func shared(t *testing.T) (*Service, *clock) {
	t.Helper()
	m := store.New(store.NewMemory())
	w, c := setup(t, &world{open: func() *store.Store { return m }})
	return machine(t, newService(w, c)), c
}

func loggedOut(t *testing.T, s *Service, what string) {
	t.Helper()
	if _, _, _, err := s.Current(); fail.KindOf(err) != fail.LoginRequired {
		t.Fatalf("%s: %v; want login required (exit 5)", what, err)
	}
}

// TestSessionsListedAndEnded: two machines on one directory each have a
// session; each lists both, and the one ended from A is refused on B at
// once; logout removes the record, so a copy of the session file taken
// before opens nothing.
func TestSessionsListedAndEnded(t *testing.T) {
	a, _ := shared(t)
	b := machine(t, a)
	for _, m := range []*Service{a, b} {
		if err := login(t, m, "alice", pw); err != nil {
			t.Fatal(err)
		}
	}
	va, _ := a.Visit()
	list, err := tvisit{va}.sessions(pw)
	if err != nil || len(list) != 2 || list[0].Current == list[1].Current {
		t.Fatalf("session list on A: %+v, %v; want two, one of them A's", list, err)
	}
	other := list[0].ID
	if list[0].Current {
		other = list[1].ID
	}
	if _, err := with(tvisit{va}, pw, nil, func(pr *Proof) (int, error) { return va.EndSessions(pr, []string{other}, EndNamed) }); err != nil {
		t.Fatal(err)
	}
	loggedOut(t, b, "B's session, ended on A")
	if _, _, _, err := a.Current(); err != nil {
		t.Fatalf("A's own session after ending B's: %v", err)
	}

	// A copy of A's session file, taken before logout, opens nothing after.
	saved, err := os.ReadFile(sessionFile(a))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Logout(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sessionFile(a), saved, 0o600); err != nil {
		t.Fatal(err)
	}
	loggedOut(t, a, "a copy of the session file after logout")
}

// TestSessionOfAnotherStore: a session file made in one organization's
// directory opens nothing in another's, though an account of the same
// User ID is there.
func TestSessionOfAnotherStore(t *testing.T) {
	mine, _ := shared(t)
	theirs, _ := shared(t)
	if err := login(t, theirs, "alice", pw); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(sessionFile(theirs))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sessionFile(mine), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	loggedOut(t, mine, "a session file from another organization's store")
	if _, err := mine.Visit(); fail.KindOf(err) != fail.LoginRequired {
		t.Fatalf("a page with it: %v; want login required", err)
	}
}

// TestSessionOfDeletedAccount: after member delete bob and account create
// of a new bob, the old bob's session is no session of the new one.
func TestSessionOfDeletedAccount(t *testing.T) {
	admin, _ := shared(t)
	bob := machine(t, admin)
	login(t, admin, "alice", pw)
	nb := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), Password: checked(t, bobPW, "bob")}
	if _, err := on(admin, acct(t, admin, "alice")).Create(pw, nb); err != nil {
		t.Fatal(err)
	}
	if err := login(t, bob, "bob", bobPW); err != nil {
		t.Fatal(err)
	}
	if _, err := act(t, admin, "alice", "bob", Delete, ActOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := on(admin, acct(t, admin, "alice")).Create(pw, nb); err != nil {
		t.Fatal(err)
	}
	loggedOut(t, bob, "the old bob's session, for the new bob")
}

// TestSessionsAtMost100: the 101st login ends the session used least
// recently; session.idle_ttl ends one unused for that long.
func TestSessionsAtMost100(t *testing.T) {
	s, c := shared(t)
	first := machine(t, s)
	login(t, first, "alice", pw)
	for range MaxSessions {
		c.t = c.t.Add(10 * time.Second) // all within session.ttl (1h here): none has ended
		if err := login(t, machine(t, s), "alice", pw); err != nil {
			t.Fatal(err)
		}
	}
	loggedOut(t, first, "the session used least recently, after 100 newer")
	var a *Account
	s.Store.View(func(tx *store.Tx) error { a, _ = getAccount(tx, "alice"); return nil })
	if len(a.Sessions) != MaxSessions {
		t.Fatalf("%d session records; want %d", len(a.Sessions), MaxSessions)
	}

	idle := machine(t, s)
	login(t, idle, "alice", pw)
	if _, err := on(idle, acct(t, idle, "alice")).SetOrg(pw, OrgChange{Policy: []string{"session.idle_ttl=10m"}}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(11 * time.Minute)
	if _, _, _, err := idle.Current(); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("a session unused for 11 minutes under session.idle_ttl=10m: %v; want ended", err)
	}
}

// TestLoginTakesThePlaceOfThisMachinesSession: a second login on one
// machine ends the session it replaces, whether of the same account or
// another, since nobody there holds its token any more; the other
// machine's session stays.
func TestLoginTakesThePlaceOfThisMachinesSession(t *testing.T) {
	a, _ := shared(t)
	b := machine(t, a)
	for _, m := range []*Service{a, b, a} {
		if err := login(t, m, "alice", pw); err != nil {
			t.Fatal(err)
		}
	}
	va, _ := a.Visit()
	list, err := tvisit{va}.sessions(pw)
	if err != nil || len(list) != 2 {
		t.Fatalf("after two logins on A and one on B: %+v, %v; want two sessions", list, err)
	}
	if _, _, _, err := b.Current(); err != nil {
		t.Fatalf("B's session after A logged in again: %v", err)
	}
}

// TestEndOtherSessionsWithAPage: a page whose proof says
// EndOtherSessions (new recovery codes here) ends every session of the
// account but this machine's, in its own transaction; without it they
// stay.
func TestEndOtherSessionsWithAPage(t *testing.T) {
	a, c := shared(t)
	b := machine(t, a)
	for _, m := range []*Service{a, b} {
		if err := login(t, m, "alice", pw); err != nil {
			t.Fatal(err)
		}
	}
	secret, _ := register(t, a, c)
	renew := func(end bool) {
		t.Helper()
		c.t = c.t.Add(30 * time.Second)
		va, err := a.Visit()
		if err != nil {
			t.Fatal(err)
		}
		if n := va.OtherSessions(); n != 1 {
			t.Fatalf("other sessions seen from A: %d, want 1 (B's)", n)
		}
		_, err = with(tvisit{va}, pw, []auth.Credential{otpFactor(otp.CodeAt(secret, otp.StepAt(c.t)))}, func(pr *Proof) ([]string, error) {
			if end {
				pr.EndOtherSessions()
			}
			return va.RenewRecoveryCodes(pr)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	renew(false)
	if _, _, _, err := b.Current(); err != nil {
		t.Fatalf("B's session after new codes without --end-other-sessions: %v", err)
	}
	renew(true)
	loggedOut(t, b, "B's session after new codes with --end-other-sessions")
	if _, _, _, err := a.Current(); err != nil {
		t.Fatalf("A's own session: %v", err)
	}
}

// TestSessionFromBeforeRecords: a session file as kcloud wrote it before
// sessions were records (a User ID and an epoch, no token) opens nothing
// on any backend: anyone can write such a file for any User ID. It asks
// for a login, which makes a session of today's kind.
func TestSessionFromBeforeRecords(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		err := s.local().Update(func(tx *store.Tx) error {
			return tx.PutRaw(store.Sessions, keySession, []byte(`{"user_id":"alice","started_at":"2026-11-27T08:59:00Z","expires_at":"2026-11-27T20:59:00Z"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = s.Current()
		if fail.KindOf(err) != fail.LoginRequired || !strings.Contains(err.Error(), "log in again") {
			t.Fatalf("a session from before records: %v; want exit 5, log in again", err)
		}
		if err := login(t, s, "alice", pw); err != nil {
			t.Fatal(err)
		}
		sess, _, _, err := s.Current()
		if err != nil || sess.Token == "" {
			t.Fatalf("the login after: %+v, %v", sess, err)
		}
	})
}

// FuzzSessionFile: whatever a machine's session file holds (written by
// hand, copied, cut), Current refuses it or opens the one session whose
// record the token opens, and never panics. The seeds are a real session
// and one from before records.
func FuzzSessionFile(f *testing.F) {
	m := store.New(store.NewMemory())
	w, c := setup(f, &world{open: func() *store.Store { return m }})
	s := newService(w, c)
	if err := login(f, s, "alice", pw); err != nil {
		f.Fatal(err)
	}
	var real json.RawMessage
	if err := s.local().View(func(tx *store.Tx) error { _, err := tx.Get(store.Sessions, keySession, &real); return err }); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(real))
	f.Add([]byte(`{"user_id":"alice","started_at":"2026-11-27T08:59:00Z","expires_at":"2026-11-27T20:59:00Z"}`))
	f.Add([]byte(`{"user_id":"alice","token":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := s.local().Update(func(tx *store.Tx) error { return tx.PutRaw(store.Sessions, keySession, data) }); err != nil {
			t.Fatal(err)
		}
		sess, who, _, err := s.Current()
		if err != nil {
			return
		}
		if who.rec.session(sess.Token) == nil {
			t.Fatalf("a session file opened a session with no record: %q", data)
		}
	})
}

// TestEndedSessionsAreNotListed: a session past its end is in no list and
// counts for nothing; the next login drops its record.
func TestEndedSessionsAreNotListed(t *testing.T) {
	a, c := shared(t)
	b := machine(t, a)
	if err := login(t, a, "alice", pw); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Hour) // past session.ttl (1h in these tests)
	if err := login(t, b, "alice", pw); err != nil {
		t.Fatal(err)
	}
	vb, err := b.Visit()
	if err != nil {
		t.Fatal(err)
	}
	if n := vb.OtherSessions(); n != 0 {
		t.Fatalf("other sessions seen from B: %d, want 0 (A's ended)", n)
	}
	list, err := tvisit{vb}.sessions(pw)
	if err != nil || len(list) != 1 || !list[0].Current {
		t.Fatalf("B's session list: %+v, %v; want B's alone", list, err)
	}
	if recs := readAccount(t, &world{open: func() *store.Store { return b.Store }}, "alice").Sessions; len(recs) != 1 {
		t.Fatalf("%d session records after B's login, want 1", len(recs))
	}
}
