package cli

import (
	"errors"
	"fmt"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/password"
	"github.com/kcloud/kcloud/internal/perm"
	"github.com/kcloud/kcloud/internal/store"
)

// hint says what to do about err, in kcloud's words: the domain and the
// store return typed errors and never name a command or flag.
func hint(err error) string {
	if h := fail.HintOf(err); h != "" {
		return h
	}
	var (
		weak   *password.Weak
		fa     *account.FailedAttempt
		used   *account.UsedCodeError
		wrong  *contact.WrongCode
		wait   *contact.ErrWait
		locked *account.LockedError
		p      *perm.Problem
		key    *config.UnknownKeyError
	)
	switch {
	case errors.As(err, &weak):
		return "a few unrelated words (four or more) make a password that is strong and easy to remember"
	case errors.As(err, &used):
		return fmt.Sprintf("the app shows a new code in %s; type that one", words(used.Next.Round(1e9)))
	case errors.As(err, &fa) && fa.Disabled:
		return "set a new password with kcloud account recover, or ask an admin for a reset code (kcloud member reset-password)"
	case errors.As(err, &fa) && fa.Left > 0:
		attempts := "attempts lock"
		if fa.Left == 1 {
			attempts = "attempt locks"
		}
		return fmt.Sprintf("%d more failed %s the account for %s", fa.Left, attempts, words(fa.Lockout))
	case errors.As(err, &wait) && wait.Pending:
		return "the code sent then still works until " + fmtTime(&wait.Expires) + ": give it with --code CODE"
	case errors.As(err, &wrong):
		if wrong.Left == 0 {
			return "a new code can be sent at " + fmtTime(&wrong.Until)
		}
		if wrong.Left == 1 {
			return "1 more wrong entry voids the code"
		}
		return fmt.Sprintf("%d more wrong entries void the code", wrong.Left)
	case errors.As(err, &locked):
		return "try again after that time, or ask an admin to unlock the account (kcloud member unlock)"
	case errors.As(err, &key) && key.Nearest != "":
		return "did you mean " + key.Nearest + "?"
	case errors.As(err, &p):
		if p.Fix != "" {
			return p.Fix
		}
		return "only its owner can fix that"
	case errors.Is(err, store.ErrNoStore), errors.Is(err, account.ErrNoOrganization):
		return "run `kcloud init` to create one, `kcloud store import` to fill it from a backup, or point --store (store.etcd.prefix on etcd) at an existing store"
	case errors.Is(err, store.ErrUnreachable):
		return "check that the cluster runs and store.etcd.endpoints names it, or raise store.etcd.request_timeout"
	case errors.Is(err, store.ErrEtcdAuth):
		return "check store.etcd.username and the file store.etcd.password_file names"
	case errors.Is(err, store.ErrEtcdDenied):
		return "each person's etcd role may change only their own account's keys; an admin's work needs an admin's etcd user (docs/etcd.md)"
	case errors.Is(err, store.ErrEtcdTLS):
		return "store.etcd.ca_file names the CA that signed the cluster's certificates; store.etcd.cert_file and key_file, the client certificate it asks for"
	case errors.Is(err, store.ErrLostAnswer):
		return "the change was saved; see it with the command's show or `kcloud account activity`"
	case errors.Is(err, store.ErrBusy):
		return "try again, or raise store.lock_timeout"
	case errors.Is(err, store.ErrDamaged):
		return "run `kcloud store check` to see the damage, and restore your last backup (`kcloud store backup` makes one)"
	case errors.Is(err, store.ErrNewer):
		return "use the kcloud that wrote it, or a newer one; the file was not changed"
	case errors.Is(err, store.ErrExists):
		return "give --force to replace it"
	case errors.Is(err, account.ErrOTPRequired):
		return "register one with kcloud otp register; kcloud whoami and kcloud logout work meanwhile"
	case errors.Is(err, account.ErrDisabled):
		return "an admin can enable it again: kcloud member enable"
	case errors.Is(err, account.ErrPWDisabled):
		return "set a new password with kcloud account recover, or ask an admin for a reset code (kcloud member reset-password)"
	case errors.Is(err, account.ErrResetPending):
		return "set a new password with kcloud account recover --reset-code CODE, the code the admin gave you"
	case errors.Is(err, account.ErrLastAdmin):
		return "make another member an admin first: kcloud member admin USER --grant"
	case errors.Is(err, account.ErrNoEmailToSend):
		return "without --send the code is printed, to hand to the member yourself"
	case errors.Is(err, account.ErrNoVerifiedContact):
		return "an admin can give you a reset code (kcloud member reset-password), to use with kcloud account recover --reset-code"
	case errors.Is(err, account.ErrNoRecoverySlots):
		return "while you can log in, make new ones with kcloud otp recovery-codes; otherwise an admin can give you a reset code (kcloud member reset-password)"
	case errors.Is(err, account.ErrPartialStore):
		return "run the same `kcloud store import FILE` again to finish it, or point --store (store.etcd.prefix on etcd) at an empty store"
	case errors.Is(err, account.ErrOrgExists):
		return "use --store (store.etcd.prefix on etcd) for another store"
	case errors.Is(err, account.ErrNotLoggedIn), errors.Is(err, account.ErrSessionEnded):
		return "run `kcloud login`"
	case errors.Is(err, account.ErrNotAdmin):
		return "an admin of the organization can do this"
	case errors.Is(err, account.ErrNoNicknames):
		return "an admin can turn them on with `kcloud org set --nicknames=true`"
	case errors.Is(err, account.ErrHasOTP):
		return "delete it first with `kcloud otp delete`"
	case errors.Is(err, account.ErrNoOTP):
		return "register one with `kcloud otp register`"
	case errors.Is(err, account.ErrNoPendingOTP), errors.Is(err, account.ErrPendingExpired):
		return "start one with `kcloud otp register --begin`"
	case errors.Is(err, account.ErrNoCodeSent):
		return "send one with `kcloud contact verify KIND ADDRESS --send-only`"
	case errors.Is(err, account.ErrNothingToSet):
		return "see the command's --help for what it changes"
	case errors.Is(err, account.ErrPasswordRaced):
		return "try again"
	}
	return ""
}
