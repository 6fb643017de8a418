package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
		Short: "Register, list or delete TOTP authenticators for two-factor login",
	}
	cmd.AddCommand(newOTPRegisterCmd(f), newOTPListCmd(f), newOTPDeleteCmd(f), newOTPRecoveryCodesCmd(f))
	return cmd
}

type registerOptions struct {
	deps
	sf      secondFactorFlags
	name    string
	qr      string
	invert  bool
	png     string
	begin   bool
	code    string
	showURI bool
	// endOthers: ended with the registration (not with --begin).
	endOthers endOthersFlag
}

// confirmTries is how many codes the interactive registration takes.
const confirmTries = 3

func newOTPRegisterCmd(f *Factory) *cobra.Command {
	o := &registerOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register an app: QR code or setup key, then a code from it",
		Long: `Register a TOTP authenticator app in three steps: install an app, scan the QR
code (or type the setup key), and enter the 6-digit code it shows. Once the
first is saved, kcloud shows 10 recovery codes, once.

An account may have up to 5 authenticators (a phone and a spare, a new phone
before the old one is deleted), each with a --name (default app, then app-2,
...); login takes a code from any of them.

The QR code goes to the terminal, never stdout. --qr auto draws it only when
stdout is a terminal: in full blocks if they fit, else in half blocks, else not
at all (the setup key always works). Under NO_COLOR, --qr half draws it
without colour: add --qr-invert on a dark background.

An account that has an authenticator adds another only with a current second
factor: a code from an authenticator it has, or a recovery code, asked for
after the password (or --otp, --recovery-code).

For scripts: --begin stores a pending registration (void after 10 minutes) and
prints the secret and otpauth URI; --code CODE confirms it.`,
		Example: `  kcloud otp register
  kcloud otp register --qr-png qr.png
  kcloud otp register --name new-phone
  kcloud otp register --begin -o json --password-stdin < password.txt
  kcloud otp register --code 123456 --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, registerRun) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "the authenticator's `name`, 1 to 32 characters (default app, app-2, ...)")
	fl.StringVar(&o.qr, "qr", "auto", "how to draw the QR code: auto, full, half or none")
	fl.BoolVar(&o.invert, "qr-invert", false, "swap the QR code's colours")
	fl.StringVar(&o.png, "qr-png", "", "also write the QR code as a PNG `file` (mode 0600)")
	fl.BoolVar(&o.begin, "begin", false, "create a pending registration, print the setup key and URI, and exit")
	fl.StringVar(&o.code, "code", "", "confirm the pending registration with this `code` from the app")
	fl.BoolVar(&o.showURI, "show-uri", false, "also show the otpauth URI")
	o.sf.add(cmd)
	o.endOthers.add(cmd)
	cmd.RegisterFlagCompletionFunc("qr", cobra.FixedCompletions([]string{"auto", "full", "half", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func registerRun(o *registerOptions) error {
	f, io := &o.deps, o.IO
	switch o.qr {
	case "auto", "full", "half", "none":
	default:
		return fail.Usagef("--qr must be auto, full, half or none, not %q", o.qr)
	}
	if o.begin && o.code != "" {
		return fail.Usagef("give --begin or --code, not both")
	}
	var code otp.Code
	if o.code != "" {
		var err error
		if code, err = otp.ParseCode(o.code); err != nil {
			return fail.Usagef("--code: %v", err)
		}
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	v, acc, _, err := f.visit((*account.Service).VisitToRegister)
	if err != nil {
		return err
	}
	if o.code == "" { // a confirmation takes the pending registration's name
		if _, err := account.CheckCanRegister(acc, o.name); err != nil {
			return err
		}
	}
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	if o.code == "" && !o.begin && !io.PasswordStdin && !io.CanPrompt() {
		return io.missing("the code from the app", word("register in two steps: --begin, then --code CODE"))
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	if acc.HasOTP && !o.begin {
		// Rule 7: the password alone never adds a factor. Asked before
		// the QR code, so that the code is from a device the person has.
		if err := f.stepUp(pr, given); err != nil {
			return err
		}
	}
	if o.begin && o.endOthers.set {
		return fail.Usagef("--end-other-sessions goes with the confirmation (--code), not --begin")
	}
	if !o.begin {
		if err := o.endOthers.apply(f, v, pr); err != nil {
			return err
		}
	}
	if o.code != "" {
		reg, err := v.ConfirmOTP(pr, code)
		if err != nil {
			return err
		}
		return printRegistered(f, reg)
	}
	p, err := v.BeginOTP(pr, o.name)
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
			w := f.tr()
			t.row(w.T("Setup key"), otp.SetupKey(p.Secret))
			t.row("URI", p.URI)
			t.row(w.T("Expires"), w.Time(&p.ExpiresAt))
		})
	}
	if err := o.show(p, acc.UserID, cfg.OTP.Issuer, true); err != nil {
		return err
	}
	for try := 1; ; {
		typed, err := io.Code("the code from the app", o.tr().T("Code: "), "--code")
		if errors.Is(err, fail.ErrInterrupted) {
			v.DiscardPendingOTP()
			o.tty("\n")
			o.clearSecret(o.tr().T("Cancelled: no OTP was registered."))
			return err
		}
		if err != nil {
			return err
		}
		code, ferr := otp.ParseCode(typed)
		if ferr != nil && !io.PasswordStdin {
			o.tty(o.tr().T("A code is the 6 digits the app shows. Try again, or press Ctrl-C to cancel.") + "\n")
			continue
		}
		if ferr != nil {
			return fail.Usagef("%v", ferr)
		}
		reg, err := v.ConfirmOTP(pr, code)
		if fail.KindOf(err) == fail.Auth && try < confirmTries && !io.PasswordStdin {
			o.tty(o.tr().F("That code is not right (%d of %d tries). Check the app's clock and try the next code.", try, confirmTries) + "\n")
			try++
			continue
		}
		if err != nil {
			return err
		}
		o.clearSecret(o.tr().T("Registered."))
		return printRegistered(f, reg)
	}
}

// clearSecret takes the QR code and the setup key off the screen once
// they are no longer needed: it clears the screen and, where the
// terminal supports it (xterm's CSI 3 J), the scrollback, and says so,
// since some terminals keep a scrollback no sequence reaches.
//
// It runs when the registration ends either way (registered, or
// cancelled): the secret was on the screen in both. A --qr-png file,
// which holds the secret too, is removed then.
func (o *registerOptions) clearSecret(done string) {
	if o.png != "" {
		if err := os.Remove(o.png); err == nil {
			done += " " + o.tr().F("%s, which held the QR code, was removed.", o.png)
		}
	}
	if env := o.IO.Term; env == "dumb" || env == "" {
		o.tty(done + "\n" + o.wrapped(o.tr().T("Clear your terminal's scrollback: it still holds the setup key.")))
		return
	}
	o.tty("\x1b[H\x1b[2J\x1b[3J")
	o.tty(done + "\n" + o.wrapped(o.tr().T("The QR code and the setup key were cleared from the screen; if your terminal's scrollback still shows them, clear it.")))
}

// wrapped is s wrapped to the terminal's width, at spaces, with a final
// newline.
func (o *registerOptions) wrapped(s string) string {
	cols := 80
	if t, err := o.IO.TTY(); err == nil {
		if c, _ := t.Size(); c > 0 {
			cols = c
		}
	}
	return strings.Join(wrapColumn([]string{s}, cols), "\n") + "\n"
}

// tty writes to the terminal, if there is one: the steps of an
// interactive registration are for the person, never for stdout.
func (o *registerOptions) tty(s string) {
	if t, err := o.IO.TTY(); err == nil {
		io.WriteString(t.Writer(), s)
	}
}

// show presents a pending registration on the terminal: the steps (when
// interactive), the QR code, the setup key, and the URI on request. At
// the moment the code is asked for, the whole QR code, the setup key and
// the prompt are on the screen together: the layout is chosen by the
// terminal's width and height (see qrLayout).
func (o *registerOptions) show(p *account.Pending, userID, issuer string, steps bool) error {
	short, err := otp.ShortURI(issuer, userID, p.Secret)
	if err != nil {
		return fail.Usagef("%v", err)
	}
	label, _ := otp.LabelURI(issuer, userID, p.Secret)
	var codes []*term.QR // the URI with the issuer parameter, then without
	for _, uri := range []string{short, label} {
		if q, err := term.EncodeQR(uri); err == nil {
			codes = append(codes, q)
		}
	}
	if len(codes) == 0 {
		return fail.Usagef("the otpauth URI is %v: shorten otp.issuer", term.ErrQRTooLong)
	}
	if o.png != "" {
		if err := codes[0].WritePNG(o.png); err != nil {
			return fail.Wrap(fail.Other, err, "writing the QR code to %s", o.png)
		}
		o.say("Wrote the QR code to %s (mode 0600); delete it once scanned.", o.png)
	}
	t, terr := o.IO.TTY()
	if terr != nil {
		return nil // no terminal: --begin prints the key on stdout
	}
	w := t.Writer()
	cols, lines := t.Size()
	var text []string
	if steps {
		text = stepsText(o.tr(), userID, issuer)
	}
	key := o.tr().T("Setup key: ") + otp.SetupKey(p.Secret)
	// The issuer parameter stays where it costs no room: the shorter
	// URI is drawn only when the longer one's code does not fit.
	q, l := codes[0], o.qrLayout(codes[0], cols, lines, text, key)
	for _, c := range codes[1:] {
		if lc := o.qrLayout(c, cols, lines, text, key); !l.fits && (lc.fits || !l.draw) {
			q, l = c, lc
		}
	}
	d := term.Drawing{Style: l.style, Quiet: l.quiet, Invert: o.invert, Plain: o.IO.NoColor}
	switch {
	case l.keyBeside:
		q.Draw(w, d, wrapColumn(withKey(text, key), cols-l.cols-2))
	case l.beside:
		q.Draw(w, d, wrapColumn(text, cols-l.cols-2))
	default:
		for _, s := range text {
			fmt.Fprintln(w, s)
		}
		if l.draw {
			q.Draw(w, d, nil)
		} else if l.why != "" {
			fmt.Fprintln(w, l.why)
		}
	}
	if !l.keyBeside {
		fmt.Fprintln(w, key)
	}
	if o.showURI {
		fmt.Fprintln(w, "URI: "+p.URI)
	}
	return nil
}

// stepsText is what an interactive registration tells the person.
func stepsText(w tr, userID, issuer string) []string {
	return []string{
		w.T("Register an authenticator app."),
		"",
		w.T("Step 1. Install an app that supports TOTP, such as Google Authenticator, Microsoft Authenticator or Authy."),
		w.T("Step 2. Scan this QR code with the app, or type the setup key."),
		w.T("Step 3. Type the 6-digit code the app shows. Ctrl-C cancels."),
		"",
		w.F("Account: %s (time-based, 6 digits, every 30 seconds)", issuer+":"+userID),
	}
}

// layout is where the QR code goes on the screen.
type layout struct {
	draw        bool
	fits        bool // the code, the setup key and the prompt are on the screen together
	style       term.QRStyle
	quiet       int
	cols, lines int
	beside      bool   // the steps to the right of the code
	keyBeside   bool   // the setup key too, under the steps
	why         string // when not drawn: why, and what to do instead
}

// sideMin is the narrowest column the steps are put in beside the code.
const sideMin = 30

// withKey is the text beside the code when the setup key goes there too.
func withKey(text []string, key string) []string {
	if len(text) == 0 {
		return []string{key}
	}
	return append(slices.Clip(text), "", key)
}

// qrLayout picks the largest drawing that leaves the code, the setup key
// and the prompt on the screen together: full blocks, then half blocks,
// each with the quiet zone of 4 modules the standard asks for, then 2
// (which phone cameras read from a screen). The steps go beside the code
// where they fit, else above it, where they may scroll away; the setup
// key goes under the code, or, where only the prompt fits under it,
// beside it under the steps. --qr full or half is obeyed where the width
// allows. A terminal that shows no colour (TERM=dumb) gets no escape
// sequence, nor does NO_COLOR with --qr auto: the setup key, and
// --qr-png. NO_COLOR with --qr full or half draws without colour.
func (o *registerOptions) qrLayout(q *term.QR, cols, lines int, text []string, key string) layout {
	mode := o.qr
	env := o.IO.Term
	switch {
	case mode == "none" || (mode == "auto" && !o.IO.IsStdoutTTY()):
		return layout{}
	case env == "dumb" || env == "":
		return layout{why: o.tr().T("(No QR code: this terminal shows no colours. Use --qr-png FILE for a picture, or type the setup key.)")}
	case mode == "auto" && o.IO.NoColor:
		return layout{why: o.tr().T("(No QR code: NO_COLOR is set. Use --qr half (with --qr-invert on a dark background), or --qr-png FILE, or type the setup key.)")}
	}
	styles := map[string][]term.QRStyle{"auto": {term.QRFull, term.QRHalf}, "full": {term.QRFull}, "half": {term.QRHalf}}[mode]
	const below = 2 // the setup key and the prompt
	var need layout
	for _, s := range styles {
		for _, quiet := range []int{4, 2} {
			w, h := q.Size(s, quiet)
			need = layout{draw: true, style: s, quiet: quiet, cols: w, lines: h}
			side := cols - w - 2
			switch {
			case w > cols:
				continue
			case h+below <= lines:
				need.fits = true
				need.beside = len(text) > 0 && side >= sideMin && len(wrapColumn(text, side)) <= h
				return need
			case h+1 <= lines && side >= sideMin && len(wrapColumn(withKey(text, key), side)) <= h:
				need.fits, need.beside, need.keyBeside = true, true, true
				return need
			}
		}
	}
	if mode != "auto" && need.cols <= cols {
		return need // asked for: drawn though taller than the screen
	}
	return layout{why: o.tr().F("(No QR code: the terminal is %dx%d and the code needs %dx%d. Enlarge the terminal and run again, use --qr-png FILE, or type the setup key.)",
		cols, lines, need.cols, need.lines+below)}
}

func printRegistered(f *deps, reg *account.Registered) error {
	if reg.RecoveryCodes == nil {
		f.say("%s", f.tr().F("Registered the authenticator %s. Your recovery codes are unchanged.", reg.Name))
		reg.RecoveryCodes = []string{}
	} else {
		f.say("%s", f.tr().T("OTP registered. Keep these recovery codes somewhere safe: each logs you in once"))
		f.say("%s", f.tr().T("without the app, and they will not be shown again."))
	}
	return f.print(struct {
		RegisteredAt  Time     `json:"registered_at"`
		RecoveryCodes []string `json:"recovery_codes"`
	}{Time(reg.RegisteredAt), reg.RecoveryCodes}, func(t *table) {
		for _, c := range reg.RecoveryCodes {
			fmtLine(f.IO.Out, "%s", c)
		}
	})
}
