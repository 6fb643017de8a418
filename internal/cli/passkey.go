package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/passkey"
)

// Passkeys: passkey register|list|delete, the ceremony every --passkey
// runs, and login by a passkey (login.go).

func newPasskeyCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passkey",
		Short: "Register, list or delete passkeys and security keys (WebAuthn)",
		Long: `Register, list or delete passkeys and security keys: a phishing-resistant
second factor, and, where the key verifies you (a PIN or a fingerprint), a way
to log in without the password. kcloud runs each ceremony in a browser on this
machine, on a page it serves at http://localhost:PORT for that ceremony only
(see docs/passkeys.md).`,
	}
	cmd.AddCommand(newPasskeyRegisterCmd(f), newPasskeyListCmd(f), newPasskeyDeleteCmd(f))
	return cmd
}

// wantPasskey is a --passkey not yet run: the ceremony comes after the
// password (secondFactor). It is never given to a page.
type wantPasskey struct{ noBrowser bool }

func (wantPasskey) Method() auth.Method { return auth.Passkey }

// ceremony is how this run meets the person in a ceremony: the page's
// address opened with $BROWSER or the system's opener (not with
// noBrowser) and printed, then a countdown at a terminal. ctx ends the
// ceremony at Ctrl-C (or SIGTERM, SIGHUP); stop ends the countdown and
// that watch.
func (f *deps) ceremony(noBrowser bool) (context.Context, passkey.Ceremony, func(), error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, passkey.Ceremony{}, nil, err
	}
	w := f.tr()
	c := passkey.Ceremony{Timeout: cfg.Passkey.Timeout, Page: passkey.PageText{
		Lang:     f.language(),
		Title:    w.T("kcloud passkey"),
		Ask:      w.T("Use your passkey or security key when the browser asks."),
		Continue: w.T("Continue"),
		Cancel:   w.T("Cancel"),
		Done:     w.T("Done. You can close this tab and go back to the terminal."),
		Failed:   w.T("kcloud refused the answer: the terminal says why. You can close this tab."),
	}}
	done := make(chan struct{})
	stopped := make(chan struct{})
	c.Ready = func(addr string) {
		out := f.IO.Err
		t, terr := f.IO.TTY()
		if terr == nil {
			out = t.Writer()
		}
		opened := false
		if !noBrowser {
			if err := openBrowser(addr); err != nil {
				fmtLine(out, "%s", w.F("Could not open a browser (%v): open this address in a browser on this machine:", err))
			} else {
				opened = true
			}
		}
		if opened {
			fmtLine(out, "%s", w.T("A browser opened the passkey page; if none did, open this address on this machine:"))
		} else if noBrowser {
			fmtLine(out, "%s", w.T("Open this address in a browser on this machine:"))
		}
		fmtLine(out, "  %s", addr)
		if terr != nil {
			close(stopped)
			return
		}
		go countdown(t, w, c.Timeout, done, stopped)
	}
	// Ctrl-C (or SIGTERM, SIGHUP) ends the ceremony: the countdown's line
	// is cleared and the command exits 128+N, as at a prompt.
	ctx, unwatch := interruptible()
	stop := func() {
		unwatch()
		select {
		case <-done:
		default:
			close(done)
		}
		if c.Ready != nil {
			select {
			case <-stopped:
			case <-time.After(time.Second):
			}
		}
	}
	return ctx, c, stop, nil
}

// countdown draws a spinner and the time left on the terminal until done.
func countdown(t Terminal, w tr, timeout time.Duration, done, stopped chan struct{}) {
	defer close(stopped)
	frames := []rune(`|/-\`)
	end := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		left := time.Until(end).Round(time.Second)
		if left < 0 {
			left = 0
		}
		fmt.Fprintf(t.Writer(), "\r%c %s ", frames[i%len(frames)], w.F("Waiting for the browser: %d:%02d left", int(left.Minutes()), int(left.Seconds())%60))
		select {
		case <-done:
			fmt.Fprint(t.Writer(), "\r\033[K")
			return
		case <-tick.C:
		}
	}
}

// openBrowser starts $BROWSER, or the system's opener, with addr as its
// one argument, and does not wait for it. The access-key variables are
// gone from kcloud's environment before any command runs (takeAccessKey),
// so the browser never sees them.
func openBrowser(addr string) error {
	var cmd *exec.Cmd
	if b := os.Getenv("BROWSER"); b != "" {
		cmd = exec.Command(b, addr)
	} else {
		switch runtime.GOOS {
		case "darwin":
			cmd = exec.Command("open", addr)
		case "windows":
			cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", addr)
		default:
			cmd = exec.Command("xdg-open", addr)
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

func passkeyUser(who *account.Who) passkey.User {
	return passkey.User{Handle: who.PasskeyHandle(), Name: who.UserID, DisplayName: who.Name}
}

// passkeyAnswer runs a login ceremony for who's passkeys; uv requires
// user verification.
func (f *deps) passkeyAnswer(who *account.Who, uv, noBrowser bool) (auth.Assertion, error) {
	if who.Passkeys == 0 {
		return nil, fail.Mark(fail.Usage, account.ErrNoOTP, "no passkey is registered for %s", who.UserID)
	}
	ctx, c, stop, err := f.ceremony(noBrowser)
	if err != nil {
		return nil, err
	}
	defer stop()
	u := passkeyUser(who)
	return passkey.Assert(ctx, c, &u, who.PasskeyKeys(), uv)
}

// passkeyLogin logs in by a passkey alone, with user verification: who's
// passkeys, or, with who nil (no User ID given or remembered), any
// discoverable passkey of this relying party, whose user handle names
// the account.
func passkeyLogin(f *deps, who *account.Who, noBrowser bool) error {
	svc, err := f.Service()
	if err != nil {
		return err
	}
	ctx, c, stop, err := f.ceremony(noBrowser)
	if err != nil {
		return err
	}
	var as auth.Assertion
	if who != nil {
		u := passkeyUser(who)
		as, err = passkey.Assert(ctx, c, &u, who.PasskeyKeys(), true)
	} else {
		as, err = passkey.Assert(ctx, c, nil, nil, true)
	}
	stop()
	if err != nil {
		return err
	}
	if who == nil {
		if who, err = svc.FindByPasskey(as.Handle()); err != nil {
			return err
		}
	}
	pr, err := svc.ProveLoginByPasskey(who, as)
	if err != nil {
		return err
	}
	sess, err := svc.StartSession(pr)
	if err != nil {
		return err
	}
	return loggedIn(f, sess)
}

type passkeyRegisterOptions struct {
	deps
	name      string
	sf        secondFactorFlags
	endOthers endOthersFlag
}

func newPasskeyRegisterCmd(f *Factory) *cobra.Command {
	o := &passkeyRegisterOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a passkey or security key (a ceremony in the browser)",
		Long: `Register a passkey or a security key. kcloud asks for the password and, where
an authenticator is registered already, a current second factor (an OTP code,
a recovery code, or another passkey with --passkey); then it opens a browser
on this machine at a page of its own, where the browser makes the passkey.
The first authenticator of an account brings 10 recovery codes, shown once.`,
		Example: `  kcloud passkey register
  kcloud passkey register --name yubikey --otp 123456
  kcloud passkey register --no-browser`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, passkeyRegisterRun) },
	}
	cmd.Flags().StringVar(&o.name, "name", "", "the passkey's `name` (default: passkey, passkey-2, ...)")
	o.sf.add(cmd)
	o.endOthers.add(cmd)
	return cmd
}

func passkeyRegisterRun(o *passkeyRegisterOptions) error {
	f := &o.deps
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	v, who, _, err := f.visit((*account.Service).VisitToRegister)
	if err != nil {
		return err
	}
	name, err := account.CheckCanRegisterPasskey(who, o.name)
	if err != nil {
		return err
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	if who.HasOTP {
		// Rule 7: the password alone never adds a factor.
		if err := f.stepUp(pr, given); err != nil {
			return err
		}
	}
	if err := o.endOthers.apply(f, v, pr); err != nil {
		return err
	}
	ctx, c, stop, err := f.ceremony(o.sf.noBrowser)
	if err != nil {
		return err
	}
	key, err := passkey.Register(ctx, c, passkeyUser(who), who.PasskeyKeys())
	stop()
	if err != nil {
		return err
	}
	reg, err := v.RegisterPasskey(pr, name, key)
	if err != nil {
		return err
	}
	if len(reg.RecoveryCodes) > 0 {
		f.say("%s", f.tr().F("Passkey %s registered. Keep these recovery codes somewhere safe: each logs you in once", reg.Name))
		f.say("%s", f.tr().T("without an authenticator, and they will not be shown again."))
	} else {
		f.say("Passkey %s registered.", reg.Name)
	}
	codes := reg.RecoveryCodes
	if codes == nil {
		codes = []string{}
	}
	return f.print(struct {
		Name          string   `json:"name"`
		RegisteredAt  Time     `json:"registered_at"`
		UserVerified  bool     `json:"user_verified"`
		RecoveryCodes []string `json:"recovery_codes"`
	}{reg.Name, Time(reg.RegisteredAt), key.UserVerified, codes}, func(*table) {
		for _, c := range codes {
			fmtLine(f.IO.Out, "%s", c)
		}
	})
}

type passkeyListOptions struct{ deps }

func newPasskeyListCmd(f *Factory) *cobra.Command {
	o := &passkeyListOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "list",
		Short: "List passkeys: registered, last used, whether it verifies you",
		Example: `  kcloud passkey list
  kcloud passkey list -o json --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, passkeyListRun) },
	}
}

// passkeyDoc is one passkey in passkey list -o json.
type passkeyDoc struct {
	Name         string  `json:"name"`
	RegisteredAt Time    `json:"registered_at"`
	LastUsedAt   *Time   `json:"last_used_at"`
	UserVerified bool    `json:"user_verified"`
	AAGUID       *string `json:"aaguid"`
}

func passkeyListRun(o *passkeyListOptions) error {
	f := &o.deps
	page, err := openPage(f, (*account.Visit).Show)
	if err != nil {
		return err
	}
	docs := []passkeyDoc{}
	var views []account.PasskeyView
	if page.Account.OTP != nil {
		views = page.Account.OTP.Passkeys
	}
	for _, p := range views {
		d := passkeyDoc{Name: p.Name, RegisteredAt: Time(p.RegisteredAt), LastUsedAt: timeOrNil(p.LastUsedAt), UserVerified: p.UserVerified}
		if id, err := uuid.FromBytes(p.AAGUID); err == nil && id != uuid.Nil {
			s := id.String()
			d.AAGUID = &s
		}
		docs = append(docs, d)
	}
	return f.print(docs, func(t *table) {
		w := f.tr()
		if len(views) == 0 {
			fmtLine(f.IO.Out, "%s", w.T("No passkey is registered: kcloud passkey register adds one."))
			return
		}
		t.cols(w.T("NAME"), w.T("REGISTERED"), w.T("LAST USED"), w.T("VERIFIES YOU"))
		for _, p := range views {
			t.cols(p.Name, w.Time(&p.RegisteredAt), w.Time(p.LastUsedAt), w.yesNo(p.UserVerified))
		}
	})
}

type passkeyDeleteOptions struct {
	deps
	sf        secondFactorFlags
	endOthers endOthersFlag
}

func newPasskeyDeleteCmd(f *Factory) *cobra.Command {
	o := &passkeyDeleteOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove a passkey (needs the password and a second factor)",
		Long: `Remove the passkey NAME (kcloud passkey list); with the last authenticator of
any kind, the recovery codes go too. kcloud asks for the password, then a
second factor: an OTP code, a recovery code, or a passkey (--passkey; this one
or another).`,
		Example: `  kcloud passkey delete old-key --otp 123456
  kcloud passkey delete yubikey --passkey`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runCmd(f, o, func(o *passkeyDeleteOptions) error { return passkeyDeleteRun(o, args[0]) })
		},
	}
	o.sf.add(cmd)
	o.endOthers.add(cmd)
	return cmd
}

func passkeyDeleteRun(o *passkeyDeleteOptions, name string) error {
	f := &o.deps
	v, pr, err := o.sf.page(f, func(who *account.Who) error { return account.CheckPasskey(who, name) })
	if err != nil {
		return err
	}
	if err := o.endOthers.apply(f, v, pr); err != nil {
		return err
	}
	left, err := v.DeletePasskey(pr, name)
	if err != nil {
		return err
	}
	if left == nil {
		f.say("Deleted. It was the last authenticator: the recovery codes are deleted too.")
	} else {
		f.say("Deleted the passkey %s.", name)
	}
	return f.print(struct {
		Deleted bool `json:"passkey_deleted"`
	}{true}, func(*table) {})
}

// endOthersFlag is --end-other-sessions, asked at a terminal where it is
// not given (OWASP ASVS 5 7.4.3).
type endOthersFlag struct{ set bool }

func (e *endOthersFlag) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&e.set, "end-other-sessions", false, "end every other session of the account too")
}

// apply has the page pr opens end the account's other sessions: with
// the flag, or, at a terminal where other sessions are open, when the
// person says so, told how many there are.
func (e endOthersFlag) apply(f *deps, v *account.Visit, pr *account.Proof) error {
	end := e.set
	if n := v.OtherSessions(); !end && n > 0 && !f.IO.PasswordStdin && f.IO.CanPrompt() {
		var err error
		end, err = f.IO.Confirm(f.tr().N("%d other session of your account is open. End it, on every machine? [y/N] ",
			"%d other sessions of your account are open. End them, on every machine? [y/N] ", n, n), false)
		if err != nil {
			return err
		}
	}
	if end {
		pr.EndOtherSessions()
	}
	return nil
}
