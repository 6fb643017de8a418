package account

import (
	"errors"
	"slices"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// Sessions belong to a machine: with a shared directory they stay in
// this machine's local store, and are written only after the directory's
// transaction has committed.

// readSession returns this machine's session, or a LoginRequired error
// when there is none or it has ended.
func (s *Service) readSession() (*Session, error) {
	var sess *Session
	err := s.viewLocal(func(tx *store.Tx) error {
		var err error
		sess, err = s.sessionIn(tx)
		return err
	})
	if err == nil && sess == nil { // this machine has no session store yet
		err = kindErr(fail.LoginRequired, ErrNotLoggedIn)
	}
	return sess, err
}

// sessionIn reads the session in tx, the store that keeps it.
func (s *Service) sessionIn(tx *store.Tx) (*Session, error) {
	var sess Session
	ok, err := tx.Get(store.Sessions, keySession, &sess)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kindErr(fail.LoginRequired, ErrNotLoggedIn)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session of %s ended at %s",
			sess.UserID, sess.ExpiresAt)
	}
	return &sess, nil
}

// sessionReader gives the session to a transaction of the store. Where
// the store keeps it (bbolt), it is read in that transaction: one open of
// the file, not two, and no change between them. Where this machine keeps
// it apart (a shared directory), it is read now, before the directory is
// asked anything: a machine without a session hears so at once.
func (s *Service) sessionReader() (func(*store.Tx) (*Session, error), error) {
	if s.Local == nil {
		return s.sessionIn, nil
	}
	sess, err := s.readSession()
	if err != nil {
		return nil, err
	}
	return func(*store.Tx) (*Session, error) { return sess, nil }, nil
}

// viewLocal reads this machine's session store. Where it is a file of its
// own (the directory is shared), a machine that never logged in has none
// yet: that is no session, not a missing store.
func (s *Service) viewLocal(fn func(*store.Tx) error) error {
	err := s.local().View(fn)
	if s.Local != nil && errors.Is(err, store.ErrNoStore) {
		return nil
	}
	return err
}

// updateLocal changes this machine's session store; see viewLocal.
func (s *Service) updateLocal(fn func(*store.Tx) error) error {
	err := s.local().Update(fn)
	if s.Local != nil && errors.Is(err, store.ErrNoStore) {
		return nil
	}
	return err
}

// endSession ends this machine's session if it is userID's.
func (s *Service) endSession(userID string) error {
	return s.updateLocal(func(tx *store.Tx) error {
		var sess Session
		ok, err := tx.Get(store.Sessions, keySession, &sess)
		if err != nil || !ok || sess.UserID != userID {
			return err
		}
		return tx.Delete(store.Sessions, keySession)
	})
}

// Current returns the session, its account and the organization. It is
// a LoginRequired error when there is no session or it has ended.
func (s *Service) Current() (*Session, *Who, *Organization, error) {
	session, err := s.sessionReader()
	if err != nil {
		return nil, nil, nil, err
	}
	var (
		sess *Session
		acc  *Account
		org  *Organization
		rec  *SessionRecord
	)
	err = s.Store.View(func(tx *store.Tx) error {
		var err error
		if sess, err = session(tx); err != nil {
			return err
		}
		if err := prefetchPage(tx, sess.UserID, false); err != nil {
			return err
		}
		if acc, err = getAccount(tx, sess.UserID); err != nil {
			return err
		}
		if acc == nil {
			return fail.Mark(fail.LoginRequired, ErrNotLoggedIn, "the session's account %s no longer exists", sess.UserID)
		}
		if org, err = getOrg(tx); err != nil {
			return err
		}
		rec, err = acc.open(sess, s.policy(org), s.now())
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if stale(rec, s.now()) { // at most one write a minute
		if err := s.touch(acc.UserID, sess.Token); err != nil {
			return nil, nil, nil, err
		}
	}
	if rec != nil {
		sess.ID = rec.ID
	}
	// The policy in force bounds the sessions made before it: a shorter
	// session.ttl ends them sooner than they were told.
	if end := sess.StartedAt.Add(s.policy(org).SessionTTL); end.Before(sess.ExpiresAt) {
		sess.ExpiresAt = end
		if !s.now().Before(end) {
			return nil, nil, nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session of %s ended at %s (the organization's session.ttl is %s)",
				sess.UserID, end, s.policy(org).SessionTTL)
		}
	}
	return sess, acc.who(), org, nil
}

// LastUser returns the User ID of the last successful login on this
// machine, or "".
func (s *Service) LastUser() (string, error) {
	var id string
	err := s.viewLocal(func(tx *store.Tx) error {
		_, err := tx.Get(store.Meta, keyLastUser, &id)
		return err
	})
	return id, err
}

// holds reports whether sess is still one of a's sessions: every session
// made before the account's sessions were last ended is over, on every
// machine (security rule 6).
func (a *Account) holds(sess *Session) error {
	if sess.Epoch == a.SessionEpoch {
		return nil
	}
	if a.SessionsEndedAt != nil {
		return fail.Mark(fail.LoginRequired, ErrSessionEnded, "every session of %s was ended at %s, this one too", a.UserID, *a.SessionsEndedAt)
	}
	return fail.Mark(fail.LoginRequired, ErrSessionEnded, "every session of %s was ended since, this one too", a.UserID)
}

// endSessions ends every session of the account, on every machine; the
// one this machine holds for it goes on where keep is set (the session
// that changed the password).
func (u *Unlocked) endSessions(s *Service, keep bool) {
	a := u.Account
	if keep {
		a.dropSessions(u.token)
	} else {
		a.Sessions = nil
	}
	a.SessionEpoch++
	at := u.Now
	a.SessionsEndedAt = &at
	id, epoch := a.UserID, a.SessionEpoch
	u.after = append(u.after, func() error {
		return s.updateLocal(func(tx *store.Tx) error {
			var sess Session
			ok, err := tx.Get(store.Sessions, keySession, &sess)
			if err != nil || !ok || sess.UserID != id {
				return err
			}
			if !keep {
				return tx.Delete(store.Sessions, keySession)
			}
			sess.Epoch = epoch
			return tx.Put(store.Sessions, keySession, sess)
		})
	})
}

// LogoutAll ends every session of the session's account, on every
// machine, this one's too, and tells the person.
func (s *Service) LogoutAll() (*Session, error) {
	sess, who, _, err := s.Current()
	if err != nil {
		return nil, err
	}
	var notices []Notice
	var after []func() error
	err = s.Store.Update(func(tx *store.Tx) error {
		acc, err := getAccount(tx, who.UserID)
		if err != nil {
			return err
		}
		if acc == nil {
			return noAccount(who.UserID)
		}
		org, err := getOrg(tx)
		if err != nil {
			return err
		}
		if _, err := acc.open(sess, s.policy(org), s.now()); err != nil {
			return err
		}
		u := &Unlocked{tx: tx, Account: acc, Now: s.now(), where: Event{Host: s.Host, Session: sessionID(acc, sess)}}
		u.endSessions(s, false)
		u.notice(EvLogout, say("every session of your account was ended, on every machine"))
		notices, after = u.notices, u.after
		if err := u.Log(EvLogout, "every session"); err != nil {
			return err
		}
		return putAccount(tx, acc)
	})
	if err != nil {
		return nil, err
	}
	for _, f := range after {
		if err := f(); err != nil {
			return nil, err
		}
	}
	s.sendNotices(notices)
	return sess, nil
}

// Logout ends the session. It reports whether there was one.
func (s *Service) Logout() (bool, error) {
	var sess Session
	had := false
	err := s.updateLocal(func(tx *store.Tx) error {
		ok, err := tx.Get(store.Sessions, keySession, &sess)
		if err != nil || !ok {
			return err
		}
		had = true
		return tx.Delete(store.Sessions, keySession)
	})
	if err != nil || !had {
		return had, err
	}
	// The record goes too: a copy of the session file opens nothing.
	return had, s.dropSession(sess, true)
}

// dropSession removes the record of a session this machine no longer
// keeps: a logout (logged), or a login that took its place (the login is
// the event).
func (s *Service) dropSession(sess Session, logout bool) error {
	return s.Store.Update(func(tx *store.Tx) error {
		id := ""
		if sess.Token != "" {
			a, err := getAccount(tx, sess.UserID)
			if err != nil || a == nil {
				return err // a deleted account keeps no activity
			}
			if r := a.sessionOrNil(sess.Token); r != nil {
				id = r.ID
				a.Sessions = slices.DeleteFunc(a.Sessions, func(x *SessionRecord) bool { return x == r })
				if err := putAccount(tx, a); err != nil {
					return err
				}
			}
		}
		if !logout {
			return nil
		}
		return logEvent(tx, sess.UserID, Event{Time: s.now(), Event: EvLogout, Host: s.Host, Session: id})
	})
}

// CheckNotLocked returns the lockout error if who's account was locked
// when it was read.
func (s *Service) CheckNotLocked(who *Who) error { return s.checkNotLocked(who.rec) }

func (s *Service) checkNotLocked(a *Account) error { return a.barred(s.now()) }

// CheckLogin reads, before anyone types a password, the account userID
// names, and reports whether it can log in now: it exists and is not
// locked. Login takes the account it returns.
func (s *Service) CheckLogin(userID string) (*Who, error) {
	var acc *Account
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		if acc, err = getAccount(tx, userID); err != nil {
			return err
		}
		if acc == nil {
			return noAccount(userID)
		}
		return s.checkNotLocked(acc)
	})
	if err != nil {
		return nil, err
	}
	return acc.who(), nil
}

// ProveLogin checks the password of a login (auth.Password) and returns
// the proof, which StartSession settles; a second factor, given with the
// password or added to the proof (Proof.Add), follows where the account
// has an authenticator (Proof.Next). Between the two the caller may
// prompt: nothing is held open.
//
// A login that waited at its prompt while the account was locked learns
// nothing, not even whether the password was right (security rule 4):
// an account with an authenticator is read again after the password is
// checked, before the second factor is asked for; one without is
// checked in StartSession's transaction. A wrong password is counted
// here and then, and a right one only when the session starts.
func (s *Service) ProveLogin(who *Who, creds ...auth.Credential) (*Proof, error) {
	pr, err := s.Prove(who, creds...)
	if err != nil {
		return nil, err
	}
	pr.login = true
	if pr.pw.kek == nil {
		return nil, s.finish(pr.pw, loginAttempt()) // counts the failure, unless locked since
	}
	if !who.HasOTP {
		// No prompt follows: StartSession checks the lock in its
		// transaction, and refuses an authenticator registered since.
		return pr, nil
	}
	if pr.who, err = s.CheckLogin(who.UserID); err != nil {
		return nil, err
	}
	pr.needsSecond = pr.who.HasOTP
	return pr, nil
}

func loginAttempt() attempt { return attempt{what: "login", failEvent: EvLoginFailed} }

// StartSession settles a login's proof (ProveLogin) and starts a session
// on this machine.
func (s *Service) StartSession(pr *Proof) (*Session, error) {
	if pr.s != s || !pr.login {
		return nil, fail.Usagef("the proof is not a login's")
	}
	if err := pr.Next(); err != nil {
		return nil, err
	}
	a := loginAttempt()
	a.factor = pr.needsSecond && !pr.passkeyOnly
	var sess *Session
	token, id := newSessionToken()
	a.change = func(u *Unlocked) error {
		if !a.factor && !pr.passkeyOnly && u.Account.OTP != nil {
			return kindErr(fail.Other, ErrAccountRaced) // an authenticator came after the password was asked
		}
		if err := u.Account.checkInitial(u.Now, pr.newPassword); err != nil {
			return err
		}
		if pr.newPassword {
			u.Account.InitialPassword = nil
			if err := u.Log(EvPasswordChanged, "the initial password, at the first login"); err != nil {
				return err
			}
		}
		at := u.Now
		u.where.Session = id
		rec := &SessionRecord{ID: id, Hash: sessionHash(u.Account.UUID, token), CreatedAt: at, LastUsedAt: at.Truncate(time.Minute),
			ExpiresAt: at.Add(u.Policy.SessionTTL), Host: s.Host, Method: auth.Name(pr.Methods()), Client: s.Client}
		if pr.pw != nil && u.Policy.ReauthGrace > 0 {
			rec.PasswordAt, rec.Ticket = &at, s.ticket()
		}
		u.Account.addSession(u.Policy, u.Now, rec)
		u.Account.LastLoginAt = &at
		// The length of the password that logged in, kept for rule 7: a
		// record from before it was kept learns it here.
		if pr.pw != nil && !pr.newPassword { // a new password's was kept as it was set
			u.Account.ShortPassword = pr.pw.length < MinPasswordAlone
		}
		sess = &Session{UserID: u.Account.UserID, StartedAt: at, ExpiresAt: at.Add(u.Policy.SessionTTL), Epoch: u.Account.SessionEpoch, Token: token, ID: id,
			RecoveryCodesLeft: u.recoveryLeft, OTPRequired: u.Policy.RequireOTP && u.Account.OTP == nil,
			PasswordOnly: u.Account.passwordOnly()}
		if pr.pw != nil && !pr.newPassword && pr.pw.length < u.Policy.PasswordMinLength {
			sess.PasswordMinLength = u.Policy.PasswordMinLength
		}
		return u.Log(EvLoginOK, "")
	}
	if err := pr.settle(nil, a); err != nil {
		return nil, err
	}
	var old Session
	had := false
	err := s.local().Create(func(tx *store.Tx) error {
		var err error
		if had, err = tx.Get(store.Sessions, keySession, &old); err != nil {
			return err
		}
		if err := tx.Put(store.Sessions, keySession, sess); err != nil {
			return err
		}
		return tx.Put(store.Meta, keyLastUser, sess.UserID)
	})
	if err != nil {
		return nil, err
	}
	// The session this one replaced on this machine ends: nobody here
	// holds its token any more, so session list would show a session no
	// one can use or end. Failing to end it costs the new login nothing
	// (it expires on its own), so the error is not the login's.
	if had && old.Token != "" {
		_ = s.dropSession(old, false)
	}
	return sess, nil
}
