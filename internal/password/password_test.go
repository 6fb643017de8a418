package password

import (
	"strings"
	"testing"

	"github.com/trustelem/zxcvbn"
)

// TestRefused: each refused password, with the reason it gives.
func TestRefused(t *testing.T) {
	for pw, why := range map[string]string{
		"password123":      "",
		"123456789":        "most common",
		"qwertyuiop":       "most common",
		"alice2026!":       `"alice"`,
		"Acme-rocks-99":    `"acme"`,
		"P@ssw0rd!":        "guessed",
		"iloveyou2":        "",
		"aaaaaaaaaaaa":     "guessed",
		"abcdefghijkl":     "guessed",
		"1q2w3e4r5t":       "",
		"Dragon2019":       "guessed",
		"Parkalice!!":      `"alice"`,
		"monkey12345":      "guessed",
		"sunshine":         "most common",
		"letmein!":         "",
		"michaelsmith1":    "guessed",
		"qazwsxedc":        "",
		"987654321":        "",
		"passwordpassword": "guessed",
	} {
		err := Check(pw, "alice", "Alice Park", "Acme Corp")
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Check(%q) = %v; want refused (%s)", pw, err, why)
		}
	}
}

// TestAccepted: long passphrases of common words, and random strings.
func TestAccepted(t *testing.T) {
	for _, pw := range []string{
		"correct horse battery",
		"a long pass phrase",
		"a brand new pass phrase",
		"Tr0ub4dor&3 is not enough here",
		"xK9#mQ2$vL7p",
		"purple monkey dishwasher",
		"n7Vq-4ZpW-rT8c",
	} {
		if err := Check(pw, "alice", "Alice Park", "Acme Corp"); err != nil {
			t.Errorf("Check(%q) = %v; want accepted (%.3g guesses)", pw, err, Guesses(pw))
		}
	}
}

// TestAgreesWithZxcvbn compares the estimate with zxcvbn itself, the
// reference it simplifies: what zxcvbn rates as guessable (score 0 to 2)
// is refused here too, on a corpus of common patterns.
func TestAgreesWithZxcvbn(t *testing.T) {
	corpus := []string{
		"password1", "Password1!", "qwerty123", "iloveyou", "trustno1", "abc123456", "football1",
		"Summer2024", "Winter2023!", "baseball7", "letmein123", "superman1", "jennifer1", "michael88",
		"123qweasd", "zaq12wsx", "1qaz2wsx", "asdfghjkl", "princess1", "shadow123", "master2020",
		"dragon123", "welcome1", "hello1234", "starwars1", "computer1", "freedom99", "whatever1",
	}
	for _, pw := range corpus {
		ref := zxcvbn.PasswordStrength(pw, nil)
		if ref.Score >= 3 {
			continue
		}
		if Check(pw) == nil {
			t.Errorf("%q: zxcvbn rates it %d (%.3g guesses); this estimate %.3g accepts it", pw, ref.Score, ref.Guesses, Guesses(pw))
		}
	}
	for _, pw := range []string{"correct horse battery", "xK9#mQ2$vL7p", "purple monkey dishwasher"} {
		if ref := zxcvbn.PasswordStrength(pw, nil); ref.Score < 3 {
			t.Errorf("zxcvbn rates %q %d: the accepted list is wrong", pw, ref.Score)
		}
	}
}

// TestLongPasswords: the estimate of a password up to the longest
// accepted (secret.MaxPassword, 1,024 bytes) still sees a repeat, a
// repeated block and a long run inside it, and accepts what is long and
// varied. BenchmarkGuessesLong measures the time (rule 13).
func TestLongPasswords(t *testing.T) {
	for _, tc := range []struct {
		pw     string
		accept bool
	}{
		{strings.Repeat("a", 1024), false},
		{strings.Repeat("password", 128), false},
		{strings.Repeat("abc", 341), false},
		{"Zq" + strings.Repeat("z", 1000), false},
		{longVaried(1024), true},
	} {
		err := Check(tc.pw)
		if (err == nil) != tc.accept {
			t.Errorf("Check(%.20q... %d bytes) = %v; want accepted %v", tc.pw, len(tc.pw), err, tc.accept)
		}
	}
	if p := period([]rune("abcabcabc")); p != 3 {
		t.Errorf("period(abcabcabc) = %d, want 3", p)
	}
	if p := period([]rune("abcabcab")); p != 8 {
		t.Errorf("period(abcabcab) = %d, want 8 (no whole repeat)", p)
	}
}

// longVaried is n bytes of words and digits that repeat no block.
func longVaried(n int) string {
	words := []string{"maple", "orbit", "quartz", "lantern", "velvet", "harbor", "cinder", "meadow"}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[(i*5+i/8)%len(words)])
		b.WriteByte(byte('0' + i%10))
	}
	return b.String()[:n]
}

// BenchmarkGuessesLong is the quality check of the longest password
// accepted: 1,024 bytes of words and digits.
func BenchmarkGuessesLong(b *testing.B) {
	pw := longVaried(1024)
	for b.Loop() {
		Check(pw, "alice", "Alice Park", "Acme Corp")
	}
}

// TestFoldedForms: what reads as a common password, or as the owner's
// User ID, is refused however it is written: fullwidth, Cyrillic look-
// alikes, combining marks, stand-in digits, separators (issue 24,
// finding 7). The policy may allow 8 characters (with an OTP required),
// so these are short.
func TestFoldedForms(t *testing.T) {
	for _, pw := range []string{
		"ｐａｓｓｗｏｒｄ",
		"ｐａｓｓｗｏｒｄ１２３",
		"раssword", // Cyrillic р, а
		"p\u0332a\u0332s\u0332s\u0332w\u0332o\u0332r\u0332d\u0332", // combining underlines
		"p@$$w0rd!!",
	} {
		if err := Check(pw); err == nil {
			t.Errorf("Check(%q) accepted a common password", pw)
		}
	}
	for _, pw := range []string{"kw0nj1h00n-fjord-lamp", "k.w.o.n.j.i.h.o.o.n-fjord", "ＫＷＯＮＪＩＨＯＯＮ wave lamp"} {
		err := Check(pw, "kwonjihoon", "Kwon Jihoon", "Acme")
		if err == nil || !strings.Contains(err.Error(), "kwonjihoon") {
			t.Errorf("Check(%q) with the User ID kwonjihoon: %v", pw, err)
		}
	}
	// A strong password in another script is not folded into a weak one.
	for _, pw := range []string{"모든 계정을 지키는 긴 문장", "violet lamp under snow", "τρία άλογα στο λιβάδι"} {
		if err := Check(pw, "kwonjihoon"); err != nil {
			t.Errorf("Check(%q): %v", pw, err)
		}
	}
}

// TestFamousExamples: the passphrases printed as examples everywhere are
// refused however they are spaced or cased (issue 25, item 8).
func TestFamousExamples(t *testing.T) {
	for _, pw := range []string{"correct horse battery staple", "CorrectHorseBatteryStaple", "correct-horse-battery-staple", "Tr0ub4dor&3", "hunter2", "the quick brown fox jumps over the lazy dog"} {
		if err := Check(pw); err == nil {
			t.Errorf("Check(%q) accepted a famous example", pw)
		}
	}
	if err := Check("correct horse battery"); err != nil {
		t.Errorf("Check(%q), not the example: %v", "correct horse battery", err)
	}
}
