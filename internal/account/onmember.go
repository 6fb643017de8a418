package account

import (
	"slices"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// The pages that take --user (access-key list|disable|delete, session
// list|end, account activity) run on the visit's own account, or, for an
// admin, on a member's: the admin's proof, the member's record, in one
// transaction; what changes is logged in both accounts, the member's
// naming the admin as the actor.

// For is the same page of the member userID's account, for an admin:
// checked before anyone types (the visit's account is an admin, the
// member exists), the member's record read again in the page's
// transaction. "" or the visit's own User ID is the visit itself.
func (v *Visit) For(userID string) (*Visit, error) {
	if userID == "" || userID == v.who.UserID {
		return v, nil
	}
	if err := v.adminPage(); err != nil {
		return nil, err
	}
	id, err := CheckUserID(userID)
	if err != nil {
		return nil, fail.Usagef("%v", err)
	}
	var m *Account
	err = v.s.Store.View(func(tx *store.Tx) error {
		if m, err = getAccount(tx, id); err == nil && m == nil {
			err = fail.Mark(fail.Other, ErrNoMember, "the organization has no member %q", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	w := *v
	w.user, w.them = id, m
	return &w, nil
}

// subjectRec is the record the visit's pages work on, as read before
// anyone typed.
func (v *Visit) subjectRec() *Account {
	if v.them != nil {
		return v.them
	}
	return v.who.rec
}

// MemberStepUp says a page that changes something needs the admin's second
// factor: on a member's account, with the step-up of member actions.
func (v *Visit) MemberStepUp() bool { return v.user != "" && v.who.HasOTP }

// subject is the account a page of userID works on: u's own for "" or
// its own User ID, else the member, read in u's transaction.
func (u *Unlocked) subject(userID string) (*Account, error) {
	if userID == "" || userID == u.Account.UserID {
		return u.Account, nil
	}
	return u.member(userID)
}

// onSubject runs fn on the account userID names, as subject does. fn
// does the page's work and logs it, and returns the event and its detail
// ("" where nothing changed). On a member's account fn's u logs to the
// member with the admin as the actor; then the member's record is
// written and the admin's activity gets the same event, naming the
// member.
func (u *Unlocked) onSubject(userID string, fn func(u *Unlocked) (event, detail string, err error)) error {
	m, err := u.subject(userID)
	if err != nil {
		return err
	}
	if m == u.Account {
		_, _, err = fn(u)
		return err
	}
	mu := u.onMember(m)
	event, detail, err := fn(mu)
	if err != nil || event == "" {
		return err
	}
	u.gather(mu)
	if err := u.Log(event, m.UserID+": "+detail); err != nil {
		return err
	}
	return putAccount(u.tx, m)
}

// EventTypes are the kinds of event the activity holds, by name: what
// `account activity --type` takes.
var EventTypes = func() []string {
	t := []string{
		EvAccountCreated, EvLoginOK, EvLoginFailed, EvPasswordFailed, EvLockout, EvPWDisabled,
		EvProfileChanged, EvPasswordChanged, EvOrgChanged, EvLogout, EvShortPassword,
		EvCodeSent, EvCodeFailed, EvContactVerified,
		EvOTPRegistered, EvOTPDeleted, EvOTPFailed, EvRecoveryUsed, EvRecoveryRenewed,
		EvRecoverySent, EvRecoveryFailed, EvRecovered,
		EvMemberAdmin, EvMemberNotAdmin, EvMemberDeleted, EvMemberDisabled, EvMemberEnabled,
		EvMemberOTPReset, EvMemberPWReset, EvMemberUnlocked,
		EvKeyCreated, EvKeyDeleted, EvKeyDisabled, EvKeyEnabled,
		EvPasskeyRegistered, EvPasskeyDeleted, EvPasskeyCloned,
		EvSessionsEnded, EvNoticeFailed,
	}
	slices.Sort(t)
	return t
}()
