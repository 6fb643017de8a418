package account

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/text"
)

// Pending is a registration waiting for the first code from the app.
type Pending struct {
	Name   string // the authenticator's
	Secret []byte
	URI    string
	// ExpiresAt is when the registration is void.
	ExpiresAt time.Time
}

// CheckCanRegister tells, before anyone types a password, whether who
// can register an authenticator named name ("" for the next free "app",
// "app-2", ...), and returns the name it will have.
func CheckCanRegister(who *Who, name string) (string, error) { return checkCanRegister(who.rec, name) }

func checkCanRegister(a *Account, name string) (string, error) {
	var have []*Authenticator
	if a.OTP != nil {
		have = a.OTP.Authenticators
	}
	if len(have) >= MaxAuthenticators {
		return "", fail.Mark(fail.Other, ErrHasOTP, "%s has %d authenticators, the most an account may have", a.UserID, MaxAuthenticators)
	}
	names := make([]string, len(have))
	for i, x := range have {
		names[i] = x.Name
	}
	n, taken, err := pickName(names, "app", name)
	if err != nil {
		return "", err
	}
	if taken {
		return "", fail.Usagef("%s already has an authenticator named %q", a.UserID, n)
	}
	return n, nil
}

// pickName checks name, an authenticator's name as typed, and says
// whether names holds it already; for name "" it picks the first of
// base, base-2, base-3, ... that names does not hold.
func pickName(names []string, base, name string) (n string, taken bool, err error) {
	if name == "" {
		name = base
		for i := 2; slices.Contains(names, name); i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		return name, false, nil
	}
	if n, err = CheckAuthenticatorName(name); err != nil {
		return "", false, err
	}
	return n, slices.Contains(names, n), nil
}

// CheckAuthenticatorName validates an authenticator's name: 1 to 32
// characters, checked as names are.
func CheckAuthenticatorName(s string) (string, error) {
	n, err := text.CheckName("the authenticator's name", s)
	if err == nil && utf8.RuneCountInString(n) > 32 {
		err = fail.Errorf("the authenticator's name is %d characters long; at most 32 are allowed", utf8.RuneCountInString(n))
	}
	if err != nil {
		return "", fail.Usagef("%v", err)
	}
	return n, nil
}

// CheckHasOTP tells, before anyone types a password, whether who has an OTP.
func CheckHasOTP(who *Who) error {
	a := who.rec
	if a.OTP == nil {
		return fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", a.UserID)
	}
	return nil
}

// BeginOTP settles the proof and stores a new pending registration of
// an authenticator named name ("" for the next free "app", "app-2", ...),
// sealed with the data key, replacing any earlier one.
func (v *Visit) BeginOTP(pr *Proof, name string) (*Pending, error) {
	s := v.s
	var out *Pending
	err := pr.settle(v, attempt{what: "otp register", change: func(u *Unlocked) error {
		name, err := checkCanRegister(u.Account, name)
		if err != nil {
			return err
		}
		sec := otp.NewSecret()
		uri, err := otp.URI(s.Issuer, u.Account.UserID, sec)
		if err != nil {
			return fail.Usagef("%v", err)
		}
		expires := u.Now.Add(otp.PendingTTL)
		u.Account.PendingOTP = &PendingOTP{Name: name, Secret: u.DataKey.Seal(sec, u.Account.adPending()), ExpiresAt: expires}
		out = &Pending{Name: name, Secret: sec, URI: uri, ExpiresAt: expires}
		return nil
	}})
	return out, err
}

// Registered is what a confirmed registration gives, once: the recovery
// codes, with the account's first authenticator (later ones keep them).
type Registered struct {
	Name          string
	RegisteredAt  time.Time
	RecoveryCodes []string
}

// ConfirmOTP settles the proof, checks the first code from the app
// against the pending registration, and registers the OTP. A wrong code
// counts toward the lockout like any wrong OTP code. An account that has
// an authenticator adds one only with a current second factor in the
// proof (security rule 7): the password alone never adds a factor.
func (v *Visit) ConfirmOTP(pr *Proof, code otp.Code) (*Registered, error) {
	s := v.s
	if code.IsZero() {
		return nil, fail.Usagef("%v", otp.ErrFormat)
	}
	var sec []byte
	var step int64
	var out *Registered
	var set *recoverySet
	has := v.who.rec.OTP != nil
	err := pr.settle(v, attempt{
		what:   "otp register",
		factor: has,
		prepare: func(pre *Account) (err error) {
			if pre.OTP == nil { // the first authenticator brings the recovery codes
				set, err = newRecoverySet(pre, s.Params)
			}
			return err
		},
		second: func(u *Unlocked) error {
			a := u.Account
			if a.OTP != nil && !has {
				return kindErr(fail.Other, ErrAccountRaced) // registered meanwhile: a second factor is needed now
			}
			p := a.PendingOTP
			if p != nil {
				name := p.Name
				if name == "" {
					name = "app"
				}
				if _, err := checkCanRegister(a, name); err != nil {
					return err
				}
			}
			switch {
			case p == nil:
				return fail.Mark(fail.Other, ErrNoPendingOTP, "there is no pending OTP registration for %s", a.UserID)
			case !u.Now.Before(p.ExpiresAt):
				return fail.Mark(fail.Other, ErrPendingExpired, "the pending OTP registration expired at %s", p.ExpiresAt)
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
			name := a.PendingOTP.Name
			if name == "" {
				name = "app"
			}
			out = &Registered{Name: name, RegisteredAt: u.Now}
			auth := &Authenticator{Name: name, Secret: u.DataKey.Seal(sec, a.adTOTP()), RegisteredAt: u.Now, LastStep: step}
			a.PendingOTP = nil
			if a.OTP != nil {
				a.OTP.Authenticators = append(a.OTP.Authenticators, auth)
				u.notice(EvOTPRegistered, say("an authenticator app (%s) was registered for two-factor login", name))
				return u.Log(EvOTPRegistered, fmt.Sprintf("%s; %d authenticators", name, len(a.OTP.Authenticators)))
			}
			a.OTP = &OTP{Authenticators: []*Authenticator{auth}}
			codes, err := u.setRecoveryCodes(set)
			if err != nil {
				return err
			}
			out.RecoveryCodes = codes
			u.notice(EvOTPRegistered, say("an authenticator app was registered for two-factor login"))
			return u.Log(EvOTPRegistered, fmt.Sprintf("%s; %d recovery codes issued", name, len(codes)))
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

// DeleteOTP settles the proof, which needs the password and a current
// OTP or recovery code (security rule 7), then removes the authenticator
// named name ("" when the account has one); with the last one, the
// recovery codes go too. It returns the authenticators left.
func (v *Visit) DeleteOTP(pr *Proof, name string) (*OTPView, error) {
	if _, err := v.who.rec.authenticator(name); err != nil {
		return nil, err
	}
	var left *OTPView
	err := pr.settle(v, attempt{
		what:   "otp delete",
		factor: true,
		change: func(u *Unlocked) error {
			a := u.Account
			i, err := a.authenticator(name)
			if err != nil {
				return err // deleted or renamed since
			}
			gone := a.OTP.Authenticators[i].Name
			a.OTP.Authenticators = append(a.OTP.Authenticators[:i], a.OTP.Authenticators[i+1:]...)
			u.tx.Forget() // the sealed secret goes from the file too
			if err := u.lastAuthenticatorGone(EvOTPDeleted, gone); err != nil || a.OTP == nil {
				return err
			}
			left = a.view().OTP
			u.notice(EvOTPDeleted, say("the authenticator app %s was removed; %d are left", gone, len(a.OTP.Authenticators)))
			return u.Log(EvOTPDeleted, fmt.Sprintf("%s; %d left", gone, len(a.OTP.Authenticators)))
		},
	})
	return left, err
}

// CheckAuthenticator tells, before anyone types a password, whether who
// has the authenticator name names ("" when there is only one).
func CheckAuthenticator(who *Who, name string) error {
	_, err := who.rec.authenticator(name)
	return err
}

// authenticator finds the authenticator named name; "" names the only
// one, and is a usage error when there are several.
func (a *Account) authenticator(name string) (int, error) {
	if a.OTP == nil {
		return 0, fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", a.UserID)
	}
	if name == "" {
		if len(a.OTP.Authenticators) > 1 {
			names := make([]string, len(a.OTP.Authenticators))
			for i, x := range a.OTP.Authenticators {
				names[i] = x.Name
			}
			return 0, fail.Mark(fail.Usage, ErrWhichAuthenticator, "%s has %d authenticators (%s): name one", a.UserID, len(names), strings.Join(names, ", "))
		}
		return 0, nil
	}
	for i, x := range a.OTP.Authenticators {
		if x.Name == name {
			return i, nil
		}
	}
	return 0, fail.Mark(fail.Usage, ErrNoSuchAuthenticator, "%s has no authenticator named %q", a.UserID, name)
}

// RenewRecoveryCodes settles the proof, which needs the password and a
// current OTP or recovery code, and replaces the recovery codes with 10
// new ones, shown once: the old ones are void.
func (v *Visit) RenewRecoveryCodes(pr *Proof) ([]string, error) {
	s, pre := v.s, v.who.rec
	if pre.OTP == nil {
		return nil, fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", pre.UserID)
	}
	var codes []string
	var set *recoverySet
	err := pr.settle(v, attempt{
		what: "otp recovery-codes",
		prepare: func(pre *Account) (err error) {
			set, err = newRecoverySet(pre, s.Params)
			return err
		},
		factor: true,
		change: func(u *Unlocked) error {
			var err error
			if codes, err = u.setRecoveryCodes(set); err != nil {
				return err
			}
			u.notice(EvRecoveryRenewed, say("new recovery codes were made; the old ones no longer work"))
			return u.Log(EvRecoveryRenewed, fmt.Sprintf("%d recovery codes issued; the old ones are void", len(codes)))
		},
	})
	return codes, err
}

// checkSecondFactor verifies a second factor and consumes it: a current
// OTP code (later than any accepted before) or an unused recovery code.
// A code of a step already accepted is refused as used, which counts as a
// failure like a wrong code, but says to wait for the next.
func (s *Service) checkSecondFactor(u *Unlocked, c auth.Credential) error {
	a := u.Account
	if a.OTP == nil {
		return fail.Mark(fail.Other, ErrNoOTP, "no OTP is registered for %s", a.UserID)
	}
	switch c := c.(type) {
	case auth.Recovery:
		return s.useRecoveryCode(u, c.RecoveryCode)
	case auth.Code:
		return s.useOTPCode(u, c.Code)
	case auth.Assertion:
		_, err := s.usePasskey(u, c)
		return err
	}
	return fail.Usagef("%s is not a second factor", c.Method())
}

// useRecoveryCode checks and consumes a recovery code.
func (s *Service) useRecoveryCode(u *Unlocked, rc otp.RecoveryCode) error {
	a := u.Account
	mk, err := u.recoveryKey()
	if err != nil {
		return store.Damaged(store.Accounts, a.UserID, err)
	}
	mac := mk.MAC("recovery", a.UUID, rc.Normal())
	found := -1
	for i, m := range a.OTP.RecoveryCodes {
		if secret.Equal(m, mac) {
			found = i
		}
	}
	if found < 0 {
		return fail.Authf("wrong recovery code")
	}
	// The code is void: its slot goes, and the account gets a new data
	// key, so that it opens nothing in a copy of the store made from now.
	a.useRecoveryCode(found)
	if err := u.rotate(u.kek, true); err != nil {
		return err
	}
	left := len(a.OTP.RecoveryCodes)
	u.recoveryLeft = &left
	u.notice(EvRecoveryUsed, say("a recovery code was used in place of the authenticator app; %d are left", len(a.OTP.RecoveryCodes)))
	return u.Log(EvRecoveryUsed, fmt.Sprintf("%d recovery codes left", len(a.OTP.RecoveryCodes)))
}

// useOTPCode checks and consumes a code from any authenticator.
func (s *Service) useOTPCode(u *Unlocked, code otp.Code) error {
	a := u.Account
	if len(a.OTP.Authenticators) == 0 {
		return fail.Mark(fail.Usage, ErrNoOTP, "%s has no authenticator app: use a passkey or a recovery code", a.UserID)
	}
	// A code from any authenticator, each once (rule 3 per authenticator).
	usedBy := false
	for _, x := range a.OTP.Authenticators {
		sec, err := u.DataKey.Open(x.Secret, a.adTOTP())
		if err != nil {
			return store.Damaged(store.Accounts, a.UserID, err)
		}
		step, ok, used := otp.Verify(sec, code, u.Now, x.LastStep)
		clear(sec)
		if ok {
			at := u.Now
			x.LastStep, x.LastUsedAt = step, &at
			return nil
		}
		usedBy = usedBy || used
	}
	if usedBy {
		return kindErr(fail.Auth, &UsedCodeError{Next: otp.NextStepIn(u.Now)})
	}
	return fail.Authf("wrong OTP code")
}
