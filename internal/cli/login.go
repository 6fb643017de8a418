package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
)

type loginOptions struct {
	deps
	userID string
	sf     secondFactorFlags
}

func newLoginCmd(f *Factory) *cobra.Command {
	o := &loginOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Start a session with your password and a second factor if any",
		Long: `Start a session with your password and, once an OTP is registered, the
6-digit code from your authenticator app (or a recovery code).

Without --user-id, kcloud logs in the last user who logged in to this store.
With --password-stdin, the first line of standard input is the password and the
next, if an OTP is registered and neither --otp nor --recovery-code is given,
the code.`,
		Example: `  kcloud login
  kcloud login --user-id alice --otp 123456
  kcloud login --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, loginRun) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.userID, "user-id", "", "the User `ID` to log in (default: the last user who logged in)")
	fl.StringVar(&o.sf.otp, "otp", "", "the current 6-digit `code` from the authenticator app")
	fl.StringVar(&o.sf.recovery, "recovery-code", "", "a recovery `code`, used once instead of an OTP code")
	o.sf.addPasskey(cmd)
	return cmd
}

func loginRun(o *loginOptions) error {
	f, io := &o.deps, o.IO
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	id := o.userID
	if id == "" {
		if id, err = svc.LastUser(); err != nil {
			return err
		}
	}
	if id == "" && o.sf.passkey {
		return passkeyLogin(f, nil, o.sf.noBrowser)
	}
	if id == "" {
		if id, err = io.Ask("the User ID", f.tr().T("User ID: "), "--user-id"); err != nil {
			return err
		}
	}
	if id, err = account.CheckUserID(id); err != nil {
		return fail.Usagef("%v", err)
	}
	acc, err := svc.CheckLogin(id)
	if err != nil {
		return err
	}
	if o.sf.passkey && acc.PasskeysVerifyUser() {
		return passkeyLogin(f, acc, o.sf.noBrowser)
	}
	retry := given == nil && !f.IO.PasswordStdin && f.IO.CanPrompt()
	sess, err := withPassword(f, id, func(pw []byte) (*account.Session, error) {
		// A wrong code asked for at the terminal is asked again in place,
		// as a wrong password is; each counts toward the lockout.
		for try := 1; ; {
			pr, err := svc.ProveLogin(acc, auth.NewPassword(pw))
			if err != nil {
				return nil, err
			}
			if pr.Next() == nil {
				return firstLogin(f, svc, pr)
			}
			sf, err := f.secondFactor(pr.Who(), given)
			if err != nil {
				return nil, err
			}
			if err := pr.Add(sf); err != nil {
				return nil, err
			}
			sess, err := firstLogin(f, svc, pr)
			var fa *account.FailedAttempt
			if !retry || try == passwordTries || !errors.As(err, &fa) || errors.Is(fa.Err, account.ErrWrongPassword) || !fa.LockedTo.IsZero() || fa.Disabled {
				return sess, err
			}
			try++
			if t, terr := f.IO.TTY(); terr == nil {
				toTerminal(t, f.tr().F("Not accepted: %s. Try again (%d of %d).", hint(err, f.tr()), try, passwordTries))
			}
		}
	})
	if err != nil {
		return err
	}
	return loggedIn(f, sess)
}

// firstLogin starts the session of a login's proof; where its password is
// an initial one (account create --must-change-password), it first asks
// for the member's own password (twice at a terminal; with
// --password-stdin, the line after the initial one), which the session
// starts with. Nothing is written before that: an interrupted first login
// keeps the initial password.
func firstLogin(f *deps, svc *account.Service, pr *account.Proof) (*account.Session, error) {
	initial, err := pr.InitialPassword()
	if err != nil || !initial {
		if err != nil {
			return nil, err
		}
		return svc.StartSession(pr)
	}
	who := pr.Who()
	if t, terr := f.IO.TTY(); terr == nil && !f.IO.PasswordStdin {
		toTerminal(t, f.tr().T("This is your first login, with the password an admin made: choose a password of your own."))
	}
	org, err := svc.Org()
	if err != nil {
		return nil, err
	}
	minLen := account.MinPasswordFor(svc.Effective(org), who.HasOTP)
	check := func(p []byte) (account.NewPassword, error) {
		if pr.IsPassword(p) {
			return account.NewPassword{}, fail.Usagef("the new password is the same as the initial one")
		}
		return account.CheckNewPassword(p, minLen, who.UserID, who.Name, org.Name)
	}
	np, err := NewPassword(f.IO, "your new password", "", minLen, check)
	if err != nil {
		return nil, err
	}
	if err := pr.SetPassword(np); err != nil {
		return nil, err
	}
	sess, err := svc.StartSession(pr)
	if err == nil {
		f.say("Your password is set; the initial one opens nothing now.")
	}
	return sess, err
}

// loggedIn says what a new session is and may do.
func loggedIn(f *deps, sess *account.Session) error {
	f.say("Logged in as %s until %s.", sess.UserID, f.tr().Time(&sess.ExpiresAt))
	recoveryLeft(f, sess.RecoveryCodesLeft)
	switch {
	case sess.PasswordOnly:
		f.sayAlways("Your password has fewer than %d characters and is your only factor: change it with kcloud account password. Until then, only account password, whoami and logout work.", account.MinPasswordAlone)
	case sess.PasswordMinLength > 0:
		f.sayAlways("Your password is shorter than the %d characters the organization now asks for: change it with kcloud account password.", sess.PasswordMinLength)
	}
	if sess.OTPRequired && !sess.PasswordOnly {
		f.sayAlways("The organization requires an OTP: register one with kcloud otp register. Until then, only otp register, whoami and logout work.")
	}
	return f.print(struct {
		UserID           string `json:"user_id"`
		SessionExpiresAt Time   `json:"session_expires_at"`
	}{sess.UserID, Time(sess.ExpiresAt)}, func(*table) {})
}

func newLogoutCmd(f *Factory) *cobra.Command {
	o := &logoutOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the session",
		Long: `End the session. Ending none is not an error. With --all, every session of
the account ends, on every machine (a lost laptop, a shared one): each needs
a new login.`,
		Example: `  kcloud logout
  kcloud logout --all`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, logoutRun) },
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "end every session of the account, on every machine")
	return cmd
}

func newWhoamiCmd(f *Factory) *cobra.Command {
	o := &whoamiOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who is logged in, to which organization, and until when",
		Example: `  kcloud whoami
  kcloud whoami -q .user_id`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, whoamiRun) },
	}
}

type logoutOptions struct {
	deps
	all bool
}

func logoutRun(o *logoutOptions) error {
	f := &o.deps
	svc, err := f.Service()
	if err != nil {
		return err
	}
	if o.all {
		sess, err := svc.LogoutAll()
		if err != nil {
			return err
		}
		f.say("Ended every session of %s, on every machine.", sess.UserID)
		return f.print(struct {
			LoggedOut bool `json:"logged_out"`
			All       bool `json:"all"`
		}{true, true}, func(*table) {})
	}
	had, err := svc.Logout()
	if err != nil {
		return err
	}
	if had {
		f.say("Logged out.")
	} else {
		f.say("There was no session to end.")
	}
	return f.print(struct {
		LoggedOut bool `json:"logged_out"`
	}{had}, func(*table) {})
}

type whoamiOptions struct {
	deps
}

func whoamiRun(o *whoamiOptions) error {
	f := &o.deps
	svc, err := f.Service()
	if err != nil {
		return err
	}
	if f.accessKey() != "" {
		return whoamiByKey(f)
	}
	sess, who, org, err := svc.Current()
	if err != nil {
		return err
	}
	return f.print(struct {
		UserID           string `json:"user_id"`
		Organization     orgDoc `json:"organization"`
		Admin            bool   `json:"admin"`
		SessionExpiresAt Time   `json:"session_expires_at"`
	}{sess.UserID, newOrgDoc(org), who.Admin, Time(sess.ExpiresAt)}, func(t *table) {
		w := f.tr()
		t.row(w.T("User ID"), sess.UserID)
		t.row(w.T("Organization"), org.Name+" ("+org.ID+")")
		t.row(w.T("Admin"), w.yesNo(who.Admin))
		t.row(w.T("Session ends"), w.Time(&sess.ExpiresAt))
	})
}

// recoveryLeft says, after a recovery code was used, how many are left,
// whatever the output format: the person must know when to make more.
func recoveryLeft(f *deps, left *int) {
	if left == nil {
		return
	}
	fmtLine(f.IO.Err, "%s", f.tr().N("A recovery code was used: %d recovery code left.",
		"A recovery code was used: %d recovery codes left.", *left, *left))
	if *left <= 3 {
		f.sayAlways("Make new ones with: kcloud otp recovery-codes")
	}
}
