package secret

import (
	"bytes"
	"testing"
)

func TestBox(t *testing.T) {
	priv, pub := NewRecipient()
	dk := NewKey()
	box, err := SealTo(pub, dk, "kcloud recovery box u1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := priv.OpenBox(box, "kcloud recovery box u1")
	if err != nil || *got != *dk {
		t.Fatalf("OpenBox = %v, %v; want the sealed key", got, err)
	}
	if _, err := priv.OpenBox(box, "kcloud recovery box u2"); err != ErrOpen {
		t.Errorf("a box opened for another account: %v", err)
	}
	other, _ := NewRecipient()
	if _, err := other.OpenBox(box, "kcloud recovery box u1"); err != ErrOpen {
		t.Errorf("a box opened with another private key: %v", err)
	}
	if _, err := dk.OpenBox(box, "kcloud recovery box u1"); err != ErrOpen {
		t.Errorf("a box opened with the data key it holds: %v", err)
	}
	if bytes.Contains(box, dk[:]) {
		t.Error("the box holds the data key in the clear")
	}
	for _, short := range [][]byte{nil, box[:31], box[:40]} {
		if _, err := priv.OpenBox(short, "kcloud recovery box u1"); err != ErrOpen {
			t.Errorf("a %d-byte box: %v", len(short), err)
		}
	}
}

func TestSlotKey(t *testing.T) {
	salt := NewSalt()
	a, err := SlotKey([]byte("abcd-efgh-ijkl-mnop"), salt, Minimum)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SlotKey([]byte("abcd-efgh-ijkl-mnop"), salt, Minimum)
	other, _ := SlotKey([]byte("abcd-efgh-ijkl-mnoq"), salt, Minimum)
	resalted, _ := SlotKey([]byte("abcd-efgh-ijkl-mnop"), NewSalt(), Minimum)
	if *a != *again || *a == *other || *a == *resalted {
		t.Error("SlotKey is not a function of the code and the salt alone")
	}
	if _, err := SlotKey([]byte("x"), salt, Params{Memory: 8, Time: 1, Threads: 1}); err == nil {
		t.Error("SlotKey ran below the minimum parameters")
	}
	if _, err := SlotKey([]byte("x"), salt[:8], Minimum); err == nil {
		t.Error("SlotKey took a short salt")
	}
}
