package account

import (
	"runtime"
	"sync"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// RecoverySlots are the second way to the data key, which the recovery
// codes open (account recover; docs/secrets.md, "Key slots"). Slots[i]
// is the set's private key sealed under recovery code i through
// Argon2id; it goes with RecoveryCodes[i], and a code used either way
// takes both. DataKey is the account's data key sealed to Public.
type RecoverySlots struct {
	Params  secret.Params `json:"params"`
	Salt    []byte        `json:"salt"`
	Public  []byte        `json:"public"`
	Slots   [][]byte      `json:"slots"`
	DataKey []byte        `json:"data_key"`
}

func (a *Account) adSlot() string { return "kcloud recovery slot " + a.UUID }
func (a *Account) adBox() string  { return "kcloud recovery box " + a.UUID }

// recoverySet is a new set of recovery codes with their slots, made
// outside any transaction: ten Argon2id calls take a while.
type recoverySet struct {
	codes []string // as shown, once
	slots *RecoverySlots
}

// newRecoverySet makes 10 codes for the account a and seals a fresh
// private key under each, at the parameters p.
func newRecoverySet(a *Account, p secret.Params) (*recoverySet, error) {
	codes := otp.NewRecoveryCodes()
	priv, pub := secret.NewRecipient()
	defer clear(priv[:])
	rs := &RecoverySlots{Params: p, Salt: secret.NewSalt(), Public: pub, Slots: make([][]byte, len(codes))}
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
				k, err := secret.SlotKey([]byte(n.Normal()), rs.Salt, p)
				if err != nil {
					errs[i] = err
					continue
				}
				rs.Slots[i] = k.Wrap(priv, a.adSlot())
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
	return &recoverySet{codes: codes, slots: rs}, nil
}

// setRecoveryCodes gives the account the set's codes, as MACs, and its
// slots, with the data key sealed to them; it returns the codes to be
// shown once. The old codes and slots are void.
func (u *Unlocked) setRecoveryCodes(set *recoverySet) ([]string, error) {
	a := u.Account
	if set == nil {
		return nil, kindErr(fail.Other, ErrAccountRaced)
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
	slots := *set.slots
	var err error
	if slots.DataKey, err = secret.SealTo(slots.Public, u.DataKey, a.adBox()); err != nil {
		return nil, err
	}
	a.OTP.RecoveryCodes, a.OTP.RecoveryKey, a.OTP.Recovery = macs, mk[:], &slots
	u.tx.Forget() // the old slots opened the data key
	return set.codes, nil
}

// useRecoveryCode takes the recovery code i, and its slot, from the set.
func (o *OTP) useRecoveryCode(i int) {
	o.RecoveryCodes = append(o.RecoveryCodes[:i:i], o.RecoveryCodes[i+1:]...)
	if r := o.Recovery; r != nil {
		if len(r.Slots) == len(o.RecoveryCodes)+1 {
			r.Slots = append(r.Slots[:i:i], r.Slots[i+1:]...)
		} else {
			o.Recovery = nil // out of step with the codes: no way in by them
		}
	}
}

// resealBox seals a new data key to the slots' public key: a password
// change keeps the recovery codes' way in without knowing them.
func (a *Account) resealBox(next *secret.Key) error {
	if a.OTP == nil || a.OTP.Recovery == nil {
		return nil
	}
	box, err := secret.SealTo(a.OTP.Recovery.Public, next, a.adBox())
	if err != nil {
		return store.Damaged(store.Accounts, a.UserID, err)
	}
	a.OTP.Recovery.DataKey = box
	return nil
}
