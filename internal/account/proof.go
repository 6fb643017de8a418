package account

import (
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
)

// A Proof is what a page takes in place of a password: the credentials
// given for one account (auth's methods), each checked as far as it can
// be outside a transaction. Service.Prove checks the password (Argon2id,
// no lock held) and Add takes a second factor; the page the proof is
// given to settles it in its own transaction: the lock is checked again,
// a failure is counted for its method, and a code is consumed together
// with the page's work, so that a page that fails consumes nothing and a
// wrong code is counted once (security rules 3 and 4).
type Proof struct {
	s      *Service
	who    *Who
	pw     *pwCheck        // the password, checked
	second auth.Credential // a second factor, checked when settled
	at     time.Time
	// session: the proof is for a page of this machine's session, whose
	// account it must still be when it is settled.
	session bool
	// login: the proof is a login's (ProveLogin). needsSecond: the
	// account has an authenticator, so the login continues with a second
	// factor (Next).
	login, needsSecond bool
	// passkeyOnly: a login's proof of a passkey alone, with user
	// verification (ProveLoginByPasskey).
	passkeyOnly bool
	// key, cred: a proof by an access key (VisitByKey) holds no password.
	key  *keyUse
	cred *auth.KeyCredential
	// endOthers: the page, once done, ends every other session of the
	// account (EndOtherSessions).
	endOthers bool
	// newPassword: a first login's proof carries the member's own
	// password, which replaces the initial one (SetPassword).
	newPassword bool
	// grace: a proof of the session alone, within security.reauth_grace
	// of a password typed on it (Visit.Graced); it holds no password.
	grace bool
}

// EndOtherSessions has the page the proof opens end every session of the
// account but this machine's too, in its transaction, once its work is
// done (--end-other-sessions, OWASP ASVS 5 7.4.3).
func (pr *Proof) EndOtherSessions() { pr.endOthers = true }

// Prove checks the credentials given for who's account, outside any
// transaction: a barred account is refused before Argon2id runs, and
// nothing is recorded yet; the page the proof is given to records it.
// A password is the first credential, and a second factor may follow.
func (s *Service) Prove(who *Who, creds ...auth.Credential) (*Proof, error) {
	pr := &Proof{s: s, who: who, at: s.now()}
	for _, c := range creds {
		if err := pr.Add(c); err != nil {
			return nil, err
		}
	}
	if pr.pw == nil {
		return nil, fail.Usagef("a password is required")
	}
	return pr, nil
}

// Prove is Service.Prove for a page of the visit's session.
func (v *Visit) Prove(creds ...auth.Credential) (*Proof, error) {
	pr, err := v.s.Prove(v.who, creds...)
	if err != nil {
		return nil, err
	}
	pr.session = true
	return pr, nil
}

// Add adds a credential to the proof: the password (checked now), or a
// second factor (checked by the page that settles the proof). Each
// method once; a second factor of one method only.
func (pr *Proof) Add(c auth.Credential) error {
	switch c := c.(type) {
	case *auth.PasswordCredential:
		if pr.pw != nil {
			return fail.Usagef("the password was given twice")
		}
		p, err := pr.s.checkPassword(pr.who.rec, c.Bytes())
		if err != nil {
			return err
		}
		pr.pw = p
	case auth.Code, auth.Recovery, auth.Assertion:
		if pr.second != nil {
			return fail.Usagef("give an OTP code or a recovery code, not both")
		}
		pr.second = c
	case nil:
		return fail.Usagef("no credential was given")
	default:
		return fail.Usagef("kcloud cannot check a credential of the method %s here", c.Method())
	}
	return nil
}

// Who is the account the proof is for, as read before it was checked
// (for login, after its password was).
func (pr *Proof) Who() *Who { return pr.who }

// Methods are the methods the proof holds, the password first.
func (pr *Proof) Methods() []auth.Method {
	var m []auth.Method
	if pr.pw != nil {
		m = append(m, auth.Password)
	}
	if pr.second != nil {
		m = append(m, pr.second.Method())
	}
	if pr.key != nil {
		m = append(m, auth.AccessKey)
	}
	if pr.grace {
		m = append(m, auth.Grace)
	}
	return m
}

// At is when the proof was made.
func (pr *Proof) At() time.Time { return pr.at }

// Next says what a login needs after its password: nil when the proof is
// enough, an auth.Continue error naming the methods that may follow.
func (pr *Proof) Next() error {
	if pr.needsSecond && pr.second == nil {
		return pr.who.needSecond()
	}
	return nil
}

// settle records the proof and, when it holds, does the page's work a,
// in one transaction (finish). A page that needs a second factor
// (a.factor) refuses a proof without one before anything is recorded.
func (pr *Proof) settle(v *Visit, a attempt) error {
	s := pr.s
	if pr.key != nil {
		return pr.settleKey(v, a)
	}
	if pr.grace {
		return pr.settleGrace(v, a)
	}
	if pr.passkeyOnly {
		return pr.settlePasskeyLogin(a)
	}
	if pr.pw == nil {
		return fail.Usagef("a password is required")
	}
	if v != nil && (v.s != s || pr.who.rec.UUID != v.who.rec.UUID) {
		return fail.Usagef("the proof is of %s, not of %s", pr.who.UserID, v.who.UserID)
	}
	if a.factor {
		if pr.second == nil {
			return pr.who.needSecond()
		}
		sf, then := pr.second, a.second
		a.second = func(u *Unlocked) error {
			if err := s.checkSecondFactor(u, sf); err != nil || then == nil {
				return err
			}
			return then(u)
		}
	}
	a.session = a.session || pr.session
	a.method = auth.Name(pr.Methods())
	if pr.endOthers {
		change := a.change
		a.change = func(u *Unlocked) error {
			if change != nil {
				if err := change(u); err != nil {
					return err
				}
			}
			u.endOtherSessions()
			return nil
		}
	}
	if a.failEvent == "" {
		a.failEvent = EvPasswordFailed
	}
	if pr.pw.kek != nil && a.prepare != nil {
		if err := a.prepare(pr.who.rec); err != nil {
			return err
		}
	}
	return s.finish(pr.pw, a)
}
