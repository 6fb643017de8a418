// Package config reads kcloud's configuration into one struct.
// Precedence: flag, environment (KCLOUD_ and the key in upper case with
// '.' as '_'), config file, default, all layered by one viper instance.
package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/text"
)

// Config is every configuration key of the contract.
type Config struct {
	Store struct {
		Backend     string        `mapstructure:"backend"`
		Path        string        `mapstructure:"path"`
		LockTimeout time.Duration `mapstructure:"lock_timeout"`
		Etcd        Etcd          `mapstructure:"etcd"`
	} `mapstructure:"store"`
	Output  string `mapstructure:"output"`
	Session struct {
		TTL  time.Duration `mapstructure:"ttl"`
		Path string        `mapstructure:"path"`
	} `mapstructure:"session"`
	OTP struct {
		Issuer string `mapstructure:"issuer"`
	} `mapstructure:"otp"`
	Passkey struct {
		// Timeout ends a passkey ceremony nobody finished.
		Timeout time.Duration `mapstructure:"timeout"`
	} `mapstructure:"passkey"`
	UI struct {
		// Language is auto, en or ko (Language resolves auto).
		Language string `mapstructure:"language"`
	} `mapstructure:"ui"`
	Notify struct {
		SecurityAlerts bool `mapstructure:"security_alerts"`
	} `mapstructure:"notify"`
	Verification struct {
		CodeTTL     time.Duration `mapstructure:"code_ttl"`
		ResendAfter time.Duration `mapstructure:"resend_after"`
		MaxAttempts int           `mapstructure:"max_attempts"`
	} `mapstructure:"verification"`
	Security struct {
		LockoutThreshold int           `mapstructure:"lockout_threshold"`
		LockoutDuration  time.Duration `mapstructure:"lockout_duration"`
		Argon2           struct {
			Memory  uint32 `mapstructure:"memory"`
			Time    uint32 `mapstructure:"time"`
			Threads uint8  `mapstructure:"threads"`
		} `mapstructure:"argon2"`
	} `mapstructure:"security"`
	// Set names the keys given by this machine (a flag, the environment
	// or the file) rather than by default: the security policy counts a
	// local value only where one was given.
	Set map[string]bool `mapstructure:"-"`
	// source says where a key's value came from, for error messages.
	source func(key string) fail.Message

	Delivery struct {
		Email struct {
			Method string `mapstructure:"method"`
			From   string `mapstructure:"from"`
			SMTP   struct {
				Host         string `mapstructure:"host"`
				Port         int    `mapstructure:"port"`
				Username     string `mapstructure:"username"`
				PasswordFile string `mapstructure:"password_file"`
				TLS          string `mapstructure:"tls"`
			} `mapstructure:"smtp"`
			Command []string `mapstructure:"command"`
		} `mapstructure:"email"`
		SMS struct {
			Method  string `mapstructure:"method"`
			Webhook struct {
				URL     string            `mapstructure:"url"`
				Headers map[string]string `mapstructure:"headers"`
			} `mapstructure:"webhook"`
			Command []string `mapstructure:"command"`
		} `mapstructure:"sms"`
		Outbox struct {
			Dir string `mapstructure:"dir"`
		} `mapstructure:"outbox"`
	} `mapstructure:"delivery"`
}

// Etcd is where an organization's shared directory lives.
type Etcd struct {
	Endpoints      []string      `mapstructure:"endpoints"`
	Prefix         string        `mapstructure:"prefix"`
	Username       string        `mapstructure:"username"`
	PasswordFile   string        `mapstructure:"password_file"`
	CAFile         string        `mapstructure:"ca_file"`
	CertFile       string        `mapstructure:"cert_file"`
	KeyFile        string        `mapstructure:"key_file"`
	DialTimeout    time.Duration `mapstructure:"dial_timeout"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
}

// Argon2 returns the configured Argon2id parameters.
func (c *Config) Argon2() secret.Params {
	a := c.Security.Argon2
	return secret.Params{Memory: a.Memory, Time: a.Time, Threads: a.Threads}
}

// Defaults lists every key with its default. Keys without one are "".
func Defaults() map[string]any {
	return map[string]any{
		"store.backend":                     "bbolt",
		"store.path":                        filepath.Join(DataHome(), "kcloud", "kcloud.db"),
		"store.lock_timeout":                "5s",
		"store.etcd.endpoints":              []string{},
		"store.etcd.prefix":                 "/kcloud/",
		"store.etcd.username":               "",
		"store.etcd.password_file":          "",
		"store.etcd.ca_file":                "",
		"store.etcd.cert_file":              "",
		"store.etcd.key_file":               "",
		"store.etcd.dial_timeout":           "5s",
		"store.etcd.request_timeout":        "10s",
		"session.path":                      filepath.Join(StateHome(), "kcloud", "session.db"),
		"output":                            "text",
		"session.ttl":                       short(account.DefaultPolicy.SessionTTL),
		"otp.issuer":                        "KakaoCloud",
		"passkey.timeout":                   "2m",
		"ui.language":                       "auto",
		"verification.code_ttl":             short(account.DefaultPolicy.CodeTTL),
		"verification.resend_after":         short(account.DefaultPolicy.ResendAfter),
		"verification.max_attempts":         account.DefaultPolicy.MaxAttempts,
		"security.lockout_threshold":        account.DefaultPolicy.LockoutThreshold,
		"security.lockout_duration":         short(account.DefaultPolicy.LockoutDuration),
		"security.argon2.memory":            secret.Minimum.Memory,
		"security.argon2.time":              secret.Minimum.Time,
		"security.argon2.threads":           secret.Minimum.Threads,
		"delivery.email.method":             "outbox",
		"delivery.email.from":               "kcloud@localhost",
		"delivery.email.smtp.host":          "",
		"delivery.email.smtp.port":          587,
		"delivery.email.smtp.username":      "",
		"delivery.email.smtp.password_file": "",
		"delivery.email.smtp.tls":           "starttls",
		"delivery.email.command":            []string{},
		"delivery.sms.method":               "outbox",
		"delivery.sms.webhook.url":          "",
		"delivery.sms.webhook.headers":      map[string]string{},
		"delivery.sms.command":              []string{},
		"delivery.outbox.dir":               filepath.Join(StateHome(), "kcloud", "outbox"),
		"notify.security_alerts":            true,
	}
}

// short is d as a configuration file writes it: "12h", not "12h0m0s".
// The policy's keys take their defaults from account.DefaultPolicy, so
// that each default is written once.
func short(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// EnvName is the environment variable that sets key.
func EnvName(key string) string {
	return "KCLOUD_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// File returns the config file to read: explicit (from --config or
// KCLOUD_CONFIG) if set, else the XDG default.
func File(explicit string) (path string, mustExist bool) {
	if explicit != "" {
		return explicit, true
	}
	if env := os.Getenv("KCLOUD_CONFIG"); env != "" {
		return env, true
	}
	return filepath.Join(ConfigHome(), "kcloud", "config.yaml"), false
}

// Load reads the configuration through one viper instance: flags bound,
// the environment, the file if there is one, the defaults. flags maps
// config keys to the flags that set them; a flag counts only when it was
// given.
func Load(file string, mustExist bool, flags map[string]*pflag.Flag) (*Config, error) {
	return loadViper(file, mustExist, flags, Defaults())
}

// sources returns where a key's value came from: a flag, a variable, the
// file (inFile) or the default.
func sources(flags map[string]*pflag.Flag, file string, inFile func(string) bool) func(string) fail.Message {
	var source func(key string) fail.Message
	source = func(key string) fail.Message {
		if key == "security.argon2" { // three keys checked together
			for _, k := range []string{"memory", "time", "threads"} {
				if src := source(key + "." + k); src.Format != "the default" {
					return src
				}
			}
		}
		f := flags[key]
		switch {
		case f != nil && f.Changed:
			return fail.Message{Format: "from --%s", Args: []any{f.Name}}
		case os.Getenv(EnvName(key)) != "":
			return fail.Message{Format: "from %s", Args: []any{EnvName(key)}}
		case inFile(key):
			return fail.Message{Format: "in %s", Args: []any{file}}
		}
		return fail.Message{Format: "the default"}
	}
	return source
}

// paths are the keys that name files: "~/" is the home directory, and a
// relative path written in the config file is relative to the file.
func (c *Config) paths() map[string]*string {
	return map[string]*string{
		"store.path":                        &c.Store.Path,
		"session.path":                      &c.Session.Path,
		"store.etcd.password_file":          &c.Store.Etcd.PasswordFile,
		"store.etcd.ca_file":                &c.Store.Etcd.CAFile,
		"store.etcd.cert_file":              &c.Store.Etcd.CertFile,
		"store.etcd.key_file":               &c.Store.Etcd.KeyFile,
		"delivery.outbox.dir":               &c.Delivery.Outbox.Dir,
		"delivery.email.smtp.password_file": &c.Delivery.Email.SMTP.PasswordFile,
	}
}

// loadViper reads the flags, the environment and the file through viper.
func loadViper(file string, mustExist bool, flags map[string]*pflag.Flag, defaults map[string]any) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix("KCLOUD")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	for k, f := range flags {
		if f != nil {
			if err := v.BindPFlag(k, f); err != nil {
				return nil, err
			}
		}
	}
	if _, err := os.Stat(file); err == nil || mustExist {
		// The file names programs to run and where codes go: one that
		// another user owns or can write is not obeyed (security rule 9).
		if err := checkFile(file); err != nil {
			return nil, err
		}
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		data, err := readBounded(file)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fail.Usagef("config file %s does not exist", file)
		}
		if err != nil {
			return nil, fail.Usagef("config file %s: %v", file, err)
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, fail.Usagef("config file %s: %v", file, err)
		}
	}
	// What the file holds is asked of viper only when there is a file.
	inFile := func(string) bool { return false }
	if v.ConfigFileUsed() != "" {
		inFile = v.InConfig
	}
	var c Config
	c.source = sources(flags, file, inFile)
	if err := c.decode(v, file, inFile); err != nil {
		return nil, err
	}
	c.Set = map[string]bool{}
	for k := range c.fields() {
		f := flags[k]
		if inFile(k) || os.Getenv(EnvName(k)) != "" || (f != nil && f.Changed) {
			c.Set[k] = true
		}
	}
	// A relative path written in the config file is relative to the
	// file; one from a flag or the environment, to the working directory.
	for key, p := range c.paths() {
		*p = expandHome(*p)
		f := flags[key]
		fromFile := inFile(key) && os.Getenv(EnvName(key)) == "" && (f == nil || !f.Changed)
		if fromFile && *p != "" && !filepath.IsAbs(*p) {
			dir, _ := filepath.Abs(filepath.Dir(file))
			*p = filepath.Join(dir, *p)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	bad := func(key string, format string, args ...any) error {
		return fail.Usagef("configuration: %s (%s): %s", key, c.source(key), fail.Message{Format: format, Args: args})
	}
	oneOf := func(key, val string, allowed ...string) error {
		for _, a := range allowed {
			if val == a {
				return nil
			}
		}
		return bad(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
	}
	positive := map[string]time.Duration{
		"session.ttl":               c.Session.TTL,
		"verification.code_ttl":     c.Verification.CodeTTL,
		"security.lockout_duration": c.Security.LockoutDuration,
	}
	for k, d := range positive {
		if d <= 0 {
			return bad(k, "must be a positive duration such as 10m")
		}
	}
	switch {
	case c.Store.Path == "":
		return bad("store.path", "is empty")
	case c.Session.Path == "":
		return bad("session.path", "is empty")
	case c.Store.LockTimeout < 0:
		return bad("store.lock_timeout", "must not be negative")
	case c.Verification.ResendAfter < 0:
		return bad("verification.resend_after", "must not be negative")
	case c.Verification.MaxAttempts < 1:
		return bad("verification.max_attempts", "must be at least 1")
	case c.Security.LockoutThreshold < 1:
		return bad("security.lockout_threshold", "must be at least 1")
	case c.Passkey.Timeout < 30*time.Second || c.Passkey.Timeout > 10*time.Minute:
		return bad("passkey.timeout", "is %s; it must be from 30s to 10m", c.Passkey.Timeout)
	case strings.ContainsAny(c.OTP.Issuer, ":"):
		return bad("otp.issuer", "must not contain ':'")
	}
	if err := text.CheckConfigured(c.OTP.Issuer, 64); err != nil {
		return bad("otp.issuer", "%v", err)
	}
	if err := checkFrom(c.Delivery.Email.From); err != nil {
		return bad("delivery.email.from", "%v", err)
	}
	if err := c.Argon2().Check(); err != nil {
		return bad("security.argon2", "%v", err)
	}
	if err := oneOf("store.backend", c.Store.Backend, "bbolt", "etcd"); err != nil {
		return err
	}
	if c.Store.Backend == "etcd" {
		if err := c.Store.Etcd.check(bad); err != nil {
			return err
		}
	}
	if u := c.Delivery.SMS.Webhook.URL; u != "" {
		if err := checkWebhookURL(u); err != nil {
			return bad("delivery.sms.webhook.url", "%v", err)
		}
	}
	if err := oneOf("ui.language", c.UI.Language, append([]string{"auto"}, i18n.Tags()...)...); err != nil {
		return err
	}
	if err := oneOf("output", c.Output, "text", "json", "yaml"); err != nil {
		return err
	}
	if err := oneOf("delivery.email.method", c.Delivery.Email.Method, "outbox", "smtp", "command"); err != nil {
		return err
	}
	if err := oneOf("delivery.email.smtp.tls", c.Delivery.Email.SMTP.TLS, "starttls", "tls", "none"); err != nil {
		return err
	}
	return oneOf("delivery.sms.method", c.Delivery.SMS.Method, "outbox", "webhook", "command")
}
