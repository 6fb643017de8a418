package otp

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B, SHA1 rows. Our codes have 6 digits: the last six
// of the RFC's 8-digit values (both are the truncated value mod 10^n).
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

var rfcSecret = []byte("12345678901234567890")

func TestRFC6238Vectors(t *testing.T) {
	for _, v := range rfc6238 {
		now := time.Unix(v.unix, 0)
		want := v.code[2:]
		if got := CodeAt(rfcSecret, StepAt(now)); got != want {
			t.Errorf("T=%d: code %s, want %s", v.unix, got, want)
		}
		step, ok, _ := Verify(rfcSecret, mustCode(want), now, 0)
		if !ok || step != StepAt(now) {
			t.Errorf("T=%d: Verify(%s) = %d, %v", v.unix, want, step, ok)
		}
	}
}

func TestVerifySkewAndReplay(t *testing.T) {
	s := NewSecret()
	now := time.Unix(1_800_000_015, 0)
	cur := StepAt(now)
	for _, d := range []int64{-1, 0, 1} {
		if step, ok, _ := Verify(s, mustCode(CodeAt(s, cur+d)), now, 0); !ok || step != cur+d {
			t.Errorf("a code %d steps away was refused", d)
		}
	}
	for _, d := range []int64{-2, 2, -10} {
		if _, ok, _ := Verify(s, mustCode(CodeAt(s, cur+d)), now, 0); ok {
			t.Errorf("a code %d steps away was accepted", d)
		}
	}
	// A code is good once: not at its own step, nor any older one.
	step, ok, _ := Verify(s, mustCode(CodeAt(s, cur)), now, 0)
	if !ok {
		t.Fatal("the current code was refused")
	}
	if _, ok, used := Verify(s, mustCode(CodeAt(s, cur)), now, step); ok || !used {
		t.Errorf("the same code again: ok %v, used %v; want refused as used", ok, used)
	}
	if _, ok, _ := Verify(s, mustCode(CodeAt(s, cur-1)), now, step); ok {
		t.Error("an older code was accepted after a newer one")
	}
	if _, ok, _ := Verify(s, mustCode(CodeAt(s, cur+1)), now, step); !ok {
		t.Error("the next step's code was refused")
	}
}

func TestVerifyRefusesEmptySecret(t *testing.T) {
	for _, s := range [][]byte{nil, {}, []byte("short")} {
		if _, ok, _ := Verify(s, mustCode(CodeAt([]byte("x"), 1)), time.Unix(30, 0), 0); ok {
			t.Errorf("secret %q verified a code", s)
		}
	}
}

// mustCode is a code the test knows to be six digits.
func mustCode(s string) Code {
	c, err := ParseCode(s)
	if err != nil {
		panic(err)
	}
	return c
}

func TestParseCode(t *testing.T) {
	for in, want := range map[string]string{"123456": "123456", " 123 456 ": "123456"} {
		if got, err := ParseCode(in); err != nil || got.digits != want {
			t.Errorf("ParseCode(%q) = %q, %v", in, got.digits, err)
		}
	}
	for _, in := range []string{"12345", "1234567", "12345a", "abcdef", "", "１２３４５６"} {
		if c, err := ParseCode(in); err == nil || !c.IsZero() {
			t.Errorf("ParseCode(%q) accepted", in)
		}
	}
	if _, ok, _ := Verify(make([]byte, SecretSize), Code{}, time.Now(), 0); ok {
		t.Error("Verify accepted no code")
	}
}

func TestURI(t *testing.T) {
	s := []byte("12345678901234567890")
	uri, err := URI("KakaoCloud", "alice@example.com", s)
	if err != nil {
		t.Fatal(err)
	}
	want := "otpauth://totp/KakaoCloud:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KakaoCloud&algorithm=SHA1&digits=6&period=30"
	if uri != want {
		t.Fatalf("URI =\n%s, want\n%s", uri, want)
	}
	if strings.Contains(uri, "=&") || strings.Contains(uri, "==") {
		t.Fatal("padding in the secret")
	}
	u, _ := URI("Kakao Cloud", "bob", s)
	p, err := url.Parse(u)
	if err != nil || p.Query().Get("issuer") != "Kakao Cloud" || !strings.HasPrefix(u, "otpauth://totp/Kakao%20Cloud:bob?") {
		t.Fatalf("an issuer with a space: %s", u)
	}
	for _, bad := range [][2]string{{"a:b", "c"}, {"a", "b:c"}, {"", "c"}} {
		if _, err := URI(bad[0], bad[1], s); err == nil {
			t.Errorf("URI(%q, %q) accepted a ':'", bad[0], bad[1])
		}
	}
}

// TestLabelURI: the issuer parameter goes, the label's prefix stays, and
// a "&issuer=" inside the User ID is not taken for the parameter.
func TestLabelURI(t *testing.T) {
	s := []byte("12345678901234567890")
	for account, want := range map[string]string{
		"alice@example.com":  "otpauth://totp/KakaoCloud:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"a&issuer=b@example": "otpauth://totp/KakaoCloud:a&issuer=b@example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
	} {
		if got, err := LabelURI("KakaoCloud", account, s); err != nil || got != want {
			t.Errorf("LabelURI(%q) = %q, %v; want %q", account, got, err, want)
		}
	}
}

func TestSetupKeyRoundTrip(t *testing.T) {
	s := NewSecret()
	key := SetupKey(s)
	if len(strings.Fields(key)) != 8 || len(key) != 39 {
		t.Fatalf("SetupKey = %q; want 8 groups of 4", key)
	}
	// As an app reads it: the groups joined, unpadded Base32.
	got, err := b32.DecodeString(strings.ReplaceAll(key, " ", ""))
	if err != nil || string(got) != string(s) {
		t.Fatalf("the setup key does not decode to the secret: %x, %v", got, err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes()
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		r, err := ParseRecovery(strings.ToUpper(c))
		n := r.Normal()
		if err != nil || seen[n] {
			t.Fatalf("code %q: %v, seen %v", c, err, seen[n])
		}
		seen[n] = true
		// 16 characters of a 32-letter alphabet: 80 bits, at least the 64 of rule 6.
		if len(n) != 16 {
			t.Fatalf("code %q has %d characters", c, len(n))
		}
	}
	for _, bad := range []string{"", "abcd", "0000-0000-0000-0000", "abcd-efgh-ijkm-npq!"} {
		if _, err := ParseRecovery(bad); err == nil {
			t.Errorf("ParseRecovery(%q) accepted", bad)
		}
	}
}

func FuzzCheckCode(f *testing.F) {
	f.Add("123456")
	f.Add("12 34 56")
	f.Add("١٢٣٤٥٦")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		if len(c.digits) != 6 || strings.Trim(c.digits, "0123456789") != "" {
			t.Fatalf("ParseCode(%q) = %q", s, c.digits)
		}
	})
}

func FuzzNormalizeRecovery(f *testing.F) {
	for _, c := range NewRecoveryCodes()[:2] {
		f.Add(c)
	}
	f.Add("ABCD EFGH IJKM NPQR")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecovery(s)
		if err != nil {
			return
		}
		if n := r.Normal(); len(n) != 16 || strings.ToLower(n) != n {
			t.Fatalf("ParseRecovery(%q) = %q", s, n)
		}
	})
}

// FuzzURI: whatever issuer and account, the URI either is refused or
// parses back to the same label, issuer and secret.
func FuzzURI(f *testing.F) {
	f.Add("KakaoCloud", "alice", []byte("12345678901234567890"))
	f.Add("Kakao Cloud & Co", "bob@example.com", []byte{0, 1, 2})
	f.Add("a:b", "c", []byte("x"))
	f.Fuzz(func(t *testing.T, issuer, acct string, secret []byte) {
		uri, err := URI(issuer, acct, secret)
		if err != nil {
			return
		}
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatalf("URI(%q, %q) = %q does not parse: %v", issuer, acct, uri, err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+issuer+":"+acct {
			t.Fatalf("URI(%q, %q) = %q reads back as %q %q %q", issuer, acct, uri, u.Scheme, u.Host, u.Path)
		}
		q := u.Query()
		if q.Get("issuer") != issuer || q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Fatalf("URI(%q, %q) = %q: query %v", issuer, acct, uri, q)
		}
		if got, err := b32.DecodeString(q.Get("secret")); err != nil || string(got) != string(secret) {
			t.Fatalf("the secret does not read back: %x, %v", got, err)
		}
	})
}
