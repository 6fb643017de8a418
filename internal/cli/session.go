package cli

import (
	"github.com/kcloud/kcloud/internal/account"
)

// session is the start of every page (account.Service.Visit): the
// session's account and its organization, or a LoginRequired error; a
// locked account is refused here, before anyone types a password. Who
// and the organization come with it, for the checks and prompts a
// command makes before it asks for the password.
func (f *Factory) session() (*account.Visit, *account.Who, *account.Organization, error) {
	return f.visit((*account.Service).Visit)
}

// visit is session with the page's own opening: otp register opens where
// the organization requires an OTP not yet registered, the rest do not.
func (f *Factory) visit(open func(*account.Service) (*account.Visit, error)) (*account.Visit, *account.Who, *account.Organization, error) {
	svc, err := f.Service()
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := open(svc)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, v.Who(), v.Org(), nil
}

// password asks for the password of acc: every page asks again.
func (f *Factory) password(acc *account.Who) ([]byte, error) {
	return f.IO.Secret("the password for "+acc.UserID, "Password for "+acc.UserID+": ")
}

// openPage is a page that asks only for the password: the session (see
// session), then the password.
func (f *Factory) openPage() (*account.Visit, []byte, error) {
	v, acc, _, err := f.session()
	if err != nil {
		return nil, nil, err
	}
	pw, err := f.password(acc)
	return v, pw, err
}
