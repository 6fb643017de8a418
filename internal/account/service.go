package account

import (
	"encoding/json"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// Service carries out the account pages against a directory (the
// organization, its accounts and their activity) and this machine's
// sessions. With the local store both are one store.
type Service struct {
	Store  *store.Store // the directory
	Local  *store.Store // this machine's session; nil means Store
	Now    func() time.Time
	Params secret.Params // Argon2id parameters for new hashes
	Issuer string        // the OTP issuer shown in authenticator apps
	// LocalPolicy is this machine's configuration of the policy keys;
	// only a stricter value than the organization's counts.
	LocalPolicy Local
	// Warn is told, once, of each looser local value that is ignored,
	// and of each security notice that could not be sent.
	Warn func(error)
	// Notify sends a security notice; nil sends none
	// (notify.security_alerts: false).
	Notify func(Notice) error
	// Host and Client name this machine and kcloud's version in the
	// session records it makes.
	Host, Client string
	// Ticket names the terminal and login session this process runs in
	// (term.Ticket), read when a grace is checked or recorded: a
	// reauthentication grace holds only there. nil or "" grants none.
	Ticket func() string
	warned bool
}

// Each account keeps every event of the last ActivityDays days, up to
// ActivityMost, and at least its newest ActivityLeast whatever their age:
// a burst of writes (a stolen key's) cannot push an intrusion out of the
// log, and a quiet account keeps its history.
const (
	ActivityDays  = 90
	ActivityMost  = 10_000
	ActivityLeast = 1_000
)

// Keys in the meta and sessions buckets.
const (
	keyOrg      = "organization"
	keyLastUser = "last_user"
	keySession  = "current"
)

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) local() *store.Store {
	if s.Local != nil {
		return s.Local
	}
	return s.Store
}

// policy is the organization's policy made stricter by this machine's.
func (s *Service) policy(org *Organization) Policy {
	eff, warnings := org.Policy.Effective(s.LocalPolicy)
	if !s.warned && s.Warn != nil {
		for _, w := range warnings {
			s.Warn(w)
		}
	}
	s.warned = true
	return eff
}

// prefetchPage says, on a directory on a network, what a page reads: the
// account, the organization and, where the page may log, the account's
// newest activity record, in one request (store.Tx.Prefetch).
func prefetchPage(tx *store.Tx, id string, logs bool) error {
	refs := []store.Ref{{Bucket: store.Accounts, Key: id}, {Bucket: store.Meta, Key: keyOrg}}
	if logs {
		refs = append(refs, store.Ref{Bucket: store.Activity, Key: id, Log: true})
	}
	return tx.Prefetch(refs...)
}

func getAccount(tx *store.Tx, id string) (*Account, error) {
	var a Account
	ok, err := tx.Get(store.Accounts, id, &a)
	if !ok || err != nil {
		return nil, err
	}
	a.normalize()
	return &a, nil
}

func putAccount(tx *store.Tx, a *Account) error { return tx.Put(store.Accounts, a.UserID, a) }

func getOrg(tx *store.Tx) (*Organization, error) {
	var o Organization
	ok, err := tx.Get(store.Meta, keyOrg, &o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kindErr(fail.Other, ErrNoOrganization)
	}
	// org set never stores a policy out of bounds: one that is was
	// written by hand, or came from elsewhere (store import refuses it).
	if err := o.Policy.Check(); err != nil {
		return nil, store.Damaged(store.Meta, keyOrg, err)
	}
	return &o, nil
}

func noAccount(id string) error {
	return fail.Mark(fail.Auth, ErrNoAccount, "no account with User ID %q in this store", id)
}

func (a *Account) locked(now time.Time) bool {
	return a.LockedUntil != nil && now.Before(*a.LockedUntil)
}

func logEvent(tx *store.Tx, userID string, e Event) error {
	horizon := e.Time.AddDate(0, 0, -ActivityDays)
	return tx.AppendAged(store.Activity, userID, e, ActivityMost, ActivityLeast, func(data []byte) bool {
		var old struct{ Time time.Time }
		return json.Unmarshal(data, &old) == nil && old.Time.Before(horizon)
	})
}

// Org returns the organization.
func (s *Service) Org() (*Organization, error) {
	var org *Organization
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		org, err = getOrg(tx)
		return err
	})
	return org, err
}

// Policy returns the organization's policy and the one in force on this
// machine.
func (s *Service) Policy() (stored, effective Policy, err error) {
	org, err := s.Org()
	if err != nil {
		return Policy{}, Policy{}, err
	}
	return org.Policy.WithDefaults(), s.policy(org), nil
}
