package account

import (
	"errors"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

var bobPW = []byte("quiet river at dawn")

// withBob is setup with a second account, bob, made by the admin alice,
// who is logged in.
func withBob(t *testing.T, w *world) (*Service, *clock) {
	t.Helper()
	w, c := setup(t, w)
	s := newService(w, c)
	if err := login(t, s, "alice", pw); err != nil {
		t.Fatal(err)
	}
	bob := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), Password: checked(t, bobPW, "bob")}
	if _, err := on(s, acct(t, s, "alice")).Create(pw, bob); err != nil {
		t.Fatal(err)
	}
	return s, c
}

// act is an admin's action as the command line runs it: checked before
// the password, then done with it.
func act(t *testing.T, s *Service, admin, member string, a MemberAction, opts ActOptions) (*Acted, error) {
	t.Helper()
	adminPW := pw
	if admin == "bob" {
		adminPW = bobPW
	}
	if err := login(t, s, admin, adminPW); err != nil {
		return nil, err
	}
	v := on(s, acct(t, s, admin))
	c, err := v.CheckMember(member, a)
	if err != nil {
		return nil, err
	}
	return v.Act(adminPW, c, opts)
}

func events(t *testing.T, s *Service, id string) []string {
	t.Helper()
	var out []string
	err := s.Store.View(func(tx *store.Tx) error {
		return tx.Newest(store.Activity, id, func(decode func(any) error) bool {
			var e Event
			if decode(&e) != nil {
				return false
			}
			out = append(out, e.Event)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMemberUnlockDisable: an admin ends a lockout and disables and
// enables an account; each is in both activities; a disabled account
// cannot log in (exit 4) and its session ends.
func TestMemberUnlockDisable(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, _ := withBob(t, w)
		for range 3 {
			login(t, s, "bob", []byte("not the password"))
		}
		if err := login(t, s, "bob", bobPW); fail.KindOf(err) != fail.Locked {
			t.Fatalf("bob after 3 wrong passwords: %v, want locked", err)
		}
		done, err := act(t, s, "alice", "bob", Unlock, ActOptions{})
		if err != nil || !done.Changed || done.Member.LockedUntil != nil {
			t.Fatalf("unlock: %+v, %v", done, err)
		}
		if done, err := act(t, s, "alice", "bob", Unlock, ActOptions{}); err != nil || done.Changed {
			t.Fatalf("a second unlock: %+v, %v; want nothing changed", done, err)
		}
		if err := login(t, s, "bob", bobPW); err != nil {
			t.Fatalf("bob after the unlock: %v", err)
		}
		before := readAccount(t, w, "bob").SessionEpoch
		if _, err := act(t, s, "alice", "bob", Disable, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if after := readAccount(t, w, "bob").SessionEpoch; after <= before {
			t.Fatalf("bob's session epoch %d after the disable, %d before: his sessions did not end", after, before)
		}
		if err := login(t, s, "bob", bobPW); !errors.Is(err, ErrDisabled) || fail.KindOf(err) != fail.Locked {
			t.Fatalf("a disabled account's login: %v", err)
		}
		if _, err := act(t, s, "alice", "bob", Enable, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := login(t, s, "bob", bobPW); err != nil {
			t.Fatalf("bob enabled again: %v", err)
		}
		got := events(t, s, "bob")
		// (A login refused as disabled is refused before any password,
		// as a locked one is: nothing to log.)
		want := []string{EvLoginOK, EvMemberEnabled, EvMemberDisabled, EvLoginOK, EvMemberUnlocked, EvLockout}
		for i, e := range want {
			if i >= len(got) || got[i] != e {
				t.Fatalf("bob's activity %v, want it to start %v", got, want)
			}
		}
		var acts []string
		for _, e := range events(t, s, "alice") {
			if e != EvLoginOK {
				acts = append(acts, e)
			}
		}
		if len(acts) < 3 || acts[0] != EvMemberEnabled || acts[1] != EvMemberDisabled || acts[2] != EvMemberUnlocked {
			t.Fatalf("alice's activity %v", acts)
		}
	})
}

// TestMemberRefusals: a member cannot act on anyone; an admin cannot
// disable or delete their own account, and the last admin stays one.
func TestMemberRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, _ := withBob(t, w)
		login(t, s, "bob", bobPW)
		for _, a := range []MemberAction{Unlock, ResetOTP, ResetPassword, Disable, Enable, Delete, GrantAdmin} {
			if _, err := on(s, acct(t, s, "bob")).CheckMember("alice", a); !errors.Is(err, ErrNotAdmin) {
				t.Errorf("bob's %s of alice: %v, want not an admin", a, err)
			}
		}
		if _, err := on(s, acct(t, s, "bob")).Members(bobPW); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("bob's member list: %v", err)
		}
		for a, want := range map[MemberAction]error{Disable: ErrSelf, Delete: ErrSelf, RevokeAdmin: ErrLastAdmin} {
			if _, err := act(t, s, "alice", "alice", a, ActOptions{}); !errors.Is(err, want) || fail.KindOf(err) != fail.Usage {
				t.Errorf("alice's %s of herself: %v, want %v", a, err, want)
			}
		}
		if _, err := act(t, s, "alice", "carol", Unlock, ActOptions{}); !errors.Is(err, ErrNoMember) {
			t.Errorf("unlock of nobody: %v", err)
		}
		// With a second admin, alice can stop being one; bob, the last
		// admin then, cannot be revoked or disabled.
		if _, err := act(t, s, "alice", "bob", GrantAdmin, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := act(t, s, "alice", "alice", RevokeAdmin, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []MemberAction{RevokeAdmin, Disable, Delete} {
			if _, err := act(t, s, "bob", "bob", a, ActOptions{}); !errors.Is(err, ErrLastAdmin) && !errors.Is(err, ErrSelf) {
				t.Errorf("bob's %s of himself, the last admin: %v", a, err)
			}
		}
		if _, err := act(t, s, "alice", "bob", Disable, ActOptions{}); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("alice, no longer an admin: %v", err)
		}
	})
}

// TestMemberStepUp: an admin with an authenticator gives a code from it
// (or a recovery code) after the password; a wrong one counts toward the
// admin's lockout and does nothing.
func TestMemberStepUp(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		secret, codes := register(t, s, c)
		v := on(s, acct(t, s, "alice"))
		check, err := v.CheckMember("bob", Disable)
		if err != nil || !check.NeedsSecondFactor {
			t.Fatalf("CheckMember = %+v, %v; want a second factor needed", check, err)
		}
		if _, err := v.Act(pw, check, ActOptions{}); fail.KindOf(err) != fail.Usage {
			t.Fatalf("no second factor: %v", err)
		}
		if _, err := v.Act(pw, check, ActOptions{}, otpFactor("000000")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a wrong code: %v", err)
		}
		if a := readAccount(t, w, "bob"); a.Disabled {
			t.Fatal("a wrong code disabled bob")
		}
		if a := readAccount(t, w, "alice"); a.SecondFailures != 1 {
			t.Fatalf("the wrong code counted %d", a.SecondFailures)
		}
		c.t = c.t.Add(30 * time.Second)
		if _, err := v.Act(pw, check, ActOptions{}, otpFactor(otp.CodeAt(secret, otp.StepAt(c.t)))); err != nil {
			t.Fatal(err)
		}
		check, _ = on(s, acct(t, s, "alice")).CheckMember("bob", Enable)
		if _, err := on(s, acct(t, s, "alice")).Act(pw, check, ActOptions{}, recoveryFactor(codes[0])); err != nil {
			t.Fatal(err)
		}
		if a := readAccount(t, w, "bob"); a.Disabled {
			t.Fatal("bob is still disabled")
		}
	})
}

// TestMemberResetPassword: the reset voids the password, the member's
// sessions and authenticators; the code sets a new password once,
// within 24 hours; a wrong code counts.
func TestMemberResetPassword(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		login(t, s, "bob", bobPW)
		register := func() {
			p, err := on(s, acct(t, s, "bob")).BeginOTP(bobPW, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := on(s, acct(t, s, "bob")).ConfirmOTP(bobPW, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t)))); err != nil {
				t.Fatal(err)
			}
		}
		register()
		before := readAccount(t, w, "bob").SessionEpoch
		done, err := act(t, s, "alice", "bob", ResetPassword, ActOptions{})
		if err != nil || done.ResetCode == "" || !done.ResetExpiresAt.Equal(c.t.Add(ResetTTL)) {
			t.Fatalf("reset: %+v, %v", done, err)
		}
		if a := readAccount(t, w, "bob"); a.SessionEpoch <= before || a.OTP != nil || a.ResetCode == nil {
			t.Fatalf("after the reset: epoch %d (was %d), OTP %v, pending %v", a.SessionEpoch, before, a.OTP, a.ResetCode)
		}
		if err := login(t, s, "bob", bobPW); !errors.Is(err, ErrResetPending) || fail.KindOf(err) != fail.Locked {
			t.Fatalf("the old password: %v", err)
		}
		code := recoveryCode(done.ResetCode)
		newBob := []byte("a fresh start for the member")
		r, err := s.BeginReset("bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.FinishReset(recoveryCode("aaaa-bbbb-cccc-dddd"), checked(t, newBob, "bob")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("a wrong reset code: %v", err)
		}
		// Counted as a wrong code is: the lockout's count, not cleared
		// by a right password.
		if a := readAccount(t, w, "bob"); a.SecondFailures != 1 || a.ResetCode == nil {
			t.Fatalf("after a wrong reset code: %d failures, pending %v", a.SecondFailures, a.ResetCode)
		}
		if _, err := r.FinishReset(code, checked(t, newBob, "alice")); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a password checked for another account: %v", err)
		}
		if _, err := r.FinishReset(code, checked(t, newBob, "bob")); err != nil {
			t.Fatal(err)
		}
		if _, err := r.FinishReset(code, checked(t, newBob, "bob")); !errors.Is(err, ErrNoResetCode) {
			t.Fatalf("the code used again: %v", err)
		}
		if err := login(t, s, "bob", newBob); err != nil {
			t.Fatal(err)
		}
		if err := login(t, s, "bob", bobPW); fail.KindOf(err) != fail.Auth {
			t.Fatalf("the password before the reset: %v", err)
		}

		// A second reset, not used within 24 hours, is void.
		done, err = act(t, s, "alice", "bob", ResetPassword, ActOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(ResetTTL)
		if r, err = s.BeginReset("bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.FinishReset(recoveryCode(done.ResetCode), checked(t, newBob, "bob")); !errors.Is(err, ErrCodeVoid) {
			t.Fatalf("a reset code after 24 hours: %v", err)
		}
	})
}

// TestMemberResetSent: with Send, the code goes to the member's verified
// email and is not returned; a delivery that fails voids the code it
// carried, and the member's password stays reset.
func TestMemberResetSent(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		login(t, s, "bob", bobPW)
		verifyEmailOf(t, s, c, "bob", bobPW, "bob@example.com")
		login(t, s, "alice", pw)
		var sent string
		done, err := act(t, s, "alice", "bob", ResetPassword, ActOptions{Send: func(to contact.Target, code string, _ time.Duration) error {
			if to.Address != "bob@example.com" {
				t.Errorf("sent to %s", to.Address)
			}
			sent = code
			return nil
		}})
		if err != nil || done.ResetCode != "" || done.Sent == nil || done.Sent.Masked != "b***@example.com" || sent == "" {
			t.Fatalf("a sent reset: %+v, %v", done, err)
		}
		newBob := []byte("a fresh start for the member")
		r, err := s.BeginReset("bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.FinishReset(recoveryCode(sent), checked(t, newBob, "bob")); err != nil {
			t.Fatal(err)
		}

		sent = ""
		_, err = act(t, s, "alice", "bob", ResetPassword, ActOptions{Send: func(_ contact.Target, code string, _ time.Duration) error {
			sent = code
			return errors.New("the mail server said no")
		}})
		if err == nil || sent == "" {
			t.Fatalf("a failed delivery: %v", err)
		}
		if r, err = s.BeginReset("bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.FinishReset(recoveryCode(sent), checked(t, newBob, "bob")); !errors.Is(err, ErrCodeVoid) {
			t.Fatalf("the undelivered code: %v, want void", err)
		}
		if err := login(t, s, "bob", newBob); !errors.Is(err, ErrResetPending) {
			t.Fatalf("bob after a reset whose code was not delivered: %v", err)
		}
	})
}

// TestRequireOTP: while the organization requires an OTP, a session of
// an account without one opens only the registration; once registered,
// every page. A password shorter than the policy's minimum still logs
// in, and says so.
func TestRequireOTP(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.password_min_length=10"}}); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a minimum of 10 without require_otp: %v", err)
		}
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.require_otp=true", "security.password_min_length=30"}}); err != nil {
			t.Fatal(err)
		}
		sess, err := loginAsk(s, acct(t, s, "bob"), bobPW, nil)
		if err != nil || !sess.OTPRequired || sess.PasswordMinLength != 30 {
			t.Fatalf("bob's login: %+v, %v; want an OTP required and a short password", sess, err)
		}
		if _, err := s.Visit(); !errors.Is(err, ErrOTPRequired) || fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("a page without the required OTP: %v", err)
		}
		reg, err := s.VisitToRegister()
		if err != nil {
			t.Fatal(err)
		}
		v := tvisit{reg}
		p, err := v.BeginOTP(bobPW, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.ConfirmOTP(bobPW, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t)))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Visit(); err != nil {
			t.Fatalf("a page with the OTP registered: %v", err)
		}
		if _, err := CheckNewPassword([]byte("twenty-nine characters long.."), 30, "bob", "Bob", "Acme"); fail.KindOf(err) != fail.Usage {
			t.Fatalf("a new password under the minimum: %v", err)
		}
	})
}

// TestMemberDelete: the account and all its activity go; the User ID is
// free again.
func TestMemberDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, _ := withBob(t, w)
		bobby := NewAccount{Profile: profile(t, Profile{UserID: "bobby", Name: "Bobby"}), Password: checked(t, bobPW, "bobby")}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, bobby); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			login(t, s, "bob", bobPW)
			login(t, s, "bobby", bobPW)
		}
		if done, err := act(t, s, "alice", "bob", Delete, ActOptions{}); err != nil || !done.Changed {
			t.Fatalf("delete: %+v, %v", done, err)
		}
		if got := events(t, s, "bob"); len(got) != 0 {
			t.Fatalf("bob's activity after the delete: %v", got)
		}
		if got := events(t, s, "bobby"); len(got) != 3 {
			t.Fatalf("bobby's activity after bob's delete: %v", got)
		}
		if err := s.Store.View(func(tx *store.Tx) error {
			a, err := getAccount(tx, "bob")
			if err == nil && a != nil {
				t.Error("bob's record is still there")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if e := events(t, s, "alice"); e[0] != EvMemberDeleted {
			t.Fatalf("alice's activity: %v", e)
		}
		bob := NewAccount{Profile: profile(t, Profile{UserID: "bob", Name: "Bob"}), Password: checked(t, bobPW, "bob")}
		if _, err := on(s, acct(t, s, "alice")).Create(pw, bob); err != nil {
			t.Fatalf("the User ID again: %v", err)
		}
	})
}
