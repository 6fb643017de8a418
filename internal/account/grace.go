package account

import (
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// The reauthentication grace (security.reauth_grace, as sudo's
// timestamp): once a password was typed on a session, the pages that
// open no sealed secret (attempt.grace) open without one for that long,
// counted from the last password typed (SessionRecord.PasswordAt); a
// page opened so does not extend it. The time is kept in the session's
// record in the directory, never in this machine's session file, which
// its owner can write: a copied or edited file gains nothing.

// ErrGraceOver: the grace ended, or its policy changed, between the
// visit and its page.
var ErrGraceOver = errors.New("the grace without a password ended")

// passwordTyped records, on the session of a page whose password was
// right, that a password was typed now, where the policy has a grace: a
// read-only page then writes (errNeedWrite), once per password typed.
func (u *Unlocked) passwordTyped(s *Service, write bool) error {
	if u.Policy.ReauthGrace <= 0 || u.token == "" {
		return nil
	}
	r := u.Account.sessionOrNil(u.token)
	if r == nil {
		return nil
	}
	if !write {
		return errNeedWrite
	}
	at := u.Now
	r.PasswordAt, r.Ticket = &at, s.ticket()
	return nil
}

// ticket is Service.Ticket's, or "".
func (s *Service) ticket() string {
	if s.Ticket == nil {
		return ""
	}
	return s.Ticket()
}

// graceUntil is when r's grace under p ends for a process of the
// ticket; zero where it has none.
func graceUntil(r *SessionRecord, p Policy, ticket string) time.Time {
	if r == nil || r.PasswordAt == nil || p.ReauthGrace <= 0 || ticket == "" || r.Ticket != ticket {
		return time.Time{}
	}
	return r.PasswordAt.Add(min(p.ReauthGrace, MaxReauthGrace))
}

// Graced returns, where the session is within the policy's
// security.reauth_grace of a password typed on it, a proof of the
// session alone, which only the pages that open no sealed secret take;
// nil otherwise (ask for the password). Its page checks the grace again
// in its transaction.
func (v *Visit) Graced() *Proof {
	if v.token == "" {
		return nil
	}
	s := v.s
	p := v.Policy()
	if p.ReauthGrace <= 0 {
		return nil // the ticket is not even read
	}
	until := graceUntil(v.who.rec.sessionOrNil(v.token), p, s.ticket())
	if !s.now().Before(until) {
		return nil
	}
	return &Proof{s: s, who: v.who, at: s.now(), session: true, grace: true}
}

// settleGrace runs the page a with a grace proof: only a page that opens
// no sealed secret, and only while this machine's session is still the
// account's and within its grace, read again in the page's transaction.
func (pr *Proof) settleGrace(v *Visit, a attempt) error {
	if !a.grace {
		return fail.Usagef("%s asks for the password", a.what)
	}
	if v == nil || v.s != pr.s || v.who.rec.UUID != pr.who.rec.UUID {
		return fail.Usagef("the proof is not of this page's session")
	}
	session, err := pr.s.sessionReader()
	if err != nil {
		return err
	}
	ticket := pr.s.ticket()
	return pr.settleBare(v, a, auth.Grace, "", func(tx *store.Tx, acc *Account, p Policy, now time.Time) (string, error) {
		sess, err := session(tx)
		if err != nil {
			return "", err
		}
		if acc == nil || acc.UUID != v.who.rec.UUID || sess.UserID != acc.UserID {
			return "", fail.Mark(fail.LoginRequired, ErrNotLoggedIn, "the session is no longer of %s", v.who.UserID)
		}
		if err := acc.barred(now); err != nil {
			return "", err
		}
		r, err := acc.open(sess, p, now)
		if err != nil {
			return "", err
		}
		if !now.Before(graceUntil(r, p, ticket)) {
			return "", kindErr(fail.Other, ErrGraceOver)
		}
		return sess.Token, nil
	})
}

// settleBare runs the page a for a proof that holds no password (an
// access key's, a session's grace), in one transaction: the account is
// read again and opens says whether the proof still opens it there (and
// the session's token, where a session opened it). The page never has
// the data key.
func (pr *Proof) settleBare(v *Visit, a attempt, method auth.Method, keyID string,
	opens func(tx *store.Tx, acc *Account, p Policy, now time.Time) (token string, err error)) error {
	s := pr.s
	write := !a.readOnly
	run := s.Store.View
	if write {
		run = s.Store.Update
	}
	var u *Unlocked
	err := run(func(tx *store.Tx) error {
		u = nil
		if err := prefetchPage(tx, v.who.UserID, write); err != nil {
			return err
		}
		acc, err := getAccount(tx, v.who.UserID)
		if err != nil {
			return err
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		now, p := s.now(), s.policy(org)
		token, err := opens(tx, acc, p, now)
		if err != nil {
			return err
		}
		u = &Unlocked{tx: tx, Account: acc, Org: org, Policy: p, Now: now, keyID: keyID, token: token, where: Event{Host: s.Host, Method: string(method)}}
		if r := acc.sessionOrNil(token); token != "" && r != nil {
			u.where.Session = r.ID
		}
		if err := a.change(u); err != nil {
			return err
		}
		if !write {
			return nil
		}
		return putAccount(tx, acc)
	})
	if err != nil {
		return err
	}
	return s.committed(u, nil)
}
