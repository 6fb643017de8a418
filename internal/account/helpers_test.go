package account

import (
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// acct reads the account as the command line does before asking for a
// password, and as the pages then take it.
func acct(t testing.TB, s *Service, id string) *Who {
	t.Helper()
	return readAccount(t, &world{open: func() *store.Store { return s.Store }}, id).who()
}

// on opens a page of who's account on s, as a kcloud process does after
// reading the session: the account as read then, the organization now.
func on(s *Service, who *Who) tvisit {
	org, _ := s.Org() // a page's transaction reads it again, and fails for it
	return tvisit{&Visit{s: s, who: who, org: org}}
}

// tvisit is a Visit whose pages take what a person types, as the command
// line gives it: each makes the proof (Visit.Prove) and opens the page
// with it.
type tvisit struct{ *Visit }

// with proves pw, and more, then runs page with the proof.
func with[T any](v tvisit, pw []byte, more []auth.Credential, page func(*Proof) (T, error)) (T, error) {
	pr, err := v.Prove(append([]auth.Credential{auth.NewPassword(pw)}, more...)...)
	if err != nil {
		var zero T
		return zero, err
	}
	return page(pr)
}

func (v tvisit) Show(pw []byte) (*Page, error) { return with(v, pw, nil, v.Visit.Show) }
func (v tvisit) Activity(pw []byte, limit int) ([]Event, error) {
	return with(v, pw, nil, func(pr *Proof) ([]Event, error) { return v.Visit.Activity(pr, ActivityQuery{Limit: limit}) })
}
func (v tvisit) SetProfile(pw []byte, c CheckedProfile) (*Page, error) {
	return with(v, pw, nil, func(pr *Proof) (*Page, error) { return v.Visit.SetProfile(pr, c) })
}
func (v tvisit) ChangePassword(pw []byte, next NewPassword) error {
	_, err := with(v, pw, nil, func(pr *Proof) (any, error) { return nil, v.Visit.ChangePassword(pr, next, false) })
	return err
}
func (v tvisit) Create(pw []byte, n NewAccount) (*Created, error) {
	return with(v, pw, nil, func(pr *Proof) (*Created, error) { return v.Visit.Create(pr, n) })
}
func (v tvisit) SetOrg(pw []byte, c OrgChange) (*Organization, error) {
	return with(v, pw, nil, func(pr *Proof) (*Organization, error) { return v.Visit.SetOrg(pr, c) })
}
func (v tvisit) Members(pw []byte) ([]Member, error) { return with(v, pw, nil, v.Visit.Members) }
func (v tvisit) Member(pw []byte, id string) (*Page, error) {
	return with(v, pw, nil, func(pr *Proof) (*Page, error) { return v.Visit.Member(pr, id) })
}
func (v tvisit) Act(pw []byte, c *MemberCheck, opts ActOptions, sf ...auth.Credential) (*Acted, error) {
	return with(v, pw, sf, func(pr *Proof) (*Acted, error) { return v.Visit.Act(pr, c, opts) })
}
func (v tvisit) BeginOTP(pw []byte, name string) (*Pending, error) {
	return with(v, pw, nil, func(pr *Proof) (*Pending, error) { return v.Visit.BeginOTP(pr, name) })
}
func (v tvisit) ConfirmOTP(pw []byte, code otp.Code) (*Registered, error) {
	return with(v, pw, nil, func(pr *Proof) (*Registered, error) { return v.Visit.ConfirmOTP(pr, code) })
}
func (v tvisit) DeleteOTP(pw []byte, name string, sf auth.Credential) (*OTPView, error) {
	return with(v, pw, []auth.Credential{sf}, func(pr *Proof) (*OTPView, error) { return v.Visit.DeleteOTP(pr, name) })
}
func (v tvisit) RenewRecoveryCodes(pw []byte, sf auth.Credential) ([]string, error) {
	return with(v, pw, []auth.Credential{sf}, v.Visit.RenewRecoveryCodes)
}
func (v tvisit) SendCode(pw []byte, t contact.Target, deliver func(string, time.Duration) error) (*Sent, error) {
	return with(v, pw, nil, func(pr *Proof) (*Sent, error) { return v.Visit.SendCode(pr, t, deliver) })
}
func (v tvisit) CheckCode(pw []byte, t contact.Target, code contact.Code) (*Contact, error) {
	return with(v, pw, nil, func(pr *Proof) (*Contact, error) { return v.Visit.CheckCode(pr, t, code) })
}

// setProfile checks c as the command line does, then sets it.
func setProfile(v tvisit, pw []byte, c ProfileChange) (*Page, error) {
	checked, err := v.CheckProfile(c)
	if err != nil {
		return nil, err
	}
	return v.SetProfile(pw, checked)
}

// profile is p as Check accepts it (no nicknames).
func profile(t testing.TB, p Profile) CheckedProfileNew {
	t.Helper()
	c, err := p.Check(false)
	if err != nil {
		t.Fatalf("the test's profile %+v: %v", p, err)
	}
	return c
}

// checked is pw as the rules accept it for the account id.
func checked(t testing.TB, pw []byte, id string) NewPassword {
	t.Helper()
	n, err := CheckNewPassword(pw, 8, id, "", "")
	if err != nil {
		t.Fatalf("the test's password %q: %v", pw, err)
	}
	return n
}

func readAccount(t testing.TB, w *world, id string) *Account {
	t.Helper()
	var a *Account
	err := w.open().View(func(tx *store.Tx) error {
		var err error
		a, err = getAccount(tx, id)
		return err
	})
	if err != nil || a == nil {
		t.Fatalf("reading %s: %v", id, err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// otpCode, otpFactor, recoveryFactor and verificationCode make the typed
// codes the service takes, from what a test would type.
func otpCode(s string) otp.Code {
	c, err := otp.ParseCode(s)
	if err != nil {
		panic(err)
	}
	return c
}

func otpFactor(s string) auth.Credential { return auth.Code{Code: otpCode(s)} }

func recoveryFactor(s string) auth.Credential {
	r, err := otp.ParseRecovery(s)
	if err != nil {
		panic(err)
	}
	return auth.Recovery{RecoveryCode: r}
}

func verificationCode(s string) contact.Code {
	c, err := contact.ParseCode(s)
	if err != nil {
		panic(err)
	}
	return c
}

// loginAsk logs in as the command line does, asking ask for the second
// factor where the account needs one.
func loginAsk(s *Service, who *Who, pw []byte, ask func(*Who) (auth.Credential, error)) (*Session, error) {
	pr, err := s.ProveLogin(who, auth.NewPassword(pw))
	if err != nil {
		return nil, err
	}
	if pr.Next() != nil {
		sf, err := ask(pr.Who())
		if err != nil {
			return nil, err
		}
		if err := pr.Add(sf); err != nil {
			return nil, err
		}
	}
	return s.StartSession(pr)
}

func (v tvisit) sessions(pw []byte) ([]SessionView, error) { return with(v, pw, nil, v.Visit.Sessions) }
