package account

import (
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// Errors the domain returns for the command line to tell apart and to
// explain: which command or flag helps is the command line's to say.
var (
	ErrNoOrganization = errors.New("the store holds no organization")
	// ErrWhichAuthenticator: the account has several and none was named.
	ErrWhichAuthenticator = errors.New("which authenticator")
	// ErrNoSuchAuthenticator: none has the name given.
	ErrNoSuchAuthenticator = errors.New("no such authenticator")
	ErrOrgExists           = errors.New("the store already holds an organization")
	// ErrPartialStore: the store holds accounts or activity but no
	// organization, as an import cut off before its last transaction
	// leaves it (PartialStoreError says what).
	ErrPartialStore   = errors.New("the store holds records but no organization")
	ErrNotLoggedIn    = errors.New("not logged in")
	ErrSessionEnded   = errors.New("the session ended")
	ErrNoAccount      = errors.New("no such account")
	ErrLocked         = errors.New("the account is locked")
	ErrNotAdmin       = errors.New("not an admin of the organization")
	ErrNoNicknames    = errors.New("the organization does not use nicknames")
	ErrHasOTP         = errors.New("an OTP is already registered")
	ErrNoOTP          = errors.New("no OTP is registered")
	ErrNoPendingOTP   = errors.New("no OTP registration is pending")
	ErrPendingExpired = errors.New("the pending OTP registration expired")
	ErrNoCodeSent     = errors.New("no verification code was sent")
	ErrCodeVoid       = errors.New("the code is now void")
	ErrCodeUsed       = errors.New("the OTP code was already used")
	ErrNothingToSet   = errors.New("nothing to change")
	ErrPasswordRaced  = errors.New("the password changed while kcloud checked it")
	ErrAccountRaced   = errors.New("the account changed while kcloud prepared the change; run the command again")
)

// LockedError says until when an account is locked.
type LockedError struct {
	UserID string
	Until  time.Time
}

func (e *LockedError) Error() string { return e.Message().In(fail.English) }

func (e *LockedError) Message() fail.Message {
	return fail.Message{Format: "the account %s is locked until %s after too many failed attempts", Args: []any{e.UserID, e.Until}}
}

func (e *LockedError) Unwrap() error { return ErrLocked }

func lockedErr(a *Account) error {
	return &fail.Error{Kind: fail.Locked, Err: &LockedError{a.UserID, *a.LockedUntil}}
}

// FailedAttempt is a wrong password or second factor that was counted.
type FailedAttempt struct {
	Err      error         // why: wrong password, wrong code, a code used before
	Left     int           // attempts before a lockout; 0 when this one locked
	Lockout  time.Duration // how long a lockout lasts
	LockedTo time.Time     // set when this attempt locked the account
	Disabled bool          // this attempt disabled the password
}

func (e *FailedAttempt) Error() string { return e.Message().In(fail.English) }

func (e *FailedAttempt) Message() fail.Message {
	if e.Disabled {
		return fail.Message{Format: "%v; after %d failed attempts in a row, the password is now disabled", Args: []any{e.Err, DisableAfterFailures}}
	}
	if !e.LockedTo.IsZero() {
		return fail.Message{Format: "%v; the account is now locked until %s", Args: []any{e.Err, e.LockedTo}}
	}
	return fail.Message{Format: "%v", Args: []any{e.Err}}
}

func (e *FailedAttempt) Unwrap() error { return e.Err }

// UsedCodeError is an OTP code of a step already accepted: the person
// typed the code the app still shows, and should wait for the next.
type UsedCodeError struct {
	Next time.Duration // until the app shows a new code
}

func (e *UsedCodeError) Error() string { return ErrCodeUsed.Error() }
func (e *UsedCodeError) Message() fail.Message {
	return fail.Message{Format: "%v", Args: []any{ErrCodeUsed}}
}
func (e *UsedCodeError) Unwrap() error { return ErrCodeUsed }

func kindErr(k fail.Kind, err error) error { return &fail.Error{Kind: k, Err: err} }
