package cli

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
)

// TestFlagsMakeOptions: each command's flags and arguments land in its
// options struct, seen through Factory.runHook without running anything
// (no store, no prompt): the wiring of every command, apart from what it
// does.
func TestFlagsMakeOptions(t *testing.T) {
	for _, c := range []struct {
		args string
		want any
	}{
		{"account show", &accountShowOptions{}},
		{"account set --name Ann --nickname ann", &setOptions{name: "Ann", nickname: "ann"}},
		{"account password", &passwordOptions{}},
		{"account create --user-id bob --name Bob --admin", &createOptions{n: account.Profile{UserID: "bob", Name: "Bob"}, admin: true}},
		{"account activity -n 7", &activityOptions{limit: 7}},
		{"account activity", &activityOptions{limit: 50}}, // the contract's default
		{"contact verify email a@example.com --code 123456", &verifyOptions{kind: "email", address: "a@example.com", code: "123456"}},
		{"contact verify phone 010-1234-5678 --send-only", &verifyOptions{kind: "phone", address: "010-1234-5678", sendOnly: true}},
		{"otp register --begin --qr half", &registerOptions{qr: "half", begin: true}},
		{"otp register --code 123456 --qr-invert --show-uri", &registerOptions{qr: "auto", code: "123456", invert: true, showURI: true}},
		{"otp delete --recovery-code abcd-efgh-ijkm-npqr", &otpDeleteOptions{sf: secondFactorFlags{recovery: "abcd-efgh-ijkm-npqr"}}},
		{"otp delete --name old-phone --otp 123456", &otpDeleteOptions{name: "old-phone", sf: secondFactorFlags{otp: "123456"}}},
		{"otp register --name new-phone", &registerOptions{qr: "auto", name: "new-phone"}},
		{"otp list", &otpListOptions{}},
		{"otp recovery-codes --otp 123456", &recoveryCodesOptions{sf: secondFactorFlags{otp: "123456"}}},
		{"org show", &orgShowOptions{}},
		{"org set --nicknames=true --policy session.ttl=1h --policy security.lockout_threshold=3", &orgSetOptions{nicknames: true, policy: []string{"session.ttl=1h", "security.lockout_threshold=3"}}},
		{"login --user-id alice --otp 123456", &loginOptions{userID: "alice", sf: secondFactorFlags{otp: "123456"}}},
		{"login --passkey --no-browser", &loginOptions{sf: secondFactorFlags{passkey: true, noBrowser: true}}},
		{"passkey register --name yubikey --passkey --end-other-sessions", &passkeyRegisterOptions{name: "yubikey", sf: secondFactorFlags{passkey: true}, endOthers: endOthersFlag{true}}},
		{"passkey list", &passkeyListOptions{}},
		{"logout", &logoutOptions{}},
		{"logout --all", &logoutOptions{all: true}},
		{"whoami", &whoamiOptions{}},
		{"init --org-name Acme --user-id alice --name Alice --org-nicknames", &initOptions{orgName: "Acme", orgNicknames: true, profile: account.Profile{UserID: "alice", Name: "Alice"}}},
		{"store backup b.db --force", &backupOptions{file: "b.db", force: true}},
		{"store check", &checkOptions{}},
		{"store import b.db", &importOptions{file: "b.db"}},
		{"version", &versionOptions{}},
	} {
		io, _, _ := Test("")
		root, f := newRoot(io)
		var got any
		f.runHook = func(o any) error { got = o; return nil }
		root.SetArgs(strings.Fields(c.args))
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", c.args, err)
		}
		if reflect.TypeOf(got) != reflect.TypeOf(c.want) {
			t.Fatalf("%s ran with %T, want %T", c.args, got, c.want)
		}
		if d := diffOptions(got, c.want); d != "" {
			t.Errorf("%s: %s", c.args, d)
		}
	}
}

// diffOptions compares the fields of two options structs that tests set
// (strings, bools, ints, string lists, and structs of them such as an
// account.Profile), ignoring deps, funcs and byte slices.
func diffOptions(got, want any) string {
	return diffFields("", reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
}

func diffFields(path string, gv, wv reflect.Value) string {
	for i := 0; i < gv.NumField(); i++ {
		name := path + gv.Type().Field(i).Name
		g, w := gv.Field(i), wv.Field(i)
		switch g.Kind() {
		case reflect.Struct:
			if d := diffFields(name+".", g, w); d != "" {
				return d
			}
		case reflect.Slice:
			if g.Type().Elem().Kind() == reflect.Uint8 {
				continue // a password: never set by a flag
			}
			fallthrough
		case reflect.String, reflect.Bool, reflect.Int:
			if gs, ws := fmt.Sprint(g), fmt.Sprint(w); gs != ws {
				return fmt.Sprintf("%s = %s, want %s", name, gs, ws)
			}
		}
	}
	return ""
}

// TestEveryKeyHasHelp: every configuration key has its entry in `help
// environment` (keyHelp), and keyHelp names no key there is not.
func TestEveryKeyHasHelp(t *testing.T) {
	defaults := config.Defaults()
	for k := range defaults {
		if keyHelp[k].meaning == "" && account.PolicyHelp(k) == "" {
			t.Errorf("%s has no help (keyHelp)", k)
		}
	}
	for k := range keyHelp {
		if account.PolicyHelp(k) != "" {
			t.Errorf("keyHelp names %s, which the policy's table says", k)
		}
		if _, ok := defaults[k]; !ok {
			t.Errorf("keyHelp names %s, which is no configuration key", k)
		}
	}
	out := strings.Join(strings.Fields(mustKC(t, "", "help", "environment")), " ")
	if strings.Contains(out, "the configuration key") || !strings.Contains(out, "default 12h") || !strings.Contains(out, "the flag --store wins over it") {
		t.Errorf("help environment:\n%s", out)
	}
}
