package account

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/password"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// A NewPassword is a password that met security rule 1 for the account
// it was checked for (CheckNewPassword). Init, Create and ChangePassword
// take nothing else, so the rules run once, where the person can still be
// asked again.
type NewPassword struct {
	pw     []byte
	userID string
}

// CheckNewPassword applies security rule 1 to a password about to be
// set for userID (named name, in the organization orgName): its length
// (at least minLen characters, the policy's security.password_min_length),
// and that it is neither common, guessable, nor made of who it is for.
func CheckNewPassword(pw []byte, minLen int, userID, name, orgName string) (NewPassword, error) {
	// The length that applies is said once, first: the organization's
	// (never below rule 1's 8), not rule 1's and then the policy's.
	if n := utf8.RuneCount(pw); n < minLen {
		return NewPassword{}, fail.Usagef("the password has %d characters; the organization asks for at least %d", n, minLen)
	}
	if err := secret.CheckPassword(pw); err != nil {
		return NewPassword{}, fail.Usagef("%v", err)
	}
	if err := password.Check(string(pw), userID, name, orgName); err != nil {
		return NewPassword{}, &fail.Error{Kind: fail.Usage, Err: err}
	}
	return NewPassword{pw: pw, userID: userID}, nil
}

// forAccount returns the password if it was checked for the account id.
func (n NewPassword) forAccount(id string) ([]byte, error) {
	if n.pw == nil || n.userID != id {
		return nil, fail.Usagef("the new password was not checked for %s", id)
	}
	return n.pw, nil
}

// newAccount makes an account with a hashed password and a fresh data key.
// It runs Argon2id, so it is called outside any transaction.
func (s *Service) newAccount(p Profile, admin bool, np NewPassword, now time.Time) (*Account, error) {
	pw, err := np.forAccount(p.UserID)
	if err != nil {
		return nil, err
	}
	h, kek, err := secret.NewHash(pw, s.Params)
	if err != nil {
		return nil, err
	}
	a := NewRecord(p.UserID, newUUID(), p.Name, h, kek, now)
	a.Nickname, a.Admin, a.Language = p.Nickname, admin, p.Language
	a.ShortPassword = isShort(pw)
	return a, nil
}

// NewRecord makes an account record with the password hash h and a fresh
// data key wrapped by kek, the key-encryption key that came with h.
func NewRecord(id, uuid, name string, h secret.Hash, kek *secret.Key, now time.Time) *Account {
	a := &Account{UserID: id, UUID: uuid, Name: name, RegisteredAt: now, Password: h}
	if err := a.freshKeys(kek, now); err != nil {
		panic(err) // a fresh key pair always takes a key
	}
	return a
}

// Profile is what a person typed for a new account.
type Profile struct {
	UserID, Name, Nickname string
	// Language is of the codes and notices sent to the person: en or
	// ko; "" is en.
	Language string
}

// CheckedProfileNew is a new account's Profile whose form Check checked
// and normalized: what Init and Create take, so that the form is checked
// once, before anyone types a password. Only Check makes one.
type CheckedProfileNew struct{ p Profile }

// Profile is the checked profile's values.
func (c CheckedProfileNew) Profile() Profile { return c.p }

// Check validates a new account's profile against the nickname policy.
func (p Profile) Check(usesNicknames bool) (CheckedProfileNew, error) {
	var err error
	if p.UserID, err = CheckUserID(p.UserID); err != nil {
		return CheckedProfileNew{}, fail.Usagef("%v", err)
	}
	if p.Name, err = CheckName(p.Name); err != nil {
		return CheckedProfileNew{}, fail.Usagef("%v", err)
	}
	if p.Nickname, err = CheckNickname(p.Nickname); err != nil {
		return CheckedProfileNew{}, fail.Usagef("%v", err)
	}
	if p.Nickname != "" && !usesNicknames {
		return CheckedProfileNew{}, errNoNicknames()
	}
	if p.Language != "" {
		if err := CheckLanguage(p.Language); err != nil {
			return CheckedProfileNew{}, err
		}
	}
	return CheckedProfileNew{p}, nil
}

func errNoNicknames() error { return kindErr(fail.Usage, ErrNoNicknames) }

// Init creates the store's organization and its first account, an admin.
func (s *Service) Init(orgName string, orgNicknames bool, checked CheckedProfileNew, pw NewPassword) (*Organization, *Account, error) {
	orgName, err := CheckOrgName(orgName)
	if err != nil {
		return nil, nil, fail.Usagef("%v", err)
	}
	p := checked.p
	if p.UserID == "" {
		return nil, nil, fail.Usagef("the profile was not checked")
	}
	if p.Nickname != "" && !orgNicknames {
		return nil, nil, errNoNicknames()
	}
	now := s.now()
	acc, err := s.newAccount(p, true, pw, now)
	if err != nil {
		return nil, nil, err
	}
	org := &Organization{ID: newUUID(), Name: orgName, UsesNicknames: orgNicknames, CreatedAt: now}
	err = s.Store.Create(func(tx *store.Tx) error {
		var old Organization
		if ok, err := tx.Get(store.Meta, keyOrg, &old); err != nil || ok {
			if err == nil {
				err = fail.Mark(fail.Other, ErrOrgExists, "the store %s already holds the organization %q", s.Store.Name(), old.Name)
			}
			return err
		}
		if err := refuseRecords(tx, s.Store.Name()); err != nil {
			return err
		}
		if err := tx.Put(store.Meta, keyOrg, org); err != nil {
			return err
		}
		if err := putAccount(tx, acc); err != nil {
			return err
		}
		return logEvent(tx, acc.UserID, Event{Time: now, Host: s.Host, Event: EvAccountCreated, Detail: "first admin of " + org.Name})
	})
	if err != nil {
		return nil, nil, err
	}
	// The admin is whom a bare `login` logs in first.
	err = s.local().Create(func(tx *store.Tx) error { return tx.Put(store.Meta, keyLastUser, acc.UserID) })
	if err != nil {
		return nil, nil, err
	}
	return org, acc, nil
}

// NewAccount is what an admin gives to register another account: its
// password, or, with MustChange, none, and kcloud makes an initial one.
type NewAccount struct {
	Profile    CheckedProfileNew
	Admin      bool
	Password   NewPassword
	MustChange bool
}

// Created is the account Create registered, and its initial password
// where it has one: shown once, and never stored but as its hash.
type Created struct {
	View
	InitialPassword          string
	InitialPasswordExpiresAt time.Time
}

// Create settles the admin's proof and registers another account.
func (v *Visit) Create(pr *Proof, n NewAccount) (*Created, error) {
	s := v.s
	p := n.Profile.p // its form was checked once; the policy is checked below
	if p.UserID == "" {
		return nil, fail.Usagef("the profile was not checked")
	}
	var initial []byte
	if n.MustChange {
		if n.Password.pw != nil {
			return nil, fail.Usagef("an account that must change its password is given none")
		}
		initial = newInitialPassword(MinPasswordFor(s.policy(v.org), false))
		n.Password = NewPassword{pw: initial, userID: p.UserID}
	}
	acc, err := s.newAccount(p, n.Admin, n.Password, s.now())
	if err != nil {
		return nil, err
	}
	err = pr.settle(v, attempt{what: "account create", change: func(u *Unlocked) error {
		if !u.Account.Admin {
			return errNotAdmin(u.Account.UserID)
		}
		if old, err := getAccount(u.tx, acc.UserID); err != nil || old != nil {
			if err == nil {
				err = fail.Otherf("the User ID %s is taken", acc.UserID)
			}
			return err
		}
		if acc.Nickname != "" && !u.Org.UsesNicknames { // the policy may have changed since
			return errNoNicknames()
		}
		acc.RegisteredAt = u.Now
		detail := "by " + u.Account.UserID
		if initial != nil {
			acc.InitialPassword = &InitialPassword{By: u.Account.UserID, ExpiresAt: u.Now.Add(InitialPasswordTTL)}
			detail += ", with an initial password"
		}
		if err := putAccount(u.tx, acc); err != nil {
			return err
		}
		if err := u.onMember(acc).Log(EvAccountCreated, detail); err != nil {
			return err
		}
		return u.Log(EvAccountCreated, "created "+acc.UserID)
	}})
	if err != nil {
		return nil, err
	}
	out := &Created{View: acc.view()}
	if initial != nil {
		out.InitialPassword, out.InitialPasswordExpiresAt = string(initial), acc.InitialPassword.ExpiresAt
	}
	return out, nil
}

// OrgChange is what an admin changes of the organization; nil and empty
// leave a part as it is.
type OrgChange struct {
	Nicknames *bool
	Policy    []string // KEY=VALUE
}

// Check validates the change before anyone types a password.
func (c OrgChange) Check() error {
	if c.Nicknames == nil && len(c.Policy) == 0 {
		return kindErr(fail.Usage, ErrNothingToSet)
	}
	var check Policy
	for _, kv := range c.Policy {
		if err := check.Set(kv); err != nil {
			return fail.Usagef("%v", err)
		}
	}
	return nil
}

// apply sets the change's policy rules in org's policy and checks that
// the rules agree.
func (c OrgChange) apply(org *Organization) error {
	for _, kv := range c.Policy {
		if err := org.Policy.Set(kv); err != nil {
			return fail.Usagef("%v", err)
		}
	}
	if err := org.Policy.Check(); err != nil {
		return fail.Usagef("%v", err)
	}
	return nil
}

// SetOrg settles an admin's proof and changes the nickname policy or
// the security policy.
func (v *Visit) SetOrg(pr *Proof, c OrgChange) (*Organization, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if err := c.apply(&Organization{Policy: v.org.Policy}); err != nil {
		return nil, err
	}
	var out Organization
	err := pr.settle(v, attempt{what: "org set", change: func(u *Unlocked) error {
		if !u.Account.Admin {
			return errNotAdmin(u.Account.UserID)
		}
		out = *u.Org
		var changed []string
		if c.Nicknames != nil && out.UsesNicknames != *c.Nicknames {
			out.UsesNicknames = *c.Nicknames
			changed = append(changed, fmt.Sprintf("uses nicknames: %v", out.UsesNicknames))
		}
		before := out.Policy.WithDefaults().Entries()
		if err := c.apply(&out); err != nil {
			return err // the policy changed since it was read
		}
		for i, e := range out.Policy.WithDefaults().Entries() {
			if e[1] != before[i][1] {
				changed = append(changed, e[0]+"="+e[1])
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := u.tx.Put(store.Meta, keyOrg, &out); err != nil {
			return err
		}
		return u.Log(EvOrgChanged, strings.Join(changed, ", "))
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PartialStoreError is a store that holds records but no organization:
// some of its accounts (Accounts, the first few by User ID), and whether
// there are more, or activity with no account.
type PartialStoreError struct {
	Store    string
	Accounts []string
	More     bool
}

func (e *PartialStoreError) Error() string { return e.Message().In(fail.English) }

func (e *PartialStoreError) Message() fail.Message {
	switch {
	case len(e.Accounts) == 0:
		return fail.Message{Format: "the store %s holds activity records but no organization: an interrupted store import", Args: []any{e.Store}}
	case e.More:
		return fail.Message{Format: "the store %s holds the accounts %s and more but no organization: an interrupted store import",
			Args: []any{e.Store, strings.Join(e.Accounts, ", ")}}
	}
	return fail.Message{Format: "the store %s holds the accounts %s but no organization: an interrupted store import",
		Args: []any{e.Store, strings.Join(e.Accounts, ", ")}}
}

func (e *PartialStoreError) Is(target error) bool { return target == ErrPartialStore }

// refuseRecords fails when tx's store holds any account or activity: a
// store without an organization must be empty before init makes one, or
// the accounts an import left would join it with their old passwords.
func refuseRecords(tx *store.Tx, name string) error {
	e := &PartialStoreError{Store: name}
	found := false
	for _, b := range []store.Bucket{store.Accounts, store.Activity} {
		err := tx.ScanRaw(b, func(k string, _ []byte) bool {
			found = true
			if b != store.Accounts {
				return false
			}
			if len(e.Accounts) == 3 {
				e.More = true
				return false
			}
			e.Accounts = append(e.Accounts, k)
			return true
		})
		if err != nil {
			return err
		}
	}
	if found {
		return e
	}
	return nil
}

// CheckEmpty fails with a PartialStoreError when the store holds
// records but no organization (init refuses such a store).
func (s *Service) CheckEmpty() error {
	return s.Store.View(func(tx *store.Tx) error { return refuseRecords(tx, s.Store.Name()) })
}

// RefuseOrganization is for copying records into a store: it fails when
// tx's store already holds an organization.
// CheckImport refuses a store to import whose organization's policy a
// person could not have set: a value out of bounds (a negative lockout
// would unlock at once) is refused before anything is copied.
func CheckImport(src *store.Store) error {
	return src.View(func(tx *store.Tx) error {
		var org Organization
		ok, err := tx.Get(store.Meta, keyOrg, &org)
		if err != nil || !ok {
			return err
		}
		if err := org.Policy.Check(); err != nil {
			return fail.Mark(fail.Other, err, "the organization's policy in it has %v, a value the policy refuses wherever it is set", err)
		}
		return nil
	})
}

func RefuseOrganization(tx *store.Tx) error {
	var org Organization
	ok, err := tx.Get(store.Meta, keyOrg, &org)
	if err == nil && ok {
		err = fail.Mark(fail.Other, ErrOrgExists, "the store already holds the organization %q", org.Name)
	}
	return err
}
