// Package otp owns TOTP (RFC 6238) as kcloud uses it: SHA1, 6 digits,
// 30-second steps, a 20-byte secret, the current step and one either side,
// and no code accepted twice (security rule 3). It also makes the otpauth
// URI authenticator apps read, and the recovery codes (security rule 6).
package otp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

const (
	Digits     = 6
	Period     = 30 // seconds
	SecretSize = 20 // bytes
	// Skew is how many steps either side of the current one are accepted.
	Skew = 1
	// PendingTTL is how long a registration waits for its first code.
	PendingTTL = 10 * time.Minute
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random secret.
func NewSecret() []byte {
	s := make([]byte, SecretSize)
	rand.Read(s)
	return s
}

// Encode returns the secret as unpadded Base32, as apps expect it.
func Encode(secret []byte) string { return b32.EncodeToString(secret) }

// SetupKey is the secret in groups of four, for typing into an app.
func SetupKey(secret []byte) string {
	s := Encode(secret)
	var groups []string
	for len(s) > 4 {
		groups = append(groups, s[:4])
		s = s[4:]
	}
	return strings.Join(append(groups, s), " ")
}

// ShortURI is URI without the parameters every authenticator assumes
// (SHA1, 6 digits, 30 seconds): the QR code drawn from it is a version or
// two smaller, which is what lets it fit an 80x24 terminal.
func ShortURI(issuer, account string, secret []byte) (string, error) {
	uri, err := URI(issuer, account, secret)
	return strings.TrimSuffix(uri, "&algorithm=SHA1&digits=6&period=30"), err
}

// LabelURI is ShortURI without the issuer parameter: the issuer is the
// label's prefix alone. The Key Uri Format allows it ("If the issuer
// parameter is absent, issuer information may be taken from the issuer
// prefix of the label"), and the parsers read for it take the issuer
// from the prefix (docs/otp.md). It is 8 bytes and the issuer shorter:
// for a User ID of 64 characters, a code of 41 modules instead of 45,
// the difference between fitting 80x24 and not.
func LabelURI(issuer, account string, secret []byte) (string, error) {
	uri, err := ShortURI(issuer, account, secret)
	if i := strings.LastIndex(uri, "&issuer="); i >= 0 { // the last: a User ID may hold "&"
		uri = uri[:i]
	}
	return uri, err
}

// URI is the otpauth URI for an app: the label is "ISSUER:ACCOUNT", and
// neither part may hold ':'.
func URI(issuer, account string, secret []byte) (string, error) {
	if issuer == "" || strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return "", fail.Errorf("the issuer %q and account %q must be non-empty and hold no ':'", issuer, account)
	}
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	return "otpauth://totp/" + url.PathEscape(issuer) + ":" + url.PathEscape(account) +
		"?secret=" + Encode(secret) +
		"&issuer=" + esc(issuer) +
		"&algorithm=SHA1&digits=6&period=30", nil
}

// StepAt is the time step of t.
func StepAt(t time.Time) int64 { return t.Unix() / Period }

// CodeAt returns the code for step.
func CodeAt(secret []byte, step int64) string {
	code, err := hotp.GenerateCodeCustom(Encode(secret), uint64(step), hotp.ValidateOpts{
		Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1,
	})
	if err != nil {
		panic(err) // only for an undecodable secret; ours is always encoded here
	}
	return code
}

// ErrFormat reports a code that cannot be right: not six digits.
var ErrFormat = errors.New("an OTP code is 6 digits")

// Code is an OTP code whose form was checked: six digits. Only ParseCode
// makes one, so whoever receives a Code checks its form no more.
type Code struct{ digits string }

// ParseCode reads a typed code (spaces removed) and checks its form.
func ParseCode(s string) (Code, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) != Digits {
		return Code{}, ErrFormat
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return Code{}, ErrFormat
		}
	}
	return Code{s}, nil
}

// IsZero reports whether c is no code at all.
func (c Code) IsZero() bool { return c.digits == "" }

// Verify checks code against secret at now and returns the step it
// matched. Only steps after last are considered, so a code, once
// accepted, is never accepted again, nor any code older than it.
func Verify(secret []byte, code Code, now time.Time, last int64) (step int64, ok, used bool) {
	if len(secret) != SecretSize || code.IsZero() {
		return 0, false, false // an empty secret would match everything
	}
	cur := StepAt(now)
	matched, old := int64(-1), false
	// Compare against every candidate, so the time taken does not say which matched.
	for s := cur - Skew; s <= cur+Skew; s++ {
		eq := subtle.ConstantTimeCompare([]byte(CodeAt(secret, s)), []byte(code.digits)) == 1
		if eq && s > last && matched < 0 {
			matched = s
		}
		old = old || (eq && s <= last)
	}
	return matched, matched >= 0, matched < 0 && old
}

// NextStepIn is how long until the app shows the code of the next step.
func NextStepIn(now time.Time) time.Duration {
	next := time.Unix((StepAt(now)+1)*Period, 0)
	return next.Sub(now)
}

// RecoveryCount is how many recovery codes a registration gives.
const RecoveryCount = 10

// recoveryBytes is each code's entropy: 80 bits.
const recoveryBytes = 10

var recoveryEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns fresh recovery codes, as shown to the person:
// 16 characters in groups of four, from an alphabet without 0/o or 1/l.
func NewRecoveryCodes() []string {
	codes := make([]string, RecoveryCount)
	for i := range codes {
		codes[i] = NewRecoveryCode()
	}
	return codes
}

// NewRecoveryCode is one code of a recovery code's form and entropy (an
// admin's reset code is one), as xxxx-xxxx-xxxx-xxxx.
func NewRecoveryCode() string {
	b := make([]byte, recoveryBytes)
	rand.Read(b)
	s := recoveryEncoding.EncodeToString(b)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// ErrRecoveryFormat reports text that cannot be a recovery code.
var ErrRecoveryFormat = errors.New("a recovery code is 16 letters and digits, as xxxx-xxxx-xxxx-xxxx")

// RecoveryCode is a recovery code whose form was checked, in the form
// its MAC is taken of. Only ParseRecovery makes one.
type RecoveryCode struct{ s string }

// ParseRecovery reads a recovery code as typed (any case, with or
// without dashes and spaces).
func ParseRecovery(s string) (RecoveryCode, error) {
	s = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(s) != 16 {
		return RecoveryCode{}, ErrRecoveryFormat
	}
	if _, err := recoveryEncoding.DecodeString(s); err != nil {
		return RecoveryCode{}, ErrRecoveryFormat
	}
	return RecoveryCode{s}, nil
}

// IsZero reports whether r is no code at all.
func (r RecoveryCode) IsZero() bool { return r.s == "" }

// Normal is the code as its MAC is taken of: lower case, no dashes.
func (r RecoveryCode) Normal() string { return r.s }
