package account

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// Service carries out the account pages against one store.
type Service struct {
	Store            *store.Store
	Now              func() time.Time
	Params           secret.Params // Argon2id parameters for new hashes
	SessionTTL       time.Duration
	LockoutThreshold int
	LockoutDuration  time.Duration
}

// ActivityKept is how many events each account keeps; older ones go.
const ActivityKept = 1000

// Keys in the meta and sessions buckets.
const (
	keyOrg        = "organization"
	keyLastUser   = "last_user"
	keySession    = "current"
	timeFormatMsg = time.RFC3339
)

func (s *Service) now() time.Time { return s.Now().UTC() }

func getAccount(tx *store.Tx, id string) (*Account, error) {
	var a Account
	ok, err := tx.Get(store.Accounts, id, &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

func getOrg(tx *store.Tx) (*Organization, error) {
	var o Organization
	ok, err := tx.Get(store.Meta, keyOrg, &o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail.Otherf("the store holds no organization").WithHint("run `kcloud init` to create one")
	}
	return &o, nil
}

func noAccount(id string) error {
	return fail.Authf("no account with User ID %q in this store", id)
}

func (a *Account) locked(now time.Time) bool {
	return a.LockedUntil != nil && now.Before(*a.LockedUntil)
}

func lockedErr(a *Account) error {
	return fail.Lockedf("the account %s is locked until %s after too many failed attempts",
		a.UserID, a.LockedUntil.Format(timeFormatMsg)).WithHint("try again after that time")
}

func logEvent(tx *store.Tx, userID string, e Event) error {
	if err := tx.Append(store.Activity, userID, e); err != nil {
		return err
	}
	return tx.Trim(store.Activity, userID, ActivityKept)
}

// newAccount makes an account with a hashed password and a fresh data key.
// It runs Argon2id, so it is called outside any transaction.
func (s *Service) newAccount(id, name, nick string, admin bool, pw []byte, now time.Time) (*Account, error) {
	if err := secret.CheckPassword(pw); err != nil {
		return nil, fail.Usagef("%v", err)
	}
	h, kek, err := secret.NewHash(pw, s.Params)
	if err != nil {
		return nil, err
	}
	a := NewRecord(id, newUUID(), name, h, kek, now)
	a.Nickname, a.Admin = nick, admin
	return a, nil
}

// NewRecord makes an account record with the password hash h and a fresh
// data key wrapped by kek, the key-encryption key that came with h.
func NewRecord(id, uuid, name string, h secret.Hash, kek *secret.Key, now time.Time) *Account {
	a := &Account{UserID: id, UUID: uuid, Name: name, RegisteredAt: now, Password: h}
	a.DataKey = kek.Wrap(secret.NewKey(), a.adData())
	return a
}

// Profile is what a person typed for a new account.
type Profile struct {
	UserID, Name, Nickname string
}

// Check validates a new account's profile against the nickname policy.
func (p Profile) Check(usesNicknames bool) (Profile, error) {
	var err error
	if p.UserID, err = CheckUserID(p.UserID); err != nil {
		return p, fail.Usagef("%v", err)
	}
	if p.Name, err = CheckName(p.Name); err != nil {
		return p, fail.Usagef("%v", err)
	}
	if p.Nickname, err = CheckNickname(p.Nickname); err != nil {
		return p, fail.Usagef("%v", err)
	}
	if p.Nickname != "" && !usesNicknames {
		return p, errNoNicknames()
	}
	return p, nil
}

func errNoNicknames() error {
	return fail.Usagef("the organization does not use nicknames").
		WithHint("an admin can turn them on with `kcloud org set --nicknames=true`")
}

// Init creates the store's organization and its first account, an admin.
func (s *Service) Init(orgName string, orgNicknames bool, p Profile, pw []byte) (*Organization, *Account, error) {
	orgName, err := CheckOrgName(orgName)
	if err != nil {
		return nil, nil, fail.Usagef("%v", err)
	}
	if p, err = p.Check(orgNicknames); err != nil {
		return nil, nil, err
	}
	now := s.now()
	acc, err := s.newAccount(p.UserID, p.Name, p.Nickname, true, pw, now)
	if err != nil {
		return nil, nil, err
	}
	org := &Organization{ID: newUUID(), Name: orgName, UsesNicknames: orgNicknames, CreatedAt: now}
	err = s.Store.Create(func(tx *store.Tx) error {
		var old Organization
		if ok, err := tx.Get(store.Meta, keyOrg, &old); err != nil || ok {
			if err == nil {
				err = fail.Otherf("the store %s already holds the organization %q", s.Store.Path(), old.Name).
					WithHint("use --store to create another store")
			}
			return err
		}
		if err := tx.Put(store.Meta, keyOrg, org); err != nil {
			return err
		}
		if err := tx.Put(store.Accounts, acc.UserID, acc); err != nil {
			return err
		}
		// The admin is whom a bare `kcloud login` logs in first.
		if err := tx.Put(store.Meta, keyLastUser, acc.UserID); err != nil {
			return err
		}
		return logEvent(tx, acc.UserID, Event{Time: now, Event: EvAccountCreated, Detail: "first admin of " + org.Name})
	})
	if err != nil {
		return nil, nil, err
	}
	return org, acc, nil
}

// Current returns the session, its account and the organization. It is
// a LoginRequired error when there is no session or it has ended.
func (s *Service) Current() (*Session, *Account, *Organization, error) {
	var (
		sess Session
		acc  *Account
		org  *Organization
	)
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if err = s.session(tx, &sess); err != nil {
			return err
		}
		if acc, err = getAccount(tx, sess.UserID); err != nil {
			return err
		}
		if acc == nil {
			return fail.LoginRequiredf("the session's account %s no longer exists", sess.UserID).
				WithHint("run `kcloud login`")
		}
		org, err = getOrg(tx)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return &sess, acc, org, nil
}

func (s *Service) session(tx *store.Tx, sess *Session) error {
	ok, err := tx.Get(store.Sessions, keySession, sess)
	if err != nil {
		return err
	}
	if !ok {
		return fail.LoginRequiredf("not logged in").WithHint("run `kcloud login`")
	}
	if !s.now().Before(sess.ExpiresAt) {
		return fail.LoginRequiredf("the session of %s ended at %s", sess.UserID, sess.ExpiresAt.UTC().Format(timeFormatMsg)).
			WithHint("run `kcloud login`")
	}
	return nil
}

// Org returns the organization.
func (s *Service) Org() (*Organization, error) {
	var org *Organization
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		org, err = getOrg(tx)
		return err
	})
	return org, err
}

// LastUser returns the User ID of the last successful login, or "".
func (s *Service) LastUser() (string, error) {
	var id string
	err := s.Store.View(func(tx *store.Tx) error {
		_, err := tx.Get(store.Meta, keyLastUser, &id)
		return err
	})
	return id, err
}

// Logout ends the session. It reports whether there was one.
func (s *Service) Logout() (bool, error) {
	had := false
	err := s.Store.Update(func(tx *store.Tx) error {
		var sess Session
		ok, err := tx.Get(store.Sessions, keySession, &sess)
		if err != nil || !ok {
			return err
		}
		had = true
		if err := tx.Delete(store.Sessions, keySession); err != nil {
			return err
		}
		return logEvent(tx, sess.UserID, Event{Time: s.now(), Event: EvLogout})
	})
	return had, err
}

// proof is what checking a password outside a transaction yields.
type proof struct {
	pre *Account    // the account as read before the check
	kek *secret.Key // nil when the password was wrong
	// rehash, when set, replaces the password hash on success: the
	// configured parameters are stronger, or the password changes.
	rehash    *secret.Hash
	rehashKEK *secret.Key
}

// checkPassword runs Argon2id on pw against pre, the account as read
// before the password was asked for (by Current or CheckLogin), holding
// no lock while it computes. Nothing is recorded yet: finish checks, in
// its transaction, that pre is still the account's password and state.
func (s *Service) checkPassword(pre *Account, pw []byte) (*proof, error) {
	if pre.locked(s.now()) {
		return nil, lockedErr(pre)
	}
	p := &proof{pre: pre, kek: pre.Password.Verify(pw)}
	if p.kek != nil && pre.Password.Params.WeakerThan(s.Params) {
		if err := p.setPassword(pw, s.Params); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *proof) setPassword(pw []byte, params secret.Params) error {
	h, kek, err := secret.NewHash(pw, params)
	if err != nil {
		return err
	}
	p.rehash, p.rehashKEK = &h, kek
	return nil
}

// Unlocked is an account whose password was just proven, inside the
// transaction that records it. DataKey opens what the account sealed.
type Unlocked struct {
	tx      *store.Tx
	Account *Account
	Org     *Organization
	DataKey *secret.Key
	Now     time.Time
}

// Log appends an event to the account's activity.
func (u *Unlocked) Log(event, detail string) error {
	return logEvent(u.tx, u.Account.UserID, Event{Time: u.Now, Event: event, Detail: detail})
}

// attempt describes one use of a password.
type attempt struct {
	what      string // names the page in the activity log: "login", "account show"
	failEvent string // EvLoginFailed or EvPasswordFailed
	session   bool   // the session must still be this account's
	// second checks a second factor; an Auth error from it counts as a
	// failed attempt.
	second func(u *Unlocked) error
	// change does the page's work once the attempt has succeeded.
	change func(u *Unlocked) error
	// readOnly says change only reads: when the right password leaves
	// nothing to record (no failures to reset, no rehash), the page runs
	// in a read transaction and the store is not written.
	readOnly bool
}

// errNeedWrite sends a read-only attempt back to a write transaction.
var errNeedWrite = errors.New("the attempt has something to record")

// finish records the outcome of a password check and, on success, runs
// the attempt's work, all in one transaction.
func (s *Service) finish(p *proof, a attempt) error {
	write := !(a.readOnly && p.kek != nil && p.rehash == nil && p.pre.Failures == 0)
	err := s.finishIn(p, a, write)
	if errors.Is(err, errNeedWrite) {
		err = s.finishIn(p, a, true)
	}
	return err
}

func (s *Service) finishIn(p *proof, a attempt, write bool) error {
	run := s.Store.Update
	if !write {
		run = s.Store.View
	}
	var authErr error
	err := run(func(tx *store.Tx) error {
		acc, err := getAccount(tx, p.pre.UserID)
		if err != nil {
			return err
		}
		if acc == nil {
			return noAccount(p.pre.UserID)
		}
		now := s.now()
		if acc.locked(now) {
			return lockedErr(acc)
		}
		if !bytes.Equal(acc.Password.Salt, p.pre.Password.Salt) {
			return fail.Otherf("the password of %s changed while kcloud checked it", acc.UserID).
				WithHint("try again")
		}
		if a.session {
			var sess Session
			if err := s.session(tx, &sess); err != nil {
				return err
			}
			if sess.UserID != acc.UserID {
				return fail.LoginRequiredf("the session now belongs to %s", sess.UserID)
			}
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		if !write && acc.Failures > 0 {
			return errNeedWrite // a failure was counted since the account was read
		}
		u := &Unlocked{tx: tx, Account: acc, Org: org, Now: now}
		if p.kek == nil {
			authErr = s.failed(u, a.failEvent, a.what, "wrong password")
			return save(u)
		}
		if u.DataKey, err = p.kek.Unwrap(acc.DataKey, acc.adData()); err != nil {
			return fail.Otherf("the data key of %s does not open: the store is damaged", acc.UserID)
		}
		if a.second != nil {
			if err := a.second(u); err != nil {
				if fail.KindOf(err) != fail.Auth {
					return err
				}
				authErr = s.failed(u, EvOTPFailed, a.what, err.Error())
				return save(u)
			}
		}
		acc.Failures = 0
		if p.rehash != nil {
			acc.Password = *p.rehash
			acc.DataKey = p.rehashKEK.Wrap(u.DataKey, acc.adData())
		}
		if a.change != nil {
			if err := a.change(u); err != nil {
				var k kept
				if !errors.As(err, &k) {
					return err
				}
				authErr = k.error
			}
		}
		if !write {
			return nil
		}
		return save(u)
	})
	if err != nil {
		return err
	}
	return authErr
}

// kept is an error from a page's work whose changes are committed all
// the same: a wrong verification code is counted, then reported.
type kept struct{ error }

func save(u *Unlocked) error {
	return u.tx.Put(store.Accounts, u.Account.UserID, u.Account)
}

// failed counts a failed attempt (security rule 4) and returns the error
// to report once the count is committed.
func (s *Service) failed(u *Unlocked, event, what, why string) error {
	acc := u.Account
	acc.Failures++
	if err := u.Log(event, what+": "+why); err != nil {
		return err
	}
	left := s.LockoutThreshold - acc.Failures
	if left > 0 {
		attempts := "attempts lock"
		if left == 1 {
			attempts = "attempt locks"
		}
		return fail.Authf("%s", why).WithHint("%d more failed %s the account for %v", left, attempts, s.LockoutDuration)
	}
	until := u.Now.Add(s.LockoutDuration)
	acc.LockedUntil, acc.Failures = &until, 0
	if err := u.Log(EvLockout, fmt.Sprintf("%d failed attempts in a row; locked until %s", s.LockoutThreshold, until.Format(timeFormatMsg))); err != nil {
		return err
	}
	// A lockout also ends the account's session on this machine.
	var sess Session
	if ok, err := u.tx.Get(store.Sessions, keySession, &sess); err == nil && ok && sess.UserID == acc.UserID {
		if err := u.tx.Delete(store.Sessions, keySession); err != nil {
			return err
		}
	}
	return fail.Authf("%s; the account is now locked until %s", why, until.Format(timeFormatMsg))
}

// withPassword checks the session account's password and does the page's work.
func (s *Service) withPassword(pre *Account, pw []byte, a attempt) error {
	p, err := s.checkPassword(pre, pw)
	if err != nil {
		return err
	}
	a.session = true
	if a.failEvent == "" {
		a.failEvent = EvPasswordFailed
	}
	return s.finish(p, a)
}

// SecondFactor is what a person gives after the password when an OTP is
// registered: a current code or a recovery code.
type SecondFactor struct {
	OTP          string
	RecoveryCode string
}

// Login checks the password and, when the account has an OTP, the second
// factor that ask returns; ask is called outside any transaction, so it
// may prompt. On success it starts a session.
func (s *Service) Login(pre *Account, pw []byte, ask func(*Account) (SecondFactor, error)) (*Session, error) {
	p, err := s.checkPassword(pre, pw)
	if err != nil {
		return nil, err
	}
	a := attempt{what: "login", failEvent: EvLoginFailed}
	if p.kek != nil && p.pre.OTP != nil {
		sf, err := ask(p.pre)
		if err == nil {
			sf, err = sf.Check()
		}
		if err != nil {
			return nil, err
		}
		a.second = func(u *Unlocked) error { return s.checkSecondFactor(u, sf) }
	}
	var sess *Session
	a.change = func(u *Unlocked) error {
		now := u.Now
		u.Account.LastLoginAt = &now
		sess = &Session{UserID: u.Account.UserID, StartedAt: now, ExpiresAt: now.Add(s.SessionTTL)}
		if err := u.tx.Put(store.Sessions, keySession, sess); err != nil {
			return err
		}
		if err := u.tx.Put(store.Meta, keyLastUser, u.Account.UserID); err != nil {
			return err
		}
		return u.Log(EvLoginOK, "")
	}
	if err := s.finish(p, a); err != nil {
		return nil, err
	}
	return sess, nil
}

// Page is everything the account page shows.
type Page struct {
	Account Account
	Org     Organization
}

// Show checks the password and returns the account page.
func (s *Service) Show(pre *Account, pw []byte) (*Page, error) {
	var page Page
	err := s.withPassword(pre, pw, attempt{what: "account show", readOnly: true, change: func(u *Unlocked) error {
		page = Page{Account: *u.Account, Org: *u.Org}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// Activity checks the password and returns the account's events, newest
// first; limit 0 means all.
func (s *Service) Activity(pre *Account, pw []byte, limit int) ([]Event, error) {
	events := []Event{}
	err := s.withPassword(pre, pw, attempt{what: "account activity", readOnly: true, change: func(u *Unlocked) error {
		return u.tx.Newest(store.Activity, u.Account.UserID, func(decode func(any) error) bool {
			var e Event
			if decode(&e) == nil {
				events = append(events, e)
			}
			return limit <= 0 || len(events) < limit
		})
	}})
	return events, err
}

// ProfileChange holds the fields to change; nil leaves one as it is.
type ProfileChange struct {
	Name     *string
	Nickname *string
}

// Check validates the change against the organization's policy.
func (c ProfileChange) Check(org *Organization) (ProfileChange, error) {
	if c.Name == nil && c.Nickname == nil {
		return c, fail.Usagef("nothing to change").WithHint("give --name or --nickname")
	}
	if c.Name != nil {
		n, err := CheckName(*c.Name)
		if err != nil {
			return c, fail.Usagef("%v", err)
		}
		c.Name = &n
	}
	if c.Nickname != nil {
		n, err := CheckNickname(*c.Nickname)
		if err != nil {
			return c, fail.Usagef("%v", err)
		}
		// Clearing a nickname is always allowed; setting one needs the policy.
		if n != "" && !org.UsesNicknames {
			return c, errNoNicknames()
		}
		c.Nickname = &n
	}
	return c, nil
}

// SetProfile checks the password and changes the name or nickname.
func (s *Service) SetProfile(pre *Account, pw []byte, c ProfileChange) (*Page, error) {
	var out Page
	err := s.withPassword(pre, pw, attempt{what: "account set", change: func(u *Unlocked) error {
		c, err := c.Check(u.Org)
		if err != nil {
			return err
		}
		var changed []string
		if c.Name != nil && *c.Name != u.Account.Name {
			u.Account.Name = *c.Name
			changed = append(changed, fmt.Sprintf("name %q", *c.Name))
		}
		if c.Nickname != nil && *c.Nickname != u.Account.Nickname {
			u.Account.Nickname = *c.Nickname
			changed = append(changed, fmt.Sprintf("nickname %q", *c.Nickname))
		}
		out = Page{Account: *u.Account, Org: *u.Org}
		if len(changed) == 0 {
			return nil
		}
		return u.Log(EvProfileChanged, joinWords(changed))
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword checks the current password and sets a new one. The data
// key is rewrapped, so what it sealed (the OTP) keeps working.
func (s *Service) ChangePassword(pre *Account, current, next []byte) error {
	if err := secret.CheckPassword(next); err != nil {
		return fail.Usagef("new password: %v", err)
	}
	if bytes.Equal(current, next) {
		return fail.Usagef("the new password is the same as the current one")
	}
	p, err := s.checkPassword(pre, current)
	if err != nil {
		return err
	}
	if p.kek != nil {
		if err := p.setPassword(next, s.Params); err != nil {
			return err
		}
	}
	return s.finish(p, attempt{what: "account password", failEvent: EvPasswordFailed, session: true,
		change: func(u *Unlocked) error { return u.Log(EvPasswordChanged, "") }})
}

// NewAccount is what an admin gives to register another account.
type NewAccount struct {
	Profile
	Admin    bool
	Password []byte
}

// Create checks the admin's password and registers another account.
func (s *Service) Create(admin *Account, pw []byte, n NewAccount) (*Account, error) {
	org, err := s.Org()
	if err != nil {
		return nil, err
	}
	if n.Profile, err = n.Profile.Check(org.UsesNicknames); err != nil {
		return nil, err
	}
	acc, err := s.newAccount(n.UserID, n.Name, n.Nickname, n.Admin, n.Password, s.now())
	if err != nil {
		return nil, err
	}
	err = s.withPassword(admin, pw, attempt{what: "account create", change: func(u *Unlocked) error {
		if !u.Account.Admin {
			return errNotAdmin(u.Account.UserID)
		}
		if old, err := getAccount(u.tx, acc.UserID); err != nil || old != nil {
			if err == nil {
				err = fail.Otherf("the User ID %s is taken", acc.UserID)
			}
			return err
		}
		if acc.Nickname != "" && !u.Org.UsesNicknames { // the policy may have changed since
			return errNoNicknames()
		}
		acc.RegisteredAt = u.Now
		if err := u.tx.Put(store.Accounts, acc.UserID, acc); err != nil {
			return err
		}
		if err := logEvent(u.tx, acc.UserID, Event{Time: u.Now, Event: EvAccountCreated, Detail: "by " + u.Account.UserID}); err != nil {
			return err
		}
		return u.Log(EvAccountCreated, "created "+acc.UserID)
	}})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

func errNotAdmin(id string) error {
	return fail.Otherf("%s is not an admin of the organization", id).
		WithHint("an admin of the organization can do this")
}

// SetNicknames checks an admin's password and sets the nickname policy.
func (s *Service) SetNicknames(admin *Account, pw []byte, on bool) (*Organization, error) {
	var out Organization
	err := s.withPassword(admin, pw, attempt{what: "org set", change: func(u *Unlocked) error {
		if !u.Account.Admin {
			return errNotAdmin(u.Account.UserID)
		}
		out = *u.Org
		if u.Org.UsesNicknames == on {
			return nil
		}
		out.UsesNicknames = on
		if err := u.tx.Put(store.Meta, keyOrg, &out); err != nil {
			return err
		}
		return u.Log(EvOrgChanged, fmt.Sprintf("uses nicknames: %v", on))
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func joinWords(w []string) string {
	switch len(w) {
	case 0:
		return ""
	case 1:
		return w[0]
	}
	return w[0] + " and " + w[1]
}

// RequireAdmin is for callers that check before asking for a password;
// the page checks again inside its transaction.
func RequireAdmin(a *Account) error {
	if !a.Admin {
		return errNotAdmin(a.UserID)
	}
	return nil
}

// CheckNotLocked returns the lockout error if a is locked now.
func (s *Service) CheckNotLocked(a *Account) error {
	if a.locked(s.now()) {
		return lockedErr(a)
	}
	return nil
}

// CheckLogin reads, before anyone types a password, the account userID
// names, and reports whether it can log in now: it exists and is not
// locked. Login takes the account it returns.
func (s *Service) CheckLogin(userID string) (*Account, error) {
	var acc *Account
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if acc, err = getAccount(tx, userID); err != nil {
			return err
		}
		if acc == nil {
			return noAccount(userID)
		}
		return s.CheckNotLocked(acc)
	})
	return acc, err
}
