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
	HasOTP bool
	rec    *Account
}

func (a *Account) who() *Who {
	return &Who{UserID: a.UserID, Name: a.Name, Admin: a.Admin, HasOTP: a.OTP != nil, rec: a}
}

// View is what the account page shows.
type View struct {
	UserID, UUID, Name, Nickname string
	Admin                        bool
	RegisteredAt                 time.Time
	LastLoginAt                  *time.Time
	Email, Phone                 *Contact
	OTP                          *OTPView // nil when none is registered
}

// OTPView is what the page shows of a registered OTP.
type OTPView struct {
	RegisteredAt      time.Time
	RecoveryCodesLeft int
}

func (a *Account) view() View {
	v := View{UserID: a.UserID, UUID: a.UUID, Name: a.Name, Nickname: a.Nickname, Admin: a.Admin,
		RegisteredAt: a.RegisteredAt, LastLoginAt: a.LastLoginAt, Email: a.Email, Phone: a.Phone}
	if a.OTP != nil {
		v.OTP = &OTPView{RegisteredAt: a.OTP.RegisteredAt, RecoveryCodesLeft: len(a.OTP.RecoveryCodes)}
	}
	return v
}
