// Package passkeytest is a software authenticator and the browser around
// it, for tests: an ES256 key, "none" attestation, authenticator data
// built by hand, and the HTTP a browser sends to kcloud's loopback page
// (the page, its cookie, the answer with Origin). Modes make it answer
// as a broken or hostile authenticator would, so that each check of the
// relying party has a test that fails without it.
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is one passkey and how it answers.
type Authenticator struct {
	Key       *ecdsa.PrivateKey
	CredID    []byte
	Handle    []byte // the user handle it was made for
	SignCount uint32
	AAGUID    [16]byte

	// How it answers.
	NoUV        bool   // no user verification (a key without a PIN)
	NoUP        bool   // no user presence
	Origin      string // the origin it writes in clientData ("" the page's)
	RPID        string // the RP ID it hashes ("" localhost)
	Stuck       bool   // the sign count does not go up
	IgnoreAllow bool   // answers even when its credential is not offered

	// Last is the last answer it posted, for a replay.
	Last []byte
}

// New makes an authenticator with a fresh key.
func New() *Authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	a := &Authenticator{Key: k, CredID: make([]byte, 32)}
	rand.Read(a.CredID)
	copy(a.AAGUID[:], "kcloud-test-key!")
	return a
}

var b64 = base64.RawURLEncoding

const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func (a *Authenticator) rpHash() []byte {
	id := a.RPID
	if id == "" {
		id = "localhost"
	}
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func (a *Authenticator) flags(at bool) byte {
	var f byte
	if !a.NoUP {
		f |= flagUP
	}
	if !a.NoUV {
		f |= flagUV
	}
	if at {
		f |= flagAT
	}
	return f
}

func (a *Authenticator) coseKey() []byte {
	pub, err := a.Key.PublicKey.Bytes() // 0x04, X, Y
	if err != nil {
		panic(err)
	}
	x, y := pub[1:33], pub[33:65]
	em, _ := cbor.CoreDetEncOptions().EncMode()
	b, err := em.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		panic(err)
	}
	return b
}

func (a *Authenticator) clientData(typ, challenge, origin string) []byte {
	if a.Origin != "" {
		origin = a.Origin
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// options is the part of the page's options the authenticator reads.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Create answers navigator.credentials.create with the options the page
// holds, for the page's origin.
func (a *Authenticator) Create(opts []byte, origin string) ([]byte, error) {
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		return nil, err
	}
	if a.Handle, _ = b64.DecodeString(o.PublicKey.User.ID); a.Handle == nil {
		a.Handle = []byte{}
	}
	var ad bytes.Buffer
	ad.Write(a.rpHash())
	ad.WriteByte(a.flags(true))
	binary.Write(&ad, binary.BigEndian, a.SignCount)
	ad.Write(a.AAGUID[:])
	binary.Write(&ad, binary.BigEndian, uint16(len(a.CredID)))
	ad.Write(a.CredID)
	ad.Write(a.coseKey())
	em, _ := cbor.CoreDetEncOptions().EncMode()
	att, err := em.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad.Bytes()})
	if err != nil {
		return nil, err
	}
	cd := a.clientData("webauthn.create", o.PublicKey.Challenge, origin)
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.CredID), "rawId": b64.EncodeToString(a.CredID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att),
			"transports": []string{"internal"}},
	})
}

// ErrNotOffered is a get whose options do not name this credential: a
// browser would find no passkey.
var ErrNotOffered = errors.New("the page offers another credential")

// Get answers navigator.credentials.get.
func (a *Authenticator) Get(opts []byte, origin string) ([]byte, error) {
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		return nil, err
	}
	if len(o.PublicKey.AllowCredentials) > 0 && !a.IgnoreAllow {
		found := false
		for _, c := range o.PublicKey.AllowCredentials {
			found = found || c.ID == b64.EncodeToString(a.CredID)
		}
		if !found {
			return nil, ErrNotOffered
		}
	}
	if !a.Stuck {
		a.SignCount++
	}
	var ad bytes.Buffer
	ad.Write(a.rpHash())
	ad.WriteByte(a.flags(false))
	binary.Write(&ad, binary.BigEndian, a.SignCount)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge, origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(ad.Bytes(), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.CredID), "rawId": b64.EncodeToString(a.CredID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad.Bytes()),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(a.Handle)},
	})
}

var (
	optionsRE = regexp.MustCompile(`(?s)<script type="application/json" id="options">(.*?)</script>`)
	kindRE    = regexp.MustCompile(`const kind = "(create|get)";`)
)

// Page is kcloud's page as a browser loaded it: its options, its kind,
// and the client holding its cookie.
type Page struct {
	Addr, Origin string
	Kind         string
	Options      []byte
	Client       *http.Client
}

// Load GETs the page at addr as a browser does, keeping its cookie.
func Load(addr string) (*Page, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(addr)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", addr, resp.Status)
	}
	om, km := optionsRE.FindSubmatch(body), kindRE.FindSubmatch(body)
	if om == nil || km == nil {
		return nil, fmt.Errorf("the page holds no ceremony: %.200s", body)
	}
	u, _ := url.Parse(addr)
	return &Page{Addr: addr, Origin: u.Scheme + "://" + u.Host, Kind: string(km[1]), Options: []byte(html.UnescapeString(string(om[1]))), Client: c}, nil
}

// Post sends body as the page's answer, with origin ("" the page's).
func (p *Page) Post(body []byte, origin string) (*http.Response, error) {
	if origin == "" {
		origin = p.Origin
	}
	req, err := http.NewRequest(http.MethodPost, p.Addr, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := p.Client.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// Answer makes the answer to the page's ceremony, as the page's script
// posts it: {"credential": ...}, or {"error": "NotAllowedError"} where
// the authenticator has no credential to offer.
func (a *Authenticator) Answer(p *Page) ([]byte, error) {
	var cred []byte
	var err error
	if p.Kind == "create" {
		cred, err = a.Create(p.Options, p.Origin)
	} else {
		cred, err = a.Get(p.Options, p.Origin)
	}
	if errors.Is(err, ErrNotOffered) {
		return []byte(`{"error":"NotAllowedError"}`), nil
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]json.RawMessage{"credential": cred})
}

// Browse is a browser on the page at addr: it loads the page, answers its
// ceremony and posts the answer. It returns the status of the answer.
func (a *Authenticator) Browse(addr string) (int, error) {
	p, err := Load(addr)
	if err != nil {
		return 0, err
	}
	body, err := a.Answer(p)
	if err != nil {
		return 0, err
	}
	a.Last = body
	resp, err := p.Post(body, "")
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// state is an Authenticator in a file, for a browser run as a program.
type state struct {
	Key       []byte `json:"key"` // PKCS #8
	CredID    []byte `json:"cred_id"`
	Handle    []byte `json:"handle"`
	SignCount uint32 `json:"sign_count"`
	Last      []byte `json:"last,omitempty"`
}

// Load reads the authenticator kept in file, or makes one.
func LoadFile(file string) (*Authenticator, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(s.Key)
	if err != nil {
		return nil, err
	}
	a := New()
	a.Key, a.CredID, a.Handle, a.SignCount, a.Last = k.(*ecdsa.PrivateKey), s.CredID, s.Handle, s.SignCount, s.Last
	return a, nil
}

// Save keeps a in file.
func (a *Authenticator) Save(file string) error {
	k, err := x509.MarshalPKCS8PrivateKey(a.Key)
	if err != nil {
		return err
	}
	b, err := json.Marshal(state{Key: k, CredID: a.CredID, Handle: a.Handle, SignCount: a.SignCount, Last: a.Last})
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o600)
}

// Main is the browser as a program ($BROWSER in the end-to-end tests):
// the authenticator kept in file answers the page at addr. mode makes it
// misbehave: "no-uv", "no-up", "stuck" (a copy of the key: sign count 0),
// "origin=URL" (the clientData's origin), "cancel" (the person cancels),
// "replay" (post the last answer again), "ignore" (load nothing).
func Main(file, mode, addr string) int {
	a, err := LoadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "softkey:", err)
		return 1
	}
	switch {
	case mode == "ignore":
		return 0
	case mode == "no-uv":
		a.NoUV = true
	case mode == "no-up":
		a.NoUP = true
	case mode == "stuck":
		a.Stuck, a.SignCount = true, 0 // a copy made before its first use
	case len(mode) > 7 && mode[:7] == "origin=":
		a.Origin = mode[7:]
	}
	p, err := Load(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "softkey:", err)
		return 1
	}
	var body []byte
	switch mode {
	case "cancel":
		body = []byte(`{"error":"NotAllowedError"}`)
	case "replay":
		body = a.Last
	default:
		if body, err = a.Answer(p); err != nil {
			fmt.Fprintln(os.Stderr, "softkey:", err)
			return 1
		}
		a.Last = body
	}
	// The state is saved before the answer goes, as an authenticator
	// commits its counter before it answers: kcloud may exit, and the
	// next command start another browser, the moment the answer arrives.
	if mode != "stuck" { // the copy's count is not the key's
		if err := a.Save(file); err != nil {
			fmt.Fprintln(os.Stderr, "softkey:", err)
			return 1
		}
	}
	if _, err := p.Post(body, ""); err != nil {
		fmt.Fprintln(os.Stderr, "softkey:", err)
		return 1
	}
	return 0
}
