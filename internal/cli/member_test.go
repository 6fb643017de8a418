package cli

import (
	"encoding/base32"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/otp"
)

const bobPassword = "quiet river at dawn"

// registerOTP registers an authenticator for the session's account, whose
// password is pw, and returns its secret and recovery codes.
func registerOTP(t *testing.T, pw string) ([]byte, []string) {
	t.Helper()
	begin := jsonOf(t, mustKC(t, pw+"\n", "otp", "register", "--begin", "--password-stdin", "-o", "json"))
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(begin["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	out := mustKC(t, pw+"\n", "otp", "register", "--code", otp.CodeAt(secret, otp.StepAt(time.Now())), "--password-stdin", "-o", "json")
	if err := json.Unmarshal([]byte(out), &reg); err != nil {
		t.Fatal(err)
	}
	return secret, reg.RecoveryCodes
}

// newestOutbox is the newest email in this HOME's outbox.
func newestOutbox(t *testing.T) string { return newestOutboxFile(t, ".eml") }

// newestOutboxSMS is the newest SMS in this HOME's outbox.
func newestOutboxSMS(t *testing.T) string { return newestOutboxFile(t, ".txt") }

// newestOutboxFile is the newest message with the extension ext in this
// HOME's outbox.
func newestOutboxFile(t *testing.T, ext string) string {
	t.Helper()
	msgs, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), ".local", "state", "kcloud", "outbox", "*"+ext))
	var newest string
	var at time.Time
	for _, m := range msgs {
		if fi, err := os.Stat(m); err == nil && !fi.ModTime().Before(at) {
			newest, at = m, fi.ModTime()
		}
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatalf("no %s message in the outbox: %v", ext, err)
	}
	return string(b)
}

var resetCodeIn = regexp.MustCompile(`reset code is ([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})`)

// TestMemberCommands runs every member command in-process, from flags to
// output: the admin's list and page, each action with its JSON and its
// words, the refusals, and a reset used through account recover.
func TestMemberCommands(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	mustKC(t, pw+bobPassword+"\n", "member", "create", "--user-id", "bob", "--name", "Bob Lee", "--password-stdin")

	var list []map[string]any
	if err := json.Unmarshal([]byte(mustKC(t, pw, "member", "list", "--password-stdin", "-o", "json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("member list: %v %v", list, err)
	}
	if list[1]["user_id"] != "bob" || list[1]["admin"] != false || list[1]["locked_until"] != nil || list[1]["last_login_at"] != nil {
		t.Fatalf("bob in the list: %v", list[1])
	}
	if out := mustKC(t, pw, "member", "list", "--password-stdin"); !regexp.MustCompile(`(?m)^bob +Bob Lee +no +no +- +no +-$`).MatchString(out) {
		t.Fatalf("member list in text:\n%s", out)
	}
	if page := jsonOf(t, mustKC(t, pw, "member", "show", "bob", "--password-stdin", "-o", "json")); page["name"] != "Bob Lee" {
		t.Fatalf("member show: %v", page)
	}
	if out := mustKC(t, pw, "member", "show", "bob", "--password-stdin"); !strings.Contains(out, "Bob Lee") {
		t.Fatalf("member show in text:\n%s", out)
	}
	wantExit(t, ExitFailure, pw, "member", "show", "nobody", "--password-stdin")
	wantExit(t, ExitUsage, "", "member", "show", "no such!")
	if errOut := wantExit(t, ExitUsage, "", "member", "unlock"); !strings.Contains(errOut, "kcloud member unlock USER") {
		t.Fatalf("a missing USER: %s", errOut)
	}
	wantExit(t, ExitUsage, "", "member", "admin", "bob")
	wantExit(t, ExitUsage, "", "member", "admin", "bob", "--grant", "--revoke")

	// Actions without a second factor (alice has none yet): the words,
	// the JSON, a no-op.
	if _, _, errOut := kc(t, pw, "member", "unlock", "bob", "--password-stdin"); !strings.Contains(errOut, "bob was not locked and had no failed attempts; nothing changed.") {
		t.Fatalf("unlock of an unlocked member: %s", errOut)
	}
	done := jsonOf(t, mustKC(t, pw, "member", "disable", "bob", "--password-stdin", "-o", "json"))
	if done["disabled"] != true || done["changed"] != true || done["action"] != "disable" {
		t.Fatalf("member disable: %v", done)
	}
	if errOut := wantExit(t, ExitLocked, bobPassword+"\n", "login", "--user-id", "bob", "--password-stdin"); !strings.Contains(errOut, "hint: an admin can enable it again") {
		t.Fatalf("a disabled member's login: %s", errOut)
	}
	mustKC(t, pw, "login", "--user-id", "alice", "--password-stdin")
	mustKC(t, pw, "member", "enable", "bob", "--password-stdin")
	if done := jsonOf(t, mustKC(t, pw, "member", "admin", "bob", "--grant", "--password-stdin", "-o", "json")); done["admin"] != true || done["action"] != "admin --grant" {
		t.Fatalf("admin --grant: %v", done)
	}
	if _, _, errOut := kc(t, pw, "member", "admin", "bob", "--grant", "--password-stdin"); !strings.Contains(errOut, "bob was already an admin; nothing changed.") {
		t.Fatalf("a second grant: %s", errOut)
	}
	mustKC(t, pw, "member", "admin", "bob", "--revoke", "--password-stdin")

	// The refusals: exit 2, with the reason and the hint.
	if errOut := wantExit(t, ExitUsage, "", "member", "disable", "alice"); !strings.Contains(errOut, "an admin cannot disable their own account") {
		t.Fatalf("disabling oneself: %s", errOut)
	}
	if errOut := wantExit(t, ExitUsage, "", "member", "admin", "alice", "--revoke"); !strings.Contains(errOut, "hint: make another member an admin first") {
		t.Fatalf("revoking the last admin: %s", errOut)
	}

	// Step-up: with an authenticator, the action asks for a code after
	// the password; on stdin it is the next line.
	_, codes := registerOTP(t, testPassword)
	if errOut := wantExit(t, ExitUsage, pw, "member", "reset-otp", "bob", "--password-stdin"); !strings.Contains(errOut, "standard input ended before the OTP code") {
		t.Fatalf("no second factor: %s", errOut)
	}
	wantExit(t, ExitAuth, pw, "member", "reset-otp", "bob", "--password-stdin", "--otp", "000000")
	mustKC(t, pw+codes[0]+"\n", "member", "reset-otp", "bob", "--password-stdin")

	// A printed reset code, used by the member.
	out := mustKC(t, pw, "member", "reset-password", "bob", "--password-stdin", "--recovery-code", codes[1])
	code := strings.TrimSpace(out)
	if !regexp.MustCompile(`^[a-z2-9]{4}(-[a-z2-9]{4}){3}$`).MatchString(code) {
		t.Fatalf("reset-password printed %q", out)
	}
	mustKC(t, "", "logout")
	if errOut := wantExit(t, ExitLocked, bobPassword+"\n", "login", "--user-id", "bob", "--password-stdin"); !strings.Contains(errOut, "recover --reset-code") {
		t.Fatalf("the old password after a reset: %s", errOut)
	}
	// The code is never on argv, and a refusal never repeats it.
	for _, args := range [][]string{{"--reset-code=" + code}, {"--reset-code", code}, {"--reset-code", "--send-only"}} {
		if errOut := wantExit(t, ExitUsage, "", append([]string{"account", "recover", "--user-id", "bob"}, args...)...); strings.Contains(errOut, code) {
			t.Fatalf("recover %v repeats the code: %s", args, errOut)
		}
	}
	newBob := "a fresh start for the member\n"
	wantExit(t, ExitUsage, "not a code\n"+newBob, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin")
	wantExit(t, ExitAuth, "aaaa-bbbb-cccc-dddd\n"+newBob, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin")
	if _, _, errOut := kc(t, code+"\n"+newBob, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin"); !strings.Contains(errOut, "Password set for bob") {
		t.Fatalf("recover --reset-code: %s", errOut)
	}
	wantExit(t, ExitAuth, code+"\n"+newBob, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin")

	// A member is refused every admin command.
	mustKC(t, newBob, "login", "--user-id", "bob", "--password-stdin")
	for _, args := range [][]string{{"list"}, {"show", "alice"}, {"unlock", "alice"}, {"delete", "alice"}} {
		if errOut := wantExit(t, ExitFailure, "", append([]string{"member"}, args...)...); !strings.Contains(errOut, "kcloud: hint: ask an admin of the organization: alice\n") {
			t.Fatalf("member %s by a member: %s", args[0], errOut)
		}
	}
	mustKC(t, newBob, "contact", "verify", "email", "bob@example.com", "--send-only", "--password-stdin")
	sent := regexp.MustCompile(`\b\d{6}\b`).FindString(newestOutbox(t))
	mustKC(t, newBob, "contact", "verify", "email", "bob@example.com", "--code", sent, "--password-stdin")

	// A reset code mailed (to the outbox), and a delete.
	mustKC(t, pw, "login", "--user-id", "alice", "--recovery-code", codes[2], "--password-stdin")
	reset := jsonOf(t, mustKC(t, pw, "member", "reset-password", "bob", "--send", "--password-stdin", "--recovery-code", codes[3], "-o", "json"))
	if reset["reset_code"] != nil || reset["sent_to"] != "b***@example.com" {
		t.Fatalf("reset-password --send: %v", reset)
	}
	var m []string
	msgs, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), ".local", "state", "kcloud", "outbox", "*.eml"))
	for _, f := range msgs {
		b, _ := os.ReadFile(f)
		if found := resetCodeIn.FindStringSubmatch(string(b)); found != nil && strings.Contains(string(b), "--user-id bob") {
			m = found
		}
	}
	if m == nil {
		t.Fatalf("no message in the outbox carries the reset code")
	}
	if errOut := wantExit(t, ExitFailure, "", "member", "reset-password", "alice", "--send"); !strings.Contains(errOut, "no verified email") {
		t.Fatalf("--send without an email: %s", errOut)
	}
	if _, _, errOut := kc(t, pw, "member", "delete", "bob", "--password-stdin", "--recovery-code", codes[4]); !strings.Contains(errOut, "Deleted bob and its activity.") {
		t.Fatalf("member delete: %s", errOut)
	}
	wantExit(t, ExitFailure, pw, "member", "show", "bob", "--password-stdin")
	wantExit(t, ExitAuth, m[1]+"\n"+newBob, "account", "recover", "--user-id", "bob", "--reset-code", "--password-stdin")
}

// TestRequireOTPInProcess: under security.require_otp, a session without
// an authenticator opens otp register, whoami and logout, and nothing
// else; the policy's minimum length is checked with it.
func TestRequireOTPInProcess(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	wantExit(t, ExitUsage, pw, "org", "set", "--policy", "security.password_min_length=10", "--password-stdin")
	org := jsonOf(t, mustKC(t, pw, "org", "set", "--policy", "security.require_otp=true", "--policy", "security.password_min_length=12", "--password-stdin", "-o", "json"))
	if p := org["policy"].(map[string]any); p["security_require_otp"] != true || p["security_password_min_length"] != 12.0 {
		t.Fatalf("org set: %v", org)
	}
	mustKC(t, "", "logout")
	if _, _, errOut := kc(t, pw, "login", "--password-stdin"); !strings.Contains(errOut, "The organization requires an OTP") {
		t.Fatalf("login without the required OTP: %s", errOut)
	}
	mustKC(t, "", "whoami")
	if errOut := wantExit(t, ExitLoginRequired, pw, "account", "show", "--password-stdin"); !strings.Contains(errOut, "hint: register one with kcloud otp register") {
		t.Fatalf("a page without the required OTP: %s", errOut)
	}
	registerOTP(t, testPassword)
	mustKC(t, pw, "account", "show", "--password-stdin")
	if errOut := wantExit(t, ExitUsage, pw+"short one!\n", "account", "password", "--password-stdin"); !strings.Contains(errOut, "at least 12") {
		t.Fatalf("a new password under the minimum: %s", errOut)
	}
}

// TestRecoverInProcess: account recover through the outbox and a
// recovery code; otp list and otp recovery-codes after it.
func TestRecoverInProcess(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	if errOut := wantExit(t, ExitFailure, "", "account", "recover", "--user-id", "alice", "--send-only"); !strings.Contains(errOut, "hint: an admin can give you a reset code") {
		t.Fatalf("recover without a verified contact: %s", errOut)
	}
	mustKC(t, pw, "contact", "verify", "email", "alice@example.com", "--send-only", "--password-stdin")
	sent := regexp.MustCompile(`\b\d{6}\b`).FindString(newestOutbox(t))
	mustKC(t, pw, "contact", "verify", "email", "alice@example.com", "--code", sent, "--password-stdin")
	secret, codes := registerOTP(t, testPassword)

	wantExit(t, ExitUsage, "", "account", "recover", "--user-id", "alice", "--via", "fax")
	wantExit(t, ExitUsage, "", "account", "recover", "--user-id", "alice", "--code", "12", "--send-only")
	wantExit(t, ExitUsage, "", "account", "recover", "--user-id", "alice", "--recovery-code", "nope")
	wantExit(t, ExitUsage, "", "account", "recover", "--user-id", "alice", "--password-stdin")
	doc := jsonOf(t, mustKC(t, "", "account", "recover", "--user-id", "alice", "--send-only", "-o", "json"))
	if doc["masked"] != "a***@example.com" || doc["needs_recovery_code"] != true {
		t.Fatalf("recover --send-only: %v", doc)
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(newestOutbox(t))
	newPW := "a new phrase nobody guesses\n"
	wantExit(t, ExitAuth, newPW, "account", "recover", "--user-id", "alice", "--code", code, "--recovery-code", "aaaa-bbbb-cccc-dddd", "--password-stdin")
	done := jsonOf(t, mustKC(t, codes[0]+"\n"+newPW, "account", "recover", "--user-id", "alice", "--code", code, "--password-stdin", "-o", "json"))
	if done["recovered"] != true || done["otp_kept"] != true || done["recovery_codes_left"] != 9.0 {
		t.Fatalf("recover: %v", done)
	}
	wantExit(t, ExitLoginRequired, "", "whoami")
	next := otp.CodeAt(secret, otp.StepAt(time.Now())+1)
	mustKC(t, newPW, "login", "--user-id", "alice", "--otp", next, "--password-stdin")

	list := jsonOf(t, mustKC(t, newPW, "otp", "list", "--password-stdin", "-o", "json"))
	if list["recovery_codes_left"] != 9.0 || len(list["authenticators"].([]any)) != 1 {
		t.Fatalf("otp list: %v", list)
	}
	if out := mustKC(t, newPW, "otp", "list", "--password-stdin"); !strings.Contains(out, "app") {
		t.Fatalf("otp list in text:\n%s", out)
	}
	var fresh struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(mustKC(t, newPW, "otp", "recovery-codes", "--recovery-code", codes[1], "--password-stdin", "-o", "json")), &fresh); err != nil || len(fresh.RecoveryCodes) != 10 {
		t.Fatalf("otp recovery-codes: %v %v", fresh, err)
	}
	mustKC(t, "", "logout")
	wantExit(t, ExitAuth, newPW, "login", "--user-id", "alice", "--recovery-code", codes[2], "--password-stdin")
	mustKC(t, newPW, "login", "--user-id", "alice", "--recovery-code", fresh.RecoveryCodes[0], "--password-stdin")
}

// TestJQBounded: a --jq program that would run for ever, fill the memory
// or print without end is stopped, exit 1, saying which (issue 24,
// finding 2: 789 MiB and unbounded time). Each bound is made the one that
// stops its program by loosening the others: the machine's speed must
// not decide which comes first.
func TestJQBounded(t *testing.T) {
	initStore(t)
	defer func(d time.Duration, h uint64, o int) { jqTimeout, jqHeapLimit, jqOutputMax = d, h, o }(jqTimeout, jqHeapLimit, jqOutputMax)
	for _, c := range []struct {
		prog    string
		timeout time.Duration
		heap    uint64
		output  int
		want    string
	}{
		{"last(range(1e12))", 200 * time.Millisecond, 1 << 40, 1 << 20, "ran longer than"},
		{"repeat(.)", time.Hour, 1 << 40, 64 << 10, "printed more than 65536 bytes"},
		{"[range(1e10)] | length", time.Hour, 32 << 20, 1 << 20, "used more than"},
	} {
		jqTimeout, jqHeapLimit, jqOutputMax = c.timeout, c.heap, c.output
		code, _, errOut := kc(t, "", "whoami", "-o", "json", "--jq", c.prog)
		if code != ExitFailure || !strings.Contains(errOut, "was stopped") || !strings.Contains(errOut, c.want) {
			t.Errorf("--jq %q: exit %d: %s", c.prog, code, errOut)
		}
	}
	jqTimeout, jqHeapLimit, jqOutputMax = 2*time.Second, 256<<20, 16<<20
	if code, _, errOut := kc(t, "", "whoami", "-o", "json", "--jq", "[limit(1e9; repeat(.))]"); code != ExitFailure || !strings.Contains(errOut, "was stopped") {
		t.Errorf("--jq at the real bounds: exit %d: %s", code, errOut)
	}
	if out := mustKC(t, "", "whoami", "-o", "json", "--jq", ".user_id"); out != "alice\n" {
		t.Errorf("--jq .user_id = %q", out)
	}
}

// TestEtcdCertFilesBounded: store.etcd.cert_file and key_file are read
// at most 1 MiB each, as ca_file is (issue 24, finding 2: /dev/zero ran
// past 512 MiB).
func TestEtcdCertFilesBounded(t *testing.T) {
	h := home(t)
	key := filepath.Join(h, "client.key")
	if err := os.WriteFile(key, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KCLOUD_STORE_BACKEND", "etcd")
	t.Setenv("KCLOUD_STORE_ETCD_ENDPOINTS", "https://127.0.0.1:1")
	t.Setenv("KCLOUD_STORE_ETCD_CERT_FILE", "/dev/zero")
	t.Setenv("KCLOUD_STORE_ETCD_KEY_FILE", key)
	if errOut := wantExit(t, ExitUsage, "", "whoami"); !strings.Contains(errOut, "store.etcd.cert_file: /dev/zero is larger than") {
		t.Fatalf("a cert_file of /dev/zero: %s", errOut)
	}
}
