package cli

import (
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
)

// The authenticators and recovery codes an account has: otp list,
// otp delete, otp recovery-codes, and the second factor they take.

func newOTPDeleteCmd(f *Factory) *cobra.Command {
	o := &otpDeleteOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Remove an authenticator (needs the password and a current code)",
		Long: `Remove an authenticator; with the last one, the recovery codes go too. kcloud
asks for the password, then a current code from any authenticator or a
recovery code, unless --otp or --recovery-code gives it. --name names the
authenticator where the account has several (kcloud otp list).`,
		Example: `  kcloud otp delete
  kcloud otp delete --name old-phone
  kcloud otp delete --recovery-code abcd-efgh-ijkm-npqr`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, otpDeleteRun) },
	}
	cmd.Flags().StringVar(&o.name, "name", "", "the authenticator's `name`, where there are several")
	o.sf.add(cmd)
	o.endOthers.add(cmd)
	return cmd
}

type otpDeleteOptions struct {
	deps
	name      string
	sf        secondFactorFlags
	endOthers endOthersFlag
}

// secondFactorFlags is --otp, --recovery-code and --passkey (with
// --no-browser), read before anything is asked: a malformed code is a
// usage error, not a failed attempt.
type secondFactorFlags struct {
	otp, recovery      string
	passkey, noBrowser bool
}

func (g *secondFactorFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.otp, "otp", "", "a current 6-digit `code` from an authenticator")
	cmd.Flags().StringVar(&g.recovery, "recovery-code", "", "a recovery `code`")
	g.addPasskey(cmd)
}

func (g *secondFactorFlags) addPasskey(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.passkey, "passkey", false, "use a passkey instead of a code (a ceremony in the browser)")
	cmd.Flags().BoolVar(&g.noBrowser, "no-browser", false, "print the passkey page's address instead of opening a browser")
}

// given returns the second factor the flags give, or nil.
func (g secondFactorFlags) given() (auth.Credential, error) {
	switch {
	case g.passkey && (g.otp != "" || g.recovery != ""):
		return nil, fail.Usagef("give --passkey, --otp or --recovery-code, one of them")
	case g.passkey:
		return wantPasskey{noBrowser: g.noBrowser}, nil
	case g.otp == "" && g.recovery == "":
		return nil, nil
	}
	return auth.SecondFactor(g.otp, g.recovery)
}

// page opens a page that needs the password and a second factor: the
// flags' form checked first, then the session and that it has an OTP,
// and what check says of it, then the password, then the second factor,
// given or asked for; it returns the page's proof of both.
func (g secondFactorFlags) page(f *deps, check func(*account.Who) error) (*account.Visit, *account.Proof, error) {
	given, err := g.given()
	if err != nil {
		return nil, nil, err
	}
	v, acc, _, err := f.session()
	if err != nil {
		return nil, nil, err
	}
	if err := account.CheckHasOTP(acc); err != nil {
		return nil, nil, err
	}
	if err := check(acc); err != nil {
		return nil, nil, err
	}
	pr, err := f.prove(v)
	if err != nil {
		return nil, nil, err
	}
	return v, pr, f.stepUp(pr, given)
}

func otpDeleteRun(o *otpDeleteOptions) error {
	f := &o.deps
	v, pr, err := o.sf.page(f, func(acc *account.Who) error { return account.CheckAuthenticator(acc, o.name) })
	if err != nil {
		return err
	}
	if err := o.endOthers.apply(f, v, pr); err != nil {
		return err
	}
	left, err := v.DeleteOTP(pr, o.name)
	if err != nil {
		return err
	}
	if left == nil {
		f.say("The OTP and its recovery codes are deleted.")
	} else {
		f.say("Deleted. %s left; %s.", fail.Plural(len(left.Authenticators), "%d authenticator", "%d authenticators"),
			fail.Plural(left.RecoveryCodesLeft, "%d recovery code", "%d recovery codes"))
	}
	return f.print(struct {
		Deleted bool `json:"otp_deleted"`
	}{true}, func(*table) {})
}

func newOTPListCmd(f *Factory) *cobra.Command {
	o := &otpListOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "list",
		Short: "List the authenticators and how many recovery codes are left",
		Example: `  kcloud otp list
  kcloud otp list -o json --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, otpListRun) },
	}
}

type otpListOptions struct{ deps }

func otpListRun(o *otpListOptions) error {
	f := &o.deps
	page, err := openPage(f, (*account.Visit).Show)
	if err != nil {
		return err
	}
	d := newOTPDoc(page.Account.OTP)
	return f.print(struct {
		Authenticators    []authenticatorDoc `json:"authenticators"`
		RecoveryCodesLeft int                `json:"recovery_codes_left"`
	}{d.Authenticators, d.RecoveryCodesLeft}, func(t *table) {
		w := f.tr()
		if len(d.Authenticators) == 0 {
			fmtLine(f.IO.Out, "%s", w.T("No authenticator is registered: kcloud otp register adds one."))
			return
		}
		t.cols(w.T("NAME"), w.T("REGISTERED"), w.T("LAST USED"))
		for _, a := range page.Account.OTP.Authenticators {
			t.cols(a.Name, w.Time(&a.RegisteredAt), w.Time(a.LastUsedAt))
		}
		t.blank()
		t.heading(w.N("%d recovery code left.", "%d recovery codes left.", d.RecoveryCodesLeft, d.RecoveryCodesLeft))
	})
}

func newOTPRecoveryCodesCmd(f *Factory) *cobra.Command {
	o := &recoveryCodesOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "recovery-codes",
		Short: "Make 10 new recovery codes (the old ones stop working)",
		Long: `Make 10 new recovery codes, shown once; the old ones, used or not, stop working.
kcloud asks for the password, then a current code from an authenticator or a
recovery code, unless --otp or --recovery-code gives it.`,
		Example: `  kcloud otp recovery-codes
  kcloud otp recovery-codes --otp 123456 -o json --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, recoveryCodesRun) },
	}
	o.sf.add(cmd)
	o.endOthers.add(cmd)
	return cmd
}

type recoveryCodesOptions struct {
	deps
	sf        secondFactorFlags
	endOthers endOthersFlag
}

func recoveryCodesRun(o *recoveryCodesOptions) error {
	f := &o.deps
	v, pr, err := o.sf.page(f, func(*account.Who) error { return nil })
	if err != nil {
		return err
	}
	if err := o.endOthers.apply(f, v, pr); err != nil {
		return err
	}
	codes, err := v.RenewRecoveryCodes(pr)
	if err != nil {
		return err
	}
	f.say("New recovery codes; the old ones no longer work. Keep these somewhere safe: each")
	f.say("logs you in once without an authenticator, and they will not be shown again.")
	return f.print(struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}{codes}, func(*table) {
		for _, c := range codes {
			fmtLine(f.IO.Out, "%s", c)
		}
	})
}
