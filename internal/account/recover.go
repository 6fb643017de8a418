package account

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// A forgotten password (account recover): a code sent to the verified
// email or phone, then, when an OTP is registered, a recovery code, whose
// slot opens the data key (slots.go); then the new password, which gets a
// new data key sealing again all the old one sealed. No session and no
// password are needed; every wrong code counts toward the lockout.

// RecoverCode is a code sent for account recover, as stored. The account
// has no password to key a MAC with here, so the code is kept as an
// Argon2id hash, bound to the account, the contact and the address.
type RecoverCode struct {
	Kind    contact.Kind    `json:"kind"`
	Pending contact.Pending `json:"pending"` // its MAC is unused: Hash stands for it
	Hash    secret.Hash     `json:"hash"`
}

// The recovery events.
const (
	EvRecoverySent   = "recovery_code_sent"
	EvRecoveryFailed = "recovery_failed"
	EvRecovered      = "account_recovered"
)

// Errors of account recover.
var (
	ErrNoVerifiedContact = errors.New("no verified contact")
	ErrNoRecoverySlots   = errors.New("the recovery codes predate account recover")
	ErrNothingPending    = errors.New("no code for account recover is pending")
)

func recoverInput(a *Account, t contact.Target, code string) []byte {
	return []byte("kcloud recover\x00" + a.UUID + "\x00" + string(t.Kind) + "\x00" + t.Address + "\x00" + code)
}

// Recovery is an account recover under way, begun before anyone types.
type Recovery struct {
	s      *Service
	rec    *Account
	org    *Organization
	Target contact.Target // where the code goes
	// NeedsRecoveryCode: an OTP is registered, and a recovery code is
	// asked for after the code sent.
	NeedsRecoveryCode bool
}

// Who is the account being recovered.
func (r *Recovery) Who() *Who { return r.rec.who() }

// Org is the organization, as read when the recovery began.
func (r *Recovery) Org() *Organization { return r.org }

// Policy is the policy in force for the new password.
func (r *Recovery) Policy() Policy { return r.s.policy(r.org) }

// BeginRecovery reads the account userID names and decides where the
// code goes: the verified contact of kind via, or, when via is "", the
// verified email, else the phone. A locked account, or one with no
// verified contact, cannot be recovered this way.
func (s *Service) BeginRecovery(userID string, via contact.Kind) (*Recovery, error) {
	r, err := s.beginRecovery(userID)
	if err != nil {
		return nil, err
	}
	a := r.rec
	if r.Target, err = recoverTarget(a, via); err != nil {
		return nil, err
	}
	if a.OTP != nil {
		if !a.hasRecoverySlots() {
			return nil, fail.Mark(fail.Other, ErrNoRecoverySlots,
				"the recovery codes of %s were made before account recover and cannot open the account", a.UserID)
		}
		r.NeedsRecoveryCode = true
	}
	return r, nil
}

// beginRecovery reads the account userID names and the organization, for
// either way of recovery; a locked or disabled account cannot be
// recovered.
func (s *Service) beginRecovery(userID string) (*Recovery, error) {
	r := &Recovery{s: s}
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if r.rec, err = getAccount(tx, userID); err != nil {
			return err
		}
		if r.rec == nil {
			return noAccount(userID)
		}
		if r.org, err = getOrg(tx); err != nil {
			return err
		}
		return r.rec.barredFromRecovery(s.now())
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func recoverTarget(a *Account, via contact.Kind) (contact.Target, error) {
	c, kind := a.Email, contact.Email
	if via == contact.Phone || (via == "" && c == nil) {
		c, kind = a.Phone, contact.Phone
	}
	if c == nil {
		what := fail.Message{Format: "email or phone"}
		if via != "" {
			what = kindWord(via)
		}
		return contact.Target{}, fail.Mark(fail.Other, ErrNoVerifiedContact, "%s has no verified %s", a.UserID, what)
	}
	t, err := storedContact(kind, c.Address)
	if err != nil {
		return contact.Target{}, store.Damaged(store.Accounts, a.UserID, err)
	}
	return t, nil
}

// SendCode sends a code to the recovery's contact, under the rules of
// verification codes (resend_after, max_attempts, code_ttl), and calls
// deliver once it is stored. An undelivered code is withdrawn.
func (r *Recovery) SendCode(deliver func(code string, ttl time.Duration) error) (*Sent, error) {
	s, t := r.s, r.Target
	code := contact.NewCode()
	h, kek, err := secret.NewHash(recoverInput(r.rec, t, code), s.Params)
	if err != nil {
		return nil, err
	}
	clear(kek[:])
	var prev *RecoverCode
	var out *Sent
	var notices []Notice
	err = s.Store.Update(func(tx *store.Tx) error {
		u, err := s.recoverUnlocked(tx, r.rec.UserID)
		if err != nil {
			return err
		}
		a := u.Account
		if cur, err := recoverTarget(a, t.Kind); err != nil || cur.Address != t.Address {
			return fail.Mark(fail.Other, ErrAccountRaced, "the %s of %s changed; run the command again", kindWord(t.Kind), a.UserID)
		}
		rules := codeRules(u.Policy)
		prev = a.RecoverCode
		var last *contact.Pending
		if prev != nil {
			last = &prev.Pending
		}
		failures, err := rules.Next(last, t.Address, u.Now)
		if err != nil {
			return kindErr(fail.Locked, err)
		}
		a.RecoverCode = &RecoverCode{Kind: t.Kind, Hash: h, Pending: contact.Pending{Address: t.Address,
			SentAt: u.Now, ExpiresAt: u.Now.Add(rules.TTL), Failures: failures}}
		out = &Sent{Target: t, TTL: rules.TTL, ExpiresAt: u.Now.Add(rules.TTL)}
		if t.Kind == contact.Phone { // a code by SMS: the email, if any, hears of it
			u.notice(EvRecoverySent, say("a code to reset your password was sent to %s", t.Masked))
		}
		notices = u.notices
		if err := u.Log(EvRecoverySent, string(t.Kind)+" "+t.Masked); err != nil {
			return err
		}
		return putAccount(tx, a)
	})
	if err != nil {
		return nil, err
	}
	if derr := deliver(code, out.TTL); derr != nil {
		kind := fail.Other
		if fail.KindOf(derr) == fail.Interrupted {
			kind = fail.Interrupted
		}
		werr := s.Store.Update(func(tx *store.Tx) error {
			a, err := getAccount(tx, r.rec.UserID)
			if err != nil || a == nil || a.RecoverCode == nil || !bytes.Equal(a.RecoverCode.Hash.Salt, h.Salt) {
				return err
			}
			a.RecoverCode = prev
			if err := putAccount(tx, a); err != nil {
				return err
			}
			return logEvent(tx, a.UserID, Event{Time: s.now(), Host: s.Host, Event: EvRecoveryFailed, Detail: string(t.Kind) + ": the code was not delivered"})
		})
		if werr != nil {
			return nil, fail.Wrap(kind, derr, "withdrawing the undelivered code also failed (%v)", werr)
		}
		return nil, fail.Wrap(kind, derr, "the code was not delivered and is void")
	}
	s.sendNotices(notices)
	return out, nil
}

// recoverUnlocked reads the account in tx for a step of account recover:
// it must exist and not be locked. Its DataKey is nil: nothing is open.
func (s *Service) recoverUnlocked(tx *store.Tx, userID string) (*Unlocked, error) {
	a, err := getAccount(tx, userID)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, noAccount(userID)
	}
	now := s.now()
	if err := a.barredFromRecovery(now); err != nil {
		return nil, err
	}
	org, err := getOrg(tx)
	if err != nil {
		return nil, err
	}
	return &Unlocked{tx: tx, Account: a, Org: org, Policy: s.policy(org), Now: now, where: Event{Host: s.Host, Method: "recovery"}}, nil
}

// Recovered is what a finished recovery reports.
type Recovered struct {
	UserID string
	// KeptOTP: the account's authenticators work as before.
	KeptOTP bool
	// RecoveryCodesLeft, when a recovery code was used, is how many are left.
	RecoveryCodesLeft *int
}

// recoverProof is what checking the typed codes outside a transaction
// yields; the transaction checks it still holds.
type recoverProof struct {
	codeSalt []byte // of the pending code the typed one matched; nil: no match
	// The recovery code's slot: its index and bytes, and the private key
	// it opened; index -1 when none opened.
	slot     int
	slotSalt []byte
	slotData []byte
	priv     *secret.Key
}

func (r *Recovery) prove(code contact.Code, rc otp.RecoveryCode) (*recoverProof, error) {
	s := r.s
	var a *Account
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if a, err = getAccount(tx, r.rec.UserID); err == nil && a == nil {
			err = noAccount(r.rec.UserID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := a.barredFromRecovery(s.now()); err != nil {
		return nil, err
	}
	p := &recoverProof{slot: -1}
	if pc := a.RecoverCode; pc != nil {
		t := contact.Target{Kind: pc.Kind, Address: pc.Pending.Address}
		kek, err := pc.Hash.Verify(recoverInput(a, t, code.Digits()))
		if err != nil {
			return nil, store.Damaged(store.Accounts, a.UserID, err)
		}
		if kek != nil {
			clear(kek[:])
			p.codeSalt = pc.Hash.Salt
		}
	}
	if rc.IsZero() || !a.hasRecoverySlots() {
		return p, nil
	}
	k, err := secret.SlotKey([]byte(rc.Normal()), a.Keys.Salt, a.Keys.Params)
	if err != nil {
		return nil, store.Damaged(store.Accounts, a.UserID, err)
	}
	defer clear(k[:])
	lockAD, _ := a.slotAD(slotRecovery)
	for i, l := range a.recoveryLocks() {
		if priv, err := k.Unwrap(l.bytes(), lockAD); err == nil {
			p.slot, p.slotSalt, p.slotData, p.priv = i, a.Keys.Salt, l.bytes(), priv
			break
		}
	}
	return p, nil
}

// Check checks the typed code, and the recovery code when one is given,
// without using them: a wrong one is counted as at the end. At a
// terminal it lets a mistyped code be asked again before the rest.
func (r *Recovery) Check(code contact.Code, rc otp.RecoveryCode) error {
	_, err := r.run(code, rc, nil)
	return err
}

// Finish checks the code sent and, when an OTP is registered, the
// recovery code, and sets the new password: the account gets a new data
// key that seals again what the old one sealed (its authenticators keep
// working), every session of the account ends, and the person is told.
func (r *Recovery) Finish(code contact.Code, rc otp.RecoveryCode, np NewPassword) (*Recovered, error) {
	pw, err := np.forAccount(r.rec.UserID)
	if err != nil {
		return nil, err
	}
	if r.NeedsRecoveryCode && rc.IsZero() {
		return nil, fail.Usagef("a recovery code is required: an OTP is registered for %s", r.rec.UserID)
	}
	return r.run(code, rc, pw)
}

// run checks the codes in one transaction and, when pw is set, recovers.
func (r *Recovery) run(code contact.Code, rc otp.RecoveryCode, pw []byte) (*Recovered, error) {
	s := r.s
	p, err := r.prove(code, rc)
	if err != nil {
		return nil, err
	}
	if p.priv != nil {
		defer clear(p.priv[:])
	}
	var h secret.Hash
	var kek *secret.Key
	if pw != nil {
		if h, kek, err = secret.NewHash(pw, s.Params); err != nil {
			return nil, err
		}
		defer clear(kek[:])
	}
	var (
		u       *Unlocked
		out     *Recovered
		authErr error
	)
	err = s.Store.Update(func(tx *store.Tx) error {
		u, out, authErr = nil, nil, nil
		var err error
		if u, err = s.recoverUnlocked(tx, r.rec.UserID); err != nil {
			return err
		}
		a := u.Account
		counted := func(why error) error {
			authErr = s.failed(u, true, EvRecoveryFailed, "account recover", why)
			return putAccount(tx, a)
		}
		pc := a.RecoverCode
		if pc == nil {
			return fail.Mark(fail.Auth, ErrNothingPending, "no code for account recover is pending for %s (it was used, or none was sent)", a.UserID)
		}
		// The code is bound to the address it went to, which must still be
		// the account's verified contact.
		t := contact.Target{Kind: pc.Kind}
		if cur, err := recoverTarget(a, pc.Kind); err == nil {
			t = cur
		}
		match := p.codeSalt != nil && bytes.Equal(p.codeSalt, pc.Hash.Salt)
		err = codeRules(u.Policy).Check(&pc.Pending, t, match, u.Now)
		var wrong *contact.WrongCode
		switch {
		case err == nil:
		case errors.Is(err, contact.ErrVoid):
			authErr = fail.Mark(fail.Locked, ErrCodeVoid, "the code is void after %d wrong entries; a new one can be sent at %s",
				pc.Pending.Failures, pc.Pending.ExpiresAt)
			return putAccount(tx, a) // Void stays set
		case errors.Is(err, contact.ErrExpired):
			return fail.Mark(fail.Auth, ErrCodeVoid, "the code expired at %s; a new one can be sent", pc.Pending.ExpiresAt)
		case errors.As(err, &wrong):
			return counted(wrong)
		default:
			return err
		}
		var dk *secret.Key
		if a.OTP != nil && (pw != nil || !rc.IsZero()) {
			locks := a.recoveryLocks()
			switch {
			case rc.IsZero():
				return fail.Usagef("a recovery code is required: an OTP is registered for %s", a.UserID)
			case !a.hasRecoverySlots():
				return fail.Mark(fail.Other, ErrNoRecoverySlots, "the recovery codes of %s were made before account recover and cannot open the account", a.UserID)
			case p.slot < 0:
				return counted(errors.New("wrong recovery code"))
			case !bytes.Equal(p.slotSalt, a.Keys.Salt) || p.slot >= len(locks) || !bytes.Equal(locks[p.slot].bytes(), p.slotData):
				return counted(errors.New("that recovery code was already used"))
			}
			_, boxAD := a.slotAD(slotRecovery)
			if dk, err = p.priv.OpenBox(locks[p.slot].slot.Box, boxAD); err != nil {
				return store.Damaged(store.Accounts, a.UserID, err)
			}
		}
		if pw == nil {
			return nil // checked; nothing used
		}
		a.RecoverCode, a.ResetCode, a.InitialPassword = nil, nil, nil
		a.AccessKeys = nil // a recovery ends every key (rule 14)
		a.Failures, a.SecondFailures = 0, 0
		a.Lockouts, a.FailedInRow, a.PasswordDisabled = 0, 0, false
		out = &Recovered{UserID: a.UserID}
		if dk != nil {
			a.useRecoveryCode(p.slot)
			left := len(a.OTP.RecoveryCodes)
			out.KeptOTP, out.RecoveryCodesLeft = true, &left
			u.DataKey = dk
			if err := u.rekey(&pwCheck{rehash: &h, rehashKEK: kek, rotate: true, short: isShort(pw)}); err != nil {
				return err
			}
		} else {
			// No OTP: nothing the old data key sealed is worth keeping but
			// the MAC key's pending codes, which go.
			a.Password, a.ShortPassword = h, isShort(pw)
			if err := a.freshKeys(kek, u.Now); err != nil {
				return err
			}
			a.Codes = nil
			tx.Forget()
		}
		u.endSessions(s, false)
		detail := "by a code sent to the " + string(t.Kind) + " " + t.Masked
		if out.KeptOTP {
			detail += fmt.Sprintf(" and a recovery code (%d left)", *out.RecoveryCodesLeft)
		}
		w := say("your password was reset with account recover by a code sent to the %s %s; every session ended", kindWord(t.Kind), t.Masked)
		if out.KeptOTP {
			w = say("your password was reset with account recover by a code sent to the %s %s and a recovery code (%d left); every session ended",
				kindWord(t.Kind), t.Masked, *out.RecoveryCodesLeft)
		}
		u.notice(EvRecovered, w)
		if err := u.Log(EvRecovered, detail+"; every session ended"); err != nil {
			return err
		}
		return putAccount(tx, a)
	})
	if err != nil {
		return nil, err
	}
	if authErr = s.committed(u, authErr); authErr != nil {
		return nil, authErr
	}
	return out, nil
}
