// Package passkey runs WebAuthn ceremonies for a terminal program: one
// page on a loopback port, in a browser on this machine, for one
// ceremony (server.go), and github.com/go-webauthn/webauthn to make the
// options and verify the answers. The relying party ID is "localhost"
// and the origin http://localhost:PORT, a secure context in every
// browser; an IP address cannot be a relying party ID.
//
// Register makes a passkey and returns its public part, verified;
// Assert returns the answer of a login ceremony, which the account's
// page verifies (auth.Assertion) against the stored passkeys in its
// own transaction. Nothing here reads or writes the store.
package passkey

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
)

// RPID is the relying party ID of every kcloud passkey.
const RPID = "localhost"

// Timeouts of a ceremony (passkey.timeout).
const (
	DefaultTimeout = 2 * time.Minute
	MinTimeout     = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
)

// Ceremony is how one ceremony meets the person.
type Ceremony struct {
	// Timeout ends a ceremony nobody finished (exit 1).
	Timeout time.Duration
	// Ready is called with the page's address once kcloud listens: it
	// opens a browser, or says the address.
	Ready func(addr string)
	// Page is the page's text, in the person's language.
	Page PageText
}

// User is the account a ceremony is for: the user handle is its UUID.
type User struct {
	Handle      []byte
	Name        string // the User ID
	DisplayName string
}

// ErrCancelled is a ceremony the browser or the person ended: exit 3.
var ErrCancelled = errors.New("the passkey ceremony was cancelled or refused")

// ErrTimeout is a ceremony nobody finished in time.
var ErrTimeout = errors.New("no answer from the browser")

type webUser struct {
	User
	creds []webauthn.Credential
}

func (u *webUser) WebAuthnID() []byte                         { return u.Handle }
func (u *webUser) WebAuthnName() string                       { return u.Name }
func (u *webUser) WebAuthnDisplayName() string                { return u.DisplayName }
func (u *webUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func credentials(keys []auth.PasskeyKey) []webauthn.Credential {
	out := make([]webauthn.Credential, len(keys))
	for i, k := range keys {
		tr := make([]protocol.AuthenticatorTransport, len(k.Transports))
		for j, t := range k.Transports {
			tr[j] = protocol.AuthenticatorTransport(t)
		}
		out[i] = webauthn.Credential{
			ID: k.ID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, Transport: tr,
			Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: k.UserVerified, BackupEligible: k.BackupEligible},
			Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
		}
	}
	return out
}

func relyingParty(origin string) (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{
		RPID: RPID, RPDisplayName: "kcloud", RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
	})
}

// MaxAnswer bounds the answer a page posts (rule 13).
const MaxAnswer = 64 << 10

// Register runs a registration ceremony for u, whose passkeys have (the
// browser refuses to make a second on one authenticator), and returns
// the new passkey, verified: the challenge, the origin, the RP ID hash,
// user presence, and a public key of an algorithm kcloud takes.
func Register(ctx context.Context, c Ceremony, u User, have []auth.PasskeyKey) (auth.PasskeyKey, error) {
	var key auth.PasskeyKey
	err := serve(ctx, c, "create", func(origin string) ([]byte, func([]byte) error, error) {
		return registration(origin, u, have, &key)
	})
	return key, err
}

// registration is a registration ceremony at origin: the options for the
// page, and what checks the page's answer and, if it is good, sets *key.
func registration(origin string, u User, have []auth.PasskeyKey, key *auth.PasskeyKey) ([]byte, func([]byte) error, error) {
	rp, err := relyingParty(origin)
	if err != nil {
		return nil, nil, err
	}
	wu := &webUser{User: u, creds: credentials(have)}
	opts, sess, err := rp.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred,
		}))
	if err != nil {
		return nil, nil, err
	}
	options, err := jsonOf(opts)
	return options, func(answer []byte) error {
		parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
		if err != nil {
			return refused(err)
		}
		cred, err := rp.CreateCredential(wu, *sess, parsed)
		if err != nil {
			return refused(err)
		}
		*key = keyOf(cred)
		return nil
	}, err
}

func keyOf(c *webauthn.Credential) auth.PasskeyKey {
	tr := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		tr[i] = string(t)
	}
	return auth.PasskeyKey{
		ID: c.ID, PublicKey: c.PublicKey, AAGUID: c.Authenticator.AAGUID, SignCount: c.Authenticator.SignCount,
		UserVerified: c.Flags.UserVerified, BackupEligible: c.Flags.BackupEligible,
		AttestationType: c.AttestationType, Transports: tr,
	}
}

// Assert runs a login ceremony and returns its answer, parsed, for the
// page to verify. With u, the browser is offered only u's passkeys
// (keys); with u nil, any discoverable passkey of this relying party
// answers, and its user handle names the account. uv asks for user
// verification as required, not preferred.
func Assert(ctx context.Context, c Ceremony, u *User, keys []auth.PasskeyKey, uv bool) (auth.Assertion, error) {
	var as *assertion
	err := serve(ctx, c, "get", func(origin string) ([]byte, func([]byte) error, error) {
		return login(origin, u, keys, uv, &as)
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

// login is a login ceremony at origin: the options for the page, and what
// reads the page's answer into *as (verified by the page: Verify).
func login(origin string, u *User, keys []auth.PasskeyKey, uv bool, as **assertion) ([]byte, func([]byte) error, error) {
	rp, err := relyingParty(origin)
	if err != nil {
		return nil, nil, err
	}
	req := protocol.VerificationPreferred
	if uv {
		req = protocol.VerificationRequired
	}
	var opts *protocol.CredentialAssertion
	var sess *webauthn.SessionData
	if u != nil {
		opts, sess, err = rp.BeginLogin(&webUser{User: *u, creds: credentials(keys)}, webauthn.WithUserVerification(req))
	} else {
		opts, sess, err = rp.BeginDiscoverableLogin(webauthn.WithUserVerification(req))
	}
	if err != nil {
		return nil, nil, err
	}
	options, err := jsonOf(opts)
	return options, func(answer []byte) error {
		parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
		if err != nil {
			return refused(err)
		}
		*as = &assertion{rp: rp, session: *sess, parsed: parsed, uv: uv}
		return nil
	}, err
}

// assertion is a login ceremony's answer: auth.Assertion.
type assertion struct {
	rp      *webauthn.WebAuthn
	session webauthn.SessionData
	parsed  *protocol.ParsedCredentialAssertionData
	uv      bool
}

func (*assertion) Method() auth.Method { return auth.Passkey }

func (a *assertion) Handle() []byte { return a.parsed.Response.UserHandle }

func (a *assertion) AskedUV() bool { return a.uv }

// Verify checks the answer against keys, the passkeys of the account
// whose user handle is handle.
func (a *assertion) Verify(handle []byte, keys []auth.PasskeyKey) (auth.PasskeyUse, error) {
	u := &webUser{User: User{Handle: handle}, creds: credentials(keys)}
	var cred *webauthn.Credential
	var err error
	if len(a.session.UserID) == 0 {
		_, cred, err = a.rp.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, handle) {
				return nil, errors.New("the passkey is of another account")
			}
			return u, nil
		}, a.session, a.parsed)
	} else {
		cred, err = a.rp.ValidateLogin(u, a.session, a.parsed)
	}
	if err != nil {
		return auth.PasskeyUse{}, refused(err)
	}
	return auth.PasskeyUse{
		ID: cred.ID, SignCount: a.parsed.Response.AuthenticatorData.Counter,
		UserVerified: a.parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
		Cloned:       cred.Authenticator.CloneWarning,
	}, nil
}

// refused is a verification's failure: exit 3, saying what failed
// (go-webauthn's details name the check, never a secret).
func refused(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return fail.Authf("the passkey's answer was refused: %s (%s)", pe.Details, pe.DevInfo)
	}
	if errors.As(err, &pe) && pe.Details != "" {
		return fail.Authf("the passkey's answer was refused: %s", pe.Details)
	}
	return fail.Authf("the passkey's answer was refused: %v", err)
}
