// Package contact owns contact verification: reading an email address or
// a mobile number as typed, and the rules of the codes sent to them
// (security rule 5): six digits from crypto/rand, single use, bound to
// one address, void after a time or too many wrong entries, no resend
// within a cooldown, and failures that a new code does not reset.
package contact

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/phone"
)

// Kind is what a contact is.
type Kind string

const (
	Email Kind = "email"
	Phone Kind = "phone"
)

// ParseKind reads the kind argument of `contact verify`.
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case Email, Phone:
		return Kind(s), nil
	}
	return "", fail.Errorf("%q is not a kind of contact: use email or phone", s)
}

// Target is a contact in its canonical form, and as shown to people.
type Target struct {
	Kind    Kind
	Address string // an addr-spec with a lower-case domain, or E.164
	Masked  string // a***@example.com, +82 10-****-5678
}

// Parse reads a contact of kind as typed.
func Parse(kind Kind, s string) (Target, error) {
	switch kind {
	case Email:
		a, err := ParseEmail(s)
		if err != nil {
			return Target{}, err
		}
		return Target{Kind: Email, Address: a, Masked: maskEmail(a)}, nil
	case Phone:
		n, err := phone.Parse(s)
		if err != nil {
			return Target{}, fail.Errorf("the phone number %q: %w", s, err)
		}
		return Target{Kind: Phone, Address: n.E164, Masked: n.Masked()}, nil
	}
	return Target{}, fail.Errorf("unknown kind of contact %q", kind)
}

// ParseEmail reads exactly one addr-spec: no display name, no list, no
// comment, nothing that could inject a header. The domain is lower-cased.
func ParseEmail(s string) (string, error) {
	bad := func(why string) error { return fail.Errorf("the email address %q %s", s, fail.Message{Format: why}) }
	if strings.ContainsAny(s, "\r\n") {
		return "", bad("holds a line break")
	}
	if len(s) > 254 {
		return "", bad("is longer than 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", bad("is not a single address such as name@example.com")
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f || r > 0x7e {
			return "", bad("holds a space, a control or a non-ASCII character")
		}
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if strings.HasPrefix(domain, "[") || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad("needs a domain name such as example.com")
	}
	if len(local) > 64 {
		return "", bad("has a local part longer than 64 characters")
	}
	return local + "@" + domain, nil
}

func maskEmail(a string) string {
	at := strings.LastIndexByte(a, '@')
	return a[:1] + "***" + a[at:]
}

// NewCode returns six digits from crypto/rand, uniformly.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// Code is a verification code whose form was checked: six digits. Only
// ParseCode makes one.
type Code struct{ digits string }

// ParseCode reads a typed code and checks its form.
func ParseCode(s string) (Code, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) != 6 || strings.Trim(s, "0123456789") != "" {
		return Code{}, errors.New("a verification code is 6 digits")
	}
	return Code{s}, nil
}

// Digits is the code as typed, for its MAC.
func (c Code) Digits() string { return c.digits }

// Rules are the configured limits.
type Rules struct {
	TTL         time.Duration
	ResendAfter time.Duration
	MaxAttempts int
}

// Pending is a code sent and not yet used, as stored: only its MAC.
type Pending struct {
	Address   string    `json:"address"`
	MAC       []byte    `json:"mac"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Failures counts wrong entries since the first code of this window;
	// a new code keeps them.
	Failures int `json:"failures"`
	// Void is set when Failures reached the limit in force then: a later,
	// looser limit does not bring the code back.
	Void bool `json:"void,omitempty"`
}

func (p *Pending) void(max int) bool { return p.Void || p.Failures >= max }

// ErrWait is a rate limit: a new code cannot be sent before Until.
type ErrWait struct {
	Until time.Time
	Why   fail.Message
	// Pending: the code sent before, to the same address, still works
	// until its window ends (Expires).
	Pending bool
	Expires time.Time
}

func (e *ErrWait) Error() string         { return e.Why.In(fail.English) }
func (e *ErrWait) Message() fail.Message { return e.Why }

// Next decides whether a new code may be sent to address now, and returns
// the failures it inherits. prev is the pending code of that kind, if
// any. The resend limit binds the account, whatever the address: sending
// to another address, or back and forth between two, does not skip it.
// The failures carry over to any address of the kind, so changing the
// address does not reset them.
func (r Rules) Next(prev *Pending, address string, now time.Time) (failures int, err error) {
	if prev == nil || !now.Before(prev.ExpiresAt) {
		return 0, nil // nothing pending, or its window is over
	}
	if prev.void(r.MaxAttempts) {
		return 0, &ErrWait{Until: prev.ExpiresAt, Why: fail.Message{Format: "too many wrong codes; a new one can be sent at %s",
			Args: []any{prev.ExpiresAt}}}
	}
	if wait := prev.SentAt.Add(r.ResendAfter); now.Before(wait) {
		why := fail.Message{Format: "a code was sent %s; a new one can be sent at %s", Args: []any{fail.Ago(now.Sub(prev.SentAt)), wait}}
		if prev.Address != address {
			why.Format = "a code was sent to another address %s; a new one can be sent at %s"
		}
		return 0, &ErrWait{Until: wait, Why: why, Pending: prev.Address == address, Expires: prev.ExpiresAt}
	}
	return prev.Failures, nil
}

// The outcomes of Check other than success.
var (
	ErrNoneSent  = errors.New("no verification code was sent")
	ErrVoid      = errors.New("the code is void after too many wrong entries")
	ErrExpired   = errors.New("the code expired")
	ErrWrong     = errors.New("wrong verification code")
	ErrElsewhere = errors.New("that code was sent to another address")
)

// WrongCode is a wrong entry that was counted.
type WrongCode struct {
	Err   error     // ErrWrong or ErrElsewhere
	Kind  Kind      // of the contact
	Left  int       // wrong entries before the code is void; 0 when now void
	Until time.Time // the code's window ends (when a new one can be sent)
}

func (e *WrongCode) Error() string { return e.Message().In(fail.English) }

func (e *WrongCode) Message() fail.Message {
	void := e.Left == 0
	switch {
	case e.Err == ErrElsewhere && e.Kind == Phone && void:
		return fail.Message{Format: "that code was sent to another phone; the code is now void"}
	case e.Err == ErrElsewhere && e.Kind == Phone:
		return fail.Message{Format: "that code was sent to another phone"}
	case e.Err == ErrElsewhere && void:
		return fail.Message{Format: "that code was sent to another email; the code is now void"}
	case e.Err == ErrElsewhere:
		return fail.Message{Format: "that code was sent to another email"}
	case void:
		return fail.Message{Format: "%v; the code is now void", Args: []any{e.Err}}
	}
	return fail.Message{Format: "%v", Args: []any{e.Err}}
}
func (e *WrongCode) Unwrap() error { return e.Err }

// Check decides an entered code against p, the pending code of its kind.
// match says whether the entry's MAC equals p's (compared in constant
// time by the caller, who holds the key). A code is bound to the one
// address it was sent to: for any other it is wrong. A wrong entry is
// counted in p; at the limit p becomes void for good.
func (r Rules) Check(p *Pending, t Target, match bool, now time.Time) error {
	address := t.Address
	switch {
	case p == nil:
		return ErrNoneSent
	case !now.Before(p.ExpiresAt):
		return ErrExpired
	case p.void(r.MaxAttempts):
		p.Void = true
		return ErrVoid
	case p.Address == address && match:
		return nil
	}
	p.Failures++
	w := &WrongCode{Err: ErrWrong, Kind: t.Kind, Until: p.ExpiresAt}
	if p.Address != address {
		w.Err = ErrElsewhere
	}
	if w.Left = r.MaxAttempts - p.Failures; w.Left <= 0 {
		w.Left, p.Void = 0, true
	}
	return w
}
