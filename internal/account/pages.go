package account

import (
	"bytes"
	"fmt"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// Page is everything the account page shows.
type Page struct {
	Account View
	Org     Organization
}

// Show checks the password and returns the account page.
func (s *Service) Show(who *Who, pw []byte) (*Page, error) {
	pre := who.rec
	var page Page
	err := s.withPassword(pre, pw, attempt{what: "account show", readOnly: true, change: func(u *Unlocked) error {
		page = Page{Account: u.Account.view(), Org: *u.Org}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// Activity checks the password and returns the account's events, newest
// first; limit 0 means all.
func (s *Service) Activity(who *Who, pw []byte, limit int) ([]Event, error) {
	pre := who.rec
	var events []Event
	err := s.withPassword(pre, pw, attempt{what: "account activity", readOnly: true, change: func(u *Unlocked) error {
		events = []Event{}
		var derr error
		err := u.tx.Newest(store.Activity, u.Account.UserID, func(decode func(any) error) bool {
			var e Event
			if derr = decode(&e); derr != nil {
				return false
			}
			events = append(events, e)
			return limit <= 0 || len(events) < limit
		})
		if err == nil {
			err = derr
		}
		return err
	}})
	return events, err
}

// ProfileChange holds the fields to change; nil leaves one as it is.
type ProfileChange struct {
	Name     *string
	Nickname *string
	checked  bool // by Check: the service checks only the policy again
}

// Check validates the change against the organization's policy and
// returns it normalized and marked as checked.
func (c ProfileChange) Check(org *Organization) (ProfileChange, error) {
	if c.Name == nil && c.Nickname == nil {
		return c, kindErr(fail.Usage, ErrNothingToSet)
	}
	if c.Name != nil {
		n, err := CheckName(*c.Name)
		if err != nil {
			return c, fail.Usagef("%v", err)
		}
		c.Name = &n
	}
	if c.Nickname != nil {
		n, err := CheckNickname(*c.Nickname)
		if err != nil {
			return c, fail.Usagef("%v", err)
		}
		c.Nickname = &n
	}
	if err := c.allowedBy(org); err != nil {
		return c, err
	}
	c.checked = true
	return c, nil
}

// allowedBy checks the change against org's nickname policy: clearing a
// nickname is always allowed; setting one needs the policy.
func (c ProfileChange) allowedBy(org *Organization) error {
	if c.Nickname != nil && *c.Nickname != "" && !org.UsesNicknames {
		return errNoNicknames()
	}
	return nil
}

// SetProfile checks the password and changes the name or nickname.
func (s *Service) SetProfile(who *Who, pw []byte, c ProfileChange) (*Page, error) {
	pre := who.rec
	var out Page
	err := s.withPassword(pre, pw, attempt{what: "account set", change: func(u *Unlocked) error {
		// The form was checked once; the policy may have changed since.
		var err error
		if c.checked {
			err = c.allowedBy(u.Org)
		} else {
			c, err = c.Check(u.Org)
		}
		if err != nil {
			return err
		}
		var changed []string
		if c.Name != nil && *c.Name != u.Account.Name {
			u.Account.Name = *c.Name
			changed = append(changed, fmt.Sprintf("name %q", *c.Name))
		}
		if c.Nickname != nil && *c.Nickname != u.Account.Nickname {
			u.Account.Nickname = *c.Nickname
			changed = append(changed, fmt.Sprintf("nickname %q", *c.Nickname))
		}
		out = Page{Account: u.Account.view(), Org: *u.Org}
		if len(changed) == 0 {
			return nil
		}
		return u.Log(EvProfileChanged, joinWords(changed))
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword checks the current password and sets a new one. The
// account gets a new data key, which seals again what the old one sealed,
// so the OTP keeps working and the old password opens nothing written
// after the change (security rules 2 and 7).
func (s *Service) ChangePassword(who *Who, current, next []byte) error {
	pre := who.rec
	if bytes.Equal(current, next) {
		return fail.Usagef("the new password is the same as the current one")
	}
	org, err := s.Org()
	if err != nil {
		return err
	}
	if err := CheckNewPassword(next, pre.UserID, pre.Name, org.Name); err != nil {
		return err
	}
	p, err := s.checkPassword(pre, current)
	if err != nil {
		return err
	}
	if p.kek != nil {
		if err := p.setPassword(next, s.Params); err != nil {
			return err
		}
		p.rotate = true
	}
	return s.finish(p, attempt{what: "account password", failEvent: EvPasswordFailed, session: true,
		change: func(u *Unlocked) error {
			u.notice(EvPasswordChanged, "your password was changed")
			return u.Log(EvPasswordChanged, "")
		}})
}

func joinWords(w []string) string {
	switch len(w) {
	case 0:
		return ""
	case 1:
		return w[0]
	}
	return w[0] + " and " + w[1]
}
