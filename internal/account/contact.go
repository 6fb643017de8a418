package account

import (
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// ErrCodeVoid marks a verification code that can no longer be used.
var ErrCodeVoid = errors.New("the code is now void")

// Sent is a verification code on its way.
type Sent struct {
	Target    contact.Target
	ExpiresAt time.Time
}

func codeMAC(u *Unlocked, t contact.Target, code string) []byte {
	return u.DataKey.MAC("verification", u.Account.UUID, string(t.Kind), t.Address, code)
}

// SendCode checks the password and the rules, stores a new code (as its
// MAC) bound to t, and calls deliver with the code once that is
// committed, outside any transaction. If delivery fails, the code is
// withdrawn and the code pending before it, if any, put back: a failed
// delivery leaves no usable code behind and resets nothing.
func (s *Service) SendCode(pre *Account, pw []byte, t contact.Target, r contact.Rules, deliver func(code string) error) (*Sent, error) {
	var (
		code string
		mac  []byte
		prev *contact.Pending
		out  *Sent
	)
	err := s.withPassword(pre, pw, attempt{what: "contact verify", change: func(u *Unlocked) error {
		a := u.Account
		prev = a.Codes[t.Kind]
		failures, err := r.Next(prev, t.Address, u.Now)
		if err != nil {
			w := err.(*contact.ErrWait)
			return fail.Lockedf("%s", w.Why)
		}
		code = contact.NewCode()
		mac = codeMAC(u, t, code)
		if a.Codes == nil {
			a.Codes = map[contact.Kind]*contact.Pending{}
		}
		a.Codes[t.Kind] = &contact.Pending{Address: t.Address, MAC: mac, SentAt: u.Now, ExpiresAt: u.Now.Add(r.TTL), Failures: failures}
		out = &Sent{Target: t, ExpiresAt: u.Now.Add(r.TTL)}
		return u.Log(EvCodeSent, string(t.Kind)+" "+t.Masked)
	}})
	if err != nil {
		return nil, err
	}
	if derr := deliver(code); derr != nil {
		if err := s.withdraw(pre.UserID, t.Kind, mac, prev); err != nil {
			return nil, fail.Wrap(fail.Other, derr, "withdrawing the undelivered code also failed (%v)", err)
		}
		return nil, fail.Wrap(fail.Other, derr, "the code was not delivered and is void")
	}
	return out, nil
}

// withdraw puts back the code pending before an undelivered one, if the
// undelivered one is still the pending code.
func (s *Service) withdraw(userID string, kind contact.Kind, mac []byte, prev *contact.Pending) error {
	return s.Store.Update(func(tx *store.Tx) error {
		a, err := getAccount(tx, userID)
		if err != nil || a == nil {
			return err
		}
		cur := a.Codes[kind]
		if cur == nil || string(cur.MAC) != string(mac) {
			return nil
		}
		if prev != nil {
			a.Codes[kind] = prev
		} else {
			delete(a.Codes, kind)
		}
		if err := tx.Put(store.Accounts, userID, a); err != nil {
			return err
		}
		return logEvent(tx, userID, Event{Time: s.now(), Event: EvCodeFailed, Detail: string(kind) + ": the code was not delivered"})
	})
}

// CheckCode checks the password, then code against the one sent to t,
// and saves t as the account's verified contact.
func (s *Service) CheckCode(pre *Account, pw []byte, t contact.Target, code string, r contact.Rules) (*Contact, error) {
	code, err := contact.CheckCode(code)
	if err != nil {
		return nil, fail.Usagef("%v", err)
	}
	var out *Contact
	err = s.withPassword(pre, pw, attempt{what: "contact verify", change: func(u *Unlocked) error {
		a := u.Account
		p := a.Codes[t.Kind]
		switch {
		case p == nil:
			return fail.Otherf("no verification code was sent for this %s", t.Kind).
				WithHint("send one with `kcloud contact verify %s ADDRESS --send-only`", t.Kind)
		case p.Failures >= r.MaxAttempts && u.Now.Before(p.ExpiresAt):
			return fail.Lockedf("the code is void after %d wrong entries; a new one can be sent at %s",
				p.Failures, p.ExpiresAt.Format(timeFormatMsg))
		case !u.Now.Before(p.ExpiresAt):
			if err := u.Log(EvCodeFailed, string(t.Kind)+": the code expired"); err != nil {
				return err
			}
			return kept{fail.Wrap(fail.Auth, ErrCodeVoid, "the code expired at %s", p.ExpiresAt.Format(timeFormatMsg)).
				WithHint("send a new one")}
		}
		// The code is bound to one address: for any other, it is wrong.
		if p.Address != t.Address || !secret.Equal(p.MAC, codeMAC(u, t, code)) {
			p.Failures++
			why := "wrong verification code"
			if p.Address != t.Address {
				why = "that code was sent to another " + string(t.Kind)
			}
			if err := u.Log(EvCodeFailed, string(t.Kind)+": "+why); err != nil {
				return err
			}
			if p.Failures >= r.MaxAttempts {
				return kept{fail.Wrap(fail.Auth, ErrCodeVoid, "%s", why).
					WithHint("a new code can be sent at %s", p.ExpiresAt.Format(timeFormatMsg))}
			}
			return kept{fail.Authf("%s", why).WithHint("%d more wrong entries void the code", r.MaxAttempts-p.Failures)}
		}
		c := &Contact{Address: t.Address, VerifiedAt: u.Now}
		if t.Kind == contact.Email {
			a.Email = c
		} else {
			a.Phone = c
		}
		delete(a.Codes, t.Kind)
		out = c
		return u.Log(EvContactVerified, string(t.Kind)+" "+t.Address)
	}})
	return out, err
}
