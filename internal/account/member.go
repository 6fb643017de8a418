package account

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// An admin's work on the organization's members: see them, and act on
// one (unlock, reset, disable, delete, make or unmake an admin). Each
// action needs the admin's password and, where the admin has one, a
// second factor (step-up); it is logged in both accounts' activity and
// the member is told (security rule 10).

// Errors of the member pages.
var (
	ErrDisabled      = errors.New("the account is disabled")
	ErrResetPending  = errors.New("the password was reset by an admin")
	ErrNoMember      = errors.New("no such member")
	ErrSelf          = errors.New("the admin's own account")
	ErrLastAdmin     = errors.New("the last admin")
	ErrOTPRequired   = errors.New("the organization requires an OTP")
	ErrShortPassword = errors.New("a short password is the only factor")
	ErrPWDisabled    = errors.New("the password is disabled after too many failed attempts")
	ErrNoResetCode   = errors.New("no admin reset is pending")
	ErrNoEmailToSend = errors.New("no verified email to send to")
)

// The member events.
const (
	EvMemberUnlocked = "member_unlocked"
	EvMemberOTPReset = "member_otp_reset"
	EvMemberPWReset  = "member_password_reset"
	EvMemberDisabled = "member_disabled"
	EvMemberEnabled  = "member_enabled"
	EvMemberDeleted  = "member_deleted"
	EvMemberAdmin    = "member_admin_granted"
	EvMemberNotAdmin = "member_admin_revoked"
	EvShortPassword  = "password_below_policy"
)

// barred says why a cannot log in or open a page now: locked, disabled
// by an admin, or waiting for the new password after an admin's reset.
func (a *Account) barred(now time.Time) error {
	switch {
	case a.locked(now):
		return lockedErr(a)
	case a.Disabled:
		return fail.Mark(fail.Locked, ErrDisabled, "the account %s is disabled by an admin", a.UserID)
	case a.ResetCode != nil:
		return fail.Mark(fail.Locked, ErrResetPending, "the password of %s was reset by an admin", a.UserID)
	case a.PasswordDisabled:
		return fail.Mark(fail.Locked, ErrPWDisabled, "the password of %s is disabled after %d failed attempts in a row", a.UserID, DisableAfterFailures)
	}
	return nil
}

// Member is one account as the admin's list shows it.
type Member struct {
	UserID, Name string
	Admin        bool
	OTP          bool
	LockedUntil  *time.Time // nil unless locked now
	Disabled     bool
	LastLoginAt  *time.Time
}

func (a *Account) member(now time.Time) Member {
	m := Member{UserID: a.UserID, Name: a.Name, Admin: a.Admin, OTP: a.OTP != nil, Disabled: a.Disabled, LastLoginAt: a.LastLoginAt}
	if a.locked(now) {
		m.LockedUntil = a.LockedUntil
	}
	return m
}

// adminPage checks, before anyone types, that the session's account is
// an admin.
func (v *Visit) adminPage() error { return v.RequireAdmin() }

// Members settles the admin's proof and lists the organization's
// accounts, by User ID.
func (v *Visit) Members(pr *Proof) ([]Member, error) {
	if err := v.adminPage(); err != nil {
		return nil, err
	}
	var out []Member
	err := pr.settle(v, attempt{what: "member list", readOnly: true, grace: true, keys: ScopeRead, change: func(u *Unlocked) error {
		if !u.Account.Admin {
			return errNotAdmin(u.Account.UserID)
		}
		out = []Member{}
		return eachAccount(u.tx, func(a *Account) { out = append(out, a.member(u.Now)) })
	}})
	return out, err
}

// eachAccount calls fn for every account in tx, by User ID.
func eachAccount(tx *store.Tx, fn func(*Account)) error {
	var derr error
	err := tx.ScanRaw(store.Accounts, func(k string, data []byte) bool {
		var a Account
		if err := json.Unmarshal(data, &a); err != nil {
			derr = store.Damaged(store.Accounts, k, err)
			return false
		}
		a.normalize()
		fn(&a)
		return true
	})
	if err == nil {
		err = derr
	}
	return err
}

// Member settles the admin's proof and returns a member's page.
func (v *Visit) Member(pr *Proof, userID string) (*Page, error) {
	if err := v.adminPage(); err != nil {
		return nil, err
	}
	var page *Page
	err := pr.settle(v, attempt{what: "member show", readOnly: true, grace: true, keys: ScopeRead, change: func(u *Unlocked) error {
		m, err := u.member(userID)
		if err != nil {
			return err
		}
		page = &Page{Account: m.view(), Org: *u.Org}
		for _, k := range m.AccessKeys {
			if k.State(u.Policy, u.Now) == "active" {
				page.ActiveKeys++
			}
		}
		return nil
	}})
	return page, err
}

// member reads the member userID names, as the admin acts on it.
func (u *Unlocked) member(userID string) (*Account, error) {
	if !u.Account.Admin {
		return nil, errNotAdmin(u.Account.UserID)
	}
	m, err := getAccount(u.tx, userID)
	if err == nil && m == nil {
		err = fail.Mark(fail.Other, ErrNoMember, "the organization has no member %q", userID)
	}
	return m, err
}

// MemberAction is what an admin does to a member.
type MemberAction string

// The member actions, by the commands' names.
const (
	Unlock        MemberAction = "unlock"
	ResetOTP      MemberAction = "reset-otp"
	ResetPassword MemberAction = "reset-password"
	Disable       MemberAction = "disable"
	Enable        MemberAction = "enable"
	Delete        MemberAction = "delete"
	GrantAdmin    MemberAction = "admin --grant"
	RevokeAdmin   MemberAction = "admin --revoke"
)

// MemberCheck is an admin's action on a member, checked before the
// admin types a password: what the admin and the member are now.
type MemberCheck struct {
	Action MemberAction
	UserID string
	// NeedsSecondFactor: the admin has an authenticator, and the action
	// takes a code from it (or a recovery code) after the password.
	NeedsSecondFactor bool
	// Email is the member's verified email, if any (reset-password --send).
	Email *Contact
	// Language is the member's, for the message a reset sends.
	Language string
	uuid     string // the member's, to bind a reset code to
}

// CheckMember checks, before anyone types, that the session's account is
// an admin, that userID names a member, and that the action would not
// lock the organization out: an admin does not disable or delete their
// own account, and the last admin stays one.
func (v *Visit) CheckMember(userID string, act MemberAction) (*MemberCheck, error) {
	if err := v.adminPage(); err != nil {
		return nil, err
	}
	id, err := CheckUserID(userID)
	if err != nil {
		return nil, fail.Usagef("%v", err)
	}
	var c *MemberCheck
	err = v.s.Store.View(func(tx *store.Tx) error {
		m, err := getAccount(tx, id)
		if err == nil && m == nil {
			err = fail.Mark(fail.Other, ErrNoMember, "the organization has no member %q", id)
		}
		if err != nil {
			return err
		}
		if err := refuseLockout(tx, v.who.UserID, m, act); err != nil {
			return err
		}
		c = &MemberCheck{Action: act, UserID: id, NeedsSecondFactor: v.who.HasOTP, Email: m.Email, Language: m.language(), uuid: m.UUID}
		return nil
	})
	return c, err
}

// refuseLockout refuses an action that would leave the organization
// without an admin who can log in: disabling or deleting oneself, and
// disabling, deleting or revoking the last enabled admin.
func refuseLockout(tx *store.Tx, adminID string, m *Account, act MemberAction) error {
	if m.UserID == adminID && (act == Disable || act == Delete) {
		return fail.Mark(fail.Usage, ErrSelf, "an admin cannot %s their own account", act)
	}
	if !m.Admin || m.Disabled || (act != Disable && act != Delete && act != RevokeAdmin) {
		return nil
	}
	others := 0
	err := eachAccount(tx, func(a *Account) {
		if a.Admin && !a.Disabled && a.UserID != m.UserID {
			others++
		}
	})
	if err == nil && others == 0 {
		err = fail.Mark(fail.Usage, ErrLastAdmin, "%s is the organization's last admin", m.UserID)
	}
	return err
}

// Acted is what an action did.
type Acted struct {
	Member  Member
	Changed bool // false when the member already was as asked
	// ResetCode, from reset-password, is shown once (or sent: Sent).
	ResetCode      string
	ResetExpiresAt time.Time
	Sent           *contact.Target
}

// ActOptions are an action's inputs beyond the member.
type ActOptions struct {
	// Send, for reset-password, delivers the reset code to the member's
	// verified email instead of returning it.
	Send func(to contact.Target, code string, ttl time.Duration) error
}

// Act settles the admin's proof, with the second factor where the admin
// has an authenticator, and does c's action.
func (v *Visit) Act(pr *Proof, c *MemberCheck, opts ActOptions) (*Acted, error) {
	s := v.s
	var code otp.RecoveryCode
	var hash secret.Hash
	var sendTo *contact.Target
	if c.Action == ResetPassword {
		// A code of a recovery code's form and entropy, hashed here: the
		// hash takes Argon2id's time outside any transaction.
		var err error
		if code, err = otp.ParseRecovery(otp.NewRecoveryCode()); err != nil {
			return nil, err
		}
		var kek *secret.Key
		if hash, kek, err = secret.NewHash(resetInput(c.uuid, code), s.Params); err != nil {
			return nil, err
		}
		clear(kek[:])
		if opts.Send != nil {
			if c.Email == nil {
				return nil, fail.Mark(fail.Other, ErrNoEmailToSend, "%s has no verified email to send the reset code to", c.UserID)
			}
			t, err := storedContact(contact.Email, c.Email.Address)
			if err != nil {
				return nil, err
			}
			sendTo = &t
		}
	}
	a := attempt{what: "member " + string(c.Action), factor: c.NeedsSecondFactor}
	var out *Acted
	var memberNotices []Notice
	a.change = func(u *Unlocked) error {
		out = nil
		m, err := u.member(c.UserID)
		if err != nil {
			return err
		}
		if err := refuseLockout(u.tx, u.Account.UserID, m, c.Action); err != nil {
			return err
		}
		out = &Acted{Changed: true}
		var (
			what  fail.Message
			event string
		)
		switch c.Action {
		case Unlock:
			out.Changed = m.LockedUntil != nil || m.Failures > 0 || m.SecondFailures > 0 || m.Lockouts > 0 || m.FailedInRow > 0
			// A disabled password stays so: only a new one (account
			// recover, reset-password) ends that.
			m.LockedUntil, m.Failures, m.SecondFailures, m.Lockouts, m.FailedInRow = nil, 0, 0, 0, 0
			event, what = EvMemberUnlocked, say("your account's lockout and failed attempts were cleared (by the admin %s)", u.Account.UserID)
		case ResetOTP:
			out.Changed = m.OTP != nil || m.PendingOTP != nil
			// A new data key, sealed to the member's password slot: the
			// recovery codes open nothing from now on.
			if err := m.freshKeys(nil, u.Now); err != nil {
				return err
			}
			u.tx.Forget()
			event, what = EvMemberOTPReset, say("your authenticators (apps and passkeys) and recovery codes were removed by the admin %s", u.Account.UserID)
		case ResetPassword:
			if m.UUID != c.uuid {
				return kindErr(fail.Other, ErrAccountRaced)
			}
			m.ResetCode = &ResetCode{Hash: hash, By: u.Account.UserID, ExpiresAt: u.Now.Add(ResetTTL)}
			m.OTP, m.PendingOTP, m.RecoverCode, m.AccessKeys = nil, nil, nil, nil
			m.dropRecoverySlots() // the new password's keys come with it (FinishReset)
			m.LockedUntil, m.Failures, m.SecondFailures = nil, 0, 0
			m.Lockouts, m.FailedInRow, m.PasswordDisabled = 0, 0, false
			endAccountSessions(m, u.Now)
			u.tx.Forget()
			out.ResetCode, out.ResetExpiresAt, out.Sent = formatReset(code), m.ResetCode.ExpiresAt, sendTo
			event, what = EvMemberPWReset, say("your password was reset by the admin %s, and your authenticator apps and recovery codes removed; every session ended", u.Account.UserID)
		case Disable:
			out.Changed = !m.Disabled
			m.Disabled = true
			endAccountSessions(m, u.Now)
			event, what = EvMemberDisabled, say("your account was disabled; every session ended (by the admin %s)", u.Account.UserID)
		case Enable:
			out.Changed = m.Disabled
			m.Disabled = false
			event, what = EvMemberEnabled, say("your account was enabled again (by the admin %s)", u.Account.UserID)
		case GrantAdmin:
			out.Changed = !m.Admin
			m.Admin = true
			event, what = EvMemberAdmin, say("your account was made an admin of the organization (by the admin %s)", u.Account.UserID)
		case RevokeAdmin:
			out.Changed = m.Admin
			m.Admin = false
			event, what = EvMemberNotAdmin, say("your account is no longer an admin of the organization (by the admin %s)", u.Account.UserID)
		case Delete:
			event, what = EvMemberDeleted, say("your account was deleted (by the admin %s)", u.Account.UserID)
		default:
			return fail.Usagef("unknown member action %q", c.Action)
		}
		out.Member = m.member(u.Now)
		if !out.Changed {
			return nil
		}
		memberNotices = noticesFor(m, event, what, u.Now)
		if err := u.Log(event, m.UserID); err != nil {
			return err
		}
		if c.Action == Delete {
			u.tx.Forget()
			if err := u.tx.Delete(store.Accounts, m.UserID); err != nil {
				return err
			}
			_, err := u.tx.DeleteLog(store.Activity, m.UserID)
			return err
		}
		if err := u.onMember(m).Log(event, "by "+u.Account.UserID); err != nil {
			return err
		}
		// An admin who acts on their own account holds it in u too.
		if m.UserID == u.Account.UserID {
			*u.Account = *m
		}
		return putAccount(u.tx, m)
	}
	if err := pr.settle(v, a); err != nil {
		return nil, err
	}
	if out.Changed && c.Action == Delete {
		if err := s.deleteActivity(c.UserID); err != nil {
			return nil, err
		}
	}
	if sendTo != nil {
		if err := opts.Send(*sendTo, out.ResetCode, ResetTTL); err != nil {
			if werr := s.voidReset(c.UserID, out.ResetCode); werr != nil {
				return nil, fail.Wrap(fail.Other, err, "the reset code was not delivered, and voiding it also failed (%v)", werr)
			}
			return nil, fail.Wrap(fail.KindOf(err), err, "the reset code was not delivered and is void")
		}
		out.ResetCode = ""
	}
	s.sendNotices(memberNotices)
	return out, nil
}

// deleteActivity removes what is left of a deleted member's activity, a
// batch a transaction: an etcd transaction takes a bounded number of
// operations.
func (s *Service) deleteActivity(userID string) error {
	for {
		more := false
		err := s.Store.Update(func(tx *store.Tx) error {
			var err error
			more, err = tx.DeleteLog(store.Activity, userID)
			return err
		})
		if err != nil || !more {
			return err
		}
	}
}

// endAccountSessions ends every session of a, on every machine.
func endAccountSessions(a *Account, now time.Time) {
	a.Sessions = nil
	a.SessionEpoch++
	a.SessionsEndedAt = &now
}

// noticesFor are the security alerts to a's verified email and phone.
func noticesFor(a *Account, event string, what fail.Message, now time.Time) []Notice {
	return noticesTo(a, Notice{UserID: a.UserID, Event: event, What: what, Time: now, Language: a.language()})
}
