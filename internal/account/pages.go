package account

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/store"
)

// A Visit is one page of an account, opened in two steps as the console
// opens it: Service.Visit reads the session's account and organization
// and refuses a locked account, before anyone types; each page's method
// then takes the password. The account's record stays in the domain.
type Visit struct {
	s   *Service
	who *Who
	org *Organization
	// user and them: the member whose account the pages work on (For),
	// as read before anyone typed; "" and nil for one's own.
	user string
	them *Account
	// token is this machine's session token, "" for a visit by key.
	token string
}

// OtherSessions is how many sessions the visit's account has beside this
// machine's, as read before anyone typed.
func (v *Visit) OtherSessions() int {
	a, p, now := v.who.rec, v.Policy(), v.s.now()
	cur := a.sessionOrNil(v.token)
	n := 0
	for _, r := range a.Sessions {
		if r != cur && live(r, p, now) {
			n++
		}
	}
	return n
}

// Visit starts a page of the session's account: LoginRequired without a
// session, while the password is the account's only factor and shorter
// than MinPasswordAlone (security rule 7), or while the organization
// requires an OTP the account has not registered (security.require_otp);
// Locked for a locked or disabled account. The restrictions are worked
// out from the account and the policy now, not from the session.
func (s *Service) Visit() (*Visit, error) { return s.visit(anyPage) }

// VisitToRegister starts the one page a session without a required OTP
// opens: registering an authenticator.
func (s *Service) VisitToRegister() (*Visit, error) { return s.visit(registerPage) }

// VisitToChangePassword starts the one page a short password that is the
// account's only factor opens: changing it (security rule 7).
func (s *Service) VisitToChangePassword() (*Visit, error) { return s.visit(passwordPage) }

// The pages a restricted session may open.
type restricted int

const (
	anyPage restricted = iota
	registerPage
	passwordPage
)

func (s *Service) visit(page restricted) (*Visit, error) {
	sess, who, org, err := s.Current()
	if err != nil {
		return nil, err
	}
	if err := s.checkNotLocked(who.rec); err != nil {
		return nil, err
	}
	switch a := who.rec; {
	case a.passwordOnly():
		if page != passwordPage {
			return nil, fail.Mark(fail.LoginRequired, ErrShortPassword,
				"the password of %s has fewer than %d characters and is its only factor: until it is changed, no other page opens", a.UserID, MinPasswordAlone)
		}
	case s.policy(org).RequireOTP && a.OTP == nil && page != registerPage:
		return nil, fail.Mark(fail.LoginRequired, ErrOTPRequired,
			"the organization requires an OTP: %s can only register an authenticator until one is registered", a.UserID)
	}
	return &Visit{s: s, who: who, org: org, token: sess.Token}, nil
}

// passwordOnly reports whether a's password is short and its only
// factor: it then opens nothing but account password (security rule 7).
func (a *Account) passwordOnly() bool { return a.ShortPassword && a.OTP == nil }

// PasswordMinLength is the fewest characters a new password of the
// visit's account has: the policy's where it has an authenticator, and at
// least MinPasswordAlone where the password is its only factor (security
// rule 7).
func (v *Visit) PasswordMinLength() int {
	return MinPasswordFor(v.s.policy(v.org), v.who.rec.OTP != nil)
}

// MinPasswordFor is the fewest characters of a new password under p, for
// an account with an authenticator (hasFactor) or without.
func MinPasswordFor(p Policy, hasFactor bool) int {
	if hasFactor {
		return p.PasswordMinLength
	}
	return max(p.PasswordMinLength, MinPasswordAlone)
}

// Who is the account the page is of, as the session read it.
func (v *Visit) Who() *Who { return v.who }

// Org is the organization as the session read it.
func (v *Visit) Org() *Organization { return v.org }

// Page is everything the account page shows.
type Page struct {
	Account View
	Org     Organization
	// ActiveKeys, on a member's page (member show), is how many of the
	// member's access keys open pages now.
	ActiveKeys int
}

// Show settles the proof and returns the account page.
func (v *Visit) Show(pr *Proof) (*Page, error) {
	var page Page
	err := pr.settle(v, attempt{what: "account show", readOnly: true, grace: true, keys: ScopeRead, snapshot: true, change: func(u *Unlocked) error {
		page = Page{Account: u.Account.view(), Org: *u.Org}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// ActivityQuery selects events, newest first.
type ActivityQuery struct {
	Limit int       // at most this many; 0: all
	Since time.Time // none older; zero: any age
	Types []string  // only these kinds (EventTypes); none: every kind
}

// CheckEventTypes checks the kinds of an activity query, before anyone
// types a password.
func CheckEventTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(EventTypes, t) {
			return fail.Usagef("%q is not an event: the events are %s", t, strings.Join(EventTypes, ", "))
		}
	}
	return nil
}

// Activity settles the proof and returns the events q selects.
func (v *Visit) Activity(pr *Proof, q ActivityQuery) ([]Event, error) {
	var events []Event
	err := pr.settle(v, attempt{what: "account activity", readOnly: true, grace: true, keys: ScopeRead, change: func(u *Unlocked) error {
		events = []Event{}
		acc, err := u.subject(v.user)
		if err != nil {
			return err
		}
		var derr error
		err = u.tx.Newest(store.Activity, acc.UserID, func(decode func(any) error) bool {
			var e Event
			if derr = decode(&e); derr != nil {
				return false
			}
			if !q.Since.IsZero() && e.Time.Before(q.Since) {
				return false // newest first: the rest are older still
			}
			if len(q.Types) == 0 || slices.Contains(q.Types, e.Event) {
				events = append(events, e)
			}
			return q.Limit <= 0 || len(events) < q.Limit
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
	// Language is of the codes and notices sent to the person: en or ko.
	Language *string
}

// CheckLanguage checks a language an account's messages may be sent in.
func CheckLanguage(l string) error {
	if i18n.Lookup(l) == nil {
		return fail.Usagef("the language must be one of %s, not %q", strings.Join(i18n.Tags(), ", "), l)
	}
	return nil
}

// A CheckedProfile is a ProfileChange whose form was checked, normalized,
// by Visit.CheckProfile: SetProfile takes nothing else, so the form is
// checked once, before the password is asked for.
type CheckedProfile struct{ c ProfileChange }

// CheckProfile checks the change's form and the organization's nickname
// policy as the session read it.
func (v *Visit) CheckProfile(c ProfileChange) (CheckedProfile, error) {
	if c.Name == nil && c.Nickname == nil && c.Language == nil {
		return CheckedProfile{}, kindErr(fail.Usage, ErrNothingToSet)
	}
	if c.Language != nil {
		if err := CheckLanguage(*c.Language); err != nil {
			return CheckedProfile{}, err
		}
	}
	if c.Name != nil {
		n, err := CheckName(*c.Name)
		if err != nil {
			return CheckedProfile{}, fail.Usagef("%v", err)
		}
		c.Name = &n
	}
	if c.Nickname != nil {
		n, err := CheckNickname(*c.Nickname)
		if err != nil {
			return CheckedProfile{}, fail.Usagef("%v", err)
		}
		c.Nickname = &n
	}
	if err := c.allowedBy(v.org); err != nil {
		return CheckedProfile{}, err
	}
	return CheckedProfile{c}, nil
}

// allowedBy checks the change against org's nickname policy: clearing a
// nickname is always allowed; setting one needs the policy.
func (c ProfileChange) allowedBy(org *Organization) error {
	if c.Nickname != nil && *c.Nickname != "" && !org.UsesNicknames {
		return errNoNicknames()
	}
	return nil
}

// SetProfile settles the proof and changes the name or nickname.
func (v *Visit) SetProfile(pr *Proof, checked CheckedProfile) (*Page, error) {
	c := checked.c
	var out Page
	err := pr.settle(v, attempt{what: "account set", grace: true, keys: ScopeWrite, change: func(u *Unlocked) error {
		// The form was checked once; the policy may have changed since.
		if err := c.allowedBy(u.Org); err != nil {
			return err
		}
		var changed []string
		if c.Name != nil && *c.Name != u.Account.Name {
			u.Account.Name = *c.Name
			changed = append(changed, fmt.Sprintf("name %q", *c.Name))
		}
		if c.Nickname != nil && *c.Nickname != u.Account.Nickname {
			u.Account.Nickname = *c.Nickname
			if *c.Nickname == "" {
				changed = append(changed, "nickname cleared")
			} else {
				changed = append(changed, fmt.Sprintf("nickname %q", *c.Nickname))
			}
		}
		if c.Language != nil && *c.Language != u.Account.language() {
			u.Account.Language = *c.Language
			changed = append(changed, "language "+*c.Language)
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

// ChangePassword settles the proof, whose password is the current one,
// and sets a new one. The account gets a new data key, which seals again
// what the old one sealed, so the OTP keeps working and the old password
// opens nothing written after the change (security rules 2 and 7).
//
// endKeys deletes the account's access keys too.
func (v *Visit) ChangePassword(pr *Proof, checked NewPassword, endKeys bool) error {
	s := v.s
	next, err := checked.forAccount(v.who.UserID)
	if err != nil {
		return err
	}
	p := pr.pw
	if p == nil {
		return fail.Usagef("a password is required")
	}
	if p.kek != nil {
		if p.samePassword(next) {
			return fail.Usagef("the new password is the same as the current one")
		}
		if err := p.setPassword(next, s.Params); err != nil {
			return err
		}
		p.rotate = true
	}
	return pr.settle(v, attempt{what: "account password",
		change: func(u *Unlocked) error {
			u.endSessions(s, true) // every other session, on every machine
			if endKeys && len(u.Account.AccessKeys) > 0 {
				u.Account.AccessKeys = nil
				if err := u.Log(EvKeyDeleted, "every access key, with the password change"); err != nil {
					return err
				}
			}
			u.notice(EvPasswordChanged, say("your password was changed"))
			return u.Log(EvPasswordChanged, "every other session ended")
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
