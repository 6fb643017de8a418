package i18n

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// verbs are a format's placeholders, in order.
var verbs = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// TestCatalogs: each catalogue parses, every message has a translation,
// and a translation's placeholders are its msgid's, in the same order.
func TestCatalogs(t *testing.T) {
	msgs, err := Parse(koPO)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 20 {
		t.Fatalf("ko.po: %d messages read", len(msgs))
	}
	for id, s := range msgs {
		if s == "" {
			t.Errorf("ko.po: %q has no translation", id)
		}
		if _, pl, ok := strings.Cut(id, "\x00"); ok { // msgid_plural's placeholders are msgid's
			id = pl
		}
		if a, b := verbs.FindAllString(id, -1), verbs.FindAllString(s, -1); !slices.Equal(a, b) {
			t.Errorf("ko.po: %q has placeholders %q, its translation %q has %q", id, a, s, b)
		}
	}
}

// TestFallback: English is the messages themselves, and a message a
// catalogue lacks is its English text, never a key.
func TestFallback(t *testing.T) {
	if got := For("en").T("User ID"); got != "User ID" {
		t.Errorf("en: %q", got)
	}
	if got := For("ko").T("User ID"); got != "사용자 ID" {
		t.Errorf("ko: %q", got)
	}
	if got := For("ko").T("a message no catalogue has"); got != "a message no catalogue has" {
		t.Errorf("ko, missing: %q", got)
	}
	if got := fmt.Sprintf(For("ko").T("Password for %s: "), "alice"); got != "alice의 비밀번호: " {
		t.Errorf("ko, formatted: %q", got)
	}
	for n, want := range map[int]string{1: "%d file", 2: "%d files", 0: "%d files"} {
		if got := For("en").N("%d file", "%d files", n); got != want {
			t.Errorf("en, %d: %q", n, got)
		}
		if got := For("ko").N("%d file", "%d files", n); got != want {
			t.Errorf("ko, missing, %d: %q", n, got)
		}
	}
}

func TestParse(t *testing.T) {
	m, err := Parse("msgid \"\"\nmsgstr \"\"\n\"Language: ko\\n\"\n\n# c\nmsgid \"a\"\n\"b\\n\"\nmsgstr \"x\"\n\"y\"\n" +
		"msgid \"%d file\"\nmsgid_plural \"%d files\"\nmsgstr[0] \"파일 %d개\"\n")
	if err != nil || len(m) != 2 || m["ab\n"] != "xy" || m[PluralKey("%d file", "%d files")] != "파일 %d개" {
		t.Fatalf("%q, %v", m, err)
	}
	for _, bad := range []string{"msgstr \"x\"", "msgid \"a\"\nmsgstr \"x\"\nmsgstr \"y\"", "msgid a",
		"msgid \"a\"\nmsgstr[0] \"x\"", "msgid \"a\"\nmsgid_plural \"b\"\nmsgstr \"x\"",
		"msgid \"a\"\nmsgid_plural \"b\"\nmsgstr[0] \"x\"\nmsgstr[2] \"y\"", "msgid \"a\"\nmsgid_plural \"b\"\nmsgstr[1] \"y\""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestPluralForms: a language with two forms picks by its rule.
func TestPluralForms(t *testing.T) {
	l := &Language{Tag: "qps", Catalog: NewCatalog("msgid \"%d file\"\nmsgid_plural \"%d files\"\nmsgstr[0] \"one %d\"\nmsgstr[1] \"many %d\"\n"),
		Plural: func(n int) int {
			if n == 1 {
				return 0
			}
			return 1
		}}
	for n, want := range map[int]string{1: "one %d", 2: "many %d", 0: "many %d"} {
		if got := l.N("%d file", "%d files", n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
	if got := l.N("%d key", "%d keys", 2); got != "%d keys" {
		t.Errorf("a message the catalogue lacks: %q", got)
	}
}

// TestLocales: a locale names its language by its first part.
func TestLocales(t *testing.T) {
	for loc, want := range map[string]string{"ko": "ko", "ko_KR.UTF-8": "ko", "ko@euro": "ko", "ko.UTF-8": "ko", "C": "en", "POSIX": "en", "fr_FR.UTF-8": "en", "kor": "en"} {
		if got := FromLocale(loc).Tag; got != want {
			t.Errorf("FromLocale(%q) = %s, want %s", loc, got, want)
		}
	}
	if !slices.Equal(Tags(), []string{"en", "ko"}) {
		t.Errorf("Tags() = %v", Tags())
	}
}

// BenchmarkParseKorean is what the first Korean message costs a run:
// parsing the catalogue (an English run parses nothing).
func BenchmarkParseKorean(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(koPO); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoGuessedParticle: no translation puts a particle whose form depends
// on the word before it (이/가, 을/를, 은/는, 와/과, (으)로) right after a
// placeholder: kcloud cannot know the last sound of a name or a number,
// so the sentence is shaped around the value (docs/glossary.md).
func TestNoGuessedParticle(t *testing.T) {
	msgs, err := Parse(koPO)
	if err != nil {
		t.Fatal(err)
	}
	guessed := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z](이\(가\)|을\(를\)|은\(는\)|\(으\)로|과\(와\)|[이가을를은는과와로]([^가-힣]|$)|으로)`)
	for id, s := range msgs {
		if m := guessed.FindString(s); m != "" {
			t.Errorf("ko.po: the translation of %q guesses a particle: %q in %q", id, m, s)
		}
	}
}
