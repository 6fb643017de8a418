package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/text"
)

// The organization's members, for its admins: see them, and act on one.

func newMemberCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "The organization's members: list, unlock, reset, disable (admins)",
		Long: `See the organization's members and help them (admins only).

Every member command asks for your password; the ones that change a member
also ask for a code from your authenticator (or a recovery code) when you have
one registered, unless --otp or --recovery-code gives it. Each is logged in
your activity and the member's, and the member is told by email.`,
	}
	create := newAccountCreateCmd(f)
	create.Example = `  kcloud member create --user-id bob --name "Bob Lee"`
	cmd.AddCommand(newMemberListCmd(f), newMemberShowCmd(f), create)
	for _, a := range memberActions {
		cmd.AddCommand(newMemberActionCmd(f, a))
	}
	cmd.AddCommand(newMemberAdminCmd(f))
	return cmd
}

type memberListOptions struct{ deps }

func newMemberListCmd(f *Factory) *cobra.Command {
	o := &memberListOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "list",
		Short: "List the organization's accounts",
		Example: `  kcloud member list
  kcloud member list -o json --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, memberListRun) },
	}
}

// memberDoc is one member as `member list -o json` prints it.
type memberDoc struct {
	UserID        string `json:"user_id"`
	Name          string `json:"name"`
	Admin         bool   `json:"admin"`
	OTPRegistered bool   `json:"otp_registered"`
	LockedUntil   *Time  `json:"locked_until"`
	Disabled      bool   `json:"disabled"`
	LastLoginAt   *Time  `json:"last_login_at"`
}

func newMemberDoc(m account.Member) memberDoc {
	return memberDoc{m.UserID, m.Name, m.Admin, m.OTP, timeOrNil(m.LockedUntil), m.Disabled, timeOrNil(m.LastLoginAt)}
}

func memberListRun(o *memberListOptions) error {
	f := &o.deps
	v, _, _, err := f.session()
	if err != nil {
		return err
	}
	if err := v.RequireAdmin(); err != nil {
		return err
	}
	members, err := withProof(f, v, v.Members)
	if err != nil {
		return err
	}
	docs := make([]memberDoc, len(members))
	for i, m := range members {
		docs[i] = newMemberDoc(m)
	}
	w := f.tr()
	rows := [][]string{{w.T("USER ID"), w.T("NAME"), w.T("ADMIN"), "OTP", w.T("LOCKED UNTIL"), w.T("DISABLED"), w.T("LAST LOGIN")}}
	for _, m := range members {
		rows = append(rows, []string{m.UserID, m.Name, w.yesNo(m.Admin), w.yesNo(m.OTP), w.minutes(m.LockedUntil), w.yesNo(m.Disabled), w.minutes(m.LastLoginAt)})
	}
	if cols := f.stdoutCols(); cols > 0 {
		fitColumns(rows, cols, 0, 1) // User IDs and names give way
	}
	return f.print(docs, func(t *table) {
		for _, r := range rows {
			t.cols(r...)
		}
	})
}

// minutes is a time in a list, to the minute: "2026-12-04 15:01 UTC",
// or "2026년 12월 5일 00:01 KST".
func (w tr) minutes(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return w.lang().Minutes(*t)
}

// stdoutCols is the terminal's width when stdout is the terminal, else 0
// (a pipe gets whole values).
func (f *deps) stdoutCols() int {
	if !f.IO.IsStdoutTTY() {
		return 0
	}
	t, err := f.IO.TTY()
	if err != nil {
		return 0
	}
	cols, _ := t.Size()
	return cols
}

// fitColumns shortens the cells of the columns shrink, the longest
// first, with "…", until rows fit width columns (two spaces between
// columns, as the table writes them) or each is down to 8.
func fitColumns(rows [][]string, width int, shrink ...int) {
	widths := func() []int {
		w := make([]int, len(rows[0]))
		for _, r := range rows {
			for i, c := range r {
				w[i] = max(w[i], text.Width(c))
			}
		}
		return w
	}
	for {
		w := widths()
		total := 2 * (len(w) - 1)
		for _, n := range w {
			total += n
		}
		longest := -1
		for _, i := range shrink {
			if w[i] > 8 && (longest < 0 || w[i] > w[longest]) {
				longest = i
			}
		}
		if total <= width || longest < 0 {
			return
		}
		for _, r := range rows[1:] {
			if text.Width(r[longest]) == w[longest] {
				r[longest] = text.Truncate(r[longest], w[longest]-1)
			}
		}
	}
}

type memberShowOptions struct {
	deps
	user string
}

func newMemberShowCmd(f *Factory) *cobra.Command {
	o := &memberShowOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "show USER",
		Short: "Show a member's account page",
		Example: `  kcloud member show bob
  kcloud member show alice -q .otp --password-stdin < password.txt`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.user = args[0]
			return runCmd(f, o, memberShowRun)
		},
	}
}

func memberShowRun(o *memberShowOptions) error {
	f := &o.deps
	id, err := account.CheckUserID(o.user)
	if err != nil {
		return fail.Usagef("%v", err)
	}
	v, _, _, err := f.session()
	if err != nil {
		return err
	}
	if err := v.RequireAdmin(); err != nil {
		return err
	}
	page, err := withProof(f, v, func(pr *account.Proof) (*account.Page, error) { return v.Member(pr, id) })
	if err != nil {
		return err
	}
	return f.print(newPageDoc(&page.Account, &page.Org), func(t *table) {
		w := f.tr()
		writePage(t, w, &page.Account, &page.Org)
		t.blank()
		t.heading(w.N("%s has %d active access key (kcloud access-key list --user %s).",
			"%s has %d active access keys (kcloud access-key list --user %s).", page.ActiveKeys, id, page.ActiveKeys, id))
	})
}

// memberAction is one of the commands that change a member.
type memberAction struct {
	act           account.MemberAction
	short, long   string
	example       string
	done, already string // said after: "Unlocked %s."
}

var memberActions = []memberAction{
	{act: account.Unlock, short: "End a member's lockout and clear their failed attempts",
		example: "kcloud member unlock bob", done: msg("Unlocked %s."), already: msg("%s was not locked and had no failed attempts; nothing changed.")},
	{act: account.ResetOTP, short: "Remove a member's authenticators and recovery codes",
		long: `Remove a member's authenticators and recovery codes, as when their phone is
lost: the member then logs in with the password alone and registers an
authenticator again.`,
		example: "kcloud member reset-otp bob", done: msg("Removed the authenticators and recovery codes of %s."), already: msg("%s has no authenticator; nothing changed.")},
	{act: account.ResetPassword, short: "Give a member a one-time code to set a new password",
		long: `Reset a member's password: the password stops working, every session of the
member ends, and their authenticators and recovery codes are removed (the old
password sealed them). The one-time reset code is printed once, or sent to the
member's verified email with --send; within 24 hours, the member sets a new
password with kcloud account recover --user-id USER --reset-code, which asks
for the code.`,
		example: "kcloud member reset-password bob\n  kcloud member reset-password bob --send", done: msg("Reset the password of %s.")},
	{act: account.Disable, short: "Disable a member's account: no login, every session ends",
		example: "kcloud member disable bob", done: msg("Disabled %s; every session of the account ended."), already: msg("%s was already disabled; nothing changed.")},
	{act: account.Enable, short: "Enable a disabled member's account",
		example: "kcloud member enable bob", done: msg("Enabled %s."), already: msg("%s was not disabled; nothing changed.")},
	{act: account.Delete, short: "Delete a member's account and its activity",
		example: "kcloud member delete bob", done: msg("Deleted %s and its activity.")},
}

type memberActionOptions struct {
	deps
	act  account.MemberAction
	user string
	send bool
	sf   secondFactorFlags
	said memberAction
}

func newMemberActionCmd(f *Factory, a memberAction) *cobra.Command {
	o := &memberActionOptions{deps: f.deps(), act: a.act, said: a}
	long := a.long
	if long == "" {
		long = a.short + "."
	}
	cmd := &cobra.Command{
		Use:     string(a.act) + " USER",
		Short:   a.short,
		Long:    long + "\n\nYour password is asked for, then your second factor when you have one.",
		Example: "  " + a.example,
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.user = args[0]
			return runCmd(f, o, memberActionRun)
		},
	}
	if a.act == account.ResetPassword {
		cmd.Flags().BoolVar(&o.send, "send", false, "mail the code to the member's verified email, not print it")
	}
	o.sf.add(cmd)
	return cmd
}

func newMemberAdminCmd(f *Factory) *cobra.Command {
	o := &memberActionOptions{deps: f.deps()}
	var grant, revoke bool
	cmd := &cobra.Command{
		Use:   "admin USER --grant|--revoke",
		Short: "Make a member an admin, or no longer one",
		Long: `Make a member an admin (--grant), or no longer one (--revoke). The
organization's last admin stays one.

Your password is asked for, then your second factor when you have one.`,
		Example: `  kcloud member admin carol --grant
  kcloud member admin carol --revoke`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.user = args[0]
			switch {
			case grant == revoke:
				return fail.Usagef("give --grant or --revoke")
			case grant:
				o.act = account.GrantAdmin
				o.said = memberAction{done: msg("%s is now an admin."), already: msg("%s was already an admin; nothing changed.")}
			default:
				o.act = account.RevokeAdmin
				o.said = memberAction{done: msg("%s is no longer an admin."), already: msg("%s was not an admin; nothing changed.")}
			}
			return runCmd(f, o, memberActionRun)
		},
	}
	cmd.Flags().BoolVar(&grant, "grant", false, "make the member an admin")
	cmd.Flags().BoolVar(&revoke, "revoke", false, "make the member no longer an admin")
	o.sf.add(cmd)
	return cmd
}

func memberActionRun(o *memberActionOptions) error {
	f := &o.deps
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	v, acc, _, err := f.session()
	if err != nil {
		return err
	}
	c, err := v.CheckMember(o.user, o.act)
	if err != nil {
		return err
	}
	var opts account.ActOptions
	if o.send {
		if c.Email == nil {
			return fail.Mark(fail.Other, account.ErrNoEmailToSend, "%s has no verified email to send the reset code to", c.UserID)
		}
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		opts.Send = func(to contact.Target, code string, ttl time.Duration) error {
			ctx, stop := interruptible()
			defer stop()
			receipt, err := newSender(cfg, contact.Email, f.Now).Send(ctx, resetMessage(c.Language, to.Address, c.UserID, code, acc.UserID, ttl))
			if err != nil && ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err == nil && !receipt.Sent {
				f.sayAlways("Nothing was sent: delivery.email.method is outbox. The message with the reset code is in:")
				f.sayPath(receipt.File)
			}
			return err
		}
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	if c.NeedsSecondFactor {
		if err := f.stepUp(pr, given); err != nil {
			return err
		}
	}
	done, err := v.Act(pr, c, opts)
	if err != nil {
		return err
	}
	if done.Changed || o.said.already == "" {
		f.say(o.said.done, c.UserID)
	} else {
		f.say(o.said.already, c.UserID)
	}
	doc := struct {
		memberDoc
		Action  string `json:"action"`
		Changed bool   `json:"changed"`
	}{newMemberDoc(done.Member), string(o.act), done.Changed}
	if o.act != account.ResetPassword {
		return f.print(doc, func(*table) {})
	}
	reset := struct {
		UserID    string  `json:"user_id"`
		ResetCode *string `json:"reset_code"`
		SentTo    *string `json:"sent_to"`
		ExpiresAt Time    `json:"expires_at"`
	}{UserID: c.UserID, ExpiresAt: Time(done.ResetExpiresAt)}
	if done.Sent != nil {
		reset.SentTo = &done.Sent.Masked
		f.say("The reset code went to %s; good once, until %s.", done.Sent.Masked, f.tr().Time(&done.ResetExpiresAt))
	} else {
		reset.ResetCode = &done.ResetCode
		f.say("The code for %s, shown once, good until %s:", c.UserID, f.tr().Time(&done.ResetExpiresAt))
	}
	if err := f.print(reset, func(*table) {
		if done.Sent == nil {
			fmtLine(f.IO.Out, "%s", done.ResetCode)
		}
	}); err != nil {
		return err
	}
	if done.Sent == nil {
		f.say("To set a new password, %s runs the command below and types the code when asked:", c.UserID)
		f.say("  kcloud account recover --user-id %s --reset-code", c.UserID)
	}
	return nil
}

// resetMessage carries an admin's reset code to the member.
func resetMessage(lang, to, member, code, admin string, ttl time.Duration) delivery.Message {
	w := tr{i18n.For(lang)}
	return delivery.Message{To: to, Subject: w.T("Your kcloud password was reset"),
		Body: w.F(`The admin %s reset your kcloud password. Your one-time reset code is %s.

Set a new password with the command below; type the code when it asks for it
(never put the code on the command line):

    kcloud account recover --user-id %s --reset-code

The code works once and expires in %s. If you did not ask for this, tell your admin.
`, admin, code, member, ttl)}
}
