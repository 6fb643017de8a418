package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"hash/crc32"
	"math/big"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
)

// AccessKey is the method of a program's credential: an access key's
// token, made by a person for scripts (docs/scripting.md).
const AccessKey Method = "access_key"

// A token is
//
//	kcak_ ID SECRET USER CHECK
//
// in base62 after the prefix: ID, the key's 8 characters (not secret);
// SECRET, 22 characters for 128 random bits; USER, the account's User ID
// (so that a key finds its account with one read, on etcd as its
// person's own role allows); CHECK, 6 characters of CRC-32 over what
// comes before, so that a mistyped or cut token is refused before any
// lookup. Secret scanners match the prefix, as they match GitHub's ghp_.
const (
	TokenPrefix = "kcak_"
	idLen       = 8
	secretLen   = 22
	checkLen    = 6
	secretBytes = 16
	// MaxToken bounds what is read as a token.
	MaxToken = len(TokenPrefix) + idLen + secretLen + 87 + checkLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// KeyCredential is an access key's token, read and checked for form.
type KeyCredential struct {
	ID     string
	UserID string
	secret []byte
}

// Method is AccessKey.
func (*KeyCredential) Method() Method { return AccessKey }

// Hash is what the store keeps of the key's secret: SHA-256, bound to the
// key's ID and its account's UUID (128 random bits need no slow hash).
func (k *KeyCredential) Hash(accountUUID string) []byte { return KeyHash(accountUUID, k.ID, k.secret) }

// KeyHash is the stored form of an access key's secret.
func KeyHash(accountUUID, id string, secret []byte) []byte {
	h := sha256.New()
	h.Write([]byte("kcloud access key\x00" + accountUUID + "\x00" + id + "\x00"))
	h.Write(secret)
	return h.Sum(nil)
}

// NewToken makes a token for a new access key of userID: the token, shown
// once, and the key's credential (ID and secret) to store the hash of.
func NewToken(userID string) (string, *KeyCredential) {
	id := make([]byte, idLen)
	for i := range id {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(base62))))
		id[i] = base62[n.Int64()]
	}
	sec := make([]byte, secretBytes)
	rand.Read(sec)
	body := string(id) + encode(sec, secretLen) + encode([]byte(userID), 0)
	token := TokenPrefix + body + check(body)
	return token, &KeyCredential{ID: string(id), UserID: userID, secret: []byte(encode(sec, secretLen))}
}

// ParseToken reads a token: a usage error, naming no part of it, when its
// form or its checksum is wrong.
func ParseToken(s string) (*KeyCredential, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) error {
		return fail.Usagef("the access key is not a kcloud token: %s", fail.Message{Format: why})
	}
	if len(s) > MaxToken {
		return nil, bad("it is too long")
	}
	if !strings.HasPrefix(s, TokenPrefix) {
		return nil, bad("it does not start with kcak_")
	}
	rest := s[len(TokenPrefix):]
	if len(rest) < idLen+secretLen+1+checkLen || strings.Trim(rest, base62) != "" {
		return nil, bad("it is cut short, or holds a character that is not a letter or digit")
	}
	body, sum := rest[:len(rest)-checkLen], rest[len(rest)-checkLen:]
	if check(body) != sum {
		return nil, bad("its checksum does not match (a typo, or a token cut short)")
	}
	user, ok := decode(body[idLen+secretLen:])
	if !ok {
		return nil, bad("it names no account")
	}
	return &KeyCredential{ID: body[:idLen], UserID: user, secret: []byte(body[idLen : idLen+secretLen])}, nil
}

func check(body string) string { return encode(crc32.ChecksumIEEE([]byte(TokenPrefix+body)), checkLen) }

// encode writes b (a byte string or a uint32) in base62, at least width
// characters, zero-padded on the left.
func encode[T []byte | uint32](b T, width int) string {
	n := new(big.Int)
	switch v := any(b).(type) {
	case []byte:
		n.SetBytes(v)
	case uint32:
		n.SetUint64(uint64(v))
	}
	var out []byte
	base, mod := big.NewInt(62), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base62[mod.Int64()])
	}
	for len(out) < width {
		out = append(out, '0')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// decode reads a User ID that encode wrote.
func decode(s string) (string, bool) {
	n := new(big.Int)
	for i := 0; i < len(s); i++ {
		n.Mul(n, big.NewInt(62))
		n.Add(n, big.NewInt(int64(strings.IndexByte(base62, s[i]))))
	}
	b := n.Bytes()
	if len(b) == 0 || len(b) > 64 {
		return "", false
	}
	return string(b), true
}
