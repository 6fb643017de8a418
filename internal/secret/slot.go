package secret

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Key slots: a second way to the data key, which recovery codes open
// (account recover), as a LUKS header or an age file has several
// recipients.
//
// A set of recovery codes has an X25519 key pair. Each code, through
// Argon2id at the store's parameters, gives a key that seals the set's
// private key: one slot per code. The account's data key is sealed to the
// set's public key (a box). A password change gives the account a new
// data key and seals it to the same public key, which needs no code; a
// holder of the old password, or of an old data key, never held the
// private key, so the box of a later data key is closed to them. Opening
// the box without the password takes a recovery code through Argon2id.

// SlotKey derives the key that seals a slot from a recovery code: one
// Argon2id call at p with the set's salt.
func SlotKey(code, salt []byte, p Params) (*Key, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if len(salt) != saltLen {
		return nil, errors.New("the recovery slots' salt has the wrong length")
	}
	prefaulting.Wait()
	master := argon2IDKey(code, salt, p)
	defer clear(master)
	k := new(Key)
	b := mustHKDF(master, "kcloud recovery slot")
	copy(k[:], b)
	clear(b)
	return k, nil
}

// NewSalt returns a fresh salt for SlotKey.
func NewSalt() []byte {
	s := make([]byte, saltLen)
	rand.Read(s)
	return s
}

// NewRecipient returns a fresh X25519 key pair: the private key, as a
// Key to be sealed in slots, and the public key, stored in the clear.
func NewRecipient() (priv *Key, pub []byte) {
	sk, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	priv = new(Key)
	copy(priv[:], sk.Bytes())
	return priv, sk.PublicKey().Bytes()
}

// SealTo seals dk to the public key pub: an ephemeral X25519 key agrees
// a key with pub, which seals dk. ad binds the box to its account.
func SealTo(pub []byte, dk *Key, ad string) ([]byte, error) {
	rp, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	shared, err := eph.ECDH(rp)
	if err != nil {
		return nil, err
	}
	k := boxKey(shared, eph.PublicKey().Bytes(), pub)
	defer clear(k[:])
	return append(eph.PublicKey().Bytes(), k.Wrap(dk, ad)...), nil
}

// OpenBox opens, with the private key k, a data key sealed by SealTo.
func (k *Key) OpenBox(box []byte, ad string) (*Key, error) {
	if len(box) < 32 {
		return nil, ErrOpen
	}
	sk, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		return nil, ErrOpen
	}
	ep, err := ecdh.X25519().NewPublicKey(box[:32])
	if err != nil {
		return nil, ErrOpen
	}
	shared, err := sk.ECDH(ep)
	if err != nil {
		return nil, ErrOpen
	}
	bk := boxKey(shared, box[:32], sk.PublicKey().Bytes())
	defer clear(bk[:])
	return bk.Unwrap(box[32:], ad)
}

func boxKey(shared, eph, pub []byte) *Key {
	defer clear(shared)
	b, err := hkdf.Key(sha256.New, shared, append(append([]byte{}, eph...), pub...), "kcloud recovery box", keyLen)
	if err != nil {
		panic(err)
	}
	k := new(Key)
	copy(k[:], b)
	clear(b)
	return k
}

// A Slot is one way to the data key: an X25519 key pair whose public key
// the data key is sealed to (Box), and whose private key each Lock wraps
// under the key one secret gives (the password's key-encryption key, or a
// recovery code through SlotKey). A new data key is sealed to every slot
// without any of their secrets (Seal); opening one takes one of them
// (Open). Removing a slot removes that way in, from this record on.
type Slot struct {
	Kind   string   `json:"kind"`
	Public []byte   `json:"public"`
	Box    []byte   `json:"box,omitempty"`
	Locks  [][]byte `json:"locks"`
}

// NewSlot returns a slot of kind with a fresh key pair, its private key
// locked under each of keys (with ad), and no box yet.
func NewSlot(kind, ad string, keys ...*Key) *Slot {
	priv, pub := NewRecipient()
	defer clear(priv[:])
	s := &Slot{Kind: kind, Public: pub}
	for _, k := range keys {
		s.Locks = append(s.Locks, k.Wrap(priv, ad))
	}
	return s
}

// Seal seals dk to the slot, replacing the box it had.
func (s *Slot) Seal(dk *Key, ad string) error {
	box, err := SealTo(s.Public, dk, ad)
	if err != nil {
		return err
	}
	s.Box = box
	return nil
}

// Open opens the data key with the key k of lock i: lockAD and boxAD are
// the ones Lock and Seal were given.
func (s *Slot) Open(i int, k *Key, lockAD, boxAD string) (*Key, error) {
	if i < 0 || i >= len(s.Locks) {
		return nil, ErrOpen
	}
	priv, err := k.Unwrap(s.Locks[i], lockAD)
	if err != nil {
		return nil, err
	}
	defer clear(priv[:])
	return priv.OpenBox(s.Box, boxAD)
}
