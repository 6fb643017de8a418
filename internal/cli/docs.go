package cli

import (
	"github.com/kcloud/kcloud/internal/account"
)

// The JSON documents of the contract. YAML output is the same documents.

type orgDoc struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	UsesNicknames bool   `json:"uses_nicknames"`
}

func newOrgDoc(o *account.Organization) orgDoc {
	return orgDoc{ID: o.ID, Name: o.Name, UsesNicknames: o.UsesNicknames}
}

type emailDoc struct {
	Address    string `json:"address"`
	VerifiedAt Time   `json:"verified_at"`
}

type phoneDoc struct {
	Number     string `json:"number"`
	VerifiedAt Time   `json:"verified_at"`
}

type otpDoc struct {
	Registered        bool               `json:"registered"`
	RegisteredAt      *Time              `json:"registered_at"`
	Authenticators    []authenticatorDoc `json:"authenticators"`
	Passkeys          int                `json:"passkeys"`
	RecoveryCodesLeft int                `json:"recovery_codes_left"`
}

type authenticatorDoc struct {
	Name         string `json:"name"`
	RegisteredAt Time   `json:"registered_at"`
	LastUsedAt   *Time  `json:"last_used_at"`
}

func newOTPDoc(o *account.OTPView) otpDoc {
	d := otpDoc{Authenticators: []authenticatorDoc{}}
	if o == nil {
		return d
	}
	d.Registered, d.RegisteredAt, d.RecoveryCodesLeft = true, timeOrNil(&o.RegisteredAt), o.RecoveryCodesLeft
	d.Passkeys = len(o.Passkeys)
	for _, a := range o.Authenticators {
		d.Authenticators = append(d.Authenticators, authenticatorDoc{a.Name, Time(a.RegisteredAt), timeOrNil(a.LastUsedAt)})
	}
	return d
}

// pageDoc is `account show -o json`, exactly.
type pageDoc struct {
	UserID       string    `json:"user_id"`
	UserUUID     string    `json:"user_uuid"`
	Name         string    `json:"name"`
	Nickname     *string   `json:"nickname"`
	RegisteredAt Time      `json:"registered_at"`
	LastLoginAt  *Time     `json:"last_login_at"`
	Email        *emailDoc `json:"email"`
	Phone        *phoneDoc `json:"phone"`
	OTP          otpDoc    `json:"otp"`
	Organization orgDoc    `json:"organization"`
	Admin        bool      `json:"admin"`
	Language     string    `json:"language"`
}

func newPageDoc(a *account.View, o *account.Organization) pageDoc {
	d := pageDoc{
		UserID:       a.UserID,
		UserUUID:     a.UUID,
		Name:         a.Name,
		Nickname:     stringOrNil(a.Nickname),
		RegisteredAt: Time(a.RegisteredAt),
		LastLoginAt:  timeOrNil(a.LastLoginAt),
		OTP:          newOTPDoc(a.OTP),
		Organization: newOrgDoc(o),
		Admin:        a.Admin,
		Language:     a.Language,
	}
	if a.Email != nil {
		d.Email = &emailDoc{a.Email.Address, Time(a.Email.VerifiedAt)}
	}
	if a.Phone != nil {
		d.Phone = &phoneDoc{a.Phone.Address, Time(a.Phone.VerifiedAt)}
	}
	return d
}

// writePage is the account page for people: the console's three sections.
func writePage(t *table, w tr, a *account.View, o *account.Organization) {
	t.heading(w.T("Basic information"))
	t.row(w.T("User ID"), a.UserID)
	t.row(w.T("User UUID"), a.UUID)
	t.row(w.T("Name"), a.Name)
	t.row(w.T("Nickname"), a.Nickname)
	t.row(w.T("Registration date"), w.Time(&a.RegisteredAt))
	t.row(w.T("Last login"), w.Time(a.LastLoginAt))
	t.blank()
	t.heading(w.T("Contact and authentication information"))
	t.row(w.T("Contact email"), contactText(w, a.Email))
	t.row(w.T("Mobile phone number"), contactText(w, a.Phone))
	otp := w.T("not registered")
	if a.OTP != nil {
		otp = w.F("registered %s", w.Time(&a.OTP.RegisteredAt))
		if n := len(a.OTP.Authenticators); n > 1 {
			otp = w.F("registered %s (%d authenticators)", w.Time(&a.OTP.RegisteredAt), n)
		}
	}
	t.row(w.T("OTP"), otp)
	t.blank()
	t.heading(w.T("Organization information"))
	t.row(w.T("Organization name"), o.Name)
	t.row(w.T("Organization ID"), o.ID)
	t.row(w.T("Uses nicknames"), w.yesNo(o.UsesNicknames))
}

func contactText(w tr, c *account.Contact) string {
	if c == nil {
		return ""
	}
	return w.F("%s (verified %s)", c.Address, w.Time(&c.VerifiedAt))
}
