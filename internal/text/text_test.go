package text

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"Alice Kim", "Alice Kim", ""},
		{"  padded  ", "padded", ""},
		{"김민지", "김민지", ""},
		{"👩‍💻 dev", "👩‍💻 dev", ""}, // ZWJ sequences are text
		{strings.Repeat("가", 64), strings.Repeat("가", 64), ""},
		{strings.Repeat("a", 65), "", "65 characters long"},
		{"", "", "is empty"},
		{"   ", "", "is empty"},
		{"red\x1b[31m", "", "U+001B"},
		{"bell\a", "", "U+0007"},
		{"tab\there", "", "U+0009"},
		{"new\nline", "", "U+000A"},
		{"del\x7f", "", "U+007F"},
		{"csi\u009b31m", "", "U+009B"},
		{"osc\u009d8;;x", "", "U+009D"},
		{"evil\u202egnp.exe", "", "U+202E"},
		{"iso\u2066late", "", "U+2066"},
		{"mark\u200f", "", "U+200F"},
		{"zero\u200bwidth", "", "U+200B"},
		{"bom\ufeff", "", "U+FEFF"},
		{"sep\u2028", "", "U+2028"},
		{"bad\xffutf8", "", "not valid UTF-8"},
	} {
		got, err := CheckName("the name", tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("CheckName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("CheckName(%q) error = %v; want one containing %q", tc.in, err, tc.err)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"red\x1b[31m":      `red\x1b[31m`,
		"osc\x1b]8;;u\x07": `osc\x1b]8;;u\x07`,
		"c1\u009b":         `c1\u009b`,
		"bidi\u202e":       `bidi\u202e`,
		"bad\xff":          `bad\xff`,
		"del\x7f":          `del\x7f`,
		"한글 ok":            "한글 ok",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeQuoted(t *testing.T) {
	in := []byte("{\"a\": \"x\u202ey\u009bz\x7f\"}\n")
	want := `{"a": "x\u202ey\u009bz\u007f"}` + "\n"
	if got := string(EscapeQuoted(in)); got != want {
		t.Errorf("EscapeQuoted = %q, want %q", got, want)
	}
}

// FuzzCheckName: whatever a person types, an accepted name is safe for a
// terminal and within the length, and escaping makes anything safe.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"Alice", " x ", "\x1b[2J", "a\u202eb", "\xff", "👩‍💻", strings.Repeat("é", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckName("the name", s)
		if err == nil {
			if !Safe(got) {
				t.Fatalf("accepted %q, which is not safe", got)
			}
			if n := utf8.RuneCountInString(got); n == 0 || n > MaxName {
				t.Fatalf("accepted %q of %d characters", got, n)
			}
			if strings.TrimSpace(got) != got {
				t.Fatalf("accepted %q with surrounding space", got)
			}
		}
		if e := Escape(s); !Safe(e) {
			t.Fatalf("Escape(%q) = %q is not safe", s, e)
		}
		if e := EscapeQuoted([]byte(s)); !safeExceptWhitespace(e) {
			t.Fatalf("EscapeQuoted(%q) = %q is not safe", s, e)
		}
	})
}

func safeExceptWhitespace(b []byte) bool {
	for _, r := range string(b) {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unsafe(r) {
			return false
		}
	}
	return utf8.Valid(b)
}

// FuzzEscape: the output sanitiser makes anything safe, changes safe text
// not at all, and keeps JSON meaning: EscapeQuoted of a JSON document
// decodes to the same value.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\u202e", "\x9b2J", "\xff\xfe", "a\x7fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !Safe(e) {
			t.Fatalf("Escape(%q) = %q is not safe", s, e)
		}
		if Safe(s) && e != s {
			t.Fatalf("Escape changed safe text %q to %q", s, e)
		}
		doc, _ := json.Marshal(map[string]string{"v": s})
		var before, after map[string]string
		json.Unmarshal(doc, &before)
		if err := json.Unmarshal(EscapeQuoted(doc), &after); err != nil || after["v"] != before["v"] {
			t.Fatalf("EscapeQuoted changed the JSON of %q: %v, %q vs %q", s, err, after["v"], before["v"])
		}
	})
}

// TestInvisibleNamesRefused: a name that draws nothing is no name
// (security rule 8; finding 13).
func TestInvisibleNamesRefused(t *testing.T) {
	for _, s := range []string{"\u200d", "\u3164", "\u2800", " \u3164 ", "\u200c\u200d", "\u115f\u1160", "\u0301"} {
		if _, err := CheckName("the name", s); err == nil {
			t.Errorf("CheckName(%q) accepted a name with nothing visible", s)
		}
	}
	for _, s := range []string{"Alice", "김민지", "👩\u200d💻", "a\u0301"} {
		if _, err := CheckName("the name", s); err != nil {
			t.Errorf("CheckName(%q): %v", s, err)
		}
	}
}

func TestCheckConfigured(t *testing.T) {
	for _, s := range []string{"Kakao\u202eCloud", "Kakao\u009bCloud", "\u3164", "a\x1b[31m", string(make([]byte, 100))} {
		if err := CheckConfigured(s, 64); err == nil {
			t.Errorf("CheckConfigured(%q) accepted it", s)
		}
	}
	if err := CheckConfigured("KakaoCloud", 64); err != nil {
		t.Error(err)
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		46 * time.Millisecond:        "just now",
		5 * time.Second:              "5 seconds ago",
		time.Minute + 40*time.Second: "2 minutes ago",
		90 * time.Minute:             "2 hours ago",
		time.Hour:                    "1 hour ago",
		49 * time.Hour:               "2 days ago",
	} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestWidthTruncate(t *testing.T) {
	if w := Width("계정 정보"); w != 9 {
		t.Errorf("Width(계정 정보) = %d, want 9", w)
	}
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{{"alexander.hamilton@example.com", 10, "alexander…"}, {"short", 10, "short"}, {"계정정보입니다", 7, "계정정…"}} {
		if got := Truncate(c.in, c.w); got != c.want || Width(got) > c.w {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}
