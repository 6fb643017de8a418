package account

import (
	"errors"
	"testing"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
)

// TestShortPasswordIsNeverTheOnlyFactor: a password of fewer than 15
// characters opens, on an account without an authenticator, only the
// page that changes it (security rule 7): neither under a policy that
// allowed it while an OTP was required, nor after the policy went back.
// The restriction is the account's, worked out at every page.
func TestShortPasswordIsNeverTheOnlyFactor(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		s, c := withBob(t, w)
		short := []byte("Pq7#vL2x") // 8 characters
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.require_otp=true", "security.password_min_length=8"}}); err != nil {
			t.Fatal(err)
		}
		// bob enrolls as the docs say (an authenticator first), then
		// takes a short password, which the policy allows him then.
		if err := login(t, s, "bob", bobPW); err != nil {
			t.Fatal(err)
		}
		reg, err := s.VisitToRegister()
		if err != nil {
			t.Fatal(err)
		}
		p, err := tvisit{reg}.BeginOTP(bobPW, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (tvisit{reg}).ConfirmOTP(bobPW, otpCode(otp.CodeAt(p.Secret, otp.StepAt(c.t)))); err != nil {
			t.Fatal(err)
		}
		v, err := s.Visit()
		if err != nil {
			t.Fatal(err)
		}
		if v.PasswordMinLength() != 8 {
			t.Fatalf("the minimum with an authenticator: %d; want the policy's 8", v.PasswordMinLength())
		}
		if err := (tvisit{v}).ChangePassword(bobPW, checked(t, short, "bob")); err != nil {
			t.Fatal(err)
		}
		// An admin removes his authenticator (a lost phone), and puts the
		// policy back: the short password stays his only factor.
		if _, err := act(t, s, "alice", "bob", ResetOTP, ActOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := on(s, acct(t, s, "alice")).SetOrg(pw, OrgChange{Policy: []string{"security.require_otp=false", "security.password_min_length=15"}}); err != nil {
			t.Fatal(err)
		}
		sess, err := loginAsk(s, acct(t, s, "bob"), short, nil)
		if err != nil || !sess.PasswordOnly {
			t.Fatalf("bob's login with 8 characters and no authenticator: %+v, %v; want a session for account password only", sess, err)
		}
		for name, open := range map[string]func() (*Visit, error){"a page": s.Visit, "otp register": s.VisitToRegister} {
			if _, err := open(); !errors.Is(err, ErrShortPassword) || fail.KindOf(err) != fail.LoginRequired {
				t.Fatalf("%s with the short password as the only factor: %v; want ErrShortPassword, exit 5", name, err)
			}
		}
		v, err = s.VisitToChangePassword()
		if err != nil {
			t.Fatalf("account password: %v", err)
		}
		if v.PasswordMinLength() != MinPasswordAlone {
			t.Fatalf("the minimum for the only factor: %d; want %d", v.PasswordMinLength(), MinPasswordAlone)
		}
		long := []byte("seven amber kites over tide")
		if err := (tvisit{v}).ChangePassword(short, checked(t, long, "bob")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Visit(); err != nil {
			t.Fatalf("a page after the password became long enough: %v", err)
		}
	})
}
