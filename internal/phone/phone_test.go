package phone

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestParseKorean(t *testing.T) {
	for in, want := range map[string]string{
		"010-1234-5678":     "+821012345678",
		"01012345678":       "+821012345678",
		"(010) 1234 5678":   "+821012345678",
		"+82 10-1234-5678":  "+821012345678",
		"+82 010-1234-5678": "+821012345678",
		"+821012345678":     "+821012345678",
		"011-234-5678":      "+82112345678",
		"+1 415 555 2671":   "+14155552671",
		"+44 7400 123456":   "+447400123456",
	} {
		n, err := Parse(in)
		if err != nil || n.E164 != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, n.E164, err, want)
		}
	}
	for _, in := range []string{"02-123-4567", "010-1234", "abc", "+999 1234", "010\n1234", "+82 10 1234 5678 9", ""} {
		if n, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, n.E164)
		}
	}
}

func TestMasked(t *testing.T) {
	for in, want := range map[string]string{
		"010-1234-5678":   "+82 10-****-5678",
		"+1 415 555 2671": "+1 415-***-2671",
	} {
		n, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Masked(); got != want {
			t.Errorf("Masked(%q) = %q, want %q", in, got, want)
		}
	}
	n, _ := Parse("010-1234-5678")
	if got := n.format(); got != "10-1234-5678" {
		t.Errorf("format = %q", got)
	}
}

// reference is what libphonenumber itself says: a valid number that can
// be a mobile one, in E.164.
func reference(s string) (string, bool) {
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return phonenumbers.Format(n, phonenumbers.E164), true
	}
	return "", false
}

// TestAgreesWithLibphonenumber: on example numbers of every region and on
// random ones near them, the generated rules and libphonenumber agree.
func TestAgreesWithLibphonenumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []string
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE} {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			e164 := phonenumbers.Format(ex, phonenumbers.E164)
			inputs = append(inputs, e164, phonenumbers.Format(ex, phonenumbers.INTERNATIONAL))
			for i := 0; i < 20; i++ { // change the last digits
				b := []byte(e164)
				for j := len(b) - 1 - rng.IntN(4); j < len(b); j++ {
					b[j] = byte('0' + rng.IntN(10))
				}
				inputs = append(inputs, string(b))
			}
		}
	}
	for i := 0; i < 3000; i++ { // Korean national numbers
		inputs = append(inputs, fmt.Sprintf("0%d%d-%04d-%04d", rng.IntN(10), rng.IntN(10), rng.IntN(10000), rng.IntN(10000)))
	}
	disagree := 0
	for _, in := range inputs {
		want, wantOK := reference(in)
		got, err := Parse(in)
		if (err == nil) != wantOK || (wantOK && got.E164 != want) {
			disagree++
			if disagree <= 20 {
				t.Errorf("Parse(%q) = %q, %v; libphonenumber: %q, %v", in, got.E164, err, want, wantOK)
			}
		}
	}
	t.Logf("%d inputs, %d disagreements", len(inputs), disagree)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"010-1234-5678", "+82 10 1234 5678", "+1 (415) 555-2671", "+", "0", "++82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		want, ok := reference(s)
		if err == nil {
			if n.E164[0] != '+' || len(n.E164) > 16 {
				t.Fatalf("Parse(%q) = %q", s, n.E164)
			}
			if again, err := Parse(n.E164); err != nil || again.E164 != n.E164 {
				t.Fatalf("Parse(%q) is not stable: %q, %v", n.E164, again.E164, err)
			}
			_ = n.Masked()
		}
		// Where we accept, libphonenumber must agree on the number.
		if err == nil && (!ok || want != n.E164) {
			t.Fatalf("Parse(%q) = %q; libphonenumber: %q, %v", s, n.E164, want, ok)
		}
	})
}
