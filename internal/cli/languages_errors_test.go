package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/text"
)

var hangul = regexp.MustCompile(`\p{Hangul}`)

// TestErrorsInKorean: under ko every error and hint is said in Korean, a
// duration or time in it as a Korean reader writes it, with the exit code
// of the same error in English.
func TestErrorsInKorean(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	for _, c := range []struct {
		stdin string
		args  []string
		want  string // a Korean word the message holds
	}{
		{"", []string{"bogus"}, "알 수 없는 명령"},
		{"", []string{"account", "show", "--bogus"}, "알 수 없는 플래그"},
		{"", []string{"account", "activity", "-n", "x"}, "정수가 아닙니다"},
		{"", []string{"member", "show"}, "인수 1개"},
		{"", []string{"contact", "verify", "email", "not-an-email", "--no-input"}, "주소 하나가 아닙니다"},
		{pw, []string{"account", "set", "--nickname", "x", "--password-stdin"}, "닉네임을 사용하지 않습니다"},
		{pw, []string{"org", "set", "--policy", "session.ttl=1s", "--password-stdin"}, "1초"},
		{pw, []string{"otp", "delete", "--password-stdin"}, "등록된 2단계 인증이 없습니다"},
		{"", []string{"account", "show", "--no-input"}, "필요하지만 --no-input"},
		{"wrong password here\n", []string{"login", "--password-stdin"}, "15분 동안 잠깁니다"},
	} {
		t.Setenv("KCLOUD_UI_LANGUAGE", "en")
		enCode, _, enErr := kc(t, c.stdin, c.args...)
		t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
		code, _, errOut := kc(t, c.stdin, c.args...)
		name := strings.Join(c.args, " ")
		if code == 0 || code != enCode {
			t.Errorf("kcloud %s: exit %d in Korean, %d in English", name, code, enCode)
		}
		if !strings.Contains(errOut, c.want) || strings.Contains(errOut, "%!") {
			t.Errorf("kcloud %s: %q lacks %q", name, errOut, c.want)
		}
		for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
			if !strings.HasPrefix(l, "kcloud: ") || !hangul.MatchString(l) {
				t.Errorf("kcloud %s: a line not in Korean: %q (English: %q)", name, l, enErr)
			}
		}
	}
}

// TestHelpInKorean: every command's help under ko is in Korean, with the
// same flags as in English, and every line of it, in both languages,
// fits 80 columns of a terminal (a Hangul syllable is two).
func TestHelpInKorean(t *testing.T) {
	home(t)
	root, _ := newRoot(&IOStreams{})
	var paths [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths = append(paths, append(strings.Fields(c.CommandPath())[1:], "--help"))
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	if len(paths) < 30 {
		t.Fatalf("%d commands", len(paths))
	}
	flag := regexp.MustCompile(`(?m)^[ \t]+(?:-\w, )?(--[\w-]+)`)
	for _, args := range paths {
		t.Setenv("KCLOUD_UI_LANGUAGE", "en")
		en := mustKC(t, "", args...)
		t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
		ko := mustKC(t, "", args...)
		name := strings.Join(args, " ")
		first, _, _ := strings.Cut(ko, "\n")
		if strings.Contains(ko, "(default ") {
			t.Errorf("kcloud %s: a flag's default in English:\n%s", name, ko)
		}
		if strings.Contains(ko, "[flags]") || strings.Contains(ko, "[command]") {
			t.Errorf("kcloud %s: a usage line in English:\n%s", name, ko)
		}
		if !hangul.MatchString(first) || !strings.Contains(ko, "사용법:") && strings.Contains(en, "Usage:") {
			t.Errorf("kcloud %s: not in Korean:\n%s", name, ko)
		}
		topic := args[0] == "environment" || args[0] == "exit-codes" // prose that names flags, wrapped where each language wraps
		if a, b := flag.FindAllString(en, -1), flag.FindAllString(ko, -1); !topic && strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("kcloud %s: flags %q in English, %q in Korean", name, a, b)
		}
		examples := false
		for _, l := range strings.Split(en, "\n") {
			if l == "Examples:" || l == "" {
				examples = l != ""
			}
			if !examples && text.Width(l) > 80 {
				t.Errorf("kcloud %s (English): a line of %d columns: %q", name, text.Width(l), l)
			}
		}
		examples = false
		for _, l := range strings.Split(ko, "\n") {
			if l == "예:" || l == "" {
				examples = l != ""
			}
			if examples || strings.HasPrefix(l, "\t") {
				continue // commands to type, as in English
			}
			if text.Width(l) > 80 {
				t.Errorf("kcloud %s: a line of %d columns: %q", name, text.Width(l), l)
			}
			if usage := flag.FindString(l); usage != "" && !hangul.MatchString(l) && strings.Contains(en, l) {
				t.Errorf("kcloud %s: a flag's usage in English: %q", name, l)
			}
		}
	}
}

// TestUILanguageFlag: --ui-language chooses the language over the
// environment and the locale (flag, environment, file, default), and a
// failing configuration is still reported in the flag's language.
func TestUILanguageFlag(t *testing.T) {
	home(t)
	t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
	if out := mustKC(t, "", "--ui-language", "en", "account", "--help"); !strings.Contains(out, "Usage:") {
		t.Errorf("--ui-language en under KCLOUD_UI_LANGUAGE=ko:\n%s", out)
	}
	t.Setenv("KCLOUD_UI_LANGUAGE", "")
	if out := mustKC(t, "", "--ui-language", "ko", "account", "--help"); !strings.Contains(out, "사용법:") {
		t.Errorf("--ui-language ko under LC_ALL=C:\n%s", out)
	}
	t.Setenv("KCLOUD_OUTPUT", "xml")
	code, _, errOut := kc(t, "", "--ui-language", "ko", "whoami")
	if code != ExitUsage || !strings.Contains(errOut, "다음 중 하나가 아닙니다") {
		t.Errorf("a bad output under --ui-language ko: exit %d\n%s", code, errOut)
	}
	t.Setenv("KCLOUD_OUTPUT", "")
	if code, _, errOut := kc(t, "", "--ui-language", "fr", "whoami"); code != ExitUsage || !strings.Contains(errOut, `"fr" is not one of auto, en, ko`) {
		t.Errorf("--ui-language fr: exit %d\n%s", code, errOut)
	}
}

// TestCompletionInKorean: what a shell shows beside a completion (a
// command's short text, a flag's usage) is in the run's language.
func TestCompletionInKorean(t *testing.T) {
	home(t)
	t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
	out := mustKC(t, "", "__complete", "account", "")
	if !strings.Contains(out, "password\t비밀번호 변경") {
		t.Errorf("completions under ko:\n%s", out)
	}
	if out := mustKC(t, "", "__complete", "contact", "verify", ""); !strings.Contains(out, "email\t이메일 주소") {
		t.Errorf("an argument's completions under ko:\n%s", out)
	}
	t.Setenv("KCLOUD_UI_LANGUAGE", "en")
	if out := mustKC(t, "", "__complete", "account", ""); !strings.Contains(out, "password\tChange your password") {
		t.Errorf("completions under en:\n%s", out)
	}
}

// TestChangesSameJSONInEveryLanguage: the commands that change something
// print the same -o json document under en and ko. Each language gets a
// store of its own and the same commands; what differs between any two
// runs (UUIDs, times, codes, secrets, the home directory) is masked
// before the documents are compared.
func TestChangesSameJSONInEveryLanguage(t *testing.T) {
	pw := testPassword + "\n"
	steps := []struct {
		stdin string
		args  []string
	}{
		{pw, []string{"init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin"}},
		{pw, []string{"login", "--password-stdin"}},
		{pw, []string{"account", "set", "--name", "Alice Kim", "--password-stdin"}},
		{pw, []string{"contact", "verify", "email", "alice@example.com", "--send-only", "--password-stdin"}},
		{pw, []string{"otp", "register", "--begin", "--password-stdin"}},
		{pw + "another long pass phrase\n", []string{"account", "create", "--user-id", "bob", "--name", "Bob", "--password-stdin"}},
		{pw, []string{"member", "unlock", "bob", "--password-stdin"}},
		{pw, []string{"member", "admin", "bob", "--grant", "--password-stdin"}},
		{pw, []string{"member", "reset-password", "bob", "--password-stdin"}},
		{pw, []string{"org", "set", "--policy", "session.ttl=6h", "--password-stdin"}},
		{"", []string{"store", "backup", "backup.db"}},
		{"", []string{"logout"}},
	}
	volatile := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|` +
		`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|"[A-Z2-7]{32}"|secret=[A-Z2-7]+|[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}|` +
		`\d{8}T\d{6}Z-[a-z]+\.eml|"language": "(en|ko)"`) // the account's, its creator's: data, not text
	run := func(lang string) []string {
		h := home(t)
		t.Chdir(h)
		t.Setenv("KCLOUD_UI_LANGUAGE", lang)
		var docs []string
		for _, s := range steps {
			doc := mustKC(t, s.stdin, append(s.args, "-o", "json")...)
			docs = append(docs, volatile.ReplaceAllString(strings.ReplaceAll(doc, h, "HOME"), "X"))
		}
		return docs
	}
	en, ko := run("en"), run("ko")
	for i, s := range steps {
		if en[i] != ko[i] {
			t.Errorf("kcloud %s -o json differs by language:\n%s\n%s", strings.Join(s.args, " "), en[i], ko[i])
		}
		if !strings.Contains(en[i], "{") {
			t.Errorf("kcloud %s -o json printed no document: %q", strings.Join(s.args, " "), en[i])
		}
	}
}

// TestOutboxPathOnItsOwnLine: in Korean the outbox file's path stands on
// a line of its own, with no particle after it, so that a double-click
// copies the path alone (issue 42, item 8).
func TestOutboxPathOnItsOwnLine(t *testing.T) {
	home(t)
	pw := testPassword + "\n"
	mustKC(t, pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	mustKC(t, pw, "login", "--password-stdin")
	t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
	_, _, errOut := kc(t, pw, "contact", "verify", "email", "alice@example.com", "--send-only", "--password-stdin")
	if !regexp.MustCompile(`(?m)^  /\S+\.eml$`).MatchString(errOut) {
		t.Fatalf("the outbox path is not on a line of its own:\n%s", errOut)
	}
}
