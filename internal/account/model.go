// Package account owns kcloud's domain: the organization, its accounts,
// sessions, password checks with lockout, and the activity log. It never
// touches a terminal: callers hand it what the person typed.
package account

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/text"
)

// Organization is the one organization a store holds.
type Organization struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	UsesNicknames bool      `json:"uses_nicknames"`
	CreatedAt     time.Time `json:"created_at"`
	Policy        Policy    `json:"policy"`
}

// Contact is a verified email address or phone number.
type Contact struct {
	Address    string    `json:"address"`
	VerifiedAt time.Time `json:"verified_at"`
}

// OTP is the account's second factor: its authenticators (TOTP apps;
// a code from any of them logs in) and the recovery codes, which stand
// in for all of them. An account has an OTP while it has an
// authenticator.
type OTP struct {
	Authenticators []*Authenticator `json:"authenticators,omitempty"`
	// Passkeys are the WebAuthn passkeys and security keys: an
	// authenticator each, as an app is (the contract's "an OTP is
	// registered" means either).
	Passkeys []*Passkey `json:"passkeys,omitempty"`
	// RecoveryCodes are MACs of the unused recovery codes, keyed by
	// RecoveryKey. A recovery code has 80 random bits, so its MAC needs
	// no secret key: RecoveryKey is stored in the clear, like a salt, and
	// outlives password changes, which give the account a new MAC key.
	// Codes made before it existed are keyed by the account's MAC key,
	// which their first password change copies here.
	RecoveryCodes [][]byte `json:"recovery_codes"`
	RecoveryKey   []byte   `json:"recovery_key,omitempty"`
	// Recovery is the way in the recovery codes open, as records from
	// before key slots hold it: normalize moves it to Account.Keys.
	Recovery *RecoverySlots `json:"recovery,omitempty"`

	// Secret, RegisteredAt and LastStep are the one authenticator of a
	// record written before an account could have several: normalize
	// makes it the first, named "app".
	Secret       []byte     `json:"secret,omitempty"`
	RegisteredAt *time.Time `json:"registered_at,omitempty"`
	LastStep     int64      `json:"last_step,omitempty"`
}

// Authenticator is one registered TOTP app.
type Authenticator struct {
	Name string `json:"name"`
	// Secret is the TOTP secret sealed with the account's data key.
	Secret       []byte    `json:"secret"`
	RegisteredAt time.Time `json:"registered_at"`
	// LastStep is the last time step whose code this authenticator gave
	// and kcloud accepted: a code is good only for a later step, so no
	// code is accepted twice (security rule 3, per authenticator).
	LastStep   int64      `json:"last_step"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func (a *Account) language() string {
	if a.Language == "" {
		return "en"
	}
	return a.Language
}

// MaxAuthenticators is how many authenticators an account may have.
const MaxAuthenticators = 5

// normalize brings a record read from the store to this binary's form:
// an OTP of the first layout becomes one authenticator named "app".
func (a *Account) normalize() {
	a.normalizeKeys()
	o := a.OTP
	if o == nil {
		return
	}
	if len(o.Secret) > 0 && len(o.Authenticators) == 0 {
		first := &Authenticator{Name: "app", Secret: o.Secret, LastStep: o.LastStep}
		if o.RegisteredAt != nil {
			first.RegisteredAt = *o.RegisteredAt
		}
		o.Authenticators = []*Authenticator{first}
	}
	o.Secret, o.RegisteredAt, o.LastStep = nil, nil, 0
	if len(o.Authenticators) == 0 && len(o.Passkeys) == 0 {
		a.OTP = nil
	}
}

// PendingOTP is a TOTP registration waiting for its first code.
type PendingOTP struct {
	Name      string    `json:"name,omitempty"` // "" is "app", as before names
	Secret    []byte    `json:"secret"`         // sealed with the data key
	ExpiresAt time.Time `json:"expires_at"`
}

// Account is one user of the organization, as stored.
type Account struct {
	UserID       string      `json:"user_id"`
	UUID         string      `json:"uuid"`
	Name         string      `json:"name"`
	Nickname     string      `json:"nickname,omitempty"`
	Admin        bool        `json:"admin"`
	RegisteredAt time.Time   `json:"registered_at"`
	LastLoginAt  *time.Time  `json:"last_login_at,omitempty"`
	Password     secret.Hash `json:"password"`
	// Keys are the slots that hold the account's data key: the
	// password's, and the recovery codes' (slots.go).
	Keys *Keys `json:"keys,omitempty"`
	// DataKey, in a record from before key slots, is the data key wrapped
	// by the password's key-encryption key; the password's next use moves
	// it to a slot.
	DataKey []byte `json:"data_key,omitempty"`
	// MACKey, sealed with the data key, keys the MACs of codes. It stays
	// when the data key changes; an account without one uses its first
	// data key.
	MACKey []byte   `json:"mac_key,omitempty"`
	Email  *Contact `json:"email,omitempty"`
	Phone  *Contact `json:"phone,omitempty"`
	// Language is of the codes and notices sent to the person: "en" or
	// "ko"; "" is "en" (records from before it).
	Language string `json:"language,omitempty"`
	OTP      *OTP   `json:"otp,omitempty"`
	// PendingOTP is a registration waiting for its first code.
	PendingOTP *PendingOTP `json:"pending_otp,omitempty"`
	// AccessKeys are the account's keys for programs: their hashes only.
	AccessKeys []*AccessKey `json:"access_keys,omitempty"`
	// Sessions are the account's sessions, on every machine: a hash of
	// each token, never the token (sessions.go).
	Sessions []*SessionRecord `json:"sessions,omitempty"`
	// RecoverCode is the code sent for account recover, not yet used.
	RecoverCode *RecoverCode `json:"recover_code,omitempty"`
	// ResetCode is an admin's password reset whose code is not yet used:
	// until it is, the account cannot log in.
	ResetCode *ResetCode `json:"reset_code,omitempty"`
	// InitialPassword: the password is one kcloud made for an admin's
	// account create --must-change-password, good for the first login
	// alone, which sets a new one (initial.go).
	InitialPassword *InitialPassword `json:"initial_password,omitempty"`
	// Disabled: an admin disabled the account; it cannot log in.
	Disabled bool `json:"disabled,omitempty"`
	// Codes are the verification codes sent and not yet used, by kind.
	Codes map[contact.Kind]*contact.Pending `json:"codes,omitempty"`

	// Failures counts wrong passwords in a row, SecondFailures wrong OTP
	// and recovery codes: a right password clears only the first.
	Failures       int        `json:"failures"`
	SecondFailures int        `json:"second_failures,omitempty"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
	// Lockouts counts lockouts in a row, each twice as long as the one
	// before (up to MaxLockout); FailedInRow, failures since the account
	// last let someone all the way in, lockouts or not. At
	// DisableAfterFailures the password is disabled until account recover
	// or an admin's reset (NIST SP 800-63B-4 3.2.2; security rule 4).
	Lockouts         int  `json:"lockouts,omitempty"`
	FailedInRow      int  `json:"failed_in_row,omitempty"`
	PasswordDisabled bool `json:"password_disabled,omitempty"`
	// ShortPassword: the password has fewer than MinPasswordAlone
	// characters. Without an authenticator such a password opens only
	// account password (security rule 7); its length cannot be read from
	// the hash, so it is kept when the password is set or checked.
	ShortPassword bool `json:"short_password,omitempty"`

	// SessionEpoch counts the times every session of the account was
	// ended (a password change, logout --all): a session made under an
	// earlier epoch, on any machine, is over. SessionsEndedAt is when.
	SessionEpoch    int64      `json:"session_epoch,omitempty"`
	SessionsEndedAt *time.Time `json:"sessions_ended_at,omitempty"`
	// Alerts is when each kind of security alert last went out, and how
	// many of it were held back since (AlertEvery).
	Alerts map[string]*alertSent `json:"alerts,omitempty"`
}

// Session is the login this machine holds for its store.
type Session struct {
	UserID    string    `json:"user_id"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Epoch is the account's SessionEpoch when the session began.
	Epoch int64 `json:"epoch,omitempty"`
	// Token opens the session's record in the directory; a session from
	// before records has none. ID is the record's, not secret.
	Token string `json:"token,omitempty"`
	ID    string `json:"id,omitempty"`
	// RecoveryCodesLeft, after a login with a recovery code, is how many
	// the account has left; nil otherwise. It is not stored.
	RecoveryCodesLeft *int `json:"-"`
	// PasswordMinLength, when the password that logged in is shorter
	// than the policy asks of a new one, is that length; 0 otherwise.
	PasswordMinLength int `json:"-"`
	// OTPRequired: the organization requires an OTP that the account has
	// not registered; the session opens only otp register.
	OTPRequired bool `json:"-"`
	// PasswordOnly: the password is short and the account's only factor;
	// the session opens only account password (security rule 7).
	PasswordOnly bool `json:"-"`
}

// Event is one entry of an account's activity log.
type Event struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	Detail string    `json:"detail,omitempty"`
	// AccessKey is the ID of the access key the command that made the
	// event ran with, if one did.
	AccessKey string `json:"access_key,omitempty"`
	// Host is the machine the command ran on (Service.Host).
	Host string `json:"host,omitempty"`
	// Session is the ID of the session the command ran in, or that a
	// login began.
	Session string `json:"session,omitempty"`
	// Method is how the command was authenticated: a session's method
	// for a login, the proof's ("password", "password+otp", "access_key",
	// ...) for a page.
	Method string `json:"method,omitempty"`
	// Actor is the admin who did it, for an admin's action on a member.
	Actor string `json:"actor,omitempty"`
}

// The kinds of security event (security rule 10).
const (
	EvAccountCreated  = "account_created"
	EvLoginOK         = "login_succeeded"
	EvLoginFailed     = "login_failed"
	EvPasswordFailed  = "password_failed"
	EvLockout         = "locked_out"
	EvPWDisabled      = "password_disabled"
	EvProfileChanged  = "profile_changed"
	EvPasswordChanged = "password_changed"
	EvOrgChanged      = "organization_changed"
	EvLogout          = "logged_out"
	EvOTPRegistered   = "otp_registered"
	EvOTPDeleted      = "otp_deleted"
	EvOTPFailed       = "otp_failed"
	EvRecoveryUsed    = "recovery_code_used"
	EvRecoveryRenewed = "recovery_codes_renewed"
	EvCodeSent        = "verification_code_sent"
	EvCodeFailed      = "verification_failed"
	EvContactVerified = "contact_verified"
)

// adData and adTOTP bind sealed blobs to their account and purpose.
func (a *Account) adData() string    { return "kcloud data key " + a.UUID }
func (a *Account) adTOTP() string    { return "kcloud totp " + a.UUID }
func (a *Account) adPending() string { return "kcloud pending totp " + a.UUID }
func (a *Account) adMAC() string     { return "kcloud mac key " + a.UUID }

// MaxUserID is the longest User ID.
const MaxUserID = 64

// CheckUserID validates a User ID and returns it in lower case: User IDs
// are case-insensitive.
func CheckUserID(s string) (string, error) {
	id := strings.ToLower(strings.TrimSpace(s))
	switch {
	case id == "":
		return "", fail.Errorf("the User ID is empty")
	case len(id) > MaxUserID:
		return "", fail.Errorf("the User ID is %d characters long; at most %d are allowed", len(id), MaxUserID)
	case !validUserID(id):
		return "", fail.Errorf("the User ID %q may hold only letters a-z, digits and . _ @ -, starting with a letter or digit", s)
	}
	return id, nil
}

// CheckName validates a person's name.
func CheckName(s string) (string, error) { return text.CheckName("the name", s) }

// CheckNickname validates a nickname; "" clears it.
func CheckNickname(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return text.CheckName("the nickname", s)
}

// CheckOrgName validates an organization name.
func CheckOrgName(s string) (string, error) { return text.CheckName("the organization name", s) }

// validUserID: a-z 0-9 . _ @ -, starting with a letter or digit.
func validUserID(id string) bool {
	for i, c := range []byte(id) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '@' && c != '-') {
			return false
		}
	}
	return true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
