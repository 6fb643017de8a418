package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/text"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestJSONSameInEveryLanguage: what scripts read does not change with the
// language (the contract): every -o json command here prints the same
// document under ui.language en and ko, times included.
func TestJSONSameInEveryLanguage(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	for _, args := range [][]string{
		{"whoami"},
		{"account", "show", "--password-stdin"},
		{"account", "activity", "--password-stdin", "-n", "3"},
		{"org", "show"},
		{"member", "list", "--password-stdin"},
		{"member", "show", "alice", "--password-stdin"},
		{"otp", "list", "--password-stdin"},
		{"store", "check"},
		{"version"},
	} {
		var docs [2]string
		for i, lang := range []string{"en", "ko"} {
			t.Setenv("KCLOUD_UI_LANGUAGE", lang)
			docs[i] = mustKC(t, pw, append(args, "-o", "json")...)
		}
		if docs[0] != docs[1] {
			t.Errorf("kcloud %s -o json differs by language:\n%s\n%s", strings.Join(args, " "), docs[0], docs[1])
		}
	}
}

// TestAccountPageInKorean: under ko the account page has the console's
// Korean labels, and its values line up by display width (a Hangul
// syllable is two columns).
func TestAccountPageInKorean(t *testing.T) {
	initStore(t)
	t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
	page := mustKC(t, testPassword+"\n", "account", "show", "--password-stdin")
	for _, want := range []string{"기본 정보", "사용자 ID", "사용자 UUID", "이름", "닉네임", "등록 일시", "최근 로그인",
		"연락처 및 인증 정보", "연락처 이메일", "휴대폰 번호", "2단계 인증", "조직 정보", "조직 이름", "조직 ID", "KST"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	// In each section, the values start at one display column.
	row := regexp.MustCompile(`^(  \S+(?: \S+)*?  +)\S`)
	var cols []int
	for _, l := range strings.Split(page, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			cols = append(cols, text.Width(m[1]))
			continue
		}
		for _, c := range cols[min(1, len(cols)):] {
			if c != cols[0] {
				t.Fatalf("a section's values start at columns %v:\n%s", cols, page)
			}
		}
		cols = nil
	}
}

// missingPO, when set (go test ./internal/cli -run TestCatalogHoldsEveryMessageUsed
// -args -missing=FILE), receives every message the Korean catalogue lacks, as
// .po entries with an empty msgstr for a translator to fill (docs/languages.md).
var missingPO = flag.String("missing", "", "write the messages ko.po lacks to this file")

// sourceMessage finds a text for people in kcloud's source: the format or
// text given to the catalogue (tr's T, F, N), to a status line, a prompt,
// an error or a hint. Damage details of the page checker (boltcheck)
// stay English and are not searched (docs/languages.md).
var sourceMessage = regexp.MustCompile(
	`(?:\b(?:T|F|say|sayAlways|word|Usagef|Authf|Lockedf|LoginRequiredf|Busyf|Otherf|Errorf|WithHint|errors\.New)\(|` +
		`fail\.(?:Wrap|Mark)\([^"]{0,160}?|Format(?:: | = )|\.(?:Ask|Code|Secret)\([^"\n]*|\bNewPassword\([^,"\n]*, |\bfailed\("[a-z]+", |\bfail\(|` +
		`\bN\(|fail\.Plural\([^,\n]*, |ask\(&[^,]*, "[^"]*", |weak\(|\bbad\((?:"[a-z0-9_.]+", |\w+, )?|CheckName\(|errorf\(|msg\(|Confirm\()(?:"((?:[^"\\]|\\.)*)"|` + "`([^`]*)`" + `)(?:,\s*"((?:[^"\\]|\\.)*)")?`)

// configKey is a configuration key given where a message names one.
var configKey = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// messagesUsed is every message kcloud says to people, each with where it
// is: the literals sourceMessage finds under internal/, and the help of the
// whole command tree (short and long texts, flag usage, group titles).
func messagesUsed(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	files, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, "_test.go"), strings.HasPrefix(f, "../boltcheck/"), strings.HasPrefix(f, "../i18n/"),
			strings.HasPrefix(f, "../tools/"), strings.HasPrefix(f, "../termtest/"), strings.HasPrefix(f, "../etcdtest/"),
			strings.HasPrefix(f, "../testnet/"), strings.HasSuffix(f, "testclock.go"):
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sourceMessage.FindAllStringSubmatch(string(src), -1) {
			id, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				t.Fatalf("%s: %q: %v", f, m[1], err)
			}
			if m[2] != "" { // a raw string
				id = m[2]
			}
			m[2] = m[3] // the second literal, where there is one
			switch {
			case strings.HasPrefix(m[0], "N(") || strings.Contains(m[0], ".N(") || strings.HasPrefix(m[0], "fail.Plural("):
				pl, _ := strconv.Unquote(`"` + m[2] + `"`)
				id = i18n.PluralKey(id, pl)
			case strings.Contains(m[0], ".Ask(") || strings.Contains(m[0], ".Code(") || strings.Contains(m[0], ".Secret(") ||
				strings.HasPrefix(m[0], "ask("):
				if m[2] != "" { // the prompt, after what is asked for
					label, _ := strconv.Unquote(`"` + m[2] + `"`)
					used[label] = f
				}
			}
			if strings.Trim(id, "%sdvqw:;., ") != "" && !configKey.MatchString(id) { // "%s", "%v: %w" say nothing
				used[id] = f
			}
		}
	}
	root, _ := newRoot(&IOStreams{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range []string{c.Short, c.Long} {
			if s != "" && (s != c.Long || c.Annotations["topic"] == "") { // a topic's rows are below
				used[s] = "help of " + c.CommandPath()
			}
		}
		for _, g := range c.Groups() {
			used[g.Title] = "help of " + c.CommandPath()
		}
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			if fl.Name != "help" && fl.Name != "version" {
				used[fl.Usage] = "help of " + c.CommandPath() + " --" + fl.Name
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for _, e := range exitCodes {
		used[e[1]] = "kcloud help exit-codes"
	}
	return used
}

// TestCatalogHoldsEveryMessageUsed: every message kcloud says to people
// has its Korean translation: a message added in English alone fails here.
func TestCatalogHoldsEveryMessageUsed(t *testing.T) {
	used := messagesUsed(t)
	if len(used) < 300 {
		t.Fatalf("found %d messages; the patterns no longer match the code", len(used))
	}
	ko := i18n.For("ko").Catalog
	var missing []string
	for id, where := range used {
		if !ko.Has(id) {
			t.Errorf("%s: %q has no Korean translation in internal/i18n/ko.po", where, id)
			missing = append(missing, id)
		}
	}
	if *missingPO != "" {
		slices.Sort(missing)
		var b strings.Builder
		for _, id := range missing {
			if s, pl, ok := strings.Cut(id, "\x00"); ok {
				fmt.Fprintf(&b, "msgid %s\nmsgid_plural %s\nmsgstr[0] \"\"\n\n", poQuote(s), poQuote(pl))
				continue
			}
			fmt.Fprintf(&b, "#: %s\nmsgid %s\nmsgstr \"\"\n\n", used[id], poQuote(id))
		}
		if err := os.WriteFile(*missingPO, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// poQuote is s as a .po string: multi-line texts one line a source line.
func poQuote(s string) string {
	if !strings.Contains(s, "\n") || s == "" {
		return strconv.Quote(s)
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	b.WriteString(`""`)
	for _, l := range lines {
		if l != "" {
			b.WriteString("\n" + strconv.Quote(l))
		}
	}
	return b.String()
}

// TestCatalogHasNoStaleMessages: every message in the Korean catalogue is
// one kcloud says, so a message changed in English does not leave its
// old translation behind for a translator to maintain.
func TestCatalogHasNoStaleMessages(t *testing.T) {
	used := messagesUsed(t)
	msgs, err := i18n.Parse(i18n.KoreanPO())
	if err != nil {
		t.Fatal(err)
	}
	for id := range msgs {
		if _, ok := used[id]; !ok {
			t.Errorf("ko.po holds %q, which kcloud no longer says", id)
		}
	}
}
