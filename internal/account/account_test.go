package account

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/text"
)

var pw = []byte("correct horse battery")

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// world is where a test's store lives: open returns it as a new kcloud
// process would find it.
type world struct {
	open func() *store.Store
	// local is this machine's session store where the directory is
	// shared (etcd); nil means the store itself.
	local func() *store.Store
}

// eachStore runs test on every backend: the domain does not know which
// it has.
func eachStore(t *testing.T, test func(t *testing.T, w *world)) {
	t.Run("bbolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kcloud.db")
		test(t, &world{open: func() *store.Store { return store.Open(path, store.Options{LockTimeout: time.Second}) }})
	})
	t.Run("memory", func(t *testing.T) {
		m := store.New(store.NewMemory())
		test(t, &world{open: func() *store.Store { return m }})
	})
	t.Run("etcd", func(t *testing.T) {
		c, prefix := etcdtest.Shared(t)
		session := filepath.Join(t.TempDir(), "session.db")
		test(t, &world{
			open: func() *store.Store {
				return store.New(store.OpenEtcd(store.EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
			},
			local: func() *store.Store { return store.Open(session, store.Options{LockTimeout: time.Second}) },
		})
	})
}

func (w *world) openLocal() *store.Store {
	if w.local == nil {
		return nil
	}
	return w.local()
}

// testPolicy is the organization's policy in these tests.
var testPolicy = Local{"security.lockout_threshold": 3, "session.ttl": int64(time.Hour)}

// newService returns a service as a new kcloud process would build it:
// nothing is shared with earlier ones but the store.
func newService(w *world, c *clock) *Service {
	return &Service{
		Store:       w.open(),
		Local:       w.openLocal(),
		Now:         c.now,
		Params:      secret.Minimum,
		Issuer:      "KakaoCloud",
		LocalPolicy: testPolicy,
	}
}

func setup(t testing.TB, w *world) (*world, *clock) {
	t.Helper()
	c := &clock{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	_, _, err := newService(w, c).Init("Acme", false, profile(t, Profile{UserID: "Alice", Name: "Alice"}), checked(t, pw, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

func login(t testing.TB, s *Service, id string, p []byte) error {
	t.Helper()
	_, err := loginAsk(s, acct(t, s, id), p, func(*Who) (auth.Credential, error) { return nil, errors.New("no second factor expected") })
	return err
}

// TestLockoutSurvivesRestarts: failures are counted in the store, so a
// new process does not reset them (security rule 4).
func TestLockoutSurvivesRestarts(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		for i := 0; i < 2; i++ {
			if err := login(t, newService(path, c), "alice", []byte("wrong password")); fail.KindOf(err) != fail.Auth {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		err := login(t, newService(path, c), "alice", []byte("wrong password"))
		if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), "locked until "+text.Time(time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC))) {
			t.Fatalf("third failure: %v", err)
		}
		if err := login(t, newService(path, c), "alice", pw); fail.KindOf(err) != fail.Locked {
			t.Fatalf("the right password during a lockout: %v, want Locked", err)
		}
		c.t = c.t.Add(15 * time.Minute)
		if err := login(t, newService(path, c), "alice", pw); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
		// A success resets the count: two more failures do not lock.
		s := newService(path, c)
		login(t, s, "alice", []byte("wrong"))
		login(t, s, "alice", []byte("wrong"))
		if err := login(t, s, "alice", pw); err != nil {
			t.Fatalf("two failures after a success locked the account: %v", err)
		}
		events, _ := on(s, acct(t, s, "alice")).Activity(pw, 0)
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Event)
		}
		want := "login_succeeded login_failed login_failed login_succeeded locked_out login_failed login_failed login_failed account_created"
		if strings.Join(kinds, " ") != want {
			t.Fatalf("activity = %v\nwant       %v", kinds, want)
		}
	})
}

// TestLockoutEndsSession: password guesses in an open session lock the
// account and end the session.
func TestLockoutEndsSession(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		if err := login(t, s, "alice", pw); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			on(s, acct(t, s, "alice")).Show([]byte("guess"))
		}
		if _, _, _, err := s.Current(); fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("session after a lockout: %v", err)
		}
	})
}

func TestSessionExpires(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		if _, _, _, err := s.Current(); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Hour)
		if _, _, _, err := s.Current(); fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("an hour-old session with a TTL of an hour: %v", err)
		}
		if _, err := on(s, acct(t, s, "alice")).Show(pw); fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("a page after the session ended: %v", err)
		}
	})
}

// TestSessionOfAGoneAccount: a session whose account was removed is no
// session.
func TestSessionOfAGoneAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		if sess, _, org, err := s.Current(); err != nil || sess.UserID != "alice" || org.Name != "Acme" {
			t.Fatalf("current: %+v %+v %v", sess, org, err)
		}
		if err := s.Store.Update(func(tx *store.Tx) error { return tx.Delete(store.Accounts, "alice") }); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.Current(); fail.KindOf(err) != fail.LoginRequired || !strings.Contains(err.Error(), "alice no longer exists") {
			t.Fatalf("current: %v", err)
		}
	})
}

// TestParamsUpgradeOnLogin: stronger configured parameters rehash the
// password at the next good login, and the data key survives.
func TestParamsUpgradeOnLogin(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		before := readAccount(t, path, "alice")
		s := newService(path, c)
		s.Params = secret.Params{Memory: 19456, Time: 3, Threads: 1}
		if err := login(t, s, "alice", pw); err != nil {
			t.Fatal(err)
		}
		after := readAccount(t, path, "alice")
		if after.Password.Params != s.Params {
			t.Fatalf("params after login = %+v, want %+v", after.Password.Params, s.Params)
		}
		dk1, _ := before.Password.Verify(pw)
		dk2, _ := after.Password.Verify(pw)
		k1, _ := before.openByPassword(dk1)
		k2, err := after.openByPassword(dk2)
		if err != nil || *k1 != *k2 {
			t.Fatalf("the data key changed with the rehash: %v", err)
		}
		// A wrong password does not upgrade anything.
		s.Params = secret.Params{Memory: 19456, Time: 4, Threads: 1}
		login(t, s, "alice", []byte("wrong password"))
		if got := readAccount(t, path, "alice").Password.Params; got.Time != 3 {
			t.Fatalf("a wrong password rehashed: %+v", got)
		}
	})
}

// TestChangePasswordRotatesDataKey: a password change gives the account
// a new data key; the old password opens neither the new record nor
// anything sealed after the change (security rule 2).
func TestChangePasswordRotatesDataKey(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		before := readAccount(t, path, "alice")
		next := []byte("a new pass phrase")
		if err := on(s, acct(t, s, "alice")).ChangePassword([]byte("wrong one"), checked(t, next, "alice")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a wrong current password: %v", err)
		}
		if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "bob")); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a password checked for another account: %v", err)
		}
		if _, err := CheckNewPassword([]byte("short"), 8, "alice", "Alice", "Acme"); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a short new password: %v", err)
		}
		if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "alice")); err != nil {
			t.Fatal(err)
		}
		after := readAccount(t, path, "alice")
		if k, err := after.Password.Verify(pw); k != nil || err != nil {
			t.Fatalf("the old password still works: %v", err)
		}
		oldKEK, _ := before.Password.Verify(pw)
		oldDK, err := before.openByPassword(oldKEK)
		if err != nil {
			t.Fatal(err)
		}
		newKEK, _ := after.Password.Verify(next)
		newDK, err := after.openByPassword(newKEK)
		if err != nil {
			t.Fatal(err)
		}
		if *oldDK == *newDK {
			t.Fatal("the data key did not change with the password")
		}
		if _, err := after.openByPassword(oldKEK); err == nil {
			t.Fatal("the old password's key opens the new data key")
		}
	})
}

func TestProfileAndPolicy(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		nick := "ally"
		if _, err := setProfile(on(s, acct(t, s, "alice")), pw, ProfileChange{Nickname: &nick}); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a nickname without the policy: %v", err)
		}
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Nicknames: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		page, err := setProfile(on(s, acct(t, s, "alice")), pw, ProfileChange{Nickname: &nick})
		if err != nil || page.Account.Nickname != "ally" {
			t.Fatalf("SetProfile = %v, %v", page, err)
		}
		// Turning the policy off keeps the nickname, and clearing it is allowed.
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Nicknames: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if got := readAccount(t, &world{open: func() *store.Store { return s.Store }}, "alice").Nickname; got != "ally" {
			t.Fatalf("turning the policy off changed the nickname to %q", got)
		}
		empty := ""
		if page, err = setProfile(on(s, acct(t, s, "alice")), pw, ProfileChange{Nickname: &empty}); err != nil || page.Account.Nickname != "" {
			t.Fatalf("clearing a nickname: %v", err)
		}
		bad := "x\x1b[2J"
		if _, err := setProfile(on(s, acct(t, s, "alice")), pw, ProfileChange{Name: &bad}); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a name with an escape: %v", err)
		}
		// A change checked while the policy allowed it is refused if the
		// policy changed before the password was typed.
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Nicknames: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		page1 := on(s, acct(t, s, "alice"))
		checked, err := page1.CheckProfile(ProfileChange{Nickname: &nick})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Nicknames: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := page1.SetProfile(pw, checked); !errors.Is(err, ErrNoNicknames) {
			t.Fatalf("a nickname checked before the policy was turned off: %v, want ErrNoNicknames", err)
		}
	})
}

func TestCreateNeedsAdmin(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		bob := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), Password: checked(t, []byte("quiet river at dawn"), "bob")}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, bob); err != nil {
			t.Fatal(err)
		}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, bob); err == nil || !strings.Contains(err.Error(), "taken") {
			t.Fatalf("a taken User ID: %v", err)
		}
		if err := login(t, s, "bob", []byte("quiet river at dawn")); err != nil {
			t.Fatal(err)
		}
		carol := NewAccount{Profile: profile(t, Profile{UserID: "carol", Name: "Carol"}), Password: checked(t, []byte("green kite over hills"), "carol")}
		if _, err := on(s, acct(t, s, "bob")).Create([]byte("quiet river at dawn"), carol); err == nil || !strings.Contains(err.Error(), "not an admin") {
			t.Fatalf("a non-admin created an account: %v", err)
		}
	})
}

func TestCheckUserID(t *testing.T) {
	for in, want := range map[string]string{"Alice": "alice", " bob@example.com ": "bob@example.com", "a.b_c-d": "a.b_c-d"} {
		if got, err := CheckUserID(in); err != nil || got != want {
			t.Errorf("CheckUserID(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-a", "a:b", "a b", "ünï", strings.Repeat("a", 65), "a\x1b"} {
		if _, err := CheckUserID(in); err == nil {
			t.Errorf("CheckUserID(%q) accepted", in)
		}
	}
}

func FuzzCheckUserID(f *testing.F) {
	for _, s := range []string{"alice", "Bob@Example.com", "a:b", "\x00", "-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := CheckUserID(s)
		if err != nil {
			return
		}
		if len(id) == 0 || len(id) > MaxUserID || strings.ContainsAny(id, ": \x00/") || strings.ToLower(id) != id {
			t.Fatalf("CheckUserID(%q) accepted %q", s, id)
		}
		if again, err := CheckUserID(id); err != nil || again != id {
			t.Fatalf("CheckUserID is not idempotent on %q", id)
		}
	})
}
