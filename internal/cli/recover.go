package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/otp"
)

type recoverOptions struct {
	deps
	userID       string
	via          string
	sendOnly     bool
	code         string
	recoveryCode string
	resetCode    bool
}

func newAccountRecoverCmd(f *Factory) *cobra.Command {
	o := &recoverOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "A new password when you forgot yours (a code to your contact)",
		Long: `Set a new password without the old one, and without a session.

kcloud sends a 6-digit code to the account's verified email (or, with
--via phone or when there is no email, its verified phone), asks for it, then,
when an OTP is registered, for one of the recovery codes shown when it was
registered, then for the new password (twice at a terminal). The
authenticator apps and everything else keep working; the recovery code used
is gone; every session of the account ends, on every machine.

An account with no verified contact cannot be recovered this way: an admin
can give it a reset code (kcloud member reset-password), used here with
--reset-code; then the reset code is asked for (without echo: it is worth a
password, so it never goes on the command line), then the new password. With
--password-stdin, standard input holds the reset code, then the new password.

--send-only sends the code and exits; --code CODE uses a code sent earlier and
sends nothing. With --password-stdin (which needs --code), standard input
holds the recovery code, unless --recovery-code gives it, then the new
password, one per line.`,
		Example: `  kcloud account recover --user-id alice
  kcloud account recover --user-id alice --via phone
  kcloud account recover --user-id alice --send-only
  kcloud account recover --user-id bob --reset-code
  printf '%s\n' "$RECOVERY_CODE" "$NEW" | kcloud account recover --user-id alice \
      --code 123456 --password-stdin`,
		Args: noArgsSaid,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, recoverRun) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.userID, "user-id", "", "the User `ID` of the account (default: the last user who logged in)")
	fl.StringVar(&o.via, "via", "", "send the code by `email` or phone (default: the verified email, else the phone)")
	fl.BoolVar(&o.sendOnly, "send-only", false, "send a code and exit")
	fl.StringVar(&o.code, "code", "", "the `code` sent earlier; send nothing")
	fl.StringVar(&o.recoveryCode, "recovery-code", "", "one of the account's recovery `codes`")
	fl.AddFlag(noValueFlag(&o.resetCode, "reset-code", "ask for the reset code an admin gave (kcloud member reset-password)"))
	cmd.RegisterFlagCompletionFunc("via", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"email", "phone"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func recoverRun(o *recoverOptions) error {
	f, io := &o.deps, o.IO
	var via contact.Kind
	if o.via != "" {
		k, err := contact.ParseKind(o.via)
		if err != nil {
			return fail.Usagef("--via: %v", err)
		}
		via = k
	}
	if o.code != "" && o.sendOnly {
		return fail.Usagef("give --code or --send-only, not both")
	}
	var given contact.Code
	if o.code != "" {
		c, err := contact.ParseCode(o.code)
		if err != nil {
			return fail.Usagef("--code: %v", err)
		}
		given = c
	}
	var rc otp.RecoveryCode
	if o.recoveryCode != "" {
		c, err := otp.ParseRecovery(o.recoveryCode)
		if err != nil {
			return fail.Usagef("--recovery-code: %v", err)
		}
		rc = c
	}
	if o.resetCode && (o.code != "" || o.sendOnly || o.recoveryCode != "" || o.via != "") {
		return fail.Usagef("--reset-code goes alone: no --code, --send-only, --recovery-code or --via")
	}
	cfg, err := f.Config()
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
	if id == "" {
		if id, err = io.Ask("the User ID", "User ID: ", "--user-id"); err != nil {
			return err
		}
	}
	if id, err = account.CheckUserID(id); err != nil {
		return fail.Usagef("%v", err)
	}
	if o.resetCode {
		return resetRun(f, svc, id)
	}
	r, err := svc.BeginRecovery(id, via)
	if err != nil {
		return err
	}
	interactive := !io.PasswordStdin
	if o.code == "" && !o.sendOnly && (!interactive || !io.CanPrompt()) {
		if !interactive { // standard input cannot hold a code not yet sent
			return fail.Usagef("--password-stdin needs --code: send the code first with --send-only")
		}
		return io.missing("the code", word("send with --send-only, then give it with --code CODE"))
	}
	if o.code == "" {
		t := r.Target
		sender := newSender(cfg, t.Kind, f.Now)
		var receipt delivery.Receipt
		ctx, stop := interruptible()
		sent, err := r.SendCode(func(code string, ttl time.Duration) error {
			var err error
			receipt, err = sender.Send(ctx, recoverMessage(r.Who().Language, t.Kind, t.Address, code, ttl))
			if err != nil && ctx.Err() != nil {
				return context.Cause(ctx) // Ctrl-C: the command's signal exit, not a delivery failure
			}
			return err
		})
		stop()
		if fail.KindOf(err) == fail.Interrupted {
			f.sayAlways("Cancelled: the code was not delivered and is void.")
		}
		if err != nil {
			return err
		}
		if receipt.Sent {
			f.sayAlways("Sent a code to %s by %s. It expires in %s, at %s.", t.Masked, receipt.Method, f.tr().Duration(sent.TTL), f.tr().Time(&sent.ExpiresAt))
		} else {
			f.sayAlways("Nothing was sent: delivery.%s.method is outbox. The message with the code is in:", deliveryKey(t.Kind))
			f.sayPath(receipt.File)
			f.sayAlways("The code expires in %s, at %s.", f.tr().Duration(sent.TTL), f.tr().Time(&sent.ExpiresAt))
		}
		if o.sendOnly {
			return f.print(struct {
				UserID    string  `json:"user_id"`
				Kind      string  `json:"kind"`
				Masked    string  `json:"masked"`
				Method    string  `json:"method"`
				Sent      bool    `json:"sent"`
				File      *string `json:"file"`
				ExpiresAt Time    `json:"expires_at"`
				// NeedsRecoveryCode says the recovery will ask for one.
				NeedsRecoveryCode bool `json:"needs_recovery_code"`
			}{id, string(t.Kind), t.Masked, receipt.Method, receipt.Sent, stringOrNil(receipt.File), Time(sent.ExpiresAt), r.NeedsRecoveryCode},
				func(*table) {})
		}
	}
	// The code sent, asked again at a terminal while it is still good.
	code := given
	for code.Digits() == "" {
		typed, err := io.Code("the code", f.tr().F("Code sent to %s: ", r.Target.Masked), "--code")
		if err != nil {
			return err
		}
		c, err := contact.ParseCode(typed)
		if err == nil {
			err = r.Check(c, otp.RecoveryCode{})
		} else {
			err = fail.Usagef("%v", err)
		}
		if err == nil {
			code = c
			break
		}
		if !interactive || !retryable(err) {
			return err
		}
		f.sayAlways("%s", errorLine(err, f.tr()))
	}
	if r.NeedsRecoveryCode && rc.IsZero() {
		if interactive && io.CanPrompt() {
			f.sayAlways("An OTP is registered for %s: a recovery code is needed too.", id)
		}
		for rc.IsZero() {
			typed, err := io.Code("a recovery code", "Recovery code: ", "--recovery-code")
			if err != nil {
				return err
			}
			c, err := otp.ParseRecovery(typed)
			if err == nil {
				err = r.Check(code, c)
			} else {
				err = fail.Usagef("%v", err)
			}
			if err == nil {
				rc = c
				break
			}
			if !interactive || !retryable(err) {
				return err
			}
			f.sayAlways("%s", errorLine(err, f.tr()))
		}
	}
	who, org := r.Who(), r.Org()
	// The authenticators stay with a recovery code: the policy's length,
	// or the length of a password that is the only factor.
	minLen := account.MinPasswordFor(r.Policy(), who.HasOTP)
	np, err := NewPassword(io, "the new password", "", minLen, func(pw []byte) (account.NewPassword, error) {
		return account.CheckNewPassword(pw, minLen, who.UserID, who.Name, org.Name)
	})
	if err != nil {
		return err
	}
	done, err := r.Finish(code, rc, np)
	if err != nil {
		return err
	}
	f.say("Password reset for %s. Every session of the account ended; log in with: kcloud login --user-id %s", done.UserID, done.UserID)
	recoveryLeft(f, done.RecoveryCodesLeft)
	return printRecovered(f, done)
}

func printRecovered(f *deps, done *account.Recovered) error {
	return f.print(struct {
		UserID            string `json:"user_id"`
		Recovered         bool   `json:"recovered"`
		OTPKept           bool   `json:"otp_kept"`
		RecoveryCodesLeft *int   `json:"recovery_codes_left"`
	}{done.UserID, true, done.KeptOTP, done.RecoveryCodesLeft}, func(*table) {})
}

// retryable says whether a code asked at a terminal may be asked again:
// it was mistyped or wrong, and the account is not locked by it.
func retryable(err error) bool {
	k := fail.KindOf(err)
	if k != fail.Usage && k != fail.Auth {
		return false
	}
	var fa *account.FailedAttempt
	if errors.As(err, &fa) && !fa.LockedTo.IsZero() {
		return false
	}
	return !errors.Is(err, account.ErrCodeVoid) && !errors.Is(err, account.ErrNothingPending)
}

// recoverMessage is the text of the code for account recover: the code
// is the only six-digit number in it.
// resetRun asks for an admin's reset code, without echo (it is worth a
// password: on argv another local user could read it while the command
// waits), then sets a new password with it.
func resetRun(f *deps, svc *account.Service, id string) error {
	r, err := svc.BeginReset(id)
	if err != nil {
		return err
	}
	typed, err := f.IO.Secret("the reset code", f.tr().T("Reset code: "))
	if err != nil {
		return err
	}
	code, err := otp.ParseRecovery(string(typed))
	clear(typed)
	if err != nil {
		// Not repeated: a mistyped code is still most of a good one.
		return fail.Usagef("a reset code is 16 letters and digits, as xxxx-xxxx-xxxx-xxxx")
	}
	who, org := r.Who(), r.Org()
	minLen := account.MinPasswordFor(r.Policy(), false) // a reset removed the authenticators
	np, err := NewPassword(f.IO, "the new password", "", minLen, func(pw []byte) (account.NewPassword, error) {
		return account.CheckNewPassword(pw, minLen, who.UserID, who.Name, org.Name)
	})
	if err != nil {
		return err
	}
	done, err := r.FinishReset(code, np)
	if err != nil {
		return err
	}
	f.say("Password set for %s. Log in with: kcloud login --user-id %s", done.UserID, done.UserID)
	return printRecovered(f, done)
}

func recoverMessage(lang string, kind contact.Kind, to, code string, ttl time.Duration) delivery.Message {
	w := tr{i18n.For(lang)}
	if kind == contact.Phone {
		return delivery.Message{To: to, Body: w.F("[kcloud] Your code to reset your password is %s. It expires in %s.", code, ttl)}
	}
	return delivery.Message{To: to, Subject: w.T("Your kcloud password reset code"),
		Body: w.F("Your code to reset your kcloud password is %s.\n\nIt expires in %s. If you did not ask for it, someone knows your User ID: your password is unchanged, and you can ignore this message.\n", code, ttl)}
}
