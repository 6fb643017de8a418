// Package auth owns the ways a person proves who they are: the methods
// (password, an OTP app's code, a recovery code), the credential each
// takes as typed, and the answer of a flow that needs one more ("continue
// with one of these methods"). It knows no account: internal/account
// checks a credential against the records, counts failures per method and
// gives a page the proof it takes. Adding a method is one Credential type
// here and its check there.
package auth

import (
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
)

// Method names a way to authenticate. The names are the ones activity
// and session records use ("password+otp").
type Method string

// The methods.
const (
	Password     Method = "password"
	OTP          Method = "otp"
	RecoveryCode Method = "recovery_code"
)

// Factor is what a method proves: something the person knows, or
// something they have (NIST SP 800-63B-4 2.2).
type Factor int

// The factors.
const (
	Knows Factor = iota
	Has
)

// Factor returns what m proves.
func (m Method) Factor() Factor {
	if m == Password {
		return Knows
	}
	return Has
}

// A Credential is one method's input, of a checked form: what a person
// typed or a program gave, not yet checked against an account.
type Credential interface {
	Method() Method
}

// PasswordCredential is a password as typed. It is never printed.
type PasswordCredential struct{ b []byte }

// NewPassword takes the bytes of a typed password; the caller keeps no
// other copy it means to use.
func NewPassword(b []byte) *PasswordCredential { return &PasswordCredential{b: b} }

// Method is Password.
func (*PasswordCredential) Method() Method { return Password }

// Bytes returns the password.
func (p *PasswordCredential) Bytes() []byte { return p.b }

// Clear overwrites the password in memory.
func (p *PasswordCredential) Clear() { clear(p.b) }

// Code is a 6-digit code from an OTP app.
type Code struct{ otp.Code }

// Method is OTP.
func (Code) Method() Method { return OTP }

// Recovery is a recovery code.
type Recovery struct{ otp.RecoveryCode }

// Method is RecoveryCode.
func (Recovery) Method() Method { return RecoveryCode }

// SecondFactor reads a typed OTP code or recovery code, one of the two
// given: a malformed one is a usage error, before any password is asked
// for, never a failed attempt.
func SecondFactor(code, recovery string) (Credential, error) {
	switch {
	case code != "" && recovery != "":
		return nil, fail.Usagef("give an OTP code or a recovery code, not both")
	case code != "":
		c, err := otp.ParseCode(code)
		if err != nil {
			return nil, fail.Usagef("%v", err)
		}
		return Code{c}, nil
	case recovery != "":
		r, err := otp.ParseRecovery(recovery)
		if err != nil {
			return nil, fail.Usagef("%v", err)
		}
		return Recovery{r}, nil
	}
	return nil, NeedSecond(OTP, RecoveryCode)
}

// NeedSecond is the Continue error for a second factor of methods.
func NeedSecond(methods ...Method) error {
	return &fail.Error{Kind: fail.Usage, Err: &Continue{Methods: methods}}
}

// Continue is a flow's answer when what was given is right but not
// enough: one of Methods must follow. It is a usage error where nobody
// can be asked (no terminal, --no-input).
type Continue struct {
	Methods []Method
}

func (c *Continue) Error() string { return c.Message().In(fail.English) }

// Message says what is wanted.
func (c *Continue) Message() fail.Message {
	has := func(m Method) bool {
		for _, x := range c.Methods {
			if x == m {
				return true
			}
		}
		return false
	}
	switch {
	case has(Passkey) && has(OTP):
		return fail.Message{Format: "an OTP code, a recovery code or a passkey (--passkey) is required"}
	case has(Passkey):
		return fail.Message{Format: "a passkey (--passkey) or a recovery code is required"}
	}
	return fail.Message{Format: "an OTP code or a recovery code is required"}
}

// Name joins the methods of one authentication as records name it:
// "password", "password+otp".
func Name(methods []Method) string {
	s := make([]string, len(methods))
	for i, m := range methods {
		s[i] = string(m)
	}
	return strings.Join(s, "+")
}
