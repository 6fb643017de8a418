package account

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/text"
)

func register(t *testing.T, s *Service, c *clock) ([]byte, []string) {
	t.Helper()
	p, err := on(s, acct(t, s, "alice")).BeginOTP(pw, "")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := on(s, acct(t, s, "alice")).ConfirmOTP(pw, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t))))
	if err != nil {
		t.Fatal(err)
	}
	return p.Secret, reg.RecoveryCodes
}

func withCode(code string) func(*Who) (auth.Credential, error) {
	return func(*Who) (auth.Credential, error) { return otpFactor(code), nil }
}

func TestPendingExpires(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		p, err := on(s, acct(t, s, "alice")).BeginOTP(pw, "")
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(10 * time.Minute)
		_, err = on(s, acct(t, s, "alice")).ConfirmOTP(pw, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t))))
		if err == nil || !strings.Contains(err.Error(), "expired at "+text.Time(time.Date(2026, 11, 27, 9, 10, 0, 0, time.UTC))) {
			t.Fatalf("confirming an expired registration: %v", err)
		}
	})
}

// TestOTPFailuresLock: wrong OTP codes count toward the lockout in the
// store, across processes, like wrong passwords (rule 4).
func TestOTPFailuresLock(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		sec, _ := register(t, s, c)
		s.Logout()
		c.t = c.t.Add(time.Minute)
		wrong := otp.CodeAt(sec, otp.StepAt(c.t)-5)
		for i := 0; i < 3; i++ {
			_, err := loginAsk(newService(path, c), acct(t, s, "alice"), pw, withCode(wrong))
			if fail.KindOf(err) != fail.Auth {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		good := otp.CodeAt(sec, otp.StepAt(c.t))
		if _, err := loginAsk(newService(path, c), acct(t, s, "alice"), pw, withCode(good)); fail.KindOf(err) != fail.Locked {
			t.Fatalf("a good code during a lockout: %v", err)
		}
		c.t = c.t.Add(15 * time.Minute)
		good = otp.CodeAt(sec, otp.StepAt(c.t))
		if _, err := loginAsk(newService(path, c), acct(t, s, "alice"), pw, withCode(good)); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
	})
}

// TestPasswordChangeKeepsOTP: rule 7's second half.
func TestPasswordChangeKeepsOTP(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		sec, codes := register(t, s, c)
		c.t = c.t.Add(time.Minute)
		next := []byte("another good password")
		if err := on(s, acct(t, s, "alice")).ChangePassword(pw, checked(t, next, "alice")); err != nil {
			t.Fatal(err)
		}
		if _, err := loginAsk(s, acct(t, s, "alice"), next, withCode(otp.CodeAt(sec, otp.StepAt(c.t)))); err != nil {
			t.Fatalf("OTP after a password change: %v", err)
		}
		if _, err := on(s, acct(t, s, "alice")).DeleteOTP(next, "", recoveryFactor(strings.ToUpper(codes[3]))); err != nil {
			t.Fatalf("delete with a recovery code after a password change: %v", err)
		}
	})
}

// TestFirstLayoutOTPRecord: an account written when there could be one
// authenticator (otp.secret, registered_at, last_step) reads as one
// authenticator named app, whose codes still log in, once.
func TestFirstLayoutOTPRecord(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var a Account
	if err := json.Unmarshal([]byte(`{"user_id":"alice","otp":{"secret":"c2VhbGVk","registered_at":"2026-11-01T00:00:00Z","last_step":42,"recovery_codes":["bWFj"]}}`), &a); err != nil {
		t.Fatal(err)
	}
	a.normalize()
	if a.OTP == nil || len(a.OTP.Authenticators) != 1 {
		t.Fatalf("OTP %+v, want one authenticator", a.OTP)
	}
	x := a.OTP.Authenticators[0]
	if x.Name != "app" || string(x.Secret) != "sealed" || x.LastStep != 42 || !x.RegisteredAt.Equal(at) || len(a.OTP.RecoveryCodes) != 1 {
		t.Fatalf("authenticator %+v", x)
	}
	out, _ := json.Marshal(a.OTP)
	if strings.Contains(string(out), `"secret":"c2Vh`) && !strings.Contains(string(out), `"authenticators"`) {
		t.Fatalf("written back in the first layout: %s", out)
	}
	var none Account
	json.Unmarshal([]byte(`{"user_id":"bob","otp":{"recovery_codes":[]}}`), &none)
	if none.normalize(); none.OTP != nil {
		t.Fatalf("an OTP with no authenticator is none: %+v", none.OTP)
	}
}

// TestPasswordAloneAddsNoFactor: with only the password, an attacker at
// the person's session cannot add an authenticator of their own (rule 7,
// NIST SP 800-63B-4 4.1.2.1); a wrong second factor is counted and leaves
// the pending registration for the right one.
func TestPasswordAloneAddsNoFactor(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		path, c := setup(t, w)
		s := newService(path, c)
		login(t, s, "alice", pw)
		mine, _ := register(t, s, c)
		evil, err := on(s, acct(t, s, "alice")).BeginOTP(pw, "evil")
		if err != nil {
			t.Fatal(err)
		}
		code := otpCode(otp.CodeAt(evil.Secret, otp.StepAt(c.t)))
		if _, err := on(s, acct(t, s, "alice")).ConfirmOTP(pw, code); fail.KindOf(err) != fail.Usage {
			t.Fatalf("adding a factor with the password alone: %v; want a usage error asking for a second factor", err)
		}
		v := on(s, acct(t, s, "alice"))
		if _, err := with(v, pw, []auth.Credential{otpFactor("000000")}, func(pr *Proof) (*Registered, error) { return v.Visit.ConfirmOTP(pr, code) }); fail.KindOf(err) != fail.Auth {
			t.Fatalf("with a wrong second factor: %v; want exit 3", err)
		}
		a := readAccount(t, w, "alice")
		if len(a.OTP.Authenticators) != 1 || a.PendingOTP == nil || a.SecondFailures != 1 {
			t.Fatalf("after the refusals: %d authenticators, pending %v, %d second failures; want 1, kept, 1",
				len(a.OTP.Authenticators), a.PendingOTP != nil, a.SecondFailures)
		}
		c.t = c.t.Add(30 * time.Second)
		v = on(s, acct(t, s, "alice"))
		reg, err := with(v, pw, []auth.Credential{otpFactor(otp.CodeAt(mine, otp.StepAt(c.t)))}, func(pr *Proof) (*Registered, error) {
			return v.Visit.ConfirmOTP(pr, otpCode(otp.CodeAt(evil.Secret, otp.StepAt(c.t))))
		})
		if err != nil || reg.Name != "evil" {
			t.Fatalf("with the person's own code: %+v, %v", reg, err)
		}
	})
}
