package account

import (
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/text"
)

// Pending is a registration waiting for the first code from the app.
type Pending struct {
	Secret []byte
	URI    string
	// ExpiresAt is when the registration is void.
	ExpiresAt time.Time
}

// CheckCanRegister tells, before anyone types a password, whether who
// can start a registration.
func CheckCanRegister(who *Who) error { return checkCanRegister(who.rec) }

func checkCanRegister(a *Account) error {
	if a.OTP != nil {
		return fail.Mark(fail.Other, ErrHasOTP, "an OTP is already registered for %s", a.UserID)
	}
	return nil
}

// CheckHasOTP tells, before anyone types a password, whether who has an OTP.
func CheckHasOTP(who *Who) error {
	a := who.rec
	if a.OTP == nil {
		return fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", a.UserID)
	}
	return nil
}

// BeginOTP checks the password and stores a new pending registration,
// sealed with the data key, replacing any earlier one.
func (v *Visit) BeginOTP(pw []byte) (*Pending, error) {
	s, who := v.s, v.who
	pre := who.rec
	var out *Pending
	err := s.withPassword(pre, pw, attempt{what: "otp register", change: func(u *Unlocked) error {
		if err := checkCanRegister(u.Account); err != nil {
			return err
		}
		sec := otp.NewSecret()
		uri, err := otp.URI(s.Issuer, u.Account.UserID, sec)
		if err != nil {
			return fail.Usagef("%v", err)
		}
		expires := u.Now.Add(otp.PendingTTL)
		u.Account.PendingOTP = &PendingOTP{Secret: u.DataKey.Seal(sec, u.Account.adPending()), ExpiresAt: expires}
		out = &Pending{Secret: sec, URI: uri, ExpiresAt: expires}
		return nil
	}})
	return out, err
}

// Registered is what a confirmed registration gives, once.
type Registered struct {
	RegisteredAt  time.Time
	RecoveryCodes []string
}

// ConfirmOTP checks the password and the first code from the app against
// the pending registration, and registers the OTP. A wrong code counts
// toward the lockout like any wrong OTP code.
func (v *Visit) ConfirmOTP(pw []byte, code otp.Code) (*Registered, error) {
	s, who := v.s, v.who
	pre := who.rec
	if code.IsZero() {
		return nil, fail.Usagef("%v", otp.ErrFormat)
	}
	var sec []byte
	var step int64
	var out *Registered
	err := s.withPassword(pre, pw, attempt{
		what: "otp register",
		second: func(u *Unlocked) error {
			a := u.Account
			if err := checkCanRegister(a); err != nil {
				return err
			}
			p := a.PendingOTP
			switch {
			case p == nil:
				return fail.Mark(fail.Other, ErrNoPendingOTP, "there is no pending OTP registration for %s", a.UserID)
			case !u.Now.Before(p.ExpiresAt):
				return fail.Mark(fail.Other, ErrPendingExpired, "the pending OTP registration expired at %s", text.Time(p.ExpiresAt))
			}
			var err error
			if sec, err = u.DataKey.Open(p.Secret, a.adPending()); err != nil {
				return store.Damaged(store.Accounts, a.UserID, err)
			}
			var ok bool
			if step, ok, _ = otp.Verify(sec, code, u.Now, 0); !ok {
				return fail.Authf("wrong OTP code")
			}
			return nil
		},
		change: func(u *Unlocked) error {
			a := u.Account
			mk, err := u.MACKey()
			if err != nil {
				return store.Damaged(store.Accounts, a.UserID, err)
			}
			codes := otp.NewRecoveryCodes()
			macs := make([][]byte, len(codes))
			for i, c := range codes {
				n, err := otp.ParseRecovery(c)
				if err != nil {
					return err // otp.NewRecoveryCodes makes only codes it parses
				}
				macs[i] = mk.MAC("recovery", a.UUID, n.Normal())
			}
			a.OTP = &OTP{Secret: u.DataKey.Seal(sec, a.adTOTP()), RegisteredAt: u.Now, LastStep: step, RecoveryCodes: macs}
			a.PendingOTP = nil
			out = &Registered{RegisteredAt: u.Now, RecoveryCodes: codes}
			u.notice(EvOTPRegistered, "an authenticator app was registered for two-factor login")
			return u.Log(EvOTPRegistered, fmt.Sprintf("%d recovery codes issued", len(codes)))
		},
	})
	clear(sec)
	return out, err
}

// DiscardPendingOTP drops a pending registration, as when the person
// cancels. It needs no password: it only removes state.
func (v *Visit) DiscardPendingOTP() error {
	s, userID := v.s, v.who.UserID
	return s.Store.Update(func(tx *store.Tx) error {
		a, err := getAccount(tx, userID)
		if err != nil || a == nil || a.PendingOTP == nil {
			return err
		}
		a.PendingOTP = nil
		return putAccount(tx, a)
	})
}

// DeleteOTP checks the password and a current OTP or recovery code
// (security rule 7), then removes the OTP and its recovery codes.
func (v *Visit) DeleteOTP(pw []byte, sf SecondFactor) error {
	s, who := v.s, v.who
	pre := who.rec
	if err := sf.given(); err != nil {
		return err
	}
	return s.withPassword(pre, pw, attempt{
		what:   "otp delete",
		second: func(u *Unlocked) error { return s.checkSecondFactor(u, sf) },
		change: func(u *Unlocked) error {
			u.Account.OTP, u.Account.PendingOTP = nil, nil
			u.tx.Forget() // the sealed secret goes from the file too
			u.notice(EvOTPDeleted, "the authenticator app was removed: logging in needs only the password now")
			return u.Log(EvOTPDeleted, "")
		},
	})
}

// SecondFactor is what a person gives after the password when an OTP is
// registered: a current code or a recovery code, one of them, each of a
// checked form. NewSecondFactor makes one from what was typed.
type SecondFactor struct {
	OTP          otp.Code
	RecoveryCode otp.RecoveryCode
}

// NewSecondFactor reads a typed OTP code or recovery code (one of them
// set). Callers read it before any password is asked for: a malformed
// code is a usage error, not a failed attempt.
func NewSecondFactor(code, recovery string) (SecondFactor, error) {
	var sf SecondFactor
	var err error
	switch {
	case code != "" && recovery != "":
		return sf, fail.Usagef("give an OTP code or a recovery code, not both")
	case code != "":
		if sf.OTP, err = otp.ParseCode(code); err != nil {
			return sf, fail.Usagef("%v", err)
		}
	case recovery != "":
		if sf.RecoveryCode, err = otp.ParseRecovery(recovery); err != nil {
			return sf, fail.Usagef("%v", err)
		}
	default:
		return sf, noSecondFactor()
	}
	return sf, nil
}

func noSecondFactor() error { return fail.Usagef("an OTP code or a recovery code is required") }

// given checks that sf holds exactly one factor; its form was checked
// when it was made.
func (sf SecondFactor) given() error {
	if sf.OTP.IsZero() == sf.RecoveryCode.IsZero() {
		return noSecondFactor()
	}
	return nil
}

// checkSecondFactor verifies a current OTP code (later than any accepted
// before) or an unused recovery code, and consumes it. sf has passed
// Check. A code of a step already accepted is refused as used, which
// counts as a failure like a wrong code, but says to wait for the next.
func (s *Service) checkSecondFactor(u *Unlocked, sf SecondFactor) error {
	a := u.Account
	if a.OTP == nil {
		return fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", a.UserID)
	}
	if !sf.RecoveryCode.IsZero() {
		mk, err := u.MACKey()
		if err != nil {
			return store.Damaged(store.Accounts, a.UserID, err)
		}
		mac := mk.MAC("recovery", a.UUID, sf.RecoveryCode.Normal())
		found := -1
		for i, m := range a.OTP.RecoveryCodes {
			if secret.Equal(m, mac) {
				found = i
			}
		}
		if found < 0 {
			return fail.Authf("wrong recovery code")
		}
		a.OTP.RecoveryCodes = append(a.OTP.RecoveryCodes[:found], a.OTP.RecoveryCodes[found+1:]...)
		u.notice(EvRecoveryUsed, fmt.Sprintf("a recovery code was used in place of the authenticator app; %d are left", len(a.OTP.RecoveryCodes)))
		return u.Log(EvRecoveryUsed, fmt.Sprintf("%d recovery codes left", len(a.OTP.RecoveryCodes)))
	}
	sec, err := u.DataKey.Open(a.OTP.Secret, a.adTOTP())
	if err != nil {
		return store.Damaged(store.Accounts, a.UserID, err)
	}
	defer clear(sec)
	step, ok, used := otp.Verify(sec, sf.OTP, u.Now, a.OTP.LastStep)
	switch {
	case used:
		return kindErr(fail.Auth, &UsedCodeError{Next: otp.NextStepIn(u.Now)})
	case !ok:
		return fail.Authf("wrong OTP code")
	}
	a.OTP.LastStep = step
	return nil
}
