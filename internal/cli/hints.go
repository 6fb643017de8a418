package cli

import (
	"errors"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/password"
	"github.com/kcloud/kcloud/internal/perm"
	"github.com/kcloud/kcloud/internal/store"
)

// hint says what to do about err, in kcloud's words and the run's
// language: the domain and the store return typed errors and never name
// a command or flag.
func hint(err error, w tr) string {
	if h := fail.HintOf(err); h.Format != "" {
		return h.In(w)
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
		return w.T("a few unrelated words (four or more) make a password that is strong and easy to remember")
	case errors.As(err, &used):
		return w.F("the app shows a new code in %s; type that one", used.Next.Round(1e9))
	case errors.As(err, &fa) && fa.Disabled:
		return w.T("set a new password with kcloud account recover, or ask an admin for a reset code (kcloud member reset-password)")
	case errors.As(err, &fa) && fa.Left > 0:
		return w.N("%d more failed attempt locks the account for %s", "%d more failed attempts lock the account for %s",
			fa.Left, fa.Left, fa.Lockout)
	case errors.As(err, &wait) && wait.Pending:
		return w.F("the code sent then still works until %s: give it with --code CODE", wait.Expires)
	case errors.As(err, &wrong):
		if wrong.Left == 0 {
			return w.F("a new code can be sent at %s", wrong.Until)
		}
		return w.N("%d more wrong entry voids the code", "%d more wrong entries void the code", wrong.Left, wrong.Left)
	case errors.As(err, &locked):
		return w.T("try again after that time, or ask an admin to unlock the account (kcloud member unlock)")
	case errors.As(err, &key) && key.Nearest != "":
		return w.F("did you mean %s?", key.Nearest)
	case errors.As(err, &p):
		if p.Fix != "" {
			return p.Fix
		}
		return w.T("only its owner can fix that")
	case errors.Is(err, store.ErrNoStore), errors.Is(err, account.ErrNoOrganization):
		return w.T("run `kcloud init` to create one, `kcloud store import` to fill it from a backup, or point --store (store.etcd.prefix on etcd) at an existing store")
	case errors.Is(err, store.ErrUnreachable):
		return w.T("check that the cluster runs and store.etcd.endpoints names it, or raise store.etcd.request_timeout")
	case errors.Is(err, store.ErrEtcdAuth):
		return w.T("check store.etcd.username and the file store.etcd.password_file names")
	case errors.Is(err, store.ErrEtcdDenied):
		return w.T("each person's etcd role may change only their own account's keys; an admin's work needs an admin's etcd user (docs/etcd.md)")
	case errors.Is(err, store.ErrEtcdTLS):
		return w.T("store.etcd.ca_file names the CA that signed the cluster's certificates; store.etcd.cert_file and key_file, the client certificate it asks for")
	case errors.Is(err, store.ErrLostAnswer):
		return w.T("the change was saved; see it with the command's show or `kcloud account activity`")
	case errors.Is(err, store.ErrBusy):
		return w.T("try again, or raise store.lock_timeout")
	case errors.Is(err, store.ErrDamaged):
		return w.T("run `kcloud store check` to see the damage, and restore your last backup (`kcloud store backup` makes one)")
	case errors.Is(err, store.ErrNewer):
		return w.T("use the kcloud that wrote it, or a newer one; the file was not changed")
	case errors.Is(err, store.ErrExists):
		return w.T("give --force to replace it")
	case errors.Is(err, account.ErrOTPRequired):
		return w.T("register one with kcloud otp register; kcloud whoami and kcloud logout work meanwhile")
	case errors.Is(err, account.ErrShortPassword):
		return w.T("change it with kcloud account password; kcloud whoami and kcloud logout work meanwhile")
	case errors.Is(err, account.ErrDisabled):
		return w.T("an admin can enable it again: kcloud member enable")
	case errors.Is(err, account.ErrPWDisabled):
		return w.T("set a new password with kcloud account recover, or ask an admin for a reset code (kcloud member reset-password)")
	case errors.Is(err, account.ErrResetPending):
		return w.T("set a new password with kcloud account recover --reset-code; it asks for the code the admin gave you")
	case errors.Is(err, account.ErrLastAdmin):
		return w.T("make another member an admin first: kcloud member admin USER --grant")
	case errors.Is(err, account.ErrNoEmailToSend):
		return w.T("without --send the code is printed, to hand to the member yourself")
	case errors.Is(err, account.ErrNoVerifiedContact):
		return w.T("an admin can give you a reset code (kcloud member reset-password), to use with kcloud account recover --reset-code")
	case errors.Is(err, account.ErrNoRecoverySlots):
		return w.T("while you can log in, make new ones with kcloud otp recovery-codes; otherwise an admin can give you a reset code (kcloud member reset-password)")
	case errors.Is(err, account.ErrPartialStore):
		return w.T("run the same `kcloud store import FILE` again to finish it, or point --store (store.etcd.prefix on etcd) at an empty store")
	case errors.Is(err, account.ErrOrgExists):
		return w.T("use --store (store.etcd.prefix on etcd) for another store")
	case errors.Is(err, account.ErrNotLoggedIn), errors.Is(err, account.ErrSessionEnded):
		return w.T("run `kcloud login`")
	case errors.Is(err, account.ErrNotAdmin):
		return w.T("an admin of the organization can do this")
	case errors.Is(err, account.ErrNoNicknames):
		return w.T("an admin can turn them on with `kcloud org set --nicknames=true`")
	case errors.Is(err, account.ErrHasOTP):
		return w.T("delete it first with `kcloud otp delete`")
	case errors.Is(err, account.ErrNoOTP):
		return w.T("register one with `kcloud otp register`")
	case errors.Is(err, account.ErrNoPendingOTP), errors.Is(err, account.ErrPendingExpired):
		return w.T("start one with `kcloud otp register --begin`")
	case errors.Is(err, account.ErrNoCodeSent):
		return w.T("send one with `kcloud contact verify KIND ADDRESS --send-only`")
	case errors.Is(err, account.ErrNothingToSet):
		return w.T("see the command's --help for what it changes")
	case errors.Is(err, account.ErrSessionUnknown):
		return w.T("kcloud session list shows the sessions and their IDs")
	case errors.Is(err, account.ErrNoSuchAuthenticator):
		return w.T("kcloud otp list and kcloud passkey list show the names")
	case errors.Is(err, account.ErrTooManyKeys):
		return w.T("delete one first: kcloud access-key delete ID")
	case errors.Is(err, account.ErrNoSuchKey):
		return w.T("kcloud access-key list shows the account's keys")
	case errors.Is(err, account.ErrPasswordRaced):
		return w.T("try again")
	}
	return ""
}
