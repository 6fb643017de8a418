package account

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/store"
)

// TestRightPasswordKeepsCodeFailures: a right password between wrong OTP
// codes does not clear them; the codes still lock the account
// (security rule 4; review finding 2).
func TestRightPasswordKeepsCodeFailures(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		sec, _ := register(t, s, c)
		c.t = c.t.Add(time.Minute)
		wrong := otp.CodeAt(sec, otp.StepAt(c.t)-5)
		for i := 0; i < 2; i++ {
			_, err := on(newService(path, c), acct(t, s, "alice")).DeleteOTP(pw, "", otpFactor(wrong))
			if fail.KindOf(err) != fail.Auth {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
			// A page with the right password in between.
			if _, err := on(newService(path, c), acct(t, s, "alice")).Show(pw); err != nil {
				t.Fatal(err)
			}
		}
		_, err := on(newService(path, c), acct(t, s, "alice")).DeleteOTP(pw, "", otpFactor(wrong))
		var fa *FailedAttempt
		if !errors.As(err, &fa) || fa.LockedTo.IsZero() {
			t.Fatalf("the third wrong code (threshold 3) did not lock: %v", err)
		}
		if _, err := on(newService(path, c), acct(t, s, "alice")).Show(pw); fail.KindOf(err) != fail.Locked {
			t.Fatalf("a page during the lockout: %v", err)
		}
	})
}

// TestLoginStartedBeforeLockout: a login whose password was typed while
// another process locked the account learns nothing: not asked for a
// code, told it is locked whether the password was right or wrong, and
// nothing is counted (security rule 4; review finding 1).
func TestLoginStartedBeforeLockout(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		register(t, s, c)
		s.Logout()
		pre := acct(t, s, "alice") // read before the prompt
		for i := 0; i < 3; i++ {   // meanwhile, elsewhere: a lockout
			login(t, newService(path, c), "alice", []byte("wrong password"))
		}
		for _, typed := range [][]byte{pw, []byte("wrong password")} {
			asked := false
			_, err := loginAsk(newService(path, c), pre, typed, func(*Who) (auth.Credential, error) {
				asked = true
				return otpFactor("123456"), nil
			})
			if fail.KindOf(err) != fail.Locked || asked {
				t.Fatalf("password %q after the lockout: %v, asked for a code: %v; want locked, not asked", typed, err, asked)
			}
		}
		if a := readAccount(t, w, "alice"); a.Failures != 0 {
			t.Fatalf("attempts during the lockout were counted: %d", a.Failures)
		}
	})
}

// TestLoginWithoutOTPChecksAtFinish: an account without an authenticator
// is not read again between the password and the login's transaction
// (issue 26: one round trip less); that transaction refuses what the
// read would have: a lockout made meanwhile (locked, whether the password
// was right or wrong, nothing counted), and an authenticator registered
// meanwhile (no session without its code).
func TestLoginWithoutOTPChecksAtFinish(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		pre := acct(t, s, "alice") // read before the prompt
		for i := 0; i < 3; i++ {   // meanwhile, elsewhere: a lockout
			login(t, newService(path, c), "alice", []byte("wrong password"))
		}
		for _, typed := range [][]byte{pw, []byte("wrong password")} {
			_, err := loginAsk(newService(path, c), pre, typed, func(*Who) (auth.Credential, error) {
				t.Fatal("asked for a second factor the account does not have")
				return nil, nil
			})
			if fail.KindOf(err) != fail.Locked {
				t.Fatalf("password %q after the lockout: %v; want locked", typed, err)
			}
		}
		if a := readAccount(t, w, "alice"); a.Failures != 0 {
			t.Fatalf("attempts during the lockout were counted: %d", a.Failures)
		}

		c.t = c.t.Add(time.Hour) // the lockout over
		pre = acct(t, s, "alice")
		svc := newService(path, c)
		l, err := svc.ProveLogin(pre, auth.NewPassword(pw))
		if err != nil || l.Next() != nil {
			t.Fatalf("ProveLogin: %v, needs a second factor: %v", err, l != nil && l.Next() != nil)
		}
		login(t, s, "alice", pw)
		register(t, s, c) // meanwhile, elsewhere: an authenticator
		s.Logout()
		if sess, err := svc.StartSession(l); !errors.Is(err, ErrAccountRaced) || sess != nil {
			t.Fatalf("finishing a login begun before an authenticator was registered: %v, %v; want ErrAccountRaced", sess, err)
		}
		if _, _, _, err := newService(path, c).Current(); fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("a session after the refused login: %v", err)
		}
	})
}

// TestUsedCodeSaysSo: the code that confirmed the registration cannot log
// in, and the refusal says it was used (and counts as a failure).
func TestUsedCodeSaysSo(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		sec, _ := register(t, s, c)
		s.Logout()
		_, err := loginAsk(newService(path, c), acct(t, s, "alice"), pw, withCode(otp.CodeAt(sec, otp.StepAt(c.t))))
		var used *UsedCodeError
		if fail.KindOf(err) != fail.Auth || !errors.As(err, &used) || used.Next <= 0 || used.Next > 30*time.Second {
			t.Fatalf("logging in with the registration code: %v; want a used-code error", err)
		}
		if a := readAccount(t, w, "alice"); a.SecondFailures != 1 {
			t.Fatalf("the used code was not counted: %d", a.SecondFailures)
		}
	})
}

// TestPolicyStoredStricterLocally: the organization's policy is in the
// store; a machine's configuration can only make it stricter, and a
// looser value is ignored with a warning (review finding 10).
func TestPolicyStoredStricterLocally(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.lockout_threshold=2"}}); err != nil {
			t.Fatal(err)
		}
		var warnings []string
		loose := newService(path, c)
		loose.LocalPolicy = Local{"security.lockout_threshold": 1000000}
		loose.Warn = func(w error) { warnings = append(warnings, w.Error()) }
		login(t, loose, "alice", []byte("wrong password"))
		if err := login(t, loose, "alice", []byte("wrong password")); fail.KindOf(err) != fail.Auth {
			t.Fatalf("second wrong password: %v", err)
		}
		if err := login(t, loose, "alice", pw); fail.KindOf(err) != fail.Locked {
			t.Fatalf("a looser local threshold was obeyed: %v", err)
		}
		if len(warnings) != 1 {
			t.Fatalf("warnings = %q, want one", warnings)
		}
		eff, _ := (Policy{LockoutThreshold: 5}).Effective(Local{"security.lockout_threshold": 2, "security.lockout_duration": int64(time.Minute)})
		if eff.LockoutThreshold != 2 || eff.LockoutDuration != 15*time.Minute {
			t.Fatalf("effective = %+v; want the stricter threshold 2 and the longer duration 15m", eff)
		}
		if err := (&Policy{}).Set("security.lockout_threshold=0"); err == nil {
			t.Fatal("a threshold of 0 was accepted")
		}
		if err := (&Policy{}).Set("nope=1"); err == nil {
			t.Fatal("an unknown key was accepted")
		}
	})
}

// TestVoidCodeStaysVoid: a code voided by too many wrong entries stays
// void when the limit is raised later (review finding 10).
func TestVoidCodeStaysVoid(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		tgt, _ := contact.Parse(contact.Email, "alice@example.com")
		var code string
		strict := newService(path, c)
		strict.LocalPolicy = Local{"verification.max_attempts": 2}
		if _, err := on(strict, acct(t, s, "alice")).SendCode(pw, tgt, func(c string, _ time.Duration) error { code = c; return nil }); err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := 0; i < 2; i++ {
			if _, err := on(strict, acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(wrong)); fail.KindOf(err) != fail.Auth {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		// Another machine, with the default limit of 5: still void.
		_, err := on(newService(path, c), acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(code))
		if fail.KindOf(err) != fail.Locked || !errors.Is(err, ErrCodeVoid) {
			t.Fatalf("the right code after voiding, under a looser limit: %v; want void", err)
		}
	})
}

// TestNoticeToOldAndNewAddress: verifying a new email tells the address
// it replaces as well as the new one; a notice that fails is logged and
// the change stands.
func TestNoticeToOldAndNewAddress(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		var sent []Notice
		s.Notify = func(n Notice) error { sent = append(sent, n); return nil }
		login(t, s, "alice", pw)
		verify := func(addr string) {
			t.Helper()
			tgt, _ := contact.Parse(contact.Email, addr)
			var code string
			if _, err := on(s, acct(t, s, "alice")).SendCode(pw, tgt, func(c string, _ time.Duration) error { code = c; return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := on(s, acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(code)); err != nil {
				t.Fatal(err)
			}
			c.t = c.t.Add(AlertEvery + time.Minute) // one alert of a kind every AlertEvery
		}
		verify("old@example.com")
		sent = nil
		verify("new@example.com")
		if len(sent) != 2 || sent[0].To != "new@example.com" || sent[1].To != "old@example.com" || sent[0].Event != EvContactVerified {
			t.Fatalf("notices = %+v; want one to the new address and one to the old", sent)
		}
		s.Notify = func(Notice) error { return errors.New("mail server down") }
		var warned []string
		s.Warn = func(w error) { warned = append(warned, w.Error()) }
		if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, []byte("an entirely new pass phrase"), "alice")); err != nil {
			t.Fatalf("a notice that fails undid the change: %v", err)
		}
		if len(warned) != 1 || !strings.Contains(warned[0], "mail server down") {
			t.Fatalf("warnings = %q", warned)
		}
		events, err := on(s, acct(t, s, "alice")).Activity([]byte("an entirely new pass phrase"), 2)
		if err != nil || events[0].Event != EvNoticeFailed || events[1].Event != EvPasswordChanged {
			t.Fatalf("activity = %+v, %v; want the failed notice after the change", events, err)
		}
	})
}

// TestShorterTTLEndsOldSessions: the session.ttl in force bounds the
// sessions made before it was set (issue 24, finding 5).
func TestShorterTTLEndsOldSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		w, c := setup(t, w)
		s := newService(w, c)
		login(t, s, "alice", pw)
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"session.ttl=1m"}}); err != nil {
			t.Fatal(err)
		}
		sess, _, _, err := s.Current()
		if err != nil || !sess.ExpiresAt.Equal(c.t.Add(time.Minute)) {
			t.Fatalf("the session under a 1-minute policy: %+v, %v", sess, err)
		}
		c.t = c.t.Add(90 * time.Second)
		if _, err := s.Visit(); !errors.Is(err, ErrSessionEnded) || fail.KindOf(err) != fail.LoginRequired {
			t.Fatalf("a session older than the policy's session.ttl: %v", err)
		}
	})
}

// TestLockoutsDoubleAndDisable: each lockout in a row lasts twice the one
// before, up to 24 hours; getting all the way in ends the run; 100
// failures in a row disable the password, which an unlock does not bring
// back and a reset does (security rule 4; NIST SP 800-63B-4 3.2.2).
func TestLockoutsDoubleAndDisable(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		wrong := []byte("not the password")
		lockFor := func() time.Duration {
			for range 3 { // testPolicy's threshold
				login(t, s, "bob", wrong)
			}
			a := readAccount(t, w, "bob")
			if a.LockedUntil == nil {
				t.Fatal("three wrong passwords did not lock")
			}
			d := a.LockedUntil.Sub(c.t)
			c.t = *a.LockedUntil
			return d
		}
		for i, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour} {
			if got := lockFor(); got != want {
				t.Fatalf("lockout %d in a row: %s, want %s", i+1, got, want)
			}
		}
		if err := login(t, s, "bob", bobPW); err != nil {
			t.Fatal(err)
		}
		if got := lockFor(); got != 15*time.Minute {
			t.Fatalf("the first lockout after a login: %s", got)
		}
		if lockoutFor(15*time.Minute, 20) != MaxLockout || lockoutFor(48*time.Hour, 3) != 48*time.Hour {
			t.Fatal("lockoutFor does not stop at 24 hours, or cuts a longer policy")
		}
		// On to 100 failures in a row, waiting out each lockout.
		for readAccount(t, w, "bob").FailedInRow < DisableAfterFailures-1 {
			lockFor()
		}
		err := login(t, s, "bob", wrong)
		if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), "the password is now disabled") {
			t.Fatalf("the 100th failure: %v", err)
		}
		if err := login(t, s, "bob", bobPW); !errors.Is(err, ErrPWDisabled) || fail.KindOf(err) != fail.Locked {
			t.Fatalf("the right password after 100 failures: %v", err)
		}
		if _, err := act(t, s, "alice", "bob", Unlock, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := login(t, s, "bob", bobPW); !errors.Is(err, ErrPWDisabled) {
			t.Fatalf("after an unlock: %v, want the password still disabled", err)
		}
		done, err := act(t, s, "alice", "bob", ResetPassword, ActOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.BeginReset("bob")
		if err != nil {
			t.Fatal(err)
		}
		fresh := []byte("a fresh start for the member")
		if _, err := r.FinishReset(recoveryCode(done.ResetCode), checked(t, fresh, "bob")); err != nil {
			t.Fatal(err)
		}
		if err := login(t, s, "bob", fresh); err != nil {
			t.Fatalf("after the reset: %v", err)
		}
	})
}

// TestNoticeOnlyToValidStoredAddress: on etcd a person's own role may
// write their record, so a "verified" address in it may be anything; an
// admin's action on bob must not mail a list bob wrote by hand (rule 12,
// issue 40 finding 4). The hand-written address gets nothing; the
// refusal is in bob's activity; a valid phone still gets its notice.
func TestNoticeOnlyToValidStoredAddress(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, _ := withBob(t, w)
		var sent []Notice
		s.Notify = func(n Notice) error { sent = append(sent, n); return nil }
		err := s.Store.Update(func(tx *store.Tx) error {
			bob, err := getAccount(tx, "bob")
			if err != nil {
				return err
			}
			bob.Email = &Contact{Address: "bob@example.com, eve@victim.example", VerifiedAt: time.Now()}
			bob.Phone = &Contact{Address: "+821012345678", VerifiedAt: time.Now()}
			return putAccount(tx, bob)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := act(t, s, "alice", "bob", Disable, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 || !sent[0].Phone || sent[0].To != "+821012345678" {
			t.Fatalf("notices = %+v; want only the SMS to the valid number", sent)
		}
		if got := events(t, s, "bob"); len(got) == 0 || got[0] != EvNoticeFailed {
			t.Fatalf("bob's activity = %v; want the refused notice first", got)
		}
	})
}

// TestVoidCodeStaysVoidUnderPolicy: a code voided by too many wrong
// entries under a stricter organization policy stays void when the policy is loosened again (issue 40
// finding 5): the voiding is written on the path that refuses.
func TestVoidCodeStaysVoidUnderPolicy(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		tgt, _ := contact.Parse(contact.Email, "alice@example.com")
		var code string
		if _, err := on(s, acct(t, s, "alice")).SendCode(pw, tgt, func(c string, _ time.Duration) error { code = c; return nil }); err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for range 3 {
			if _, err := on(s, acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(wrong)); fail.KindOf(err) != fail.Auth {
				t.Fatalf("a wrong code: %v", err)
			}
		}
		setPolicy := func(p string) {
			t.Helper()
			if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{p}}); err != nil {
				t.Fatal(err)
			}
		}
		setPolicy("verification.max_attempts=2")
		if _, err := on(s, acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(code)); !errors.Is(err, ErrCodeVoid) || fail.KindOf(err) != fail.Locked {
			t.Fatalf("the right code past the stricter limit: %v; want void, exit 4", err)
		}
		setPolicy("verification.max_attempts=5")
		if _, err := on(s, acct(t, s, "alice")).CheckCode(pw, tgt, verificationCode(code)); !errors.Is(err, ErrCodeVoid) {
			t.Fatalf("the right code once the limit is loosened again: %v; want still void", err)
		}
		if a := readAccount(t, w, "alice"); a.Email != nil {
			t.Fatalf("a void code verified %s", a.Email.Address)
		}
	})
}
