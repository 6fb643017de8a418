package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/otp"
)

// session is the start of every page (account.Service.Visit): the
// session's account and its organization, or a LoginRequired error; a
// locked account is refused here, before anyone types a password. Who
// and the organization come with it, for the checks and prompts a
// command makes before it asks for the password.
func (f *deps) session() (*account.Visit, *account.Who, *account.Organization, error) {
	return f.visit((*account.Service).Visit)
}

// visit is session with the page's own opening: otp register opens where
// the organization requires an OTP not yet registered, the rest do not.
func (f *deps) visit(open func(*account.Service) (*account.Visit, error)) (*account.Visit, *account.Who, *account.Organization, error) {
	svc, err := f.Service()
	if err != nil {
		return nil, nil, nil, err
	}
	if tok := f.accessKey(); tok != "" {
		// An access key opens the page instead of a session, and is its
		// proof (no password is asked for).
		v, pr, err := svc.VisitByKey(tok)
		if err != nil {
			return nil, nil, nil, err
		}
		f.keyProof = pr
		return v, v.Who(), v.Org(), nil
	}
	v, err := open(svc)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, v.Who(), v.Org(), nil
}

// password asks for the password of acc: every page asks again.
func (f *deps) password(acc *account.Who) ([]byte, error) {
	return f.IO.Secret(f.tr().F("the password for %s", acc.UserID), f.tr().F("Password for %s: ", acc.UserID))
}

// prove asks for the password of v's account and makes, with it and the
// credentials more gives (a second factor), the proof v's page takes.
func (f *deps) prove(v *account.Visit, more ...auth.Credential) (*account.Proof, error) {
	if f.keyProof != nil {
		return f.keyProof, nil
	}
	pw, err := f.password(v.Who())
	if err != nil {
		return nil, err
	}
	return v.Prove(append([]auth.Credential{auth.NewPassword(pw)}, more...)...)
}

// stepUp adds a second factor to the proof pr: given by a flag, or asked
// for (an OTP code, a recovery code, or a passkey's ceremony).
func (f *deps) stepUp(pr *account.Proof, given auth.Credential) error {
	sf, err := f.secondFactor(pr.Who(), given)
	if err != nil {
		return err
	}
	return pr.Add(sf)
}

// secondFactor is the second factor of who: given, or asked for; where it
// is a passkey, its ceremony's answer.
func (f *deps) secondFactor(who *account.Who, given auth.Credential) (auth.Credential, error) {
	if given == nil {
		var err error
		if given, err = f.askSecondFactor(who); err != nil {
			return nil, err
		}
	}
	if w, ok := given.(wantPasskey); ok {
		return f.passkeyAnswer(who, false, w.noBrowser)
	}
	return given, nil
}

// openPage runs a page that asks only for the password: the session
// (see session), then the password, then run with its proof; a wrong
// password at a terminal is asked again (withProof).
func openPage[T any](f *deps, run func(v *account.Visit, pr *account.Proof) (T, error)) (T, error) {
	v, _, _, err := f.session()
	if err != nil {
		var zero T
		return zero, err
	}
	return withProof(f, v, func(pr *account.Proof) (T, error) { return run(v, pr) })
}

// withProof is withPassword for a page of v: do takes the proof. Every
// page that comes here opens no sealed secret, so within the policy's
// security.reauth_grace of a password typed on the session no password
// is asked (the domain checks both again); a grace that ends meanwhile
// asks after all.
func withProof[T any](f *deps, v *account.Visit, do func(*account.Proof) (T, error)) (T, error) {
	if f.keyProof != nil {
		return do(f.keyProof)
	}
	if pr := v.Graced(); pr != nil {
		out, err := do(pr)
		if !errors.Is(err, account.ErrGraceOver) {
			return out, err
		}
	}
	return withPassword(f, v.Who().UserID, func(pw []byte) (T, error) {
		pr, err := v.Prove(auth.NewPassword(pw))
		if err != nil {
			var zero T
			return zero, err
		}
		return do(pr)
	})
}

// passwordTries is how often a terminal asks for a password that was
// wrong, as sudo does; each wrong one counts toward the lockout.
const passwordTries = 3

// withPassword asks for the password of the account userID and runs do
// with it. At a terminal, a wrong password is said and asked again, up to
// passwordTries in all, unless it locked the account; an empty line is
// asked again without being tried. From --password-stdin, or with no
// terminal, the first answer is the answer.
func withPassword[T any](f *deps, userID string, do func(pw []byte) (T, error)) (T, error) {
	io := f.IO
	retry := !io.PasswordStdin && io.CanPrompt()
	for try := 1; ; {
		pw, err := io.Secret(f.tr().F("the password for %s", userID), f.tr().F("Password for %s: ", userID))
		if err != nil {
			var zero T
			return zero, err
		}
		if len(pw) == 0 && retry {
			continue // not a try
		}
		out, err := do(pw)
		var fa *account.FailedAttempt
		if !retry || try == passwordTries || !errors.As(err, &fa) || !errors.Is(fa.Err, account.ErrWrongPassword) || !fa.LockedTo.IsZero() || fa.Disabled {
			return out, err
		}
		try++
		if t, terr := io.TTY(); terr == nil {
			toTerminal(t, f.tr().F("Wrong password: %s. Try again (%d of %d).", hint(err, f.tr()), try, passwordTries))
		}
	}
}

// askSecondFactor asks for who's second factor: six digits are an OTP
// code, anything else a recovery code, and, where who has a passkey, an
// empty line is the passkey (an account with passkeys and no app goes
// straight to the ceremony at a terminal). A malformed answer is asked
// again at a terminal.
func (f *deps) askSecondFactor(who *account.Who) (auth.Credential, error) {
	io, w := f.IO, f.tr()
	label, flags := w.T("OTP code (or a recovery code): "), "--otp or --recovery-code"
	if who.Passkeys > 0 {
		if who.Apps == 0 && !io.PasswordStdin && io.CanPrompt() {
			return wantPasskey{}, nil
		}
		label, flags = w.T("OTP code or recovery code (Enter: use a passkey): "), "--otp, --recovery-code or --passkey"
	}
	for {
		code, err := io.Code("the OTP code", label, flags)
		if err != nil {
			return nil, err
		}
		c := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
		if c == "" && who.Passkeys > 0 && !io.PasswordStdin {
			return wantPasskey{}, nil
		}
		otpCode, recovery := "", code
		if len(c) == otp.Digits {
			otpCode, recovery = c, ""
		}
		checked, err := auth.SecondFactor(otpCode, recovery)
		if err != nil && !io.PasswordStdin {
			if t, terr := io.TTY(); terr == nil {
				fmt.Fprintln(t.Writer(), w.T("That is neither a 6-digit code nor a recovery code (xxxx-xxxx-xxxx-xxxx). Try again."))
				continue
			}
		}
		return checked, err
	}
}
