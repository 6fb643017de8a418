package account

import (
	"crypto/rand"
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// An initial password is one kcloud makes when an admin creates an
// account without typing its password (account create
// --must-change-password): shown to the admin once, it is good for
// InitialPasswordTTL and for one thing, the member's first login, which
// starts no session until the member has set a password of their own.
// Nothing is written before that, so an interrupted first login keeps
// the requirement.

// InitialPasswordTTL is how long an initial password is good for.
const InitialPasswordTTL = 72 * time.Hour

// InitialPasswordLength is the fewest random characters of an initial
// password; a policy that asks for more gets more.
const InitialPasswordLength = 20

// InitialPassword marks an account whose password is an initial one.
type InitialPassword struct {
	By        string    `json:"by"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ErrInitialPassword: the login's password is an initial one, and no new
// password was given; ErrInitialExpired: it expired.
var (
	ErrInitialPassword = errors.New("the password is an initial one: the first login sets a new one")
	ErrInitialExpired  = errors.New("the initial password expired")
)

// initialAlphabet has no letters or digits that read alike (0 O 1 l i).
const initialAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// newInitialPassword makes an initial password of at least n random
// characters from crypto/rand (rounded up to groups of five, joined by
// "-" for a person to read out and type).
func newInitialPassword(n int) []byte {
	n = (max(n, InitialPasswordLength) + 4) / 5 * 5
	out := make([]byte, 0, n+n/5-1)
	var b [1]byte
	for len(out) < cap(out) {
		if len(out)%6 == 5 {
			out = append(out, '-')
			continue
		}
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		// 248 is the largest multiple of the alphabet's 31 below 256: a
		// byte above it is drawn again, so every character is as likely.
		if int(b[0]) < 256/len(initialAlphabet)*len(initialAlphabet) {
			out = append(out, initialAlphabet[int(b[0])%len(initialAlphabet)])
		}
	}
	return out
}

// checkInitial is what the first login checks in its transaction: the
// initial password has not expired, and a new one comes with it.
func (a *Account) checkInitial(now time.Time, withNew bool) error {
	ip := a.InitialPassword
	switch {
	case ip == nil && withNew:
		return kindErr(fail.Other, ErrAccountRaced) // set since, by a reset
	case ip == nil:
		return nil
	case !now.Before(ip.ExpiresAt):
		return fail.Mark(fail.Auth, ErrInitialExpired, "the initial password of %s expired at %s", a.UserID, ip.ExpiresAt)
	case !withNew:
		return fail.Mark(fail.Auth, ErrInitialPassword, "the password of %s is the initial one an admin made: the first login sets a new one", a.UserID)
	}
	return nil
}

// InitialPassword reports whether the login's password, checked right, is
// an initial one: the login then needs a new password (SetPassword)
// before StartSession. An expired one is an error, said before the new
// password is typed.
func (pr *Proof) InitialPassword() (bool, error) {
	if !pr.login || pr.pw == nil || pr.pw.kek == nil {
		return false, nil
	}
	a := pr.pw.pre
	if a.InitialPassword == nil {
		return false, nil
	}
	return true, a.checkInitial(pr.s.now(), true)
}

// IsPassword reports whether pw is the password the proof holds: a new
// password must differ from it.
func (pr *Proof) IsPassword(pw []byte) bool { return pr.pw != nil && pr.pw.samePassword(pw) }

// SetPassword gives a first login, whose password is an initial one, the
// member's own password: StartSession sets it, with a new data key, in
// the transaction that starts the session.
func (pr *Proof) SetPassword(checked NewPassword) error {
	if ok, err := pr.InitialPassword(); err != nil || !ok {
		if err == nil {
			err = fail.Usagef("only a first login with an initial password sets a new one")
		}
		return err
	}
	next, err := checked.forAccount(pr.who.UserID)
	if err != nil {
		return err
	}
	if pr.IsPassword(next) {
		return fail.Usagef("the new password is the same as the initial one")
	}
	if err := pr.pw.setPassword(next, pr.s.Params); err != nil {
		return err
	}
	pr.pw.rotate, pr.newPassword = true, true
	return nil
}
