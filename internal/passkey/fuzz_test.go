package passkey

import (
	"bytes"
	"testing"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/passkey/passkeytest"
)

const fuzzOrigin = "http://localhost:47123"

var fuzzUser = User{Handle: []byte("6f1e2a4c-0000-4000-8000-00000000a11c"), Name: "alice", DisplayName: "Alice"}

// FuzzRegistrationAnswer: whatever a page posts as the answer to one
// registration ceremony, kcloud refuses it or takes a credential with an
// ID and a public key, and never panics. The seed is a good answer.
func FuzzRegistrationAnswer(f *testing.F) {
	a := passkeytest.New()
	var key auth.PasskeyKey
	opts, finish, err := registration(fuzzOrigin, fuzzUser, nil, &key)
	if err != nil {
		f.Fatal(err)
	}
	good, err := a.Create(opts, fuzzOrigin)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		if len(answer) > MaxAnswer {
			return // the server refuses it before it is read (TestAnswerIsBounded)
		}
		key = auth.PasskeyKey{}
		if finish(answer) == nil && (len(key.ID) == 0 || len(key.PublicKey) == 0) {
			t.Fatalf("a registration took a credential without an ID or a key: %+v", key)
		}
		if bytes.Equal(answer, good) && !bytes.Equal(key.ID, a.CredID) {
			t.Fatal("the good answer was refused")
		}
	})
}

// FuzzLoginAnswer: whatever a page posts as the answer to one login
// ceremony, reading it and verifying it against the account's one
// passkey refuses it or returns that passkey's use, and never panics.
// The seed is a good answer.
func FuzzLoginAnswer(f *testing.F) {
	a := passkeytest.New()
	var key auth.PasskeyKey
	opts, finish, err := registration(fuzzOrigin, fuzzUser, nil, &key)
	if err != nil {
		f.Fatal(err)
	}
	answer, err := a.Create(opts, fuzzOrigin)
	if err != nil || finish(answer) != nil {
		f.Fatalf("the seed registration: %v", err)
	}
	var as *assertion
	opts, finish, err = login(fuzzOrigin, &fuzzUser, []auth.PasskeyKey{key}, false, &as)
	if err != nil {
		f.Fatal(err)
	}
	good, err := a.Get(opts, fuzzOrigin)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"","authenticatorData":"","signature":""}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		if len(answer) > MaxAnswer {
			return
		}
		as = nil
		if finish(answer) != nil {
			return
		}
		use, err := as.Verify(fuzzUser.Handle, []auth.PasskeyKey{key})
		if err == nil && !bytes.Equal(use.ID, key.ID) {
			t.Fatalf("an answer verified as the credential %x, which the account does not have", use.ID)
		}
		if bytes.Equal(answer, good) && err != nil {
			t.Fatalf("the good answer was refused: %v", err)
		}
	})
}
