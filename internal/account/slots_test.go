package account

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// voidCodeOpens is what an attacker with a copy of the store from before
// (old) and a recovery code that is void since tries on a copy made after
// (now): the code's lock in the old copy opens the old data key; it must
// open no slot of now, and the old data key no secret sealed in now.
func voidCodeOpens(t *testing.T, old, now *Account, code string) {
	t.Helper()
	k, err := secret.SlotKey([]byte(recoveryCode(code).Normal()), old.Keys.Salt, old.Keys.Params)
	if err != nil {
		t.Fatal(err)
	}
	lock, box := old.slotAD(slotRecovery)
	var oldDK *secret.Key
	for _, l := range old.recoveryLocks() {
		if dk, err := l.slot.Open(l.lock, k, lock, box); err == nil {
			oldDK = dk
		}
	}
	if oldDK == nil {
		t.Fatal("the code opens nothing in the copy from before: the test proves nothing")
	}
	if now.Keys != nil && now.Keys.Salt != nil {
		k, _ = secret.SlotKey([]byte(recoveryCode(code).Normal()), now.Keys.Salt, now.Keys.Params)
	}
	for _, l := range now.recoveryLocks() {
		if _, err := l.slot.Open(l.lock, k, lock, box); err == nil {
			t.Fatal("the void code opens a slot of the copy made after")
		}
	}
	if now.OTP != nil {
		for _, x := range now.OTP.Authenticators {
			if _, err := oldDK.Open(x.Secret, now.adTOTP()); err == nil {
				t.Fatalf("the void code's old data key opens the TOTP secret of %s, sealed after", x.Name)
			}
		}
	}
	if _, err := oldDK.Unwrap(now.MACKey, now.adMAC()); err == nil {
		t.Fatal("the void code's old data key opens the MAC key of the copy made after")
	}
}

// TestVoidRecoveryCodeOpensNothingAfter: replacing the recovery codes,
// using one, or removing them with the last authenticator gives the
// account a new data key, so a void code and a copy of the store from
// before open nothing registered after (security rule 6, issue 36 item 2).
func TestVoidRecoveryCodeOpensNothingAfter(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		sec, codes := register(t, s, c)
		step := func() string { c.t = c.t.Add(30 * time.Second); return otp.CodeAt(sec, otp.StepAt(c.t)) }

		// Replaced: otp recovery-codes.
		old := readAccount(t, w, "alice")
		fresh, err := on(s, acct(t, s, "alice")).RenewRecoveryCodes(pw, otpFactor(step()))
		if err != nil {
			t.Fatal(err)
		}
		addApp(t, s, c, "after-renewal", otpFactor(step()))
		voidCodeOpens(t, old, readAccount(t, w, "alice"), codes[0])

		// Used: a login with a recovery code.
		old = readAccount(t, w, "alice")
		if _, err := loginAsk(s, acct(t, s, "alice"), pw, func(*Who) (auth.Credential, error) { return recoveryFactor(fresh[0]), nil }); err != nil {
			t.Fatal(err)
		}
		addApp(t, s, c, "after-use", otpFactor(step()))
		voidCodeOpens(t, old, readAccount(t, w, "alice"), fresh[0])

		// Removed with the last authenticator, then an app registered anew.
		old = readAccount(t, w, "alice")
		for i, name := range []string{"app", "after-renewal", "after-use"} {
			if _, err := on(s, acct(t, s, "alice")).DeleteOTP(pw, name, recoveryFactor(fresh[1+i])); err != nil {
				t.Fatal(err)
			}
		}
		if a := readAccount(t, w, "alice"); a.OTP != nil || len(a.recoveryLocks()) != 0 {
			t.Fatalf("after the last authenticator: OTP %v, %d recovery locks; want none", a.OTP != nil, len(a.recoveryLocks()))
		}
		register(t, s, c)
		voidCodeOpens(t, old, readAccount(t, w, "alice"), fresh[4])
	})
}

// addApp registers one more authenticator named name, stepping up with sf.
func addApp(t *testing.T, s *Service, c *clock, name string, sf auth.Credential) {
	t.Helper()
	p, err := on(s, acct(t, s, "alice")).BeginOTP(pw, name)
	if err != nil {
		t.Fatal(err)
	}
	v := on(s, acct(t, s, "alice"))
	if _, err := with(v, pw, []auth.Credential{sf}, func(pr *Proof) (*Registered, error) {
		return v.Visit.ConfirmOTP(pr, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t))))
	}); err != nil {
		t.Fatal(err)
	}
}

// TestRecordBeforeSlotsMigrates: an account written by the third round's
// kcloud (the data key wrapped by the password's key, the recovery codes'
// box beside the OTP) reads as it is, logs in with its code, and moves to
// slots with the data key unchanged; its recovery codes still recover it
// (schema 3, on bbolt, in memory and on a real etcd).
func TestRecordBeforeSlotsMigrates(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		a := readAccount(t, w, "alice")
		kek, _ := a.Password.Verify(pw)
		dk := secret.NewKey()
		totp := otp.NewSecret()
		// The third round's layout, written as it wrote it.
		codes := otp.NewRecoveryCodes()
		priv, pub := secret.NewRecipient()
		rs := &RecoverySlots{Params: s.Params, Salt: secret.NewSalt(), Public: pub}
		mk := secret.NewKey()
		var macs [][]byte
		for _, code := range codes {
			n := recoveryCode(code)
			k, err := secret.SlotKey([]byte(n.Normal()), rs.Salt, rs.Params)
			if err != nil {
				t.Fatal(err)
			}
			rs.Slots = append(rs.Slots, k.Wrap(priv, a.adSlot()))
			macs = append(macs, mk.MAC("recovery", a.UUID, n.Normal()))
		}
		rs.DataKey, _ = secret.SealTo(pub, dk, a.adBox())
		old := map[string]any{}
		raw, _ := json.Marshal(a)
		json.Unmarshal(raw, &old)
		delete(old, "keys")
		old["data_key"] = kek.Wrap(dk, a.adData())
		old["mac_key"] = dk.Wrap(secret.NewKey(), a.adMAC())
		old["otp"] = map[string]any{
			"authenticators": []any{map[string]any{"name": "app", "secret": dk.Seal(totp, a.adTOTP()), "registered_at": c.t}},
			"recovery_codes": macs, "recovery_key": mk[:], "recovery": rs,
		}
		rec, _ := json.Marshal(old)
		if err := w.open().Update(func(tx *store.Tx) error { return tx.PutRaw(store.Accounts, "alice", rec) }); err != nil {
			t.Fatal(err)
		}

		c.t = c.t.Add(30 * time.Second)
		if _, err := loginAsk(s, acct(t, s, "alice"), pw, withCode(otp.CodeAt(totp, otp.StepAt(c.t)))); err != nil {
			t.Fatalf("a login to the record from before slots: %v", err)
		}
		now := readAccount(t, w, "alice")
		if now.DataKey != nil || now.OTP.Recovery != nil || now.passwordSlot() == nil || len(now.recoveryLocks()) != 10 {
			t.Fatalf("after the login: data_key %v, recovery %v, password slot %v, %d recovery locks; want slots only",
				now.DataKey != nil, now.OTP.Recovery != nil, now.passwordSlot() != nil, len(now.recoveryLocks()))
		}
		got, err := now.openByPassword(kek)
		if err != nil || *got != *dk {
			t.Fatalf("the password's slot opens %v, %v; want the same data key", got, err)
		}
		verifyEmail(t, s, c, "alice@example.com")
		s.Logout()
		r, code := sendRecover(t, s)
		if _, err := r.Finish(code, recoveryCode(codes[4]), checked(t, newPW, "alice")); err != nil {
			t.Fatalf("recovering with a code of the old set: %v", err)
		}
		c.t = c.t.Add(30 * time.Second)
		if _, err := loginAsk(s, acct(t, s, "alice"), newPW, withCode(otp.CodeAt(totp, otp.StepAt(c.t)))); err != nil {
			t.Fatalf("the old authenticator after the recovery: %v", err)
		}
	})
}
