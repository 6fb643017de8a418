package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// verifyEmail gives alice a verified email, as contact verify does.
func verifyEmail(t *testing.T, s *Service, c *clock, addr string) {
	t.Helper()
	verifyEmailOf(t, s, c, "alice", pw, addr)
}

// verifyEmailOf gives the account id, whose password is p, a verified email.
func verifyEmailOf(t *testing.T, s *Service, c *clock, id string, p []byte, addr string) {
	t.Helper()
	tgt, _ := contact.Parse(contact.Email, addr)
	var code string
	if _, err := on(s, acct(t, s, id)).SendCode(p, tgt, func(c string, _ time.Duration) error { code = c; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := on(s, acct(t, s, id)).CheckCode(p, tgt, verificationCode(code)); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Minute)
}

// sendRecover begins a recovery of alice and returns it with the code sent.
func sendRecover(t *testing.T, s *Service) (*Recovery, contact.Code) {
	t.Helper()
	r, err := s.BeginRecovery("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	var code string
	if _, err := r.SendCode(func(c string, _ time.Duration) error { code = c; return nil }); err != nil {
		t.Fatal(err)
	}
	return r, verificationCode(code)
}

func recoveryCode(s string) otp.RecoveryCode {
	r, err := otp.ParseRecovery(s)
	if err != nil {
		panic(err)
	}
	return r
}

var newPW = []byte("a forgotten one, replaced")

// TestRecoverKeepsOTP: account recover with the code sent and a recovery
// code sets a new password; the OTP secret registered before still gives
// accepted codes, the recovery code used is gone (login refuses it), the
// old password opens nothing, and the session ended (rules 6 and 7).
func TestRecoverKeepsOTP(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		var sent []Notice
		s.Notify = func(n Notice) error { sent = append(sent, n); return nil }
		login(t, s, "alice", pw)
		verifyEmail(t, s, c, "alice@example.com")
		sec, codes := register(t, s, c)
		r, code := sendRecover(t, s)
		if !r.NeedsRecoveryCode || r.Target.Address != "alice@example.com" {
			t.Fatalf("recovery = %+v; want the email, and a recovery code needed", r)
		}
		if _, err := r.Finish(code, otp.RecoveryCode{}, checked(t, newPW, "alice")); fail.KindOf(err) != fail.Usage {
			t.Fatalf("without a recovery code: %v; want a usage error", err)
		}
		done, err := r.Finish(code, recoveryCode(codes[3]), checked(t, newPW, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		if !done.KeptOTP || *done.RecoveryCodesLeft != 9 {
			t.Fatalf("recovered = %+v; want the OTP kept and 9 codes left", done)
		}
		if _, _, _, err := s.Current(); fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("the session after a recovery: %v; want it ended", err)
		}
		if n := sent[len(sent)-1]; n.Event != EvRecovered || n.To != "alice@example.com" {
			t.Fatalf("last notice = %+v; want the recovery, to the verified email", n)
		}
		if err := login(t, s, "alice", pw); fail.KindOf(err) != fail.Auth {
			t.Fatalf("the old password after a recovery: %v", err)
		}
		c.t = c.t.Add(time.Minute)
		if _, err := loginAsk(s, acct(t, s, "alice"), newPW, func(*Who) (auth.Credential, error) { return recoveryFactor(codes[3]), nil }); fail.KindOf(err) != fail.Auth {
			t.Fatalf("the recovery code used by account recover logs in: %v", err)
		}
		if _, err := loginAsk(s, acct(t, s, "alice"), newPW, withCode(otp.CodeAt(sec, otp.StepAt(c.t)))); err != nil {
			t.Fatalf("the OTP registered before the recovery: %v", err)
		}
		// The code sent is used up, and the next recovery needs a new one.
		if _, err := r.Finish(code, recoveryCode(codes[4]), checked(t, []byte("yet another new phrase"), "alice")); !errors.Is(err, ErrNothingPending) {
			t.Fatalf("the code sent, a second time: %v", err)
		}
		// Another recovery code still opens the way; a login that used one
		// takes its slot too.
		if _, err := loginAsk(s, acct(t, s, "alice"), newPW, func(*Who) (auth.Credential, error) { return recoveryFactor(codes[5]), nil }); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(2 * time.Minute)
		r, code = sendRecover(t, s)
		if _, err := r.Finish(code, recoveryCode(codes[5]), checked(t, []byte("yet another new phrase"), "alice")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a recovery code used at login, in account recover: %v", err)
		}
		done, err = r.Finish(code, recoveryCode(codes[6]), checked(t, []byte("yet another new phrase"), "alice"))
		if err != nil || *done.RecoveryCodesLeft != 7 {
			t.Fatalf("a second recovery: %+v, %v", done, err)
		}
	})
}

// TestRecoverWrongCodes: a wrong code sent or recovery code is counted
// toward the lockout and uses nothing; the right ones work after.
func TestRecoverWrongCodes(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		verifyEmail(t, s, c, "alice@example.com")
		_, codes := register(t, s, c)
		r, code := sendRecover(t, s)
		wrong := verificationCode("000000")
		if code.Digits() == "000000" {
			wrong = verificationCode("000001")
		}
		if err := r.Check(wrong, otp.RecoveryCode{}); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a wrong code: %v", err)
		}
		if err := r.Check(code, recoveryCode("aaaa-bbbb-cccc-dddd")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a wrong recovery code: %v", err)
		}
		a := readAccount(t, w, "alice")
		if a.SecondFailures != 2 || a.RecoverCode.Pending.Failures != 1 || len(a.OTP.RecoveryCodes) != 10 {
			t.Fatalf("after two wrong codes: second failures %d, code failures %d, %d recovery codes",
				a.SecondFailures, a.RecoverCode.Pending.Failures, len(a.OTP.RecoveryCodes))
		}
		// Checking the right ones uses nothing.
		if err := r.Check(code, recoveryCode(codes[0])); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Finish(code, recoveryCode(codes[0]), checked(t, newPW, "alice")); err != nil {
			t.Fatal(err)
		}
		a = readAccount(t, w, "alice")
		if a.SecondFailures != 0 || a.RecoverCode != nil || len(a.OTP.RecoveryCodes) != 9 || len(a.recoveryLocks()) != 9 {
			t.Fatalf("after the recovery: %d failures, pending %v, %d codes, %d recovery locks",
				a.SecondFailures, a.RecoverCode, len(a.OTP.RecoveryCodes), len(a.recoveryLocks()))
		}
		// Wrong codes lock the account (threshold 3 here): recovery too.
		c.t = c.t.Add(2 * time.Minute)
		r, code = sendRecover(t, s)
		for i := 0; i < 3; i++ {
			r.Check(code, recoveryCode("aaaa-bbbb-cccc-dddd"))
		}
		if _, err := s.BeginRecovery("alice", ""); fail.KindOf(err) != fail.Locked {
			t.Fatalf("recovering a locked account: %v; want exit 4", err)
		}
	})
}

// TestRecoverNeedsContact: no verified contact, no recovery this way;
// recovery codes from before slots say so.
func TestRecoverNeedsContact(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		if _, err := s.BeginRecovery("alice", ""); !errors.Is(err, ErrNoVerifiedContact) {
			t.Fatalf("no contact: %v", err)
		}
		verifyEmail(t, s, c, "alice@example.com")
		if _, err := s.BeginRecovery("alice", contact.Phone); !errors.Is(err, ErrNoVerifiedContact) {
			t.Fatalf("--via phone, none verified: %v", err)
		}
		if _, err := s.BeginRecovery("nobody", ""); !errors.Is(err, ErrNoAccount) {
			t.Fatalf("no account: %v", err)
		}
		// Without an OTP, the code alone: the account gets a fresh data key.
		r, code := sendRecover(t, s)
		if r.NeedsRecoveryCode {
			t.Fatal("a recovery code asked for with no OTP")
		}
		if _, err := r.Finish(code, otp.RecoveryCode{}, checked(t, newPW, "alice")); err != nil {
			t.Fatal(err)
		}
		if err := login(t, s, "alice", newPW); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRecoverOldPasswordOpensNothing: after a recovery, no copy of the
// store made after it holds a record the old password or the old data
// key opens, freed pages included (rule 2); the box of the new data key
// does not open with anything the old password gave.
func TestRecoverOldPasswordOpensNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kcloud.db")
	w := &world{open: func() *store.Store { return store.Open(path, store.Options{LockTimeout: time.Second}) }}
	w, c := setup(t, w)
	s := newService(w, c)
	login(t, s, "alice", pw)
	verifyEmail(t, s, c, "alice@example.com")
	_, codes := register(t, s, c)
	before := readAccount(t, w, "alice")
	oldKEK, _ := before.Password.Verify(pw)
	oldDK, err := before.openByPassword(oldKEK)
	if err != nil {
		t.Fatal(err)
	}
	r, code := sendRecover(t, s)
	if _, err := r.Finish(code, recoveryCode(codes[0]), checked(t, newPW, "alice")); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "after.db")
	if err := store.Backup(w.open(), backup, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, backup} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		used := before.recoveryLocks()[0]
		old := map[string][]byte{"the old verifier": before.Password.Verifier, "the old password slot's lock": before.passwordSlot().Locks[0],
			"the old salt": before.Password.Salt, "the used code's box": used.slot.Box, "the used code's lock": used.bytes()}
		for what, b := range old {
			enc, _ := json.Marshal(b)
			if bytes.Contains(raw, b) || bytes.Contains(raw, enc[1:len(enc)-1]) {
				t.Errorf("%s still holds %s", filepath.Base(f), what)
			}
		}
	}
	after := readAccount(t, w, "alice")
	if k, err := before.Password.Verify(pw); err != nil || k == nil {
		t.Fatal("the old hash no longer checks the old password")
	}
	if _, err := after.openByPassword(oldKEK); err == nil {
		t.Fatal("the old password opens the new data key")
	}
	if _, err := oldDK.Open(after.OTP.Authenticators[0].Secret, after.adTOTP()); err == nil {
		t.Fatal("the old data key opens the OTP secret after the recovery")
	}
	for _, sl := range after.Keys.Slots {
		_, box := after.slotAD(sl.Kind)
		if _, err := oldDK.OpenBox(sl.Box, box); err == nil {
			t.Fatalf("the old data key opens the %s slot's box", sl.Kind)
		}
	}
	// A recovery code still opens the new data key, through Argon2id.
	k, _ := secret.SlotKey([]byte(recoveryCode(codes[1]).Normal()), after.Keys.Salt, after.Keys.Params)
	opened := false
	lock, box := after.slotAD(slotRecovery)
	for _, l := range after.recoveryLocks() {
		if _, err := l.slot.Open(l.lock, k, lock, box); err == nil {
			opened = true
		}
	}
	if !opened {
		t.Fatal("an unused recovery code does not open the new data key")
	}
}
