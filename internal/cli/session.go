package cli

import (
	"github.com/kcloud/kcloud/internal/account"
)

// session is the start of every page: the session's account and its
// organization, or a LoginRequired error. A locked account is refused
// here, before anyone types a password.
func (f *Factory) session() (*account.Service, *account.Who, *account.Organization, error) {
	svc, err := f.Service()
	if err != nil {
		return nil, nil, nil, err
	}
	_, acc, org, err := svc.Current()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := svc.CheckNotLocked(acc); err != nil {
		return nil, nil, nil, err
	}
	return svc, acc, org, nil
}

// password asks for the password of acc: every page asks again.
func (f *Factory) password(acc *account.Who) ([]byte, error) {
	return f.IO.Secret("the password for "+acc.UserID, "Password for "+acc.UserID+": ")
}
