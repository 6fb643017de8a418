package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/term"
)

func newOTPCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "otp",
		Short: "Register or delete the TOTP authenticator for two-factor login",
	}
	cmd.AddCommand(passwordCmd(newOTPRegisterCmd(f)), passwordCmd(newOTPDeleteCmd(f)))
	return cmd
}

type registerOptions struct {
	f       *Factory
	qr      string
	invert  bool
	png     string
	begin   bool
	code    string
	showURI bool
}

// confirmTries is how many codes the interactive registration takes.
const confirmTries = 3

func newOTPRegisterCmd(f *Factory) *cobra.Command {
	o := &registerOptions{f: f}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register an authenticator app: QR code or setup key, then a code from the app",
		Long: `Register a TOTP authenticator app in three steps: install an app, scan the QR
code (or type the setup key), and enter the 6-digit code it shows. Once saved,
kcloud shows 10 recovery codes, once.

The QR code goes to the terminal, never stdout. --qr auto draws it only when
stdout is a terminal: in full blocks if they fit, else in half blocks, else not
at all (the setup key always works).

For scripts: --begin stores a pending registration (void after 10 minutes) and
prints the secret and otpauth URI; --code CODE confirms it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return registerRun(o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.qr, "qr", "auto", "how to draw the QR code: auto, full, half or none")
	fl.BoolVar(&o.invert, "qr-invert", false, "swap the QR code's colours")
	fl.StringVar(&o.png, "qr-png", "", "also write the QR code as a PNG `file` (mode 0600)")
	fl.BoolVar(&o.begin, "begin", false, "create a pending registration, print the setup key and URI, and exit")
	fl.StringVar(&o.code, "code", "", "confirm the pending registration with this `code` from the app")
	fl.BoolVar(&o.showURI, "show-uri", false, "also show the otpauth URI")
	cmd.RegisterFlagCompletionFunc("qr", cobra.FixedCompletions([]string{"auto", "full", "half", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func registerRun(o *registerOptions) error {
	f, io := o.f, o.f.IO
	switch o.qr {
	case "auto", "full", "half", "none":
	default:
		return fail.Usagef("--qr must be auto, full, half or none, not %q", o.qr)
	}
	if o.begin && o.code != "" {
		return fail.Usagef("give --begin or --code, not both")
	}
	if o.code != "" {
		if _, err := otp.CheckCode(o.code); err != nil {
			return fail.Usagef("--code: %v", err)
		}
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	svc, acc, _, err := f.session()
	if err != nil {
		return err
	}
	if err := account.CheckCanRegister(acc); err != nil {
		return err
	}
	if o.code == "" && !o.begin && !io.PasswordStdin && !io.CanPrompt() {
		return io.missing("the code from the app", "register in two steps: --begin, then --code CODE")
	}
	pw, err := f.password(acc)
	if err != nil {
		return err
	}
	if o.code != "" {
		reg, err := svc.ConfirmOTP(acc, pw, o.code)
		if err != nil {
			return err
		}
		return printRegistered(f, reg)
	}
	p, err := svc.BeginOTP(acc, pw)
	if err != nil {
		return err
	}
	if o.begin {
		if err := o.show(p, acc.UserID, cfg.OTP.Issuer, false); err != nil {
			return err
		}
		f.say("Confirm within 10 minutes: kcloud otp register --code CODE")
		return f.print(struct {
			Secret     string `json:"secret"`
			OTPAuthURI string `json:"otpauth_uri"`
			ExpiresAt  Time   `json:"expires_at"`
		}{otp.Encode(p.Secret), p.URI, Time(p.ExpiresAt)}, func(t *table) {
			t.row("Setup key", otp.SetupKey(p.Secret))
			t.row("URI", p.URI)
			t.row("Expires", fmtTime(&p.ExpiresAt))
		})
	}
	if err := o.show(p, acc.UserID, cfg.OTP.Issuer, true); err != nil {
		return err
	}
	for try := 1; ; {
		code, err := io.Code("the code from the app", "Code: ", "--code")
		if errors.Is(err, fail.ErrInterrupted) {
			svc.DiscardPendingOTP(acc.UserID)
			o.tty("\nCancelled: no OTP was registered.\n")
			return err
		}
		if err != nil {
			return err
		}
		if _, ferr := otp.CheckCode(code); ferr != nil && !io.PasswordStdin {
			o.tty("A code is the 6 digits the app shows. Try again, or press Ctrl-C to cancel.\n")
			continue
		}
		reg, err := svc.ConfirmOTP(acc, pw, code)
		if fail.KindOf(err) == fail.Auth && try < confirmTries && !io.PasswordStdin {
			o.tty(fmt.Sprintf("That code is not right (%d of %d tries). Check the app's clock and try the next code.\n", try, confirmTries))
			try++
			continue
		}
		if err != nil {
			return err
		}
		return printRegistered(f, reg)
	}
}

// tty writes to the terminal, if there is one: the steps of an
// interactive registration are for the person, never for stdout.
func (o *registerOptions) tty(s string) {
	if t, err := o.f.IO.TTY(); err == nil {
		io.WriteString(t.Writer(), s)
	}
}

// show presents a pending registration on the terminal: the steps (when
// interactive), the QR code, the setup key, and the URI on request.
func (o *registerOptions) show(p *account.Pending, userID, issuer string, steps bool) error {
	q, err := term.EncodeQR(p.URI)
	if err != nil {
		return fail.Usagef("the otpauth URI is %v: shorten otp.issuer", err)
	}
	if o.png != "" {
		if err := q.WritePNG(o.png); err != nil {
			return fail.Wrap(fail.Other, err, "writing the QR code to %s", o.png)
		}
		o.f.say("Wrote the QR code to %s (mode 0600); delete it once scanned.", o.png)
	}
	t, terr := o.f.IO.TTY()
	if terr != nil {
		return nil // no terminal: --begin prints the key on stdout
	}
	w := t.Writer()
	if steps {
		fmt.Fprintf(w, "Register an authenticator app for %s.\n\n", userID)
		fmt.Fprintln(w, "Step 1. Install an authenticator app that supports TOTP, such as Google")
		fmt.Fprintln(w, "        Authenticator, Microsoft Authenticator or Authy.")
		fmt.Fprintln(w, "Step 2. Scan this QR code with the app, or type the setup key.")
	}
	o.drawQR(w, q, t.Width())
	if steps {
		fmt.Fprintf(w, "        Setup key: %s\n", otp.SetupKey(p.Secret))
		fmt.Fprintf(w, "        Account: %s:%s  (time-based, 6 digits, every 30 seconds)\n", issuer, userID)
		if o.showURI {
			fmt.Fprintf(w, "        URI: %s\n", p.URI)
		}
		fmt.Fprintln(w, "Step 3. Enter the 6-digit code the app shows. Ctrl-C cancels.")
	}
	return nil
}

func (o *registerOptions) drawQR(w io.Writer, q *term.QR, width int) {
	mode := o.qr
	if mode == "none" || (mode == "auto" && !o.f.IO.stdoutTTY) {
		return
	}
	styles := map[string][]term.QRStyle{
		"auto": {term.QRFull, term.QRHalf},
		"full": {term.QRFull},
		"half": {term.QRHalf},
	}[mode]
	for _, s := range styles {
		if q.Width(s) <= width {
			fmt.Fprintln(w)
			q.Draw(w, s, o.invert)
			fmt.Fprintln(w)
			return
		}
	}
	fmt.Fprintf(w, "\n(The terminal is %d columns wide; the QR code needs %d. Widen it and run again, use --qr-png, or type the setup key.)\n\n",
		width, q.Width(styles[len(styles)-1]))
}

func printRegistered(f *Factory, reg *account.Registered) error {
	f.say("OTP registered. Keep these recovery codes somewhere safe: each logs you in once")
	f.say("without the app, and they will not be shown again.")
	return f.print(struct {
		RegisteredAt  Time     `json:"registered_at"`
		RecoveryCodes []string `json:"recovery_codes"`
	}{Time(reg.RegisteredAt), reg.RecoveryCodes}, func(t *table) {
		for _, c := range reg.RecoveryCodes {
			fmtLine(f.IO.Out, "%s", c)
		}
	})
}

func newOTPDeleteCmd(f *Factory) *cobra.Command {
	var sf account.SecondFactor
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Remove the OTP and its recovery codes (needs the password and a current code)",
		Long: `Remove the registered OTP and its recovery codes. kcloud asks for the password,
then a current code from the app or a recovery code, unless --otp or
--recovery-code gives it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if sf.OTP != "" || sf.RecoveryCode != "" {
				var err error
				if sf, err = sf.Check(); err != nil {
					return err
				}
			}
			svc, acc, _, err := f.session()
			if err != nil {
				return err
			}
			if err := account.CheckHasOTP(acc); err != nil {
				return err
			}
			pw, err := f.password(acc)
			if err != nil {
				return err
			}
			if sf.OTP == "" && sf.RecoveryCode == "" {
				if sf, err = askSecondFactor(f.IO); err != nil {
					return err
				}
			}
			if err := svc.DeleteOTP(acc, pw, sf); err != nil {
				return err
			}
			f.say("The OTP and its recovery codes are deleted.")
			return f.print(struct {
				Deleted bool `json:"otp_deleted"`
			}{true}, func(*table) {})
		},
	}
	cmd.Flags().StringVar(&sf.OTP, "otp", "", "a current 6-digit `code` from the app")
	cmd.Flags().StringVar(&sf.RecoveryCode, "recovery-code", "", "a recovery `code`")
	return cmd
}

// askSecondFactor asks for an OTP code or a recovery code: six digits are
// an OTP code, anything else a recovery code. At a terminal, a malformed
// answer is asked again.
func askSecondFactor(io *IOStreams) (account.SecondFactor, error) {
	for {
		code, err := io.Code("the OTP code", "OTP code (or a recovery code): ", "--otp or --recovery-code")
		if err != nil {
			return account.SecondFactor{}, err
		}
		sf := account.SecondFactor{RecoveryCode: code}
		if c := strings.ReplaceAll(strings.TrimSpace(code), " ", ""); len(c) == otp.Digits {
			sf = account.SecondFactor{OTP: c}
		}
		checked, err := sf.Check()
		if err != nil && !io.PasswordStdin {
			if t, terr := io.TTY(); terr == nil {
				fmt.Fprintln(t.Writer(), "That is neither a 6-digit code nor a recovery code (xxxx-xxxx-xxxx-xxxx). Try again.")
				continue
			}
		}
		return checked, err
	}
}
