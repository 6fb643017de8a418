package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/kcloud/kcloud/internal/fail"
)

func load(t *testing.T, yaml string, env map[string]string, flags map[string]*pflag.Flag) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if yaml != "" {
		os.WriteFile(file, []byte(yaml), 0o600)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return Load(file, false, flags)
}

func TestDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	c, err := load(t, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Path != "/home/u/.local/share/kcloud/kcloud.db" || c.Store.LockTimeout != 5*time.Second ||
		c.Session.TTL != 12*time.Hour || c.OTP.Issuer != "KakaoCloud" || c.Verification.MaxAttempts != 5 ||
		c.Delivery.Email.SMTP.Port != 587 || c.Delivery.Email.SMTP.TLS != "starttls" ||
		c.Delivery.Outbox.Dir != "/home/u/.local/state/kcloud/outbox" || c.Output != "text" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("output", "", "")
	flags := map[string]*pflag.Flag{"output": fs.Lookup("output")}
	yaml := "output: yaml\nsession:\n  ttl: 1h\n"
	c, _ := load(t, yaml, nil, flags)
	if c.Output != "yaml" || c.Session.TTL != time.Hour {
		t.Fatalf("file: %q %v", c.Output, c.Session.TTL)
	}
	c, _ = load(t, yaml, map[string]string{"KCLOUD_OUTPUT": "json", "KCLOUD_SESSION_TTL": "2h"}, flags)
	if c.Output != "json" || c.Session.TTL != 2*time.Hour {
		t.Fatalf("environment over file: %q %v", c.Output, c.Session.TTL)
	}
	fs.Set("output", "text")
	c, _ = load(t, yaml, map[string]string{"KCLOUD_OUTPUT": "json"}, flags)
	if c.Output != "text" {
		t.Fatalf("flag over environment: %q", c.Output)
	}
}

func TestListsAndMaps(t *testing.T) {
	yaml := `delivery:
  email:
    command: [msmtp, -t, --account, "my account"]
  sms:
    webhook:
      headers:
        Authorization: Bearer x
`
	c, err := load(t, yaml, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Delivery.Email.Command, "|") != "msmtp|-t|--account|my account" {
		t.Fatalf("argv from the file: %q", c.Delivery.Email.Command)
	}
	if c.Delivery.SMS.Webhook.Headers["authorization"] != "Bearer x" {
		t.Fatalf("headers from the file: %v", c.Delivery.SMS.Webhook.Headers)
	}
	c, err = load(t, "", map[string]string{
		"KCLOUD_DELIVERY_SMS_COMMAND":         "send-sms --fast",
		"KCLOUD_DELIVERY_SMS_WEBHOOK_HEADERS": `{"X-Key": "k"}`,
	}, nil)
	if err != nil || strings.Join(c.Delivery.SMS.Command, "|") != "send-sms|--fast" || c.Delivery.SMS.Webhook.Headers["X-Key"] != "k" {
		t.Fatalf("from the environment: %v %+v", err, c.Delivery.SMS)
	}
}

func TestBadValues(t *testing.T) {
	for env, want := range map[string]string{
		"KCLOUD_SESSION_TTL":                  "session.ttl",
		"KCLOUD_VERIFICATION_MAX_ATTEMPTS":    "verification.max_attempts",
		"KCLOUD_SECURITY_ARGON2_THREADS":      "security.argon2.threads",
		"KCLOUD_DELIVERY_EMAIL_SMTP_TLS":      "delivery.email.smtp.tls",
		"KCLOUD_DELIVERY_SMS_WEBHOOK_HEADERS": "delivery.sms.webhook.headers",
		"KCLOUD_OTP_ISSUER":                   "otp.issuer",
	} {
		bad := map[string]string{"KCLOUD_SESSION_TTL": "forever", "KCLOUD_VERIFICATION_MAX_ATTEMPTS": "0",
			"KCLOUD_SECURITY_ARGON2_THREADS": "300", "KCLOUD_DELIVERY_EMAIL_SMTP_TLS": "ssl",
			"KCLOUD_DELIVERY_SMS_WEBHOOK_HEADERS": "[1]", "KCLOUD_OTP_ISSUER": "a:b"}[env]
		t.Run(env, func(t *testing.T) {
			_, err := load(t, "", map[string]string{env: bad}, nil)
			if fail.KindOf(err) != fail.Usage || !strings.Contains(err.Error(), want) {
				t.Errorf("%s=%s: %v", env, bad, err)
			}
		})
	}
	_, err := load(t, "sesion:\n  ttl: 1h\n", nil, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown key "sesion.ttl"`) {
		t.Errorf("a typo in the file: %v", err)
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	os.WriteFile(file, []byte("store:\n  path: data/k.db\n"), 0o600)
	c, err := Load(file, true, nil)
	if err != nil || c.Store.Path != filepath.Join(dir, "data/k.db") {
		t.Fatalf("relative to the file: %q, %v", c.Store.Path, err)
	}
	t.Setenv("KCLOUD_STORE_PATH", "here.db")
	c, _ = Load(file, true, nil)
	if c.Store.Path != "here.db" {
		t.Fatalf("from the environment, as given: %q", c.Store.Path)
	}
}

func FuzzSet(f *testing.F) {
	for _, s := range []string{"10m", "5", "-1", "a b c", `{"a":"b"}`, "9999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var (
			d  time.Duration
			n  int
			u8 uint8
			l  []string
			m  map[string]string
		)
		for _, dst := range []any{&d, &n, &u8, &l, &m} {
			set(dst, s) // must not panic; errors are the point
		}
		if err := set(&u8, s); err == nil && strings.TrimSpace(s) != "" {
			if v, _ := integer(s, 0, 255); uint8(v) != u8 {
				t.Fatalf("set(uint8, %q) = %d", s, u8)
			}
		}
	})
}

// TestHostileConfiguredStrings: the issuer and the sender reach a terminal
// and a mail header; line ends, escapes and bidi overrides are refused
// (security rules 8 and 12; findings 12 and 13).
func TestHostileConfiguredStrings(t *testing.T) {
	for env, bad := range map[string][]string{
		"KCLOUD_OTP_ISSUER":          {"Kakao\u202eCloud", "Kakao\u009b31mCloud", "\u3164", "a\x1b]0;x\x07"},
		"KCLOUD_DELIVERY_EMAIL_FROM": {"kcloud@x\r\nBcc: evil@example.com", "kcloud@x\nBcc: e@x", "not an address", "\u202ekcloud@x"},
	} {
		for _, v := range bad {
			t.Run(env, func(t *testing.T) {
				if _, err := load(t, "", map[string]string{env: v}, nil); fail.KindOf(err) != fail.Usage {
					t.Errorf("%s=%q: %v; want a usage error", env, v, err)
				}
			})
		}
	}
	for _, v := range []string{"kcloud@example.com", "kcloud <kcloud@example.com>"} {
		t.Run("good", func(t *testing.T) {
			if _, err := load(t, "", map[string]string{"KCLOUD_DELIVERY_EMAIL_FROM": v}, nil); err != nil {
				t.Errorf("from %q: %v", v, err)
			}
		})
	}
}

// TestConfigFileOthersCanWrite: a config file another user could write
// names programs kcloud would run; it is refused (security rule 9;
// finding 4).
func TestConfigFileOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	os.WriteFile(file, []byte("delivery:\n  email:\n    method: command\n    command: [touch, pwned]\n"), 0o600)
	os.Chmod(file, 0o666)
	_, err := Load(file, true, nil)
	if err == nil || !strings.Contains(err.Error(), "other users can write it") {
		t.Fatalf("a 0666 config: %v; want it refused", err)
	}
	// Reached through a symlink in a safe place: judged where it resolves.
	os.Chmod(file, 0o600)
	os.Chmod(dir, 0o777)
	link := filepath.Join(t.TempDir(), "config.yaml")
	os.Symlink(file, link)
	_, err = Load(link, true, nil)
	if err == nil || !strings.Contains(err.Error(), "other users can write its directory") {
		t.Fatalf("a config in a 0777 directory, through a symlink: %v; want it refused", err)
	}
	os.Chmod(dir, 0o700)
	if _, err := Load(link, true, nil); err != nil {
		t.Fatalf("the same file made safe: %v", err)
	}
}

func TestEtcd(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_STATE_HOME", "")
	// The defaults, and endpoints from the environment, comma-separated.
	c, err := load(t, "store:\n  backend: etcd\n", map[string]string{
		"KCLOUD_STORE_ETCD_ENDPOINTS": "https://etcd1.example.com:2379, https://etcd2.example.com:2379,",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Store.Etcd
	if strings.Join(e.Endpoints, " ") != "https://etcd1.example.com:2379 https://etcd2.example.com:2379" ||
		e.Prefix != "/kcloud/" || e.DialTimeout != 5*time.Second || e.RequestTimeout != 10*time.Second ||
		c.Session.Path != "/home/u/.local/state/kcloud/session.db" {
		t.Fatalf("etcd settings: %+v, session.path %q", e, c.Session.Path)
	}
	// From the file: a list, a prefix without its slash, paths relative
	// to the file.
	c, err = load(t, "store:\n  backend: etcd\n  etcd:\n    endpoints: [http://127.0.0.1:2379, 'http://[::1]:2379']\n"+
		"    prefix: /acme\n    username: alice\n    password_file: etcd.pw\n", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Store.Etcd.Endpoints) != 2 || c.Store.Etcd.Prefix != "/acme/" || !filepath.IsAbs(c.Store.Etcd.PasswordFile) {
		t.Fatalf("etcd settings from the file: %+v", c.Store.Etcd)
	}
	for _, bad := range []struct{ env map[string]string }{
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": ""}},                           // no endpoint
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "http://10.0.0.1:2379"}},       // plain http off loopback
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "http://localhost.evil:2379"}}, // not loopback
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://u:p@etcd:2379"}},      // credentials in the URL
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://etcd:2379/v3/kv"}},    // a path
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "etcd:2379"}},                  // no scheme
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://etcd"}},               // no port
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://etcd:2379\x1b[2J"}},   // a terminal escape
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://e:1", "KCLOUD_STORE_ETCD_USERNAME": "alice"}},
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://e:1", "KCLOUD_STORE_ETCD_CERT_FILE": "c.pem"}},
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://e:1", "KCLOUD_STORE_ETCD_REQUEST_TIMEOUT": "0s"}},
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://e:1", "KCLOUD_STORE_ETCD_PREFIX": "/a\x1bb/"}},
		{map[string]string{"KCLOUD_STORE_ETCD_ENDPOINTS": "https://e:1", "KCLOUD_STORE_BACKEND": "consul"}},
	} {
		env := map[string]string{"KCLOUD_STORE_BACKEND": "etcd"}
		for k, v := range bad.env {
			env[k] = v
		}
		t.Run("", func(t *testing.T) {
			_, err := load(t, "", env, nil)
			if fail.KindOf(err) != fail.Usage {
				t.Errorf("%q: %v, want a usage error", bad.env, err)
			}
		})
	}
}

// TestLoadWithoutFile: with no file, each key is its flag, else its
// variable (an empty one counts as unset, as viper has it), else its
// default; a bad value names its source.
func TestLoadWithoutFile(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"} {
		t.Setenv(k, "")
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		flags   map[string]string
		want    func(c *Config) bool
		wantErr string
	}{
		{name: "nothing set", want: func(c *Config) bool {
			return c.Output == "text" && c.Store.Path == "/home/u/.local/share/kcloud/kcloud.db" && len(c.Set) == 0 &&
				c.source("output").In(fail.English) == "the default"
		}},
		{name: "flags", flags: map[string]string{"output": "json", "store": "~/s.db"}, want: func(c *Config) bool {
			return c.Output == "json" && c.Store.Path == "/home/u/s.db" && c.Set["output"] && c.Set["store.path"] &&
				c.source("output").In(fail.English) == "from --output"
		}},
		{name: "variables", env: map[string]string{
			"KCLOUD_SESSION_TTL": "1h", "KCLOUD_OUTPUT": "yaml", "KCLOUD_STORE_PATH": "rel/s.db",
			"KCLOUD_DELIVERY_SMS_COMMAND": "send-sms --fast", "KCLOUD_DELIVERY_SMS_WEBHOOK_HEADERS": `{"X-Key": "k"}`,
			"KCLOUD_STORE_ETCD_ENDPOINTS": "http://127.0.0.1:2379,http://127.0.0.1:2380", "KCLOUD_SECURITY_ARGON2_TIME": "3",
			"KCLOUD_NOTIFY_SECURITY_ALERTS": "false", "KCLOUD_OTP_ISSUER": "",
		}, want: func(c *Config) bool {
			return c.Session.TTL == time.Hour && c.Output == "yaml" && c.Store.Path == "rel/s.db" &&
				reflect.DeepEqual(c.Delivery.SMS.Command, []string{"send-sms", "--fast"}) &&
				reflect.DeepEqual(c.Delivery.SMS.Webhook.Headers, map[string]string{"X-Key": "k"}) &&
				len(c.Store.Etcd.Endpoints) == 2 && c.Security.Argon2.Time == 3 && !c.Notify.SecurityAlerts &&
				c.OTP.Issuer == "KakaoCloud" && !c.Set["otp.issuer"] && c.source("session.ttl").In(fail.English) == "from KCLOUD_SESSION_TTL"
		}},
		{name: "a flag over its variable", env: map[string]string{"KCLOUD_OUTPUT": "yaml"}, flags: map[string]string{"output": "json"},
			want: func(c *Config) bool { return c.Output == "json" }},
		{name: "a bad variable", env: map[string]string{"KCLOUD_VERIFICATION_MAX_ATTEMPTS": "many"},
			wantErr: `configuration: verification.max_attempts (from KCLOUD_VERIFICATION_MAX_ATTEMPTS): "many" is not a whole number`},
		{name: "a bad flag", flags: map[string]string{"output": "xml"},
			wantErr: `configuration: output (from --output): "xml" is not one of text, json, yaml`},
		{name: "a bad group", env: map[string]string{"KCLOUD_SECURITY_ARGON2_MEMORY": "1024"},
			wantErr: "configuration: security.argon2 (from KCLOUD_SECURITY_ARGON2_MEMORY)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			fs.String("output", "", "")
			fs.String("store", "", "")
			for k, v := range tc.flags {
				fs.Set(k, v)
			}
			flags := map[string]*pflag.Flag{"output": fs.Lookup("output"), "store.path": fs.Lookup("store")}
			c, err := Load("/nonexistent/config.yaml", false, flags)
			if tc.wantErr != "" {
				if fail.KindOf(err) != fail.Usage || !strings.HasPrefix(fmt.Sprint(err), tc.wantErr) {
					t.Fatalf("error %v, want a usage error starting %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(c) {
				t.Fatalf("unexpected configuration:\n%+v\nset: %v", c, c.Set)
			}
		})
	}
}

// BenchmarkLoad is what reading the configuration costs every command: no
// file (flags, variables and defaults), and a small file.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte("output: json\nsession:\n  ttl: 1h\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, file string }{{"no-file", filepath.Join(dir, "none.yaml")}, {"file", file}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(bc.file, false, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWebhookURL: the SMS webhook carries codes and an API key: https,
// or plain http only to loopback; the refusal does not quote the URL,
// whose path may hold a token (issue 24, finding 3).
func TestWebhookURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://sms.example.com/send":            true,
		"http://127.0.0.1:8080/sms":               true,
		"http://localhost/sms":                    true,
		"http://[::1]:9/sms":                      true,
		"http://sms.example.com/send?token=SECRT": false,
		"http://10.0.0.5/sms":                     false,
		"ftp://sms.example.com/":                  false,
		"sms.example.com/send":                    false,
	} {
		_, err := load(t, "", map[string]string{"KCLOUD_DELIVERY_SMS_WEBHOOK_URL": u}, nil)
		if ok != (err == nil) {
			t.Errorf("%s: %v", u, err)
		}
		if err != nil && (fail.KindOf(err) != fail.Usage || strings.Contains(err.Error(), "SECRT") || !strings.Contains(err.Error(), "delivery.sms.webhook.url")) {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestFileBounded: the file is read at most MaxFileSize bytes, and one
// nested deeper than MaxDepth is refused before YAML decodes it (issue
// 24, finding 2: a 1 GiB file ran whoami past 512 MiB; 1,400 nested
// mappings took 6.9 s).
func TestFileBounded(t *testing.T) {
	nested := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.Repeat(" ", i) + "k:\n")
		}
		return b.String()
	}
	flow := "output: " + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "\n"
	flowLines := "output:\n" + strings.Repeat("[\n", 20) + strings.Repeat("]\n", 20)
	for name, c := range map[string]struct {
		yaml string
		want string
	}{
		"too large":     {"# " + strings.Repeat("x", MaxFileSize) + "\n", "larger than 64 KiB"},
		"block nesting": {nested(MaxDepth + 1), "nested"},
		"deep nesting":  {nested(1400)[:MaxFileSize-100], "nested"},
		"flow nesting":  {flow, "nested"},
		"flow on lines": {flowLines, "nested"},
	} {
		_, err := load(t, c.yaml, nil, nil)
		if fail.KindOf(err) != fail.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	ok := `output: json
delivery:
  sms:
    method: webhook
    webhook:
      url: https://sms.example.com/send # {not [a bracket
      headers:
        X-Api-Key: "a [quoted] {value}"
otp:
  issuer: "Acme's [cloud]"
`
	if _, err := load(t, ok, nil, nil); err != nil {
		t.Errorf("a file at kcloud's own depth: %v", err)
	}
	if d := yamlDepth([]byte(ok)); d != 5 {
		t.Errorf("yamlDepth of kcloud's deepest keys = %d, want 5", d)
	}
}
