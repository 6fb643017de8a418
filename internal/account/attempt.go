package account

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/text"
)

// An attempt is one use of a password: checked outside any transaction
// (Argon2id takes tens of milliseconds), then recorded, with the page's
// work, in one transaction that reads the account again. So a lockout
// that happened while the person typed is seen before anything else is
// said (security rule 4).

// pwCheck is what checking a password outside a transaction yields.
type pwCheck struct {
	pre *Account    // the account as read before the check
	kek *secret.Key // nil when the password was wrong
	// rehash, when set, replaces the password hash on success: the
	// configured parameters are stronger, or the password changes.
	rehash    *secret.Hash
	rehashKEK *secret.Key
	// rotate gives the account a new data key with the new hash: the old
	// password opens nothing sealed after the change (security rule 2).
	rotate bool
	// sum is the password's SHA-256, for telling a new password that is
	// the same (the password itself is not kept).
	sum [sha256.Size]byte
	// length is the password's in characters, for the policy's minimum.
	length int
	// short: the password rehash sets has fewer than MinPasswordAlone
	// characters.
	short bool
}

// isShort reports whether pw is too short to be the only factor.
func isShort(pw []byte) bool { return utf8.RuneCount(pw) < MinPasswordAlone }

// samePassword reports whether pw is the password that was checked.
func (p *pwCheck) samePassword(pw []byte) bool {
	sum := sha256.Sum256(pw)
	return secret.Equal(sum[:], p.sum[:])
}

// checkPassword runs Argon2id on pw against pre, the account as read
// before the password was asked for, holding no lock while it computes.
// Nothing is recorded yet: finish checks, in its transaction, that pre is
// still the account's password and state.
func (s *Service) checkPassword(pre *Account, pw []byte) (*pwCheck, error) {
	if err := pre.barred(s.now()); err != nil {
		return nil, err
	}
	kek, err := pre.Password.Verify(pw)
	if err != nil {
		return nil, s.Store.Damaged(store.Accounts, pre.UserID, err) // outside a transaction
	}
	p := &pwCheck{pre: pre, kek: kek, sum: sha256.Sum256(pw), length: utf8.RuneCount(pw)}
	if p.kek != nil && pre.Password.Params.WeakerThan(s.Params) {
		if err := p.setPassword(pw, s.Params); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *pwCheck) setPassword(pw []byte, params secret.Params) error {
	h, kek, err := secret.NewHash(pw, params)
	if err != nil {
		return err
	}
	p.rehash, p.rehashKEK, p.short = &h, kek, isShort(pw)
	return nil
}

// Unlocked is an account whose password was just proven, inside the
// transaction that records it. DataKey opens what the account sealed.
type Unlocked struct {
	tx      *store.Tx
	Account *Account
	Org     *Organization
	Policy  Policy
	DataKey *secret.Key
	Now     time.Time
	// after runs once the transaction has committed: writes to this
	// machine's session, which is not in the directory.
	after []func() error
	// notices are the security alerts the committed change sends.
	notices []Notice
	// recoveryLeft, when a recovery code was used, is how many are left.
	recoveryLeft *int
	// kek is the password's key-encryption key, for a page that gives
	// the account a new data key (rotate); nil where no password was given.
	kek *secret.Key
	// keyID names the access key that opened the page, in what it logs.
	keyID string
	// token is this machine's session token, for a page of a session.
	token string
	// where says where and how the change was made, for what it logs.
	where Event
}

// Log appends an event to the account's activity: where and how it was
// made (host, session, method, access key, actor) from u.
func (u *Unlocked) Log(event, detail string) error {
	e := u.where
	e.Time, e.Event, e.Detail, e.AccessKey = u.Now, event, detail, u.keyID
	return logEvent(u.tx, u.Account.UserID, e)
}

// onMember is the member m as the admin in u acts on it: what it logs
// names the admin as the actor, and what it notices goes out with u's.
// The caller writes m (putAccount) and gathers its notices (u.gather).
func (u *Unlocked) onMember(m *Account) *Unlocked {
	mu := &Unlocked{tx: u.tx, Account: m, Org: u.Org, Policy: u.Policy, Now: u.Now, keyID: u.keyID, where: u.where}
	mu.where.Actor = u.Account.UserID
	if m.UserID == u.Account.UserID {
		mu.where.Actor = ""
	}
	return mu
}

// gather takes the member's notices and after-work into u's.
func (u *Unlocked) gather(mu *Unlocked) {
	u.notices = append(u.notices, mu.notices...)
	u.after = append(u.after, mu.after...)
}

// MACKey keys the MACs that stand for verification codes (six digits:
// the key is what keeps a copy of the store from testing them). A
// password change makes a new one, so that a record from before the
// change, opened with the old password, holds no key to what the
// current record holds (etcd keeps old records). Accounts from before
// it existed use their first data key.
func (u *Unlocked) MACKey() (*secret.Key, error) {
	if len(u.Account.MACKey) == 0 {
		return u.DataKey, nil
	}
	return u.DataKey.Unwrap(u.Account.MACKey, u.Account.adMAC())
}

// recoveryKey keys the MACs of the recovery codes (OTP.RecoveryKey).
func (u *Unlocked) recoveryKey() (*secret.Key, error) {
	if o := u.Account.OTP; o != nil && len(o.RecoveryKey) == len(secret.Key{}) {
		return (*secret.Key)(o.RecoveryKey), nil
	}
	return u.MACKey()
}

// attempt describes one use of a password.
type attempt struct {
	what      string // names the page in the activity log: "login", "account show"
	failEvent string // EvLoginFailed or EvPasswordFailed
	session   bool   // the session must still be this account's
	// factor: the page needs the proof's second factor (step-up), which
	// settle makes second.
	factor bool
	// second checks a second factor; an Auth error from it counts as a
	// failed second factor.
	second func(u *Unlocked) error
	// change does the page's work once the attempt has succeeded.
	change func(u *Unlocked) error
	// prepare runs once the password is known right, outside any
	// transaction, before the attempt is recorded: slow work (Argon2id)
	// that the change will need.
	prepare func(pre *Account) error
	// readOnly says change only reads: when the right password leaves
	// nothing to record (no failures to reset, no rehash), the page runs
	// in a read transaction and the store is not written.
	readOnly bool
	// method is how the proof authenticated, for what the page logs.
	method string
	// keys is the scope of access key the page lets in ("read" or
	// "write"); "" lets in none: the page needs a person. snapshot: change
	// reads only u.Account and u.Org, so a key's page is answered from
	// what its visit read.
	keys     string
	snapshot bool
	// grace: the page opens no sealed secret, so a session within the
	// policy's security.reauth_grace opens it without a password.
	grace bool
}

// errNeedWrite sends a read-only attempt back to a write transaction.
var errNeedWrite = errors.New("the attempt has something to record")

// finish records the outcome of a password check and, on success, runs
// the attempt's work, all in one transaction.
func (s *Service) finish(p *pwCheck, a attempt) error {
	session := func(*store.Tx) (*Session, error) { return nil, nil }
	if a.session {
		var err error
		if session, err = s.sessionReader(); err != nil {
			return err
		}
	}
	write := !(a.readOnly && p.kek != nil && p.rehash == nil && p.pre.Failures == 0)
	u, err := s.finishIn(p, a, write, session)
	if errors.Is(err, errNeedWrite) {
		u, err = s.finishIn(p, a, true, session)
	}
	return s.committed(u, err)
}

// committed does what a committed change left for after it (u.after:
// ending this machine's session) and sends its notices, and returns err,
// or the first error of that work when err is nil. u may be nil (the
// change did not get that far).
func (s *Service) committed(u *Unlocked, err error) error {
	if u == nil {
		return err
	}
	for _, f := range u.after {
		if aerr := f(); err == nil {
			err = aerr
		}
	}
	s.sendNotices(u.notices)
	return err
}

func (s *Service) finishIn(p *pwCheck, a attempt, write bool, session func(*store.Tx) (*Session, error)) (*Unlocked, error) {
	run := s.Store.Update
	if !write {
		run = s.Store.View
	}
	var (
		authErr error
		u       *Unlocked
	)
	err := run(func(tx *store.Tx) error {
		authErr, u = nil, nil // Update may run this again
		sess, err := session(tx)
		if err != nil {
			return err
		}
		if err := prefetchPage(tx, p.pre.UserID, write); err != nil {
			return err
		}
		acc, err := getAccount(tx, p.pre.UserID)
		if err != nil {
			return err
		}
		if acc == nil {
			return noAccount(p.pre.UserID)
		}
		now := s.now()
		if err := acc.barred(now); err != nil {
			return err
		}
		if !bytes.Equal(acc.Password.Salt, p.pre.Password.Salt) {
			return kindErr(fail.Other, ErrPasswordRaced)
		}
		if sess != nil && sess.UserID != acc.UserID {
			return fail.Mark(fail.LoginRequired, ErrNotLoggedIn, "the session now belongs to %s", sess.UserID)
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		if sess != nil {
			if _, err := acc.open(sess, s.policy(org), now); err != nil {
				return err
			}
		}
		if !write && acc.Failures > 0 {
			return errNeedWrite // a failure was counted since the account was read
		}
		u = &Unlocked{tx: tx, Account: acc, Org: org, Policy: s.policy(org), Now: now, where: Event{Host: s.Host, Method: a.method}}
		if sess != nil {
			u.token = sess.Token
			if r := acc.sessionOrNil(sess.Token); r != nil {
				u.where.Session = r.ID
			}
		}
		if p.kek == nil {
			authErr = s.failed(u, false, a.failEvent, a.what, ErrWrongPassword)
			return putAccount(tx, acc)
		}
		if u.DataKey, err = acc.openByPassword(p.kek); err != nil {
			return store.Damaged(store.Accounts, acc.UserID, err)
		}
		u.kek = p.kek
		if p.rehashKEK != nil {
			u.kek = p.rehashKEK
		}
		if acc.passwordSlot() == nil && p.rehash == nil {
			// A record from before key slots moves to them now: the same
			// data key, in a slot the password locks.
			if !write {
				return errNeedWrite
			}
			if err := acc.sealSlots(u.DataKey, p.kek); err != nil {
				return err
			}
		}
		acc.Failures = 0 // a right password clears failed passwords, not failed codes
		if a.second != nil {
			if err := a.second(u); err != nil {
				if fail.KindOf(err) != fail.Auth {
					return err
				}
				authErr = s.failed(u, true, EvOTPFailed, a.what, err)
				return putAccount(tx, acc)
			}
			acc.SecondFailures = 0
		}
		if acc.SecondFailures == 0 {
			// All the way in: the lockouts and failures in a row end.
			acc.Lockouts, acc.FailedInRow = 0, 0
		}
		if p.rehash != nil {
			if err := u.rekey(p); err != nil {
				return err
			}
		}
		if err := u.passwordTyped(s, write); err != nil {
			return err
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
		return putAccount(tx, acc)
	})
	if err != nil {
		return nil, err
	}
	return u, authErr
}

// rekey sets the new password hash and locks the password's slot with
// the new key. A password change (p.rotate) also gives the account a new
// data key, whose MAC key is new too, so that no copy of the store made
// after the change opens with the old password (security rule 2);
// stronger parameters for the same password rewrite the one slot.
func (u *Unlocked) rekey(p *pwCheck) error {
	a := u.Account
	a.Password, a.ShortPassword = *p.rehash, p.short
	if p.rotate {
		return u.rotate(p.rehashKEK, true)
	}
	u.tx.Forget() // the old hash and lock
	return a.sealSlots(u.DataKey, p.rehashKEK)
}

// MaxLockout is the longest a lockout grows to; DisableAfterFailures, the
// failures in a row that disable the password (security rule 4).
const (
	MaxLockout           = 24 * time.Hour
	DisableAfterFailures = 100
)

// lockoutFor is the length of the lockout that follows n lockouts in a
// row: the policy's, doubled each time, up to MaxLockout (or the
// policy's, when it is longer).
func lockoutFor(base time.Duration, n int) time.Duration {
	d := base
	for range n {
		if d >= MaxLockout {
			break
		}
		d *= 2
	}
	return max(min(d, MaxLockout), base)
}

// kept is an error from a page's work whose changes are committed all
// the same: a wrong verification code is counted, then reported.
type kept struct{ error }

// failed counts a failed password (second false) or second factor
// (security rule 4) and returns the error to report once the count is
// committed. Both counts add up toward the lockout; a right password
// clears only its own, so guessing codes between right passwords still
// locks the account.
func (s *Service) failed(u *Unlocked, second bool, event, what string, why error) error {
	acc := u.Account
	if second {
		acc.SecondFailures++
	} else {
		acc.Failures++
	}
	acc.FailedInRow++
	if err := u.Log(event, what+": "+why.Error()); err != nil {
		return err
	}
	lockout := lockoutFor(u.Policy.LockoutDuration, acc.Lockouts)
	fa := &FailedAttempt{Err: why, Lockout: lockout}
	if acc.FailedInRow >= DisableAfterFailures && !acc.PasswordDisabled {
		// Disabled once, told once; the lockouts below still apply to
		// what is left (account recover's codes).
		acc.PasswordDisabled = true
		fa.Disabled = true
		if err := u.Log(EvPWDisabled, fmt.Sprintf("%d failed attempts in a row", acc.FailedInRow)); err != nil {
			return err
		}
		u.notice(EvPWDisabled, say("your password was disabled after %d failed attempts in a row", acc.FailedInRow))
		id := acc.UserID
		u.after = append(u.after, func() error { return s.endSession(id) })
	}
	if left := u.Policy.LockoutThreshold - acc.Failures - acc.SecondFailures; left > 0 {
		fa.Left = left
		return kindErr(fail.Auth, fa)
	}
	until := u.Now.Add(lockout)
	acc.LockedUntil, acc.Failures, acc.SecondFailures = &until, 0, 0
	acc.Lockouts++
	fa.LockedTo = until
	if err := u.Log(EvLockout, fmt.Sprintf("%d failed attempts in a row; locked until %s",
		u.Policy.LockoutThreshold, text.Time(until))); err != nil {
		return err
	}
	u.notice(EvLockout, say("your account was locked until %s after %d failed attempts in a row", until, u.Policy.LockoutThreshold))
	// A lockout also ends the account's session on this machine.
	id := acc.UserID
	u.after = append(u.after, func() error { return s.endSession(id) })
	return kindErr(fail.Auth, fa)
}

// ErrWrongPassword is the reason of a failed password (in a
// FailedAttempt): a terminal asks again for it, not for a wrong code.
var ErrWrongPassword = errors.New("wrong password")
