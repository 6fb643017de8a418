package auth

import (
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/fail"
)

// TestToken: a token reads back as the key it was made for; every
// single-character typo and every cut is refused by its form or its
// checksum, before any lookup (a usage error that does not repeat it).
func TestToken(t *testing.T) {
	for _, user := range []string{"alice", "bob@example.com", "a", strings.Repeat("z", 64), "0.9_x-y"} {
		tok, made := NewToken(user)
		if !strings.HasPrefix(tok, TokenPrefix) || len(tok) > MaxToken || strings.Trim(tok[len(TokenPrefix):], base62) != "" {
			t.Fatalf("token %q: not kcak_ and base62 within %d characters", tok, MaxToken)
		}
		got, err := ParseToken(tok)
		if err != nil || got.ID != made.ID || got.UserID != user || string(got.Hash("u")) != string(made.Hash("u")) {
			t.Fatalf("ParseToken(%q) = %+v, %v; want the key of %s", tok, got, err, user)
		}
		if string(got.Hash("u")) == string(got.Hash("v")) {
			t.Fatal("the hash does not bind the account")
		}
		for i := len(TokenPrefix); i < len(tok); i++ {
			for _, c := range []byte{'0', 'a', 'Z'} {
				if tok[i] == c {
					continue
				}
				typo := tok[:i] + string(c) + tok[i+1:]
				if _, err := ParseToken(typo); fail.KindOf(err) != fail.Usage || strings.Contains(err.Error(), typo) {
					t.Fatalf("a typo at %d (%q) is %v; want a usage error that does not repeat it", i, typo, err)
				}
			}
		}
		for n := range len(tok) {
			if _, err := ParseToken(tok[:n]); fail.KindOf(err) != fail.Usage {
				t.Fatalf("the token cut to %d characters is %v; want a usage error", n, err)
			}
		}
	}
}

// TestTokenRandom: two tokens share neither ID nor secret.
func TestTokenRandom(t *testing.T) {
	a, ka := NewToken("alice")
	b, kb := NewToken("alice")
	if a == b || ka.ID == kb.ID || string(ka.secret) == string(kb.secret) {
		t.Fatal("two tokens are alike")
	}
	if len(ka.secret) != secretLen {
		t.Fatalf("the secret is %d characters; want %d (128 bits in base62)", len(ka.secret), secretLen)
	}
}

// FuzzParseToken: no input makes ParseToken panic, take long or accept
// what does not read back the same.
func FuzzParseToken(f *testing.F) {
	tok, _ := NewToken("alice")
	for _, s := range []string{tok, "kcak_", "", "kcak_" + strings.Repeat("z", 200), tok + "x", "KCAK_" + tok[5:], tok[:20]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseToken(s)
		if err != nil {
			if fail.KindOf(err) != fail.Usage {
				t.Fatalf("ParseToken(%q): %v, not a usage error", s, err)
			}
			return
		}
		if len(k.ID) != idLen || len(k.secret) != secretLen || k.UserID == "" || len(k.UserID) > 64 {
			t.Fatalf("ParseToken(%q) accepted %+v", s, k)
		}
	})
}
