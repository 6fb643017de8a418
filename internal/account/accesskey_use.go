package account

import (
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// Using an access key: the pages a key opens, and its proof, which holds
// no password and never the data key (contract rule 14).

// opens checks that the key cred is one of a's and opens pages now.
func (a *Account) opens(cred *auth.KeyCredential, p Policy, now time.Time) (*AccessKey, error) {
	_, k := a.key(cred.ID)
	switch {
	case k == nil || !secret.Equal(k.Hash, cred.Hash(a.UUID)):
		return nil, fail.Mark(fail.Auth, ErrKeyUnknown, "the access key %s is not a key of %s (deleted, or never made)", cred.ID, cred.UserID)
	case p.NoAccessKeys:
		return nil, fail.Mark(fail.Auth, ErrKeysOff, "the organization turned access keys off (security.access_keys=false)")
	case a.Disabled:
		return nil, fail.Mark(fail.Auth, ErrDisabled, "the account %s is disabled by an admin: its access keys open nothing", a.UserID)
	case k.Disabled:
		return nil, fail.Mark(fail.Auth, ErrKeyDisabled, "the access key %s is disabled", k.ID)
	case !now.Before(k.expiry(p)):
		return nil, fail.Mark(fail.Auth, ErrKeyExpired, "the access key %s expired at %s", k.ID, k.expiry(p))
	}
	return k, nil
}

// VisitByKey opens the pages an access key may open, with no session and
// no password: token's form is checked before anything is read (a usage
// error), then its account and the organization are read, and the key
// must be the account's, enabled and unexpired, its account enabled, and
// access keys allowed by the policy (an authentication error saying
// which). Its last use is written at most once a minute. It returns the
// visit and the key's proof, which the pages take as a password's.
func (s *Service) VisitByKey(token string) (*Visit, *Proof, error) {
	cred, err := auth.ParseToken(token)
	if err != nil {
		return nil, nil, err
	}
	var (
		acc   *Account
		org   *Organization
		stale bool
	)
	err = s.Store.View(func(tx *store.Tx) error {
		if err := prefetchPage(tx, cred.UserID, false); err != nil {
			return err
		}
		var err error
		if acc, err = getAccount(tx, cred.UserID); err != nil {
			return err
		}
		if acc == nil {
			return fail.Mark(fail.Auth, ErrKeyUnknown, "the access key %s names no account of this organization", cred.ID)
		}
		if org, err = getOrg(tx); err != nil {
			return err
		}
		k, err := acc.opens(cred, s.policy(org), s.now())
		if err != nil {
			return err
		}
		stale = k.LastUsedAt == nil || s.now().Sub(*k.LastUsedAt) >= time.Minute
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if stale { // to the minute: a script that runs every second writes once a minute
		err := s.Store.Update(func(tx *store.Tx) error {
			a, err := getAccount(tx, cred.UserID)
			if err != nil || a == nil {
				return err
			}
			if _, k := a.key(cred.ID); k != nil {
				at := s.now().Truncate(time.Minute)
				k.LastUsedAt = &at
			}
			return putAccount(tx, a)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	_, k := acc.key(cred.ID)
	v := &Visit{s: s, who: acc.who(), org: org}
	return v, &Proof{s: s, who: v.who, at: s.now(), session: false, key: &keyUse{id: k.ID, scope: k.Scope}, cred: cred}, nil
}

// KeyID is the ID of the access key the proof holds, or "".
func (pr *Proof) KeyID() string {
	if pr.key == nil {
		return ""
	}
	return pr.key.id
}

// ActiveKeys is how many keys the visit's account has that are not
// disabled, as read before anyone typed.
func (v *Visit) ActiveKeys() int {
	n := 0
	for _, k := range v.who.rec.AccessKeys {
		if !k.Disabled {
			n++
		}
	}
	return n
}

// KeyExpiresAt is when the key of a visit by key stops opening pages.
func (v *Visit) KeyExpiresAt(pr *Proof) time.Time {
	if pr.key == nil {
		return time.Time{}
	}
	_, k := v.who.rec.key(pr.key.id)
	if k == nil {
		return time.Time{}
	}
	return k.expiry(v.Policy())
}

// settleKey runs the page a with the key's proof: only a page that lets
// keys in (a.keys), of a scope the key has, and never with the data key.
// The key is checked again in the page's transaction; a page that only
// reads the account and the organization (a.snapshot) is answered from
// what VisitByKey read, with no second request.
func (pr *Proof) settleKey(v *Visit, a attempt) error {
	s := pr.s
	switch {
	case a.keys == "":
		return fail.Mark(fail.Other, ErrNeedsPerson, "%s needs a person, not an access key: log in", a.what)
	case a.keys == ScopeWrite && pr.key.scope != ScopeWrite:
		return fail.Mark(fail.Other, ErrKeyScope, "the access key %s is read-only: %s needs a write key", pr.key.id, a.what)
	}
	if a.snapshot && a.readOnly {
		u := &Unlocked{Account: v.who.rec, Org: v.org, Policy: s.policy(v.org), Now: s.now(), keyID: pr.key.id, where: Event{Host: s.Host, Method: string(auth.AccessKey)}}
		return a.change(u)
	}
	return pr.settleBare(v, a, auth.AccessKey, pr.key.id, func(_ *store.Tx, acc *Account, p Policy, now time.Time) (string, error) {
		if acc == nil || acc.UUID != v.who.rec.UUID {
			return "", fail.Mark(fail.Auth, ErrKeyUnknown, "the access key %s is not a key of %s (deleted, or never made)", pr.key.id, v.who.UserID)
		}
		_, err := acc.opens(pr.cred, p, now)
		return "", err
	})
}
