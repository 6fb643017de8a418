package account

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// TestMemberPagesTakeTheStepUp: an admin with an authenticator ends a
// member's sessions only with a current second factor, as member
// actions take; with it, the member's sessions end and both accounts
// log it, the member's naming the admin.
func TestMemberPagesTakeTheStepUp(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		secret, _ := register(t, s, c)
		bob := machine(t, s)
		if err := login(t, bob, "bob", bobPW); err != nil {
			t.Fatal(err)
		}
		v, err := on(s, acct(t, s, "alice")).For("bob")
		if err != nil {
			t.Fatal(err)
		}
		if !v.MemberStepUp() {
			t.Fatal("alice has an authenticator, yet a page on bob's account takes no step-up")
		}
		end := func(sf ...auth.Credential) error {
			_, err := with(tvisit{v}, pw, sf, func(pr *Proof) (int, error) { return v.EndSessions(pr, nil, EndAll) })
			return err
		}
		if err := end(); err == nil || !strings.Contains(err.Error(), "required") {
			t.Fatalf("ending bob's sessions with the password alone: %v; want a second factor asked for", err)
		}
		if _, _, _, err := bob.Current(); err != nil {
			t.Fatalf("bob's session after a refused end: %v", err)
		}
		c.t = c.t.Add(30 * time.Second)
		if err := end(otpFactor(otp.CodeAt(secret, otp.StepAt(c.t)))); err != nil {
			t.Fatal(err)
		}
		loggedOut(t, bob, "bob's session, ended by alice")
		var got []Event
		s.Store.View(func(tx *store.Tx) error {
			return tx.Newest(store.Activity, "bob", func(decode func(any) error) bool {
				var e Event
				decode(&e)
				got = append(got, e)
				return false
			})
		})
		if len(got) != 1 || got[0].Event != EvSessionsEnded || got[0].Actor != "alice" || got[0].Method != "password+otp" {
			t.Fatalf("bob's newest event: %+v; want sessions_ended by alice, password+otp", got)
		}
		if ev := events(t, s, "alice"); ev[0] != EvSessionsEnded {
			t.Fatalf("alice's activity %v; want it to start with sessions_ended", ev)
		}
	})
}

// TestForRefusesAMember: a page on another's account is an admin's; a
// member gets an error before any password, and an unknown User ID says so.
func TestForRefusesAMember(t *testing.T) {
	m := store.New(store.NewMemory())
	s, _ := withBob(t, &world{open: func() *store.Store { return m }})
	if err := login(t, s, "bob", bobPW); err != nil {
		t.Fatal(err)
	}
	if _, err := on(s, acct(t, s, "bob")).For("alice"); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("bob's page on alice's account: %v; want not an admin", err)
	}
	if v, err := on(s, acct(t, s, "bob")).For("bob"); err != nil || v.user != "" {
		t.Fatalf("bob's page on his own account by --user bob: %v", err)
	}
	if err := login(t, s, "alice", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := on(s, acct(t, s, "alice")).For("carol"); !errors.Is(err, ErrNoMember) {
		t.Fatalf("a page on carol, who is not there: %v", err)
	}
}

// TestActivityFilters: on 1,000 events, --since stops at the first older
// one and --type keeps only its kinds, with --limit counting what is kept.
func TestActivityFilters(t *testing.T) {
	m := store.New(store.NewMemory())
	w, c := setup(t, &world{open: func() *store.Store { return m }})
	s := newService(w, c)
	if err := login(t, s, "alice", pw); err != nil {
		t.Fatal(err)
	}
	start := c.t
	err := s.Store.Update(func(tx *store.Tx) error {
		for i := range 1000 {
			e := Event{Time: start.Add(time.Duration(i) * time.Minute), Event: EvLoginFailed}
			if i%10 == 0 {
				e.Event = EvLockout
			}
			if err := logEvent(tx, "alice", e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	query := func(q ActivityQuery) []Event {
		t.Helper()
		v := on(s, acct(t, s, "alice"))
		got, err := with(v, pw, nil, func(pr *Proof) ([]Event, error) { return v.Visit.Activity(pr, q) })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := query(ActivityQuery{Types: []string{EvLockout}}); len(got) != 100 {
		t.Fatalf("--type locked_out: %d events, want 100", len(got))
	}
	since := start.Add(900 * time.Minute)
	got := query(ActivityQuery{Since: since, Types: []string{EvLoginFailed}})
	if len(got) != 90 || got[len(got)-1].Time.Before(since) {
		t.Fatalf("--since the 900th minute, login_failed: %d events, want 90", len(got))
	}
	if got := query(ActivityQuery{Limit: 5, Types: []string{EvLockout}}); len(got) != 5 || got[0].Time != start.Add(990*time.Minute) {
		t.Fatalf("--limit 5 --type locked_out: %+v", got)
	}
	if err := CheckEventTypes([]string{"login_failed", "nope"}); fail.KindOf(err) != fail.Usage || !strings.Contains(err.Error(), "locked_out") {
		t.Fatalf("an unknown kind: %v; want a usage error listing the kinds", err)
	}
}

// TestActivityRetention: events older than 90 days go once the account
// has more than 1,000; the newest 1,000 stay whatever their age.
func TestActivityRetention(t *testing.T) {
	mem := store.New(store.NewMemory())
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := old.AddDate(0, 0, 200)
	err := mem.Create(func(tx *store.Tx) error {
		for i := range 1100 {
			if err := logEvent(tx, "alice", Event{Time: old.Add(time.Duration(i) * time.Minute), Event: EvLoginOK}); err != nil {
				return err
			}
		}
		for range 50 {
			if err := logEvent(tx, "alice", Event{Time: now, Event: EvLogout}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	mem.View(func(tx *store.Tx) error {
		return tx.Newest(store.Activity, "alice", func(func(any) error) bool { n++; return true })
	})
	if n != ActivityLeast {
		t.Fatalf("1,100 old events and 50 new: %d kept, want the newest %d", n, ActivityLeast)
	}
}

// TestEventTypesAreEveryEvent: every Ev constant of the package is in
// EventTypes, what --type takes.
func TestEventTypesAreEveryEvent(t *testing.T) {
	fs := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fs, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Ev") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					if !slices.Contains(EventTypes, v) {
						t.Errorf("%s = %q is not in EventTypes", name.Name, v)
					}
				}
			}
			return true
		})
	}
}
