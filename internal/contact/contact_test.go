package contact

import (
	"strings"
	"testing"
	"time"
)

func TestParseEmail(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":       "alice@example.com",
		"Alice.Kim+x@Example.COM": "Alice.Kim+x@example.com",
		"a@sub.example.co.kr":     "a@sub.example.co.kr",
	} {
		if got, err := ParseEmail(in); err != nil || got != want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "alice", "@example.com", "alice@", "alice@localhost", "alice@[127.0.0.1]",
		"Alice <alice@example.com>", "alice@example.com, bob@example.com",
		"alice@example.com\r\nBcc: eve@example.com", "alice@example.com\n", "alice (comment) @example.com",
		"ali ce@example.com", "김@example.com", "alice@example..com", "alice@.example.com",
		strings.Repeat("a", 65) + "@example.com",
	} {
		if got, err := ParseEmail(in); err == nil {
			t.Errorf("ParseEmail(%q) = %q, want an error", in, got)
		}
	}
}

func TestMasks(t *testing.T) {
	tg, _ := Parse(Email, "alice@example.com")
	if tg.Masked != "a***@example.com" {
		t.Errorf("masked email %q", tg.Masked)
	}
	tg, _ = Parse(Phone, "010-1234-5678")
	if tg.Masked != "+82 10-****-5678" || tg.Address != "+821012345678" {
		t.Errorf("phone %+v", tg)
	}
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c := NewCode()
		if _, err := ParseCode(c); err != nil {
			t.Fatalf("NewCode() = %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 1990 {
		t.Fatalf("2000 codes, only %d distinct", len(seen))
	}
}

func TestRulesNext(t *testing.T) {
	r := Rules{TTL: 10 * time.Minute, ResendAfter: time.Minute, MaxAttempts: 3}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Pending{Address: "a@example.com", SentAt: now, ExpiresAt: now.Add(r.TTL), Failures: 2}
	if _, err := r.Next(p, "a@example.com", now.Add(30*time.Second)); err == nil {
		t.Error("a resend to the same address inside the cooldown was allowed")
	}
	// Another address inside the cooldown is refused too: alternating
	// between two addresses sent a code every time (issue 24, finding 4).
	if _, err := r.Next(p, "b@example.com", now.Add(30*time.Second)); err == nil {
		t.Error("a code to another address inside the cooldown was allowed")
	}
	if f, err := r.Next(p, "b@example.com", now.Add(time.Minute)); err != nil || f != 2 {
		t.Errorf("another address after the cooldown: %d, %v; want the 2 failures carried", f, err)
	}
	if f, err := r.Next(p, "a@example.com", now.Add(2*time.Minute)); err != nil || f != 2 {
		t.Errorf("after the cooldown: %d, %v; want the failures carried", f, err)
	}
	p.Failures = 3
	if _, err := r.Next(p, "b@example.com", now.Add(2*time.Minute)); err == nil {
		t.Error("a new code while the kind is void for too many failures")
	}
	if f, err := r.Next(p, "a@example.com", now.Add(r.TTL)); err != nil || f != 0 {
		t.Errorf("after the window: %d, %v; want a fresh start", f, err)
	}
}

// FuzzParseEmail: whatever is accepted is one plain addr-spec that cannot
// break out of a header line.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"alice@example.com", "a <b@c.d>", "a@b.c\r\nX: y", `"q"@example.com`, "a@b.c,d@e.f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(a, "\r\n<>,; \t") || strings.Count(a, "@") < 1 {
			t.Fatalf("ParseEmail(%q) = %q", s, a)
		}
		if again, err := ParseEmail(a); err != nil || again != a {
			t.Fatalf("ParseEmail is not stable on %q: %q, %v", a, again, err)
		}
	})
}

func FuzzCheckCode(f *testing.F) {
	f.Add("123456")
	f.Add(" 12 34 56 ")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err == nil && (len(c.Digits()) != 6 || strings.Trim(c.Digits(), "0123456789") != "") {
			t.Fatalf("ParseCode(%q) = %q", s, c.Digits())
		}
	})
}
