package account

import "time"

// The command line sees an account through these: who it is, what it
// may do, and what its page shows. Neither holds the password hash, the
// wrapped keys or a sealed secret: those stay in the domain.

// Who is an account as read at the start of a command, before anyone
// types a password. The pages take it back: it carries the record as
// read, so that the attempt can tell whether it changed meanwhile.
type Who struct {
	UserID string
	Name   string
	Admin  bool
	// HasOTP: an authenticator of any kind is registered, an app or a
	// passkey; Apps and Passkeys count each kind.
	HasOTP         bool
	Apps, Passkeys int
	// Language is of the codes and notices sent to the person: en or ko.
	Language string
	rec      *Account
}

func (a *Account) who() *Who {
	w := &Who{UserID: a.UserID, Name: a.Name, Admin: a.Admin, HasOTP: a.OTP != nil, Language: a.language(), rec: a}
	if a.OTP != nil {
		w.Apps, w.Passkeys = len(a.OTP.Authenticators), len(a.OTP.Passkeys)
	}
	return w
}

// View is what the account page shows.
type View struct {
	UserID, UUID, Name, Nickname string
	Admin                        bool
	RegisteredAt                 time.Time
	LastLoginAt                  *time.Time
	Email, Phone                 *Contact
	OTP                          *OTPView // nil when none is registered
	Language                     string   // of the codes and notices sent to the person
}

// OTPView is what the page shows of a registered OTP: its
// authenticators, the first first, and the recovery codes left.
type OTPView struct {
	RegisteredAt      time.Time // the first authenticator's
	Authenticators    []AuthenticatorView
	Passkeys          []PasskeyView
	RecoveryCodesLeft int
}

// PasskeyView is one passkey as the page shows it.
type PasskeyView struct {
	Name         string
	RegisteredAt time.Time
	LastUsedAt   *time.Time
	UserVerified bool
	AAGUID       []byte
}

// AuthenticatorView is one authenticator as the page shows it.
type AuthenticatorView struct {
	Name         string
	RegisteredAt time.Time
	LastUsedAt   *time.Time
}

func (a *Account) view() View {
	v := View{UserID: a.UserID, UUID: a.UUID, Name: a.Name, Nickname: a.Nickname, Admin: a.Admin,
		RegisteredAt: a.RegisteredAt, LastLoginAt: a.LastLoginAt, Email: a.Email, Phone: a.Phone, Language: a.language()}
	if a.OTP != nil {
		o := &OTPView{RecoveryCodesLeft: len(a.OTP.RecoveryCodes)}
		for _, x := range a.OTP.Authenticators {
			o.Authenticators = append(o.Authenticators, AuthenticatorView{x.Name, x.RegisteredAt, x.LastUsedAt})
		}
		for _, p := range a.OTP.Passkeys {
			o.Passkeys = append(o.Passkeys, PasskeyView{Name: p.Name, RegisteredAt: p.RegisteredAt, LastUsedAt: p.LastUsedAt,
				UserVerified: p.UserVerified, AAGUID: p.AAGUID})
		}
		o.RegisteredAt = a.OTP.firstRegistered()
		v.OTP = o
	}
	return v
}
