// Package secret owns kcloud's cryptography: password hashing with
// Argon2id, the per-account key that seals secrets at rest, and
// constant-time comparison (security rules 1 and 2).
//
// One Argon2id call per password check yields a 32-byte master value.
// HKDF splits it into the verifier, which is stored, and the
// key-encryption key, which is not. The key-encryption key wraps a random
// data key; the data key seals the TOTP secret and keys the MACs that
// stand in for recovery and verification codes. Changing the password
// rewraps the data key and leaves everything it sealed as it was.
package secret

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Params are Argon2id's cost parameters.
type Params struct {
	Memory  uint32 `json:"m"` // KiB
	Time    uint32 `json:"t"`
	Threads uint8  `json:"p"`
}

// Minimum is the floor of security rule 1; kcloud never hashes below it.
var Minimum = Params{Memory: 19456, Time: 2, Threads: 1}

// Maximum bounds what any configuration or stored hash can ask of a
// password command: 1 GiB and 16 passes take about 40 s on one core of
// the machines kcloud is measured on; more would look like a hang, and
// memory beyond it would end in the kernel's out-of-memory killer
// (security rule 1).
var Maximum = Params{Memory: 1 << 20, Time: 16, Threads: 16}

// Check reports whether p is at least Minimum and at most Maximum.
func (p Params) Check() error {
	if p.Memory < Minimum.Memory || p.Time < Minimum.Time || p.Threads < Minimum.Threads {
		return fail.Errorf("argon2id parameters m=%d t=%d p=%d are below the minimum m=%d t=%d p=%d",
			p.Memory, p.Time, p.Threads, Minimum.Memory, Minimum.Time, Minimum.Threads)
	}
	if p.Memory > Maximum.Memory || p.Time > Maximum.Time || p.Threads > Maximum.Threads {
		return fail.Errorf("argon2id parameters m=%d t=%d p=%d are above the maximum m=%d t=%d p=%d",
			p.Memory, p.Time, p.Threads, Maximum.Memory, Maximum.Time, Maximum.Threads)
	}
	return nil
}

// WeakerThan reports whether a hash made with p should be redone with q.
func (p Params) WeakerThan(q Params) bool {
	return p.Memory < q.Memory || p.Time < q.Time || p.Threads < q.Threads
}

const (
	saltLen = 16
	keyLen  = 32
	// MinPassword and MaxPassword bound a password's length. A longer
	// password is refused, never truncated.
	MinPassword = 8
	MaxPassword = 1024
)

// CheckPassword applies security rule 1 to a new password.
func CheckPassword(pw []byte) error {
	if !utf8.Valid(pw) {
		return errors.New("the password is not valid UTF-8")
	}
	if n := utf8.RuneCount(pw); n < MinPassword {
		return fail.Errorf("the password has %d characters; at least %d are required", n, MinPassword)
	}
	if len(pw) > MaxPassword {
		return fail.Errorf("the password is %d bytes long; at most %d are allowed", len(pw), MaxPassword)
	}
	return nil
}

// Key is a 256-bit symmetric key.
type Key [keyLen]byte

// Hash is what the store keeps of a password.
type Hash struct {
	Params   Params `json:"params"`
	Salt     []byte `json:"salt"`
	Verifier []byte `json:"verifier"`
}

// derive runs Argon2id once and splits its output.
func derive(pw, salt []byte, p Params) (verifier []byte, kek *Key) {
	prefaulting.Wait()
	master := argon2IDKey(pw, salt, p)
	defer clear(master)
	verifier = mustHKDF(master, "kcloud password verifier")
	kek = new(Key)
	k := mustHKDF(master, "kcloud key-encryption key")
	copy(kek[:], k)
	clear(k)
	return verifier, kek
}

func argon2IDKey(pw, salt []byte, p Params) []byte {
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, keyLen)
}

func mustHKDF(secret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, keyLen)
	if err != nil {
		panic(err) // only for lengths hkdf cannot give; ours is fixed
	}
	return k
}

// NewHash hashes a new password with a fresh salt. It returns the hash to
// store and the key-encryption key to wrap the data key with.
func NewHash(pw []byte, p Params) (Hash, *Key, error) {
	if err := p.Check(); err != nil {
		return Hash{}, nil, err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	v, kek := derive(pw, salt, p)
	return Hash{Params: p, Salt: salt, Verifier: v}, kek, nil
}

// Verify checks pw against h in constant time. On success it returns the
// key-encryption key; for a wrong password, nil. A hash whose parameters
// or lengths are out of bounds is an error: a damaged or hostile store
// must not make kcloud allocate without limit.
func (h Hash) Verify(pw []byte) (*Key, error) {
	if err := h.Params.Check(); err != nil {
		return nil, err
	}
	if len(h.Salt) != saltLen || len(h.Verifier) != keyLen {
		return nil, fail.Errorf("the password hash has a %d-byte salt and a %d-byte verifier", len(h.Salt), len(h.Verifier))
	}
	v, kek := derive(pw, h.Salt, h.Params)
	if subtle.ConstantTimeCompare(v, h.Verifier) != 1 {
		clear(kek[:])
		return nil, nil
	}
	return kek, nil
}

// NewKey returns a random key.
func NewKey() *Key {
	k := new(Key)
	rand.Read(k[:])
	return k
}

// ErrOpen is returned when sealed data does not open: a wrong key, other
// associated data, or a damaged blob.
var ErrOpen = errors.New("sealed data does not open with this key")

// Seal encrypts and authenticates plain with XChaCha20-Poly1305. ad binds
// the result to its context (an account and a purpose), so a blob copied
// elsewhere does not open.
func (k *Key) Seal(plain []byte, ad string) []byte {
	aead, err := chacha20poly1305.NewX(k[:])
	if err != nil {
		panic(err) // the key length is fixed
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, []byte(ad))
}

// Open reverses Seal.
func (k *Key) Open(sealed []byte, ad string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k[:])
	if err != nil {
		panic(err)
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Wrap seals the data key dk under k.
func (k *Key) Wrap(dk *Key, ad string) []byte { return k.Seal(dk[:], ad) }

// Unwrap opens a data key sealed by Wrap.
func (k *Key) Unwrap(wrapped []byte, ad string) (*Key, error) {
	b, err := k.Open(wrapped, ad)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	if len(b) != keyLen {
		return nil, ErrOpen
	}
	dk := new(Key)
	copy(dk[:], b)
	return dk, nil
}

// MAC returns HMAC-SHA256 over parts under a subkey of k for purpose.
// Codes with little entropy (six digits) are stored only as such MACs: a
// copy of the store cannot test guesses without the account's password.
func (k *Key) MAC(purpose string, parts ...string) []byte {
	sub := mustHKDF(k[:], "kcloud mac "+purpose)
	defer clear(sub)
	m := hmac.New(sha256.New, sub)
	for _, p := range parts {
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(p)>>24), byte(len(p)>>16), byte(len(p)>>8), byte(len(p))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// Equal compares two byte strings in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
