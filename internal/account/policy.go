package account

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

// Policy is the organization's security policy (contract, "Security
// policy"): kept in the store, so every machine that shares a directory
// enforces the same rules. A zero field means the default, so every
// value that can be stored is above zero.
type Policy struct {
	SessionTTL       time.Duration `json:"session_ttl,omitempty"`
	CodeTTL          time.Duration `json:"code_ttl,omitempty"`
	ResendAfter      time.Duration `json:"resend_after,omitempty"`
	MaxAttempts      int           `json:"max_attempts,omitempty"`
	LockoutThreshold int           `json:"lockout_threshold,omitempty"`
	LockoutDuration  time.Duration `json:"lockout_duration,omitempty"`
	// RequireOTP: a member without an authenticator gets a session that
	// allows only otp register, whoami and logout.
	RequireOTP bool `json:"require_otp,omitempty"`
	// PasswordMinLength is the fewest characters a new password has.
	PasswordMinLength int `json:"password_min_length,omitempty"`
	// IdleTTL (session.idle_ttl) ends a session unused for that long;
	// 0 is off.
	IdleTTL time.Duration `json:"idle_ttl,omitempty"`
	// NoAccessKeys (security.access_keys=false): every access key opens
	// nothing, and none can be made.
	NoAccessKeys bool `json:"no_access_keys,omitempty"`
	// AccessKeyMaxAge is the longest an access key lives, counted from
	// its creation: a key made under a longer one dies sooner.
	AccessKeyMaxAge time.Duration `json:"access_key_max_age,omitempty"`
	// ReauthGrace (security.reauth_grace): after a password typed on a
	// session, the pages that open no sealed secret do not ask again for
	// this long; 0, the default, is every page asks.
	ReauthGrace time.Duration `json:"reauth_grace,omitempty"`
}

// DefaultPolicy is the contract's defaults.
var DefaultPolicy = Policy{
	SessionTTL:        12 * time.Hour,
	CodeTTL:           10 * time.Minute,
	ResendAfter:       60 * time.Second,
	MaxAttempts:       5,
	LockoutThreshold:  5,
	LockoutDuration:   15 * time.Minute,
	PasswordMinLength: 15,
	AccessKeyMaxAge:   90 * 24 * time.Hour,
}

// Password lengths (NIST SP 800-63B-4 3.1.1.2): at least 15 characters
// where the password is the only factor; at least 8 where an OTP is
// required as well.
const (
	MinPasswordAlone   = 15
	MinPasswordWithOTP = 8
)

// rule describes one key of the policy: its name in the configuration,
// its field (a duration, a count or a switch), and which way is stricter.
type rule struct {
	key      string
	dur      func(*Policy) *time.Duration
	num      func(*Policy) *int
	flag     func(*Policy) *bool
	invert   bool   // the switch's field is the opposite of its value (its default, on, is the field's zero)
	zeroOff  bool   // 0 is off, the loosest value, and its default
	stricter string // "lower" or "higher"; a switch is stricter on
	min, max int64  // bounds of a stored value (nanoseconds for durations)
	help     string // what the rule does, for help environment and the manual
}

var rules = []rule{
	{key: "session.ttl", dur: func(p *Policy) *time.Duration { return &p.SessionTTL }, stricter: "lower", min: int64(time.Minute), max: int64(24 * time.Hour), help: msg("how long a login lasts (at most the policy's)")},
	{key: "session.idle_ttl", dur: func(p *Policy) *time.Duration { return &p.IdleTTL }, stricter: "lower", zeroOff: true, min: int64(5 * time.Minute), max: int64(24 * time.Hour), help: msg("end a session unused for this long; 0 is off")},
	{key: "verification.code_ttl", dur: func(p *Policy) *time.Duration { return &p.CodeTTL }, stricter: "lower", min: int64(time.Minute), max: int64(24 * time.Hour), help: msg("the life of a contact verification code")},
	{key: "verification.resend_after", dur: func(p *Policy) *time.Duration { return &p.ResendAfter }, stricter: "higher", min: int64(time.Second), max: int64(24 * time.Hour), help: msg("the least time between two codes to one address")},
	{key: "verification.max_attempts", num: func(p *Policy) *int { return &p.MaxAttempts }, stricter: "lower", min: 1, max: 100, help: msg("wrong entries before a code is void")},
	{key: "security.lockout_threshold", num: func(p *Policy) *int { return &p.LockoutThreshold }, stricter: "lower", min: 1, max: 100, help: msg("failed passwords or codes in a row before a lockout")},
	{key: "security.lockout_duration", dur: func(p *Policy) *time.Duration { return &p.LockoutDuration }, stricter: "higher", min: int64(time.Minute), max: int64(30 * 24 * time.Hour), help: msg("how long a lockout lasts")},
	{key: "security.require_otp", flag: func(p *Policy) *bool { return &p.RequireOTP }, stricter: "higher", min: 0, max: 1, help: msg("a member without an authenticator may only register one")},
	{key: "security.password_min_length", num: func(p *Policy) *int { return &p.PasswordMinLength }, stricter: "higher", min: MinPasswordWithOTP, max: 64, help: msg("the fewest characters of a new password (below 15 only with require_otp)")},
	{key: "security.access_keys", flag: func(p *Policy) *bool { return &p.NoAccessKeys }, invert: true, stricter: "lower", min: 0, max: 1, help: msg("whether access keys open anything")},
	{key: "security.access_key_max_age", dur: func(p *Policy) *time.Duration { return &p.AccessKeyMaxAge }, stricter: "lower", min: int64(time.Hour), max: int64(365 * 24 * time.Hour), help: msg("the longest an access key lives")},
	{key: "security.reauth_grace", dur: func(p *Policy) *time.Duration { return &p.ReauthGrace }, stricter: "lower", min: 0, max: int64(MaxReauthGrace), help: msg("how long after a password the pages that open no secret ask for none")},
}

// MaxReauthGrace is the longest security.reauth_grace, as sudo's timestamp.
const MaxReauthGrace = 15 * time.Minute

// PolicyHelp is what the policy key does, in English (a message of the
// catalogue), or "" for a key that is not the policy's.
func PolicyHelp(key string) string {
	for _, r := range rules {
		if r.key == key {
			return r.help
		}
	}
	return ""
}

// msg marks a text for people that is said later, through a variable (as
// gettext's N_): the catalogue's test finds it.
func msg(s string) string { return s }

// PolicyKeys lists the policy's keys.
func PolicyKeys() []string {
	keys := make([]string, len(rules))
	for i, r := range rules {
		keys[i] = r.key
	}
	return keys
}

func (r rule) get(p *Policy) int64 {
	switch {
	case r.dur != nil:
		return int64(*r.dur(p))
	case r.flag != nil:
		if *r.flag(p) != r.invert {
			return 1
		}
		return 0
	}
	return int64(*r.num(p))
}

func (r rule) set(p *Policy, v int64) {
	switch {
	case r.dur != nil:
		*r.dur(p) = time.Duration(v)
	case r.flag != nil:
		*r.flag(p) = (v != 0) != r.invert
	default:
		*r.num(p) = int(v)
	}
}

func (r rule) show(v int64) string {
	if r.dur != nil {
		return text.Duration(time.Duration(v)) // "15 minutes"; JSON keeps Go's "15m0s"
	}
	return fmt.Sprint(r.value(v))
}

// value is v as a message argument: a time.Duration (said in the
// person's language), a bool or a number.
func (r rule) value(v int64) any {
	switch {
	case r.dur != nil:
		return time.Duration(v)
	case r.flag != nil:
		return v != 0
	}
	return v
}

// WithDefaults fills p's zero fields with the defaults (a switch's
// default is its field's zero).
func (p Policy) WithDefaults() Policy {
	for _, r := range rules {
		if r.flag == nil && !r.zeroOff && r.get(&p) == 0 {
			r.set(&p, r.get(&DefaultPolicy))
		}
	}
	return p
}

// Check reports a policy with a value out of its bounds, or whose rules
// disagree: a password shorter than MinPasswordAlone only while an OTP
// is required.
func (p Policy) Check() error {
	for _, r := range rules {
		// Zero is "the default"; anything else is held to the bounds a
		// typed value is (a stored or imported policy included).
		if v := r.get(&p); v != 0 && (v < r.min || v > r.max) {
			return fail.Errorf("%s=%v is out of range (%v to %v)", r.key, r.value(v), r.value(r.min), r.value(r.max))
		}
	}
	p = p.WithDefaults()
	if p.PasswordMinLength < MinPasswordAlone && !p.RequireOTP {
		return fail.Errorf("security.password_min_length=%d needs security.require_otp=true: a password that is the only factor has at least %d characters",
			p.PasswordMinLength, MinPasswordAlone)
	}
	return nil
}

// Values returns the policy's values as message arguments (Entries'
// order): durations stay time.Duration, to be said in the person's
// language.
func (p Policy) Values() []any {
	out := make([]any, len(rules))
	for i, r := range rules {
		out[i] = r.value(r.get(&p))
	}
	return out
}

// Entries returns the policy as key and value, in the contract's order.
func (p Policy) Entries() [][2]string {
	out := make([][2]string, len(rules))
	for i, r := range rules {
		out[i] = [2]string{r.key, r.show(r.get(&p))}
	}
	return out
}

// Set parses "KEY=VALUE" and sets it in p.
func (p *Policy) Set(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		return fail.Errorf("%q is not KEY=VALUE", kv)
	}
	key = strings.TrimSpace(key)
	for _, r := range rules {
		if r.key != key {
			continue
		}
		var v int64
		switch {
		case r.dur != nil:
			d, err := time.ParseDuration(strings.TrimSpace(val))
			if err != nil {
				return fail.Errorf("%s: %q is not a duration such as 15m", key, val)
			}
			v = int64(d)
		case r.flag != nil:
			b, err := strconv.ParseBool(strings.TrimSpace(val))
			if err != nil {
				return fail.Errorf("%s: %q is not true or false", key, val)
			}
			if b {
				v = 1
			}
		default:
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return fail.Errorf("%s: %q is not a whole number", key, val)
			}
			v = int64(n)
		}
		if (v < r.min || v > r.max) && !(r.zeroOff && v == 0) {
			return fail.Errorf("%s: %v is out of range (%v to %v)", key, r.value(v), r.value(r.min), r.value(r.max))
		}
		r.set(p, v)
		return nil
	}
	keys := PolicyKeys()
	sort.Strings(keys)
	return fail.Errorf("%q is not a policy key; the keys are %s", key, strings.Join(keys, ", "))
}

// Local is this machine's configuration of the policy keys: only the
// keys set here (by the file, the environment or a flag) are in it.
type Local map[string]int64

// LocalValue returns v for a duration or a count, for building a Local.
func LocalValue[T time.Duration | int](v T) int64 { return int64(v) }

// Effective merges the organization's policy with this machine's: a
// local value counts only where it is stricter. Each looser local value
// is named in the warnings and ignored.
func (p Policy) Effective(local Local) (Policy, []error) {
	eff := p.WithDefaults()
	var warnings []error
	for _, r := range rules {
		v, ok := local[r.key]
		if !ok {
			continue
		}
		org := r.get(&eff)
		if r.zeroOff && v == 0 && org != 0 {
			// A local 0 (off) is never stricter than a set value.
			warnings = append(warnings, fail.Errorf("ignoring %s=%v from this machine's configuration: the organization's policy (%v) is stricter",
				r.key, r.value(v), r.value(org)))
			continue
		}
		if (r.stricter == "lower" && v < org && !(r.zeroOff && org == 0 && v == 0)) || (r.stricter == "higher" && v > org) || (r.zeroOff && org == 0 && v > 0) {
			r.set(&eff, v)
		} else if v != org {
			warnings = append(warnings, fail.Errorf("ignoring %s=%v from this machine's configuration: the organization's policy (%v) is stricter",
				r.key, r.value(v), r.value(org)))
		}
	}
	return eff, warnings
}

// Effective is the policy in force on this machine for org.
func (s *Service) Effective(org *Organization) Policy { return s.policy(org) }

// Policy is the policy in force on this page: the organization's, made
// stricter where this machine's configuration asks.
func (v *Visit) Policy() Policy { return v.s.policy(v.org) }
