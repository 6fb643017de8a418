package cli

import (
	"fmt"

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
func writePage(t *table, a *account.View, o *account.Organization) {
	t.heading("Basic information")
	t.row("User ID", a.UserID)
	t.row("User UUID", a.UUID)
	t.row("Name", a.Name)
	t.row("Nickname", a.Nickname)
	t.row("Registration date", fmtTime(&a.RegisteredAt))
	t.row("Last login", fmtTime(a.LastLoginAt))
	t.blank()
	t.heading("Contact and authentication information")
	t.row("Contact email", contactText(a.Email))
	t.row("Mobile phone number", contactText(a.Phone))
	otp := "not registered"
	if a.OTP != nil {
		otp = "registered " + fmtTime(&a.OTP.RegisteredAt)
		if n := len(a.OTP.Authenticators); n > 1 {
			otp += fmt.Sprintf(" (%d authenticators)", n)
		}
	}
	t.row("OTP", otp)
	t.blank()
	t.heading("Organization information")
	t.row("Organization name", o.Name)
	t.row("Organization ID", o.ID)
	t.row("Uses nicknames", yesNo(o.UsesNicknames))
}

func contactText(c *account.Contact) string {
	if c == nil {
		return ""
	}
	return c.Address + " (verified " + fmtTime(&c.VerifiedAt) + ")"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
