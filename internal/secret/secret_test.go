package secret

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMinimumIsTheContractFloor(t *testing.T) {
	if Minimum != (Params{Memory: 19456, Time: 2, Threads: 1}) {
		t.Fatalf("Minimum = %+v; security rule 1 sets m=19456 t=2 p=1", Minimum)
	}
	if err := (Params{Memory: 19455, Time: 2, Threads: 1}).Check(); err == nil {
		t.Fatal("memory below the floor accepted")
	}
	if err := (Params{Memory: 19456, Time: 1, Threads: 1}).Check(); err == nil {
		t.Fatal("time below the floor accepted")
	}
	if _, _, err := NewHash([]byte("password"), Params{Memory: 8, Time: 1, Threads: 1}); err == nil {
		t.Fatal("NewHash hashed below the floor")
	}
}

func TestHashVerify(t *testing.T) {
	pw := []byte("correct horse battery")
	h, kek, err := NewHash(pw, Minimum)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Salt) != 16 || len(h.Verifier) != 32 || h.Params != Minimum {
		t.Fatalf("hash = salt %d bytes, verifier %d bytes, params %+v", len(h.Salt), len(h.Verifier), h.Params)
	}
	got, err := h.Verify(pw)
	if err != nil || got == nil || *got != *kek {
		t.Fatal("the right password does not give the same key-encryption key")
	}
	if k, _ := h.Verify([]byte("correct horse batterz")); k != nil {
		t.Fatal("a wrong password verified")
	}
	// Never truncated: a long password differs from its prefix.
	long := bytes.Repeat([]byte("x"), 200)
	hl, _, _ := NewHash(long, Minimum)
	k72, _ := hl.Verify(long[:72])
	k199, _ := hl.Verify(long[:199])
	if k72 != nil || k199 != nil {
		t.Fatal("a prefix of a long password verified")
	}
	// The verifier is not the key: the store never holds the key.
	if bytes.Equal(h.Verifier, kek[:]) {
		t.Fatal("verifier and key-encryption key are the same bytes")
	}
	h2, _, _ := NewHash(pw, Minimum)
	if bytes.Equal(h.Salt, h2.Salt) {
		t.Fatal("two hashes share a salt")
	}
}

func TestWeakerThan(t *testing.T) {
	strong := Params{Memory: 65536, Time: 3, Threads: 1}
	if !Minimum.WeakerThan(strong) || strong.WeakerThan(Minimum) || Minimum.WeakerThan(Minimum) {
		t.Fatal("WeakerThan is wrong")
	}
}

func TestSealOpenWrap(t *testing.T) {
	k, other := NewKey(), NewKey()
	sealed := k.Seal([]byte("totp secret"), "totp alice")
	if bytes.Contains(sealed, []byte("totp secret")) {
		t.Fatal("sealed data holds the plain text")
	}
	if got, err := k.Open(sealed, "totp alice"); err != nil || string(got) != "totp secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := other.Open(sealed, "totp alice"); err != ErrOpen {
		t.Fatalf("another key opened it: %v", err)
	}
	if _, err := k.Open(sealed, "totp bob"); err != ErrOpen {
		t.Fatalf("other associated data opened it: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, "totp alice"); err != ErrOpen {
		t.Fatalf("a damaged blob opened: %v", err)
	}
	if _, err := k.Open([]byte("short"), "x"); err != ErrOpen {
		t.Fatalf("a short blob: %v", err)
	}
	dk := NewKey()
	w := k.Wrap(dk, "data key")
	if got, err := k.Unwrap(w, "data key"); err != nil || *got != *dk {
		t.Fatalf("Unwrap = %v", err)
	}
}

func TestMAC(t *testing.T) {
	k := NewKey()
	a := k.MAC("verify", "alice@example.com", "123456")
	if !Equal(a, k.MAC("verify", "alice@example.com", "123456")) {
		t.Fatal("MAC is not deterministic")
	}
	for _, b := range [][]byte{
		k.MAC("verify", "alice@example.com", "123457"),
		k.MAC("verify", "alice@example.co", "m123456"), // parts are length-prefixed
		k.MAC("recovery", "alice@example.com", "123456"),
		NewKey().MAC("verify", "alice@example.com", "123456"),
	} {
		if Equal(a, b) {
			t.Fatal("different inputs gave the same MAC")
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"1234567":                          false,
		"12345678":                         true,
		"비밀번호입니다요":                         true, // 8 characters, 24 bytes
		"비밀번호":                             false,
		strings.Repeat("a", MaxPassword):   true,
		strings.Repeat("a", MaxPassword+1): false,
		"bad\xffbytes":                     false,
	} {
		if err := CheckPassword([]byte(pw)); (err == nil) != ok {
			t.Errorf("CheckPassword(%.20q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add([]byte("correct horse"))
	f.Add([]byte("short"))
	f.Add([]byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"))
	f.Fuzz(func(t *testing.T, pw []byte) {
		err := CheckPassword(pw)
		ok := utf8.Valid(pw) && utf8.RuneCount(pw) >= MinPassword && len(pw) <= MaxPassword
		if (err == nil) != ok {
			t.Fatalf("CheckPassword(%q) = %v", pw, err)
		}
	})
}

// TestParamsBounded: no configuration and no stored hash makes a password
// check allocate or run without limit (security rule 1).
func TestParamsBounded(t *testing.T) {
	for _, p := range []Params{
		{Memory: 4294967295, Time: 2, Threads: 1},
		{Memory: Minimum.Memory, Time: 4294967295, Threads: 1},
		{Memory: Minimum.Memory, Time: 2, Threads: 255},
	} {
		if err := p.Check(); err == nil {
			t.Errorf("Check(%+v) = nil, want an error", p)
		}
		if _, _, err := NewHash([]byte("a password"), p); err == nil {
			t.Errorf("NewHash with %+v ran", p)
		}
		h := Hash{Params: p, Salt: make([]byte, 16), Verifier: make([]byte, 32)}
		if k, err := h.Verify([]byte("a password")); err == nil || k != nil {
			t.Errorf("Verify of a stored hash with %+v = %v, %v; want an error", p, k, err)
		}
	}
	if err := Maximum.Check(); err != nil {
		t.Fatalf("Maximum itself is refused: %v", err)
	}
}
