package account

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

// Access keys: credentials for programs (contract, "Access keys"; rule
// 14). A key is an authentication method (auth.AccessKey): it gives a
// proof that opens the pages its scope allows, and never the data key,
// so no key opens a sealed secret. The account's record keeps each key's
// hash, never its token.

// AccessKey is one key of an account, as stored.
type AccessKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"` // "read" or "write"
	Hash       []byte     `json:"hash"`  // auth.KeyHash of the secret
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Disabled   bool       `json:"disabled,omitempty"`
}

// MaxAccessKeys is how many keys an account holds: two, for rotation, as
// KakaoCloud and AWS allow.
const MaxAccessKeys = 2

// The scopes of a key.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// The access-key events.
const (
	EvKeyCreated  = "access_key_created"
	EvKeyDisabled = "access_key_disabled"
	EvKeyEnabled  = "access_key_enabled"
	EvKeyDeleted  = "access_key_deleted"
)

// Errors of access keys.
var (
	ErrKeyUnknown  = errors.New("unknown access key")
	ErrKeyDisabled = errors.New("the access key is disabled")
	ErrKeyExpired  = errors.New("the access key expired")
	ErrKeysOff     = errors.New("the organization turned access keys off")
	ErrNeedsPerson = errors.New("the command needs a person")
	ErrKeyScope    = errors.New("the access key is read-only")
	ErrTooManyKeys = errors.New("the account has the most access keys it may have")
	ErrNoSuchKey   = errors.New("no such access key")
)

// expiry is when k opens nothing any more under p: its own expiry, or
// its creation plus the policy's current maximum age, whichever is first.
func (k *AccessKey) expiry(p Policy) time.Time {
	if end := k.CreatedAt.Add(p.AccessKeyMaxAge); end.Before(k.ExpiresAt) {
		return end
	}
	return k.ExpiresAt
}

// State is "active", "disabled" or "expired" under p at now.
func (k *AccessKey) State(p Policy, now time.Time) string {
	switch {
	case k.Disabled:
		return "disabled"
	case !now.Before(k.expiry(p)):
		return "expired"
	}
	return "active"
}

// KeyView is a key as access-key list shows it.
type KeyView struct {
	ID, Name, Scope      string
	CreatedAt, ExpiresAt time.Time
	LastUsedAt           *time.Time
	State                string
}

func (a *Account) keyViews(p Policy, now time.Time) []KeyView {
	out := []KeyView{}
	for _, k := range a.AccessKeys {
		out = append(out, KeyView{k.ID, k.Name, k.Scope, k.CreatedAt, k.expiry(p), k.LastUsedAt, k.State(p, now)})
	}
	return out
}

func (a *Account) key(id string) (int, *AccessKey) {
	for i, k := range a.AccessKeys {
		if k.ID == id {
			return i, k
		}
	}
	return -1, nil
}

// keyUse is the key a proof holds, as its account's record read it.
type keyUse struct {
	id, scope string
}

// CheckAccessKeyName validates a key's name: 1 to 32 characters, checked
// as names are.
func CheckAccessKeyName(s string) (string, error) {
	n, err := text.CheckName("the access key's name", s)
	if err == nil && utf8.RuneCountInString(n) > 32 {
		err = fail.Errorf("the access key's name is %d characters long; at most 32 are allowed", utf8.RuneCountInString(n))
	}
	if err != nil {
		return "", fail.Usagef("%v", err)
	}
	return n, nil
}

// NewKey is a key to make, checked before the password is asked for.
type NewKey struct {
	Name, Scope string
	// ExpiresIn is the key's life; 0 is the policy's maximum age.
	ExpiresIn time.Duration
}

// CheckNewKey checks n against the account and the policy as the visit
// read them: the name unique, the scope known, the life positive and not
// over the policy's maximum (never cut to it), keys allowed, fewer than
// MaxAccessKeys. It returns n with its defaults filled in.
func (v *Visit) CheckNewKey(n NewKey) (NewKey, error) {
	p := v.Policy()
	if p.NoAccessKeys {
		return n, fail.Mark(fail.Other, ErrKeysOff, "the organization turned access keys off (security.access_keys=false)")
	}
	name, err := CheckAccessKeyName(n.Name)
	if err != nil {
		return n, err
	}
	n.Name = name
	switch n.Scope {
	case "":
		n.Scope = ScopeRead
	case ScopeRead, ScopeWrite:
	default:
		return n, fail.Usagef("the scope must be read or write, not %q", n.Scope)
	}
	switch {
	case n.ExpiresIn == 0:
		n.ExpiresIn = p.AccessKeyMaxAge
	case n.ExpiresIn < 0:
		return n, fail.Usagef("a key's life must be positive")
	case n.ExpiresIn > p.AccessKeyMaxAge:
		return n, fail.Usagef("a key's life of %s is over the organization's maximum of %s (security.access_key_max_age)", n.ExpiresIn, p.AccessKeyMaxAge)
	}
	return n, v.who.rec.canAddKey(n.Name)
}

func (a *Account) canAddKey(name string) error {
	if len(a.AccessKeys) >= MaxAccessKeys {
		return fail.Mark(fail.Other, ErrTooManyKeys, "%s has %d access keys, the most an account may have", a.UserID, MaxAccessKeys)
	}
	for _, k := range a.AccessKeys {
		if k.Name == name {
			return fail.Usagef("%s already has an access key named %q", a.UserID, name)
		}
	}
	return nil
}

// CreatedKey is a new key with its token, shown once.
type CreatedKey struct {
	KeyView
	Token string
}

// CreateKey settles the proof (the password, and a second factor where
// the account has an authenticator) and makes the key n, checked by
// CheckNewKey. The token is returned once; the record keeps its hash.
func (v *Visit) CreateKey(pr *Proof, n NewKey) (*CreatedKey, error) {
	var out *CreatedKey
	err := pr.settle(v, attempt{what: "access-key create", factor: v.who.HasOTP, change: func(u *Unlocked) error {
		a := u.Account
		if u.Policy.NoAccessKeys {
			return fail.Mark(fail.Other, ErrKeysOff, "the organization turned access keys off (security.access_keys=false)")
		}
		if err := a.canAddKey(n.Name); err != nil {
			return err
		}
		if n.ExpiresIn > u.Policy.AccessKeyMaxAge { // the policy changed since the check
			return fail.Usagef("a key's life of %s is over the organization's maximum of %s (security.access_key_max_age)", n.ExpiresIn, u.Policy.AccessKeyMaxAge)
		}
		token, cred := auth.NewToken(a.UserID)
		k := &AccessKey{ID: cred.ID, Name: n.Name, Scope: n.Scope, Hash: cred.Hash(a.UUID), CreatedAt: u.Now, ExpiresAt: u.Now.Add(n.ExpiresIn)}
		a.AccessKeys = append(a.AccessKeys, k)
		out = &CreatedKey{KeyView: KeyView{k.ID, k.Name, k.Scope, k.CreatedAt, k.ExpiresAt, nil, "active"}, Token: token}
		u.notice(EvKeyCreated, say("an access key (%s, %s, %s) was made for your account", k.ID, k.Name, k.Scope))
		return u.Log(EvKeyCreated, fmt.Sprintf("%s (%s, %s, until %s)", k.ID, k.Name, k.Scope, text.Time(k.ExpiresAt)))
	}})
	return out, err
}

// Keys settles the proof and lists the account's keys.
func (v *Visit) Keys(pr *Proof) ([]KeyView, error) {
	var out []KeyView
	err := pr.settle(v, attempt{what: "access-key list", readOnly: true, grace: true, snapshot: v.user == "", keys: ScopeRead, change: func(u *Unlocked) error {
		acc, err := u.subject(v.user)
		if err == nil {
			out = acc.keyViews(u.Policy, u.Now)
		}
		return err
	}})
	return out, err
}

// The changes to one key.
const (
	KeyDisable = "disable"
	KeyEnable  = "enable"
	KeyDelete  = "delete"
)

// HasKeyNamed reports whether the visit's account has a key named name.
func (v *Visit) HasKeyNamed(name string) bool {
	for _, k := range v.who.rec.AccessKeys {
		if k.Name == name {
			return true
		}
	}
	return false
}

// CheckKey tells, before anyone types, whether the account has the key id.
func (v *Visit) CheckKey(id string) error {
	if a := v.subjectRec(); func() bool { _, k := a.key(id); return k == nil }() {
		return fail.Mark(fail.Usage, ErrNoSuchKey, "%s has no access key %q", a.UserID, id)
	}
	return nil
}

// ChangeKey settles the proof and disables, enables or deletes the key
// id. Enabling needs a second factor where the account has an
// authenticator, as making a key does; an admin disables or deletes a
// member's key with the step-up of member actions, and enables none.
func (v *Visit) ChangeKey(pr *Proof, id, change string) (bool, error) {
	if change == KeyEnable && v.user != "" {
		return false, fail.Usagef("an admin enables no access key of a member's: %s can make a new one", v.user)
	}
	changed := false
	a := attempt{what: "access-key " + change, factor: (change == KeyEnable && v.who.HasOTP) || v.MemberStepUp()}
	a.change = func(u *Unlocked) error {
		changed = false
		return u.onSubject(v.user, func(u *Unlocked) (string, string, error) {
			acc := u.Account
			i, k := acc.key(id)
			if k == nil {
				return "", "", fail.Mark(fail.Usage, ErrNoSuchKey, "%s has no access key %q", acc.UserID, id)
			}
			var event string
			var what = say("the access key %s (%s) was disabled", k.ID, k.Name)
			switch change {
			case KeyDisable:
				changed, k.Disabled, event = !k.Disabled, true, EvKeyDisabled
			case KeyEnable:
				changed, k.Disabled, event = k.Disabled, false, EvKeyEnabled
				what = say("the access key %s (%s) was enabled again", k.ID, k.Name)
			case KeyDelete:
				acc.AccessKeys = append(acc.AccessKeys[:i:i], acc.AccessKeys[i+1:]...)
				changed, event = true, EvKeyDeleted
				what = say("the access key %s (%s) was deleted", k.ID, k.Name)
				u.tx.Forget()
			default:
				return "", "", fail.Usagef("unknown change %q", change)
			}
			if !changed {
				return "", "", nil
			}
			u.notice(event, what)
			detail := k.ID + " (" + k.Name + ")"
			return event, detail, u.Log(event, detail)
		})
	}
	return changed, pr.settle(v, a)
}
