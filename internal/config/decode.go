package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

// fields maps every key to where its value goes. Reading each key through
// the viper instance (which applies flag > environment > file > default)
// costs a fraction of decoding the whole tree by reflection, on every
// command's start-up; and each value is parsed strictly, with an error
// that names the key.
func (c *Config) fields() map[string]any {
	d := &c.Delivery
	return map[string]any{
		"store.backend":                     &c.Store.Backend,
		"store.path":                        &c.Store.Path,
		"store.lock_timeout":                &c.Store.LockTimeout,
		"store.etcd.endpoints":              (*commaList)(&c.Store.Etcd.Endpoints),
		"store.etcd.prefix":                 &c.Store.Etcd.Prefix,
		"store.etcd.username":               &c.Store.Etcd.Username,
		"store.etcd.password_file":          &c.Store.Etcd.PasswordFile,
		"store.etcd.ca_file":                &c.Store.Etcd.CAFile,
		"store.etcd.cert_file":              &c.Store.Etcd.CertFile,
		"store.etcd.key_file":               &c.Store.Etcd.KeyFile,
		"store.etcd.dial_timeout":           &c.Store.Etcd.DialTimeout,
		"store.etcd.request_timeout":        &c.Store.Etcd.RequestTimeout,
		"session.path":                      &c.Session.Path,
		"output":                            &c.Output,
		"session.ttl":                       &c.Session.TTL,
		"otp.issuer":                        &c.OTP.Issuer,
		"passkey.timeout":                   &c.Passkey.Timeout,
		"ui.language":                       &c.UI.Language,
		"verification.code_ttl":             &c.Verification.CodeTTL,
		"verification.resend_after":         &c.Verification.ResendAfter,
		"verification.max_attempts":         &c.Verification.MaxAttempts,
		"security.lockout_threshold":        &c.Security.LockoutThreshold,
		"security.lockout_duration":         &c.Security.LockoutDuration,
		"security.argon2.memory":            &c.Security.Argon2.Memory,
		"security.argon2.time":              &c.Security.Argon2.Time,
		"security.argon2.threads":           &c.Security.Argon2.Threads,
		"delivery.email.method":             &d.Email.Method,
		"delivery.email.from":               &d.Email.From,
		"delivery.email.smtp.host":          &d.Email.SMTP.Host,
		"delivery.email.smtp.port":          &d.Email.SMTP.Port,
		"delivery.email.smtp.username":      &d.Email.SMTP.Username,
		"delivery.email.smtp.password_file": &d.Email.SMTP.PasswordFile,
		"delivery.email.smtp.tls":           &d.Email.SMTP.TLS,
		"delivery.email.command":            &d.Email.Command,
		"delivery.sms.method":               &d.SMS.Method,
		"delivery.sms.webhook.url":          &d.SMS.Webhook.URL,
		"delivery.sms.webhook.headers":      &d.SMS.Webhook.Headers,
		"delivery.sms.command":              &d.SMS.Command,
		"delivery.outbox.dir":               &d.Outbox.Dir,
		"notify.security_alerts":            &c.Notify.SecurityAlerts,
	}
}

func (c *Config) decode(v *viper.Viper, file string, inFile func(string) bool) error {
	fields := c.fields()
	// A key in the file that kcloud does not know is a mistake to report,
	// with the key it most likely meant.
	var keys []string
	if v.ConfigFileUsed() != "" {
		keys = v.AllKeys()
	}
	for _, k := range keys {
		if _, ok := fields[k]; !ok && inFile(k) && !strings.HasPrefix(k, "delivery.sms.webhook.headers.") {
			return &fail.Error{Kind: fail.Usage, Err: &UnknownKeyError{Key: k, File: file, Nearest: nearest(k, fields)}}
		}
	}
	for _, k := range sortedKeys(fields) {
		if err := set(fields[k], v.Get(k)); err != nil {
			return fail.Usagef("configuration: %s (%s): %v", k, c.source(k), err)
		}
	}
	return nil
}

// UnknownKeyError is a key in the file that kcloud does not know, with
// the known key nearest to it ("" when none is near).
type UnknownKeyError struct{ Key, File, Nearest string }

func (e *UnknownKeyError) Error() string { return e.Message().In(fail.English) }
func (e *UnknownKeyError) Message() fail.Message {
	return fail.Message{Format: "configuration: unknown key %q in %s", Args: []any{e.Key, e.File}}
}

// sortedKeys are the keys in order, so that the first bad key is the one
// reported every time.
func sortedKeys(fields map[string]any) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// commaList is a list given in the environment as comma-separated items
// (store.etcd.endpoints), and in the file as a YAML list.
type commaList []string

// set parses raw (a string from the environment or a flag, or what YAML
// gave) into dst.
func set(dst, raw any) error {
	switch p := dst.(type) {
	case *string:
		s, ok := raw.(string)
		if !ok {
			return fail.Errorf("%v is not text", raw)
		}
		*p = s
	case *time.Duration:
		s := fmt.Sprint(raw)
		d, err := time.ParseDuration(s)
		if err != nil {
			return fail.Errorf("%q is not a duration such as 10m", s)
		}
		*p = d
	case *bool:
		switch r := raw.(type) {
		case bool:
			*p = r
		case string:
			b, err := strconv.ParseBool(r)
			if err != nil {
				return fail.Errorf("%q is not true or false", r)
			}
			*p = b
		default:
			return fail.Errorf("%v is not true or false", raw)
		}
	case *int:
		return setInt(p, raw, 1<<31-1)
	case *uint32:
		return setInt(p, raw, 1<<32-1)
	case *uint8:
		return setInt(p, raw, 255)
	case *[]string:
		switch r := raw.(type) {
		case string: // from the environment: words
			*p = strings.Fields(r)
		case []string:
			*p = r
		case []any:
			*p = make([]string, len(r))
			for i, x := range r {
				s, ok := x.(string)
				if !ok {
					return fail.Errorf("argument %d (%v) is not text", i, x)
				}
				(*p)[i] = s
			}
		default:
			return fail.Errorf("%v is not a list of arguments", raw)
		}
	case *commaList:
		switch r := raw.(type) {
		case string: // from the environment: comma-separated
			*p = nil
			for _, f := range strings.Split(r, ",") {
				if f = strings.TrimSpace(f); f != "" {
					*p = append(*p, f)
				}
			}
		default:
			return set((*[]string)(p), raw)
		}
	case *map[string]string:
		m := map[string]string{}
		switch r := raw.(type) {
		case string: // from the environment: a JSON object
			if strings.TrimSpace(r) != "" {
				if err := json.Unmarshal([]byte(r), &m); err != nil {
					return fail.Errorf("headers must be a JSON object of strings: %v", err)
				}
			}
		case map[string]string:
			m = r
		case map[string]any:
			for k, x := range r {
				s, ok := x.(string)
				if !ok {
					return fail.Errorf("header %s: %v is not text", k, x)
				}
				m[k] = s
			}
		default:
			return fail.Errorf("%v is not a map of headers", raw)
		}
		*p = m
	default:
		panic(fmt.Sprintf("config: no decoder for %T", dst))
	}
	return nil
}

// setInt parses a whole number from 0 to hi into p.
func setInt[T int | uint32 | uint8](p *T, raw any, hi int64) error {
	n, err := integer(raw, 0, hi)
	*p = T(n)
	return err
}

func integer(raw any, lo, hi int64) (int64, error) {
	var n int64
	switch r := raw.(type) {
	case int:
		n = int64(r)
	case int64:
		n = r
	case uint32:
		n = int64(r)
	case uint8:
		n = int64(r)
	case string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(r), 10, 64); err != nil {
			return 0, fail.Errorf("%q is not a whole number", r)
		}
	default:
		return 0, fail.Errorf("%v is not a whole number", raw)
	}
	if n < lo || n > hi {
		return 0, fail.Errorf("%d is out of range", n)
	}
	return n, nil
}

// nearest is the known key closest to k by edit distance, if it is close
// enough to be a typo (a third of k's length, at least 2 edits).
func nearest(k string, fields map[string]any) string {
	best, bestD := "", max(2, len(k)/3)+1
	for f := range fields {
		if d := text.Distance(k, f); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	return best
}

// Nearest is the name in names closest to k, if it is close enough to be
// a typo of it (for flags: --userid is --user-id).
func Nearest(k string, names []string) string {
	m := make(map[string]any, len(names))
	for _, n := range names {
		m[n] = nil
	}
	return nearest(k, m)
}
