package account

import (
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// Sent is a verification code on its way.
type Sent struct {
	Target    contact.Target
	TTL       time.Duration
	ExpiresAt time.Time
}

func codeRules(p Policy) contact.Rules {
	return contact.Rules{TTL: p.CodeTTL, ResendAfter: p.ResendAfter, MaxAttempts: p.MaxAttempts}
}

func codeMAC(u *Unlocked, t contact.Target, code string) ([]byte, error) {
	k, err := u.MACKey()
	if err != nil {
		return nil, store.Damaged(store.Accounts, u.Account.UserID, err)
	}
	return k.MAC("verification", u.Account.UUID, string(t.Kind), t.Address, code), nil
}

// SendCode settles the proof, checks the rules, stores a new code (as its
// MAC) bound to t, and calls deliver with the code once that is
// committed, outside any transaction. If delivery fails, the code is
// withdrawn and the code pending before it, if any, put back: a failed
// delivery leaves no usable code behind and resets nothing.
func (v *Visit) SendCode(pr *Proof, t contact.Target, deliver func(code string, ttl time.Duration) error) (*Sent, error) {
	s := v.s
	var (
		code string
		mac  []byte
		prev *contact.Pending
		out  *Sent
	)
	err := pr.settle(v, attempt{what: "contact verify", change: func(u *Unlocked) error {
		a, r := u.Account, codeRules(u.Policy)
		prev = a.Codes[t.Kind]
		failures, err := r.Next(prev, t.Address, u.Now)
		if err != nil {
			return kindErr(fail.Locked, err)
		}
		code = contact.NewCode()
		if mac, err = codeMAC(u, t, code); err != nil {
			return err
		}
		if a.Codes == nil {
			a.Codes = map[contact.Kind]*contact.Pending{}
		}
		a.Codes[t.Kind] = &contact.Pending{Address: t.Address, MAC: mac, SentAt: u.Now, ExpiresAt: u.Now.Add(r.TTL), Failures: failures}
		out = &Sent{Target: t, TTL: r.TTL, ExpiresAt: u.Now.Add(r.TTL)}
		return u.Log(EvCodeSent, string(t.Kind)+" "+t.Masked)
	}})
	if err != nil {
		return nil, err
	}
	if derr := deliver(code, out.TTL); derr != nil {
		kind := fail.Other
		if fail.KindOf(derr) == fail.Interrupted { // Ctrl-C during delivery: 130, not 1
			kind = fail.Interrupted
		}
		if err := s.withdraw(v.who.UserID, t.Kind, mac, prev); err != nil {
			return nil, fail.Wrap(kind, derr, "withdrawing the undelivered code also failed (%v)", err)
		}
		return nil, fail.Wrap(kind, derr, "the code was not delivered and is void")
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
		if err := putAccount(tx, a); err != nil {
			return err
		}
		return logEvent(tx, userID, Event{Time: s.now(), Host: s.Host, Event: EvCodeFailed, Detail: string(kind) + ": the code was not delivered"})
	})
}

// CheckCode settles the proof, then checks code against the one sent to t,
// and saves t as the account's verified contact. The rules are
// contact.Rules.Check's; here they are counted, logged and saved.
func (v *Visit) CheckCode(pr *Proof, t contact.Target, code contact.Code) (*Contact, error) {
	var out *Contact
	err := pr.settle(v, attempt{what: "contact verify", change: func(u *Unlocked) error {
		out = nil
		a := u.Account
		p := a.Codes[t.Kind]
		var match bool
		if p != nil {
			mac, err := codeMAC(u, t, code.Digits())
			if err != nil {
				return err
			}
			match = secret.Equal(p.MAC, mac)
		}
		err := codeRules(u.Policy).Check(p, t, match, u.Now)
		var wrong *contact.WrongCode
		switch {
		case err == nil:
		case errors.Is(err, contact.ErrNoneSent):
			return fail.Mark(fail.Other, ErrNoCodeSent, "no verification code was sent for this %s", kindWord(t.Kind))
		case errors.Is(err, contact.ErrVoid):
			// Kept: the voiding is recorded on the path that refuses, so a
			// looser limit set later does not bring the code back.
			return kept{fail.Mark(fail.Locked, ErrCodeVoid, "the code is void after %d wrong entries; a new one can be sent at %s",
				p.Failures, p.ExpiresAt)}
		case errors.Is(err, contact.ErrExpired):
			if err := u.Log(EvCodeFailed, string(t.Kind)+": the code expired"); err != nil {
				return err
			}
			return kept{fail.Mark(fail.Auth, ErrCodeVoid, "the code expired at %s", p.ExpiresAt)}
		case errors.As(err, &wrong):
			if err := u.Log(EvCodeFailed, string(t.Kind)+": "+wrong.Error()); err != nil {
				return err
			}
			return kept{kindErr(fail.Auth, wrong)} // Left 0: the code is now void
		default:
			return err
		}
		c := &Contact{Address: t.Address, VerifiedAt: u.Now}
		old := ""
		if a.Email != nil {
			old = a.Email.Address
		}
		if t.Kind == contact.Email {
			a.Email = c
		} else {
			a.Phone = c
		}
		// To the address now verified, and to the one it replaced.
		u.notice(EvContactVerified, say("the %s %s was verified as your contact", kindWord(t.Kind), t.Masked), old)
		delete(a.Codes, t.Kind)
		out = c
		return u.Log(EvContactVerified, string(t.Kind)+" "+t.Masked) // as every event shows an address
	}})
	return out, err
}
