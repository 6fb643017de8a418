package account

import (
	"testing"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// acct reads the account as the command line does before asking for a
// password, and as the pages then take it.
func acct(t *testing.T, s *Service, id string) *Who {
	t.Helper()
	return readAccount(t, &world{open: func() *store.Store { return s.Store }}, id).who()
}

// on opens a page of who's account on s, as a kcloud process does after
// reading the session: the account as read then, the organization now.
func on(s *Service, who *Who) *Visit {
	org, _ := s.Org() // a page's transaction reads it again, and fails for it
	return &Visit{s: s, who: who, org: org}
}

// setProfile checks c as the command line does, then sets it.
func setProfile(v *Visit, pw []byte, c ProfileChange) (*Page, error) {
	checked, err := v.CheckProfile(c)
	if err != nil {
		return nil, err
	}
	return v.SetProfile(pw, checked)
}

// profile is p as Check accepts it (no nicknames).
func profile(t *testing.T, p Profile) CheckedProfileNew {
	t.Helper()
	c, err := p.Check(false)
	if err != nil {
		t.Fatalf("the test's profile %+v: %v", p, err)
	}
	return c
}

// checked is pw as the rules accept it for the account id.
func checked(t *testing.T, pw []byte, id string) NewPassword {
	t.Helper()
	n, err := CheckNewPassword(pw, 8, id, "", "")
	if err != nil {
		t.Fatalf("the test's password %q: %v", pw, err)
	}
	return n
}

func readAccount(t *testing.T, w *world, id string) *Account {
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

func otpFactor(s string) SecondFactor { return SecondFactor{OTP: otpCode(s)} }

func recoveryFactor(s string) SecondFactor {
	r, err := otp.ParseRecovery(s)
	if err != nil {
		panic(err)
	}
	return SecondFactor{RecoveryCode: r}
}

func verificationCode(s string) contact.Code {
	c, err := contact.ParseCode(s)
	if err != nil {
		panic(err)
	}
	return c
}

// loginAsk logs in with Login's two steps, asking ask for the second
// factor where the account needs one.
func loginAsk(s *Service, who *Who, pw []byte, ask func(*Who) (SecondFactor, error)) (*Session, error) {
	l, err := s.Login(who, pw)
	if err != nil {
		return nil, err
	}
	var sf SecondFactor
	if l.NeedsSecondFactor {
		if sf, err = ask(l.Who()); err != nil {
			return nil, err
		}
	}
	return l.Finish(sf)
}
