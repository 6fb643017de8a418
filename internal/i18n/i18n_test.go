package i18n

import (
	"regexp"
	"slices"
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
	if got := For("ko").Sprintf("Password for %s: ", "alice"); got != "alice의 비밀번호: " {
		t.Errorf("ko, formatted: %q", got)
	}
}

func TestParse(t *testing.T) {
	m, err := Parse("msgid \"\"\nmsgstr \"\"\n\"Language: ko\\n\"\n\n# c\nmsgid \"a\"\n\"b\\n\"\nmsgstr \"x\"\n\"y\"\n")
	if err != nil || len(m) != 1 || m["ab\n"] != "xy" {
		t.Fatalf("%q, %v", m, err)
	}
	for _, bad := range []string{"msgstr \"x\"", "msgid \"a\"\nmsgstr \"x\"\nmsgstr \"y\"", "msgid a"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
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
