package auth

// Passkey is the method of a WebAuthn passkey or security key: something
// the person has and, when the authenticator verified them (a PIN or a
// fingerprint, the UV flag), something they know or are as well.
const Passkey Method = "passkey"

// PasskeyKey is a registered passkey's public part, as the store keeps
// it: nothing in it is secret.
type PasskeyKey struct {
	ID        []byte `json:"id"`
	PublicKey []byte `json:"public_key"` // COSE
	AAGUID    []byte `json:"aaguid,omitempty"`
	SignCount uint32 `json:"sign_count"`
	// UserVerified: the authenticator verified the person when the
	// passkey was made (a PIN, a fingerprint).
	UserVerified bool `json:"user_verified"`
	// BackupEligible is the BE flag, which a later assertion must repeat.
	BackupEligible  bool     `json:"backup_eligible,omitempty"`
	AttestationType string   `json:"attestation_type,omitempty"`
	Transports      []string `json:"transports,omitempty"`
}

// PasskeyUse is what a verified assertion tells about the passkey that
// made it.
type PasskeyUse struct {
	ID           []byte
	SignCount    uint32
	UserVerified bool
	// Cloned: the sign count did not go up, where the stored one or the
	// new one is not 0 (WebAuthn Level 3, 6.1.1): a copy of the key.
	Cloned bool
}

// Assertion is the answer of a passkey ceremony that kcloud started
// (internal/passkey), checked as far as it can be without the account:
// Verify checks it against the account's passkeys when a page settles
// it, in the page's transaction, so that the sign count compared is the
// stored one.
type Assertion interface {
	Credential
	// Verify checks the answer's signature, challenge, origin, RP ID
	// hash, user presence and, where the ceremony asked for it, user
	// verification, against keys, the passkeys of the account whose user
	// handle is handle.
	Verify(handle []byte, keys []PasskeyKey) (PasskeyUse, error)
	// Handle is the user handle the answer carries (a discoverable
	// passkey's), or nil.
	Handle() []byte
	// AskedUV says the ceremony required user verification.
	AskedUV() bool
}
