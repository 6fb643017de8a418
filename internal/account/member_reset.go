package account

import (
	"bytes"
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// An admin's password reset: a one-time code, stored as a hash, that the
// member uses with account recover --reset-code to set a new password.

// ResetTTL is how long an admin's reset code is good for.
const ResetTTL = 24 * time.Hour

// ResetCode is an admin's password reset waiting for its code, as
// stored: an Argon2id hash of the code (no password keys a MAC here).
type ResetCode struct {
	Hash      secret.Hash `json:"hash"`
	By        string      `json:"by"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// resetInput binds a reset code to the account of UUID uuid.
func resetInput(uuid string, code otp.RecoveryCode) []byte {
	return []byte("kcloud reset\x00" + uuid + "\x00" + code.Normal())
}

// formatReset shows a reset code as recovery codes are shown.
func formatReset(c otp.RecoveryCode) string {
	s := c.Normal()
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// voidReset withdraws an undelivered reset code: the member's password
// stays reset, and the admin can run the reset again.
func (s *Service) voidReset(userID, code string) error {
	c, err := otp.ParseRecovery(code)
	if err != nil {
		return err
	}
	return s.Store.Update(func(tx *store.Tx) error {
		m, err := getAccount(tx, userID)
		if err != nil || m == nil || m.ResetCode == nil {
			return err
		}
		if kek, err := m.ResetCode.Hash.Verify(resetInput(m.UUID, c)); err != nil || kek == nil {
			return err // another reset since
		}
		m.ResetCode.ExpiresAt = s.now()
		return putAccount(tx, m)
	})
}

// BeginReset starts account recover with an admin's reset code: the
// account must exist, not be locked or disabled, and have a reset
// pending.
func (s *Service) BeginReset(userID string) (*Recovery, error) {
	r, err := s.beginRecovery(userID)
	if err != nil {
		return nil, err
	}
	if r.rec.ResetCode == nil {
		return nil, fail.Mark(fail.Auth, ErrNoResetCode, "no admin reset is pending for %s", userID)
	}
	return r, nil
}

// barredFromRecovery: a locked or disabled account cannot be recovered;
// one waiting after an admin's reset can.
func (a *Account) barredFromRecovery(now time.Time) error {
	if a.locked(now) || a.Disabled {
		return a.barred(now)
	}
	return nil
}

// FinishReset checks an admin's reset code and sets the new password:
// the account gets a new data key (the reset removed what the old one
// sealed), every session ends, and the person is told. A wrong code
// counts toward the lockout; the code is used once.
func (r *Recovery) FinishReset(code otp.RecoveryCode, np NewPassword) (*Recovered, error) {
	s := r.s
	pw, err := np.forAccount(r.rec.UserID)
	if err != nil {
		return nil, err
	}
	var a *Account
	if err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if a, err = getAccount(tx, r.rec.UserID); err == nil && a == nil {
			err = noAccount(r.rec.UserID)
		}
		return err
	}); err != nil {
		return nil, err
	}
	var matched []byte // the salt of the reset the code opened
	if rc := a.ResetCode; rc != nil {
		kek, err := rc.Hash.Verify(resetInput(a.UUID, code))
		if err != nil {
			return nil, store.Damaged(store.Accounts, a.UserID, err)
		}
		if kek != nil {
			clear(kek[:])
			matched = rc.Hash.Salt
		}
	}
	h, kek, err := secret.NewHash(pw, s.Params)
	if err != nil {
		return nil, err
	}
	defer clear(kek[:])
	var u *Unlocked
	var out *Recovered
	var authErr error
	err = s.Store.Update(func(tx *store.Tx) error {
		u, out, authErr = nil, nil, nil
		a, err := getAccount(tx, r.rec.UserID)
		if err != nil {
			return err
		}
		if a == nil {
			return noAccount(r.rec.UserID)
		}
		if err := a.barredFromRecovery(s.now()); err != nil {
			return err
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		u = &Unlocked{tx: tx, Account: a, Org: org, Policy: s.policy(org), Now: s.now(), where: Event{Host: s.Host, Method: "reset_code"}}
		rc := a.ResetCode
		switch {
		case rc == nil:
			return fail.Mark(fail.Auth, ErrNoResetCode, "no admin reset is pending for %s (its code was used, or none was made)", a.UserID)
		case !u.Now.Before(rc.ExpiresAt):
			return fail.Mark(fail.Auth, ErrCodeVoid, "the reset code expired at %s; ask the admin for a new one", rc.ExpiresAt)
		case matched == nil || !bytes.Equal(matched, rc.Hash.Salt):
			authErr = s.failed(u, true, EvRecoveryFailed, "account recover", errors.New("wrong reset code"))
			return putAccount(tx, a)
		}
		a.Password, a.ShortPassword = h, isShort(pw)
		if err := a.freshKeys(kek, u.Now); err != nil {
			return err
		}
		a.Codes, a.RecoverCode, a.ResetCode, a.InitialPassword = nil, nil, nil, nil
		a.Failures, a.SecondFailures = 0, 0
		a.Lockouts, a.FailedInRow, a.PasswordDisabled = 0, 0, false
		tx.Forget()
		u.endSessions(s, false)
		out = &Recovered{UserID: a.UserID}
		u.notice(EvRecovered, say("your new password was set with the reset code from the admin %s; every session ended", rc.By))
		if err := u.Log(EvRecovered, "by a reset code from the admin "+rc.By+"; every session ended"); err != nil {
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
