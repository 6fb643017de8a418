package account

import (
	"bytes"
	"runtime"
	"sync"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// The account's data key in slots (docs/secrets.md, "Key slots"), as
// restic keeps one master key under many keys: what the account seals
// (its TOTP secrets, a pending registration, the MAC key) is sealed once
// under the data key, and each slot (secret.Slot) is one way to it: the
// password's, and one per recovery code. Adding a slot touches nothing
// sealed. Removing a slot whose secret may be known (a used or replaced
// recovery code, the set with the last authenticator) gives the account
// a new data key (rotate), sealed to every slot that stays: a void code
// opens nothing in any copy of the store made after (security rule 6).

// Keys are an account's slots: the password's first (kind "password",
// one lock), then the recovery codes' (kind "recovery"), whose locks, in
// order, go with OTP.RecoveryCodes. A set made since slots has a slot per
// code; one made before has one slot with a lock per code.
type Keys struct {
	Slots []*secret.Slot `json:"slots"`
	// Params and Salt turn a recovery code into the key of its lock
	// (secret.SlotKey): one salt for the set.
	Params secret.Params `json:"params"`
	Salt   []byte        `json:"salt,omitempty"`
}

// The kinds of slot.
const (
	slotPassword = "password"
	slotRecovery = "recovery"
)

// RecoverySlots is the recovery codes' way in as records written before
// slots hold it (OTP.Recovery): normalize reads it into Keys.
type RecoverySlots struct {
	Params  secret.Params `json:"params"`
	Salt    []byte        `json:"salt"`
	Public  []byte        `json:"public"`
	Slots   [][]byte      `json:"slots"`
	DataKey []byte        `json:"data_key"`
}

func (a *Account) adSlot() string { return "kcloud recovery slot " + a.UUID }
func (a *Account) adBox() string  { return "kcloud recovery box " + a.UUID }

// slotAD is the associated data of a slot's locks and of its box: a
// recovery slot's are those of records from before slots, so that their
// locks and box open as they are.
func (a *Account) slotAD(kind string) (lock, box string) {
	if kind == slotPassword {
		return "kcloud password slot " + a.UUID, "kcloud password box " + a.UUID
	}
	return a.adSlot(), a.adBox()
}

// normalizeKeys reads a record's recovery set from before slots into
// Keys; the record is written in the new form when next written.
func (a *Account) normalizeKeys() {
	if a.OTP == nil || a.OTP.Recovery == nil {
		return
	}
	r := a.OTP.Recovery
	a.OTP.Recovery = nil
	if a.Keys == nil {
		a.Keys = &Keys{}
	}
	a.Keys.Params, a.Keys.Salt = r.Params, r.Salt
	a.Keys.Slots = append(a.Keys.Slots, &secret.Slot{Kind: slotRecovery, Public: r.Public, Box: r.DataKey, Locks: r.Slots})
}

// passwordSlot is the password's slot, or nil for a record from before
// slots (the data key is then DataKey, wrapped by the password's key).
func (a *Account) passwordSlot() *secret.Slot {
	if a.Keys != nil {
		for _, s := range a.Keys.Slots {
			if s.Kind == slotPassword {
				return s
			}
		}
	}
	return nil
}

// openByPassword opens the data key with the password's key-encryption key.
func (a *Account) openByPassword(kek *secret.Key) (*secret.Key, error) {
	if s := a.passwordSlot(); s != nil {
		lock, box := a.slotAD(slotPassword)
		return s.Open(0, kek, lock, box)
	}
	return kek.Unwrap(a.DataKey, a.adData())
}

// recoveryLocks lists the recovery codes' locks in order, each with its
// slot: the i-th is recovery code i's.
func (a *Account) recoveryLocks() []recoveryLock {
	var out []recoveryLock
	if a.Keys == nil {
		return nil
	}
	for _, s := range a.Keys.Slots {
		if s.Kind != slotRecovery {
			continue
		}
		for i := range s.Locks {
			out = append(out, recoveryLock{s, i})
		}
	}
	return out
}

type recoveryLock struct {
	slot *secret.Slot
	lock int
}

func (l recoveryLock) bytes() []byte { return l.slot.Locks[l.lock] }

// hasRecoverySlots reports whether the recovery codes open the account:
// a lock for each (codes from before account recover have none).
func (a *Account) hasRecoverySlots() bool {
	return a.OTP != nil && len(a.OTP.RecoveryCodes) > 0 && len(a.recoveryLocks()) == len(a.OTP.RecoveryCodes)
}

// useRecoveryCode takes recovery code i, and its lock, from the account:
// a slot left with no lock goes. Locks out of step with the codes are
// dropped whole: no way in by them.
func (a *Account) useRecoveryCode(i int) {
	o := a.OTP
	locks := a.recoveryLocks()
	o.RecoveryCodes = append(o.RecoveryCodes[:i:i], o.RecoveryCodes[i+1:]...)
	if len(locks) != len(o.RecoveryCodes)+1 {
		a.dropRecoverySlots()
		return
	}
	l := locks[i]
	l.slot.Locks = append(l.slot.Locks[:l.lock:l.lock], l.slot.Locks[l.lock+1:]...)
	kept := a.Keys.Slots[:0]
	for _, s := range a.Keys.Slots {
		if s.Kind != slotRecovery || len(s.Locks) > 0 {
			kept = append(kept, s)
		}
	}
	a.Keys.Slots = kept
}

// dropRecoverySlots removes every recovery slot.
func (a *Account) dropRecoverySlots() {
	if a.Keys == nil {
		return
	}
	kept := a.Keys.Slots[:0]
	for _, s := range a.Keys.Slots {
		if s.Kind != slotRecovery {
			kept = append(kept, s)
		}
	}
	a.Keys.Slots = kept
	a.Keys.Params, a.Keys.Salt = secret.Params{}, nil
}

// rotate gives the account a new data key: what the old one sealed is
// sealed again, the password's slot is made anew, locked by kek (the
// password's key-encryption key, the new password's after a change), and
// every other slot gets the new key in its box. fresh, for a removed
// slot whose secret may be known or a new password: a new MAC key too,
// and the codes sent under the old one expire. The store is asked to
// forget the old record (security rules 2 and 6).
func (u *Unlocked) rotate(kek *secret.Key, fresh bool) error {
	a := u.Account
	if kek == nil {
		return kindErr(fail.Other, ErrAccountRaced) // only a page with the password rotates
	}
	mac, err := u.MACKey()
	if err != nil {
		return store.Damaged(store.Accounts, a.UserID, err)
	}
	if a.OTP != nil && len(a.OTP.RecoveryKey) == 0 {
		// Recovery codes made under the MAC key keep it as their own.
		a.OTP.RecoveryKey = bytes.Clone(mac[:])
	}
	next := secret.NewKey()
	if err := a.reseal(u.DataKey, next); err != nil {
		return err
	}
	if fresh {
		mac = secret.NewKey()
		// The codes sent before were MACed with the old key: they expire
		// now, and a new one can be sent as the policy allows.
		for _, p := range a.Codes {
			if p.ExpiresAt.After(u.Now) {
				p.ExpiresAt = u.Now
			}
		}
	}
	a.MACKey = next.Wrap(mac, a.adMAC())
	if err := a.sealSlots(next, kek); err != nil {
		return err
	}
	u.DataKey = next
	u.tx.Forget()
	return nil
}

// reseal seals again with next what old sealed: the authenticators'
// secrets and a pending registration's. A new sealed field is one line
// here.
func (a *Account) reseal(old, next *secret.Key) error {
	var fields []struct {
		b  *[]byte
		ad string
	}
	if a.OTP != nil {
		for _, x := range a.OTP.Authenticators {
			fields = append(fields, struct {
				b  *[]byte
				ad string
			}{&x.Secret, a.adTOTP()})
		}
	}
	if a.PendingOTP != nil {
		fields = append(fields, struct {
			b  *[]byte
			ad string
		}{&a.PendingOTP.Secret, a.adPending()})
	}
	for _, f := range fields {
		sec, err := old.Open(*f.b, f.ad)
		if err != nil {
			return store.Damaged(store.Accounts, a.UserID, err)
		}
		*f.b = next.Seal(sec, f.ad)
		clear(sec)
	}
	return nil
}

// sealSlots makes the password's slot anew under kek and seals dk to it
// and to every other slot; a record from before slots moves to them.
func (a *Account) sealSlots(dk, kek *secret.Key) error {
	lock, _ := a.slotAD(slotPassword)
	slots := []*secret.Slot{secret.NewSlot(slotPassword, lock, kek)}
	if a.Keys == nil {
		a.Keys = &Keys{}
	}
	for _, s := range a.Keys.Slots {
		if s.Kind != slotPassword {
			slots = append(slots, s)
		}
	}
	for _, s := range slots {
		_, box := a.slotAD(s.Kind)
		if err := s.Seal(dk, box); err != nil {
			return store.Damaged(store.Accounts, a.UserID, err)
		}
	}
	a.Keys.Slots, a.DataKey = slots, nil
	return nil
}

// freshKeys gives the account a new data key with nothing sealed under
// it but a new MAC key, for when what it sealed is gone (an admin's
// reset, a recovery without an authenticator): locked by kek, the new
// password's key, or, with kek nil, sealed to the password slot it has
// (an admin's reset-otp, who knows no password). The authenticators, a
// pending registration and the recovery slots go; codes sent under the
// old MAC key expire at now. A record from before slots, with kek nil,
// keeps its key until the password next opens it (finishIn).
func (a *Account) freshKeys(kek *secret.Key, now time.Time) error {
	a.OTP, a.PendingOTP = nil, nil
	a.dropRecoverySlots()
	for _, p := range a.Codes {
		if p.ExpiresAt.After(now) {
			p.ExpiresAt = now
		}
	}
	next := secret.NewKey()
	defer clear(next[:])
	if kek == nil {
		s := a.passwordSlot()
		if s == nil {
			return nil
		}
		_, box := a.slotAD(slotPassword)
		if err := s.Seal(next, box); err != nil {
			return store.Damaged(store.Accounts, a.UserID, err)
		}
	} else if err := a.sealSlots(next, kek); err != nil {
		return err
	}
	a.MACKey = next.Wrap(secret.NewKey(), a.adMAC())
	return nil
}

// recoverySet is a new set of recovery codes with their slots, made
// outside any transaction: ten Argon2id calls take a while.
type recoverySet struct {
	codes []string // as shown, once
	keys  Keys     // a slot per code, no box yet
}

// newRecoverySet makes 10 codes for the account a and a slot for each,
// locked under the code through Argon2id at the parameters p.
func newRecoverySet(a *Account, p secret.Params) (*recoverySet, error) {
	codes := otp.NewRecoveryCodes()
	set := &recoverySet{codes: codes, keys: Keys{Params: p, Salt: secret.NewSalt(), Slots: make([]*secret.Slot, len(codes))}}
	lock, _ := a.slotAD(slotRecovery)
	// A few at a time: each takes the parameters' memory.
	workers := min(runtime.GOMAXPROCS(0), 4)
	errs := make([]error, len(codes))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				n, err := otp.ParseRecovery(codes[i])
				if err != nil {
					errs[i] = err // otp.NewRecoveryCodes makes only codes it parses
					continue
				}
				k, err := secret.SlotKey([]byte(n.Normal()), set.keys.Salt, p)
				if err != nil {
					errs[i] = err
					continue
				}
				set.keys.Slots[i] = secret.NewSlot(slotRecovery, lock, k)
				clear(k[:])
			}
		}()
	}
	for i := range codes {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

// setRecoveryCodes gives the account the set's codes, as MACs, and its
// slots, sealed to the data key; it returns the codes to be shown once.
// The old codes are void: where there were any, the account gets a new
// data key first, so that they open nothing from now on.
func (u *Unlocked) setRecoveryCodes(set *recoverySet) ([]string, error) {
	a := u.Account
	if set == nil {
		return nil, kindErr(fail.Other, ErrAccountRaced)
	}
	if len(a.recoveryLocks()) > 0 || len(a.OTP.RecoveryCodes) > 0 {
		a.dropRecoverySlots()
		if err := u.rotate(u.kek, true); err != nil {
			return nil, err
		}
	}
	mk := secret.NewKey() // the new set's RecoveryKey
	macs := make([][]byte, len(set.codes))
	for i, c := range set.codes {
		n, err := otp.ParseRecovery(c)
		if err != nil {
			return nil, err
		}
		macs[i] = mk.MAC("recovery", a.UUID, n.Normal())
	}
	if a.Keys == nil {
		a.Keys = &Keys{}
	}
	_, box := a.slotAD(slotRecovery)
	for _, s := range set.keys.Slots {
		if err := s.Seal(u.DataKey, box); err != nil {
			return nil, err
		}
	}
	a.Keys.Params, a.Keys.Salt = set.keys.Params, set.keys.Salt
	a.Keys.Slots = append(a.Keys.Slots, set.keys.Slots...)
	a.OTP.RecoveryCodes, a.OTP.RecoveryKey = macs, mk[:]
	u.tx.Forget()
	return set.codes, nil
}
