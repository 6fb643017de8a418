package account

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// Passkey is one registered WebAuthn passkey or security key: its public
// part (auth.PasskeyKey), nothing secret, so that a record on etcd holds
// it in the clear.
type Passkey struct {
	Name string `json:"name"`
	auth.PasskeyKey
	RegisteredAt time.Time  `json:"registered_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
}

// MaxPasskeys is how many passkeys an account may have.
const MaxPasskeys = 5

// Passkey events.
const (
	EvPasskeyRegistered = "passkey_registered"
	EvPasskeyDeleted    = "passkey_deleted"
	// EvPasskeyCloned: a passkey's sign count did not go up, so a copy
	// of it may exist; the answer was refused.
	EvPasskeyCloned = "passkey_sign_count_refused"
)

// ErrPasskeyCloned is an assertion refused for its sign count.
var ErrPasskeyCloned = errors.New("the passkey's sign count did not go up")

// firstRegistered is when the first authenticator of any kind was.
func (o *OTP) firstRegistered() time.Time {
	var t time.Time
	for _, x := range o.Authenticators {
		if t.IsZero() || x.RegisteredAt.Before(t) {
			t = x.RegisteredAt
		}
	}
	for _, p := range o.Passkeys {
		if t.IsZero() || p.RegisteredAt.Before(t) {
			t = p.RegisteredAt
		}
	}
	return t
}

func (a *Account) passkeys() []*Passkey {
	if a.OTP == nil {
		return nil
	}
	return a.OTP.Passkeys
}

func (a *Account) passkeyKeys() []auth.PasskeyKey {
	var keys []auth.PasskeyKey
	for _, p := range a.passkeys() {
		keys = append(keys, p.PasskeyKey)
	}
	return keys
}

// PasskeyHandle is the user handle of who's passkeys: the account's UUID,
// so that an account made again under the same User ID has another.
func (w *Who) PasskeyHandle() []byte { return []byte(w.rec.UUID) }

// PasskeyKeys are the public parts of who's passkeys, for a ceremony's
// options (the browser offers only these).
func (w *Who) PasskeyKeys() []auth.PasskeyKey { return w.rec.passkeyKeys() }

// PasskeysVerifyUser says whether one of who's passkeys verified the
// person when it was made: a login may then ask for user verification
// and take the passkey alone.
func (w *Who) PasskeysVerifyUser() bool {
	for _, p := range w.rec.passkeys() {
		if p.UserVerified {
			return true
		}
	}
	return false
}

// CheckCanRegisterPasskey tells, before anyone types a password, whether
// who can register a passkey named name ("" for the next free "passkey",
// "passkey-2", ...), and returns the name it will have.
func CheckCanRegisterPasskey(who *Who, name string) (string, error) {
	return checkCanRegisterPasskey(who.rec, name)
}

func checkCanRegisterPasskey(a *Account, name string) (string, error) {
	have := a.passkeys()
	if len(have) >= MaxPasskeys {
		return "", fail.Mark(fail.Other, ErrHasOTP, "%s has %d passkeys, the most an account may have", a.UserID, MaxPasskeys)
	}
	names := make([]string, len(have))
	for i, p := range have {
		names[i] = p.Name
	}
	n, taken, err := pickName(names, "passkey", name)
	if err != nil {
		return "", err
	}
	if taken {
		return "", fail.Usagef("%s already has a passkey named %q", a.UserID, n)
	}
	return n, nil
}

// RegisterPasskey settles the proof and registers k, a passkey the
// ceremony made and verified, named name. An account that has an
// authenticator adds one only with a current second factor in the proof
// (security rule 7); the first authenticator brings the recovery codes,
// returned once.
func (v *Visit) RegisterPasskey(pr *Proof, name string, k auth.PasskeyKey) (*Registered, error) {
	s := v.s
	has := v.who.rec.OTP != nil
	var set *recoverySet
	var out *Registered
	err := pr.settle(v, attempt{
		what:   "passkey register",
		factor: has,
		prepare: func(pre *Account) (err error) {
			if pre.OTP == nil {
				set, err = newRecoverySet(pre, s.Params)
			}
			return err
		},
		change: func(u *Unlocked) error {
			a := u.Account
			if a.OTP != nil && !has {
				return kindErr(fail.Other, ErrAccountRaced)
			}
			n, err := checkCanRegisterPasskey(a, name)
			if err != nil {
				return err
			}
			for _, p := range a.passkeys() {
				if bytes.Equal(p.ID, k.ID) {
					return fail.Usagef("this passkey is registered already, as %q", p.Name)
				}
			}
			pk := &Passkey{Name: n, PasskeyKey: k, RegisteredAt: u.Now}
			out = &Registered{Name: n, RegisteredAt: u.Now}
			if a.OTP != nil {
				a.OTP.Passkeys = append(a.OTP.Passkeys, pk)
				u.notice(EvPasskeyRegistered, say("a passkey (%s) was registered for two-factor login", n))
				return u.Log(EvPasskeyRegistered, fmt.Sprintf("%s; %d passkeys", n, len(a.OTP.Passkeys)))
			}
			a.OTP = &OTP{Passkeys: []*Passkey{pk}}
			codes, err := u.setRecoveryCodes(set)
			if err != nil {
				return err
			}
			out.RecoveryCodes = codes
			u.notice(EvPasskeyRegistered, say("a passkey (%s) was registered for two-factor login", n))
			return u.Log(EvPasskeyRegistered, fmt.Sprintf("%s; %d recovery codes issued", n, len(codes)))
		},
	})
	return out, err
}

// CheckPasskey tells, before anyone types a password, whether who has a
// passkey named name.
func CheckPasskey(who *Who, name string) error {
	_, err := who.rec.passkey(name)
	return err
}

func (a *Account) passkey(name string) (int, error) {
	for i, p := range a.passkeys() {
		if p.Name == name {
			return i, nil
		}
	}
	return 0, fail.Mark(fail.Usage, ErrNoSuchAuthenticator, "%s has no passkey named %q", a.UserID, name)
}

// DeletePasskey settles the proof, which needs the password and a
// current second factor (a code, a recovery code, or a passkey: another
// one, or this one), and removes the passkey named name; with the last
// authenticator of any kind, the recovery codes go too. It returns what
// is left, nil when nothing is.
func (v *Visit) DeletePasskey(pr *Proof, name string) (*OTPView, error) {
	if err := CheckPasskey(v.who, name); err != nil {
		return nil, err
	}
	var left *OTPView
	err := pr.settle(v, attempt{
		what:   "passkey delete",
		factor: true,
		change: func(u *Unlocked) error {
			a := u.Account
			i, err := a.passkey(name)
			if err != nil {
				return err // deleted since
			}
			a.OTP.Passkeys = append(a.OTP.Passkeys[:i], a.OTP.Passkeys[i+1:]...)
			if err := u.lastAuthenticatorGone(EvPasskeyDeleted, name); err != nil || a.OTP == nil {
				return err
			}
			left = a.view().OTP
			u.notice(EvPasskeyDeleted, say("the passkey %s was removed", name))
			return u.Log(EvPasskeyDeleted, fmt.Sprintf("%s; %d passkeys left", name, len(a.OTP.Passkeys)))
		},
	})
	return left, err
}

// lastAuthenticatorGone drops the recovery codes, with their slots and a
// new data key, once the account has no authenticator of any kind: they
// stand in for authenticators, and open nothing from now on.
func (u *Unlocked) lastAuthenticatorGone(event, gone string) error {
	a := u.Account
	if len(a.OTP.Authenticators) > 0 || len(a.OTP.Passkeys) > 0 {
		return nil
	}
	a.OTP, a.PendingOTP = nil, nil
	a.dropRecoverySlots()
	if err := u.rotate(u.kek, true); err != nil {
		return err
	}
	u.notice(event, say("the last authenticator was removed: logging in needs only the password now"))
	return u.Log(event, gone+"; the last authenticator, with the recovery codes")
}

// endOtherSessions ends every session of the account but this machine's
// (--end-other-sessions).
func (u *Unlocked) endOtherSessions() {
	a := u.Account
	before := len(a.Sessions)
	a.dropSessions(u.token)
	if n := before - len(a.Sessions); n > 0 {
		u.notice(EvSessionsEnded, say("%d of your sessions were ended", n))
		u.Log(EvSessionsEnded, "every other session")
	}
}

// usePasskey verifies a passkey's answer against the account's passkeys
// and records the use: the new sign count and when. A sign count that
// did not go up is refused and recorded.
func (s *Service) usePasskey(u *Unlocked, as auth.Assertion) (auth.PasskeyUse, error) {
	a := u.Account
	if len(a.passkeys()) == 0 {
		return auth.PasskeyUse{}, fail.Mark(fail.Usage, ErrNoOTP, "no passkey is registered for %s", a.UserID)
	}
	use, err := as.Verify([]byte(a.UUID), a.passkeyKeys())
	if err != nil {
		return use, err
	}
	for _, p := range a.OTP.Passkeys {
		if !bytes.Equal(p.ID, use.ID) {
			continue
		}
		if use.Cloned {
			if err := u.Log(EvPasskeyCloned, fmt.Sprintf("%s: sign count %d after %d", p.Name, use.SignCount, p.SignCount)); err != nil {
				return use, err
			}
			u.notice(EvPasskeyCloned, say("the passkey %s gave a sign count that did not go up, so a copy of it may exist; it was refused", p.Name))
			return use, fail.Mark(fail.Auth, ErrPasskeyCloned, "the passkey %s was refused: its sign count did not go up (%d after %d), so a copy of it may exist", p.Name, use.SignCount, p.SignCount)
		}
		at := u.Now
		p.SignCount, p.LastUsedAt = use.SignCount, &at
		if use.UserVerified {
			p.UserVerified = true
		}
		return use, nil
	}
	return use, fail.Authf("the passkey is not one of %s's", a.UserID)
}

// ProveLoginByPasskey makes a login's proof of a passkey alone: the
// answer of a ceremony that required user verification (a multi-factor
// cryptographic authenticator, NIST SP 800-63B-4 AAL2). StartSession
// settles it; without user verification, a login's passkey follows the
// password (ProveLogin, then Proof.Add).
func (s *Service) ProveLoginByPasskey(who *Who, as auth.Assertion) (*Proof, error) {
	if !as.AskedUV() {
		return nil, fail.Usagef("a passkey alone logs in only where the ceremony verified the person")
	}
	return &Proof{s: s, who: who, at: s.now(), login: true, second: as, passkeyOnly: true}, nil
}

// FindByPasskey reads the account whose user handle a discoverable
// passkey's answer carries, for a login that named no User ID.
func (s *Service) FindByPasskey(handle []byte) (*Who, error) {
	var found *Account
	err := s.Store.View(func(tx *store.Tx) error {
		return eachAccount(tx, func(a *Account) {
			if len(handle) > 0 && a.UUID == string(handle) {
				found = a
			}
		})
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fail.Authf("the passkey is of no account of this organization (deleted, or of another store)")
	}
	if err := s.checkNotLocked(found); err != nil {
		return nil, err
	}
	return found.who(), nil
}

// settlePasskeyLogin is settle for a login by a passkey alone: in one
// transaction, the account read again (not barred, the same account),
// the answer verified with user verification, a failure counted as a
// failed second factor, and the page's work (starting the session).
func (pr *Proof) settlePasskeyLogin(a attempt) error {
	s := pr.s
	as := pr.second.(auth.Assertion)
	var u *Unlocked
	var authErr error
	err := s.Store.Update(func(tx *store.Tx) error {
		u, authErr = nil, nil
		acc, err := getAccount(tx, pr.who.UserID)
		if err != nil {
			return err
		}
		if acc == nil || acc.UUID != pr.who.rec.UUID {
			return noAccount(pr.who.UserID)
		}
		now := s.now()
		if err := acc.barred(now); err != nil {
			return err
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		u = &Unlocked{tx: tx, Account: acc, Org: org, Policy: s.policy(org), Now: now, where: Event{Host: s.Host, Method: string(auth.Passkey)}}
		use, err := s.usePasskey(u, as)
		if err == nil && !use.UserVerified {
			err = fail.Authf("the passkey did not verify the person (no PIN or biometric): log in with the password first")
		}
		if err != nil {
			if fail.KindOf(err) != fail.Auth {
				return err
			}
			authErr = s.failed(u, true, a.failEvent, a.what, err)
			return putAccount(tx, acc)
		}
		acc.SecondFailures, acc.Lockouts, acc.FailedInRow = 0, 0, 0
		if err := a.change(u); err != nil {
			return err
		}
		return putAccount(tx, acc)
	})
	if err != nil {
		return err
	}
	return s.committed(u, authErr)
}

// needSecond is the auth.Continue error naming the second factors who's
// account takes: its kinds of authenticator, and a recovery code.
func (w *Who) needSecond() error {
	var m []auth.Method
	a := w.rec
	if a.OTP == nil || len(a.OTP.Authenticators) > 0 {
		m = append(m, auth.OTP)
	}
	m = append(m, auth.RecoveryCode)
	if len(a.passkeys()) > 0 {
		m = append(m, auth.Passkey)
	}
	return auth.NeedSecond(m...)
}
