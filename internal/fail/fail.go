// Package fail gives every error kcloud reports a kind, so that the
// command line can map kinds to the contract's exit codes in one place.
//
// Domain packages return these errors; they never choose an exit code.
package fail

import (
	"errors"
)

// Kind says what sort of failure an error is.
type Kind int

const (
	Other         Kind = iota // anything else: exit 1
	Usage                     // usage error or invalid input: exit 2
	Auth                      // wrong password, OTP, recovery or verification code: exit 3
	Locked                    // lockout or rate limit: exit 4
	LoginRequired             // no session, or it has expired: exit 5
	Busy                      // the store is held by another process: exit 6
	Interrupted               // Ctrl-C or another signal at a prompt: exit 128+N
)

// Error is an error with a kind and an optional hint for the person.
type Error struct {
	Kind Kind
	Msg  Message
	Hint Message
	Err  error // the cause, if any
	// Quiet hides the cause's text: it is there for errors.Is, and Msg
	// says it all.
	Quiet bool
}

func (e *Error) Error() string { return e.in(English) }

// in is e's text in l: its message, then its cause's.
func (e *Error) in(l Language) string {
	msg := ""
	if e.Msg.Format != "" {
		msg = e.Msg.In(l)
	}
	if e.Err != nil && !e.Quiet {
		if msg != "" {
			msg += ": "
		}
		msg += Say(e.Err, l)
	}
	if msg == "" {
		return l.Format("failed")
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// WithHint returns e with a hint line for the person.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = Message{format, args}
	return e
}

func newf(k Kind, format string, args []any) *Error {
	return &Error{Kind: k, Msg: Message{format, args}}
}

func Usagef(format string, args ...any) *Error  { return newf(Usage, format, args) }
func Authf(format string, args ...any) *Error   { return newf(Auth, format, args) }
func Lockedf(format string, args ...any) *Error { return newf(Locked, format, args) }
func LoginRequiredf(format string, args ...any) *Error {
	return newf(LoginRequired, format, args)
}
func Busyf(format string, args ...any) *Error  { return newf(Busy, format, args) }
func Otherf(format string, args ...any) *Error { return newf(Other, format, args) }

// Wrap gives err a kind and a message, keeping it as the cause.
func Wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: Message{format, args}, Err: err}
}

// Mark gives err a kind and a message that replaces its text: err stays
// in the chain for errors.Is and errors.As.
func Mark(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: Message{format, args}, Err: err, Quiet: true}
}

// Interrupt is the error for signal number n at a prompt: the process
// exits 128+n, as a shell reports a process a signal ended.
type Interrupt struct{ Signal int }

func (i *Interrupt) Error() string        { return "interrupted" }
func (i *Interrupt) Is(target error) bool { return target == ErrInterrupted }

// Interrupted by signal n.
func InterruptedBy(n int) error { return &Error{Kind: Interrupted, Err: &Interrupt{n}} }

// ErrInterrupted is returned when the person pressed Ctrl-C, or the process
// was asked to stop, while kcloud waited for input.
var ErrInterrupted = &Error{Kind: Interrupted, Msg: Message{Format: "interrupted"}}

// KindOf reports the kind of err: the kind of the outermost *Error in its
// chain, or Other.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

// HintOf returns the first hint found in err's chain.
func HintOf(err error) Message {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Message{}
		}
		if e.Hint.Format != "" {
			return e.Hint
		}
		err = e.Err
	}
	return Message{}
}
