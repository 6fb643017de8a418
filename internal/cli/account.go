package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
)

func newAccountCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "See and change your account; every page asks for your password",
	}
	cmd.AddCommand(
		newAccountShowCmd(f),
		newAccountSetCmd(f),
		newAccountPasswordCmd(f),
		newAccountCreateCmd(f),
		newAccountActivityCmd(f),
		newAccountRecoverCmd(f),
	)
	return cmd
}

type accountShowOptions struct{ deps }

func newAccountShowCmd(f *Factory) *cobra.Command {
	o := &accountShowOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "show",
		Short: "Show every field of the account page",
		Example: `  kcloud account show
  kcloud account show --password-stdin -q .email < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, accountShowRun) },
	}
}

func accountShowRun(o *accountShowOptions) error {
	f := &o.deps
	page, err := openPage(f, (*account.Visit).Show)
	if err != nil {
		return err
	}
	return f.print(newPageDoc(&page.Account, &page.Org), func(t *table) {
		writePage(t, f.tr(), &page.Account, &page.Org)
	})
}

type setOptions struct {
	deps
	name, nickname, userID, language string
	changed                          func(flag string) bool
}

func newAccountSetCmd(f *Factory) *cobra.Command {
	o := &setOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Change your name, nickname or the language of your messages",
		Long: `Change your name or nickname. An empty --nickname clears it. A nickname can
be set only where the organization uses nicknames; the User ID never changes.

--language is the language of the codes and security notices kcloud sends
you by email and SMS, whoever's terminal sends them: en or ko. A new
account starts in the language of whoever created it.`,
		Example: `  kcloud account set --name "Alice Kim"
  kcloud account set --nickname ""
  kcloud account set --language ko`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = cmd.Flags().Changed
			return runCmd(f, o, accountSetRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "your new `name` (1 to 64 characters)")
	fl.StringVar(&o.nickname, "nickname", "", "your new `nickname`; empty clears it")
	fl.StringVar(&o.language, "language", "", "the `language` of the codes and notices sent to you: en or ko")
	cmd.RegisterFlagCompletionFunc("language", cobra.FixedCompletions(i18n.Tags(), cobra.ShellCompDirectiveNoFileComp))
	fl.StringVar(&o.userID, "user-id", "", "not allowed: the User ID cannot be changed")
	fl.MarkHidden("user-id")
	return cmd
}

func accountSetRun(o *setOptions) error {
	f := &o.deps
	if o.changed("user-id") {
		return fail.Usagef("the User ID cannot be changed").
			WithHint("an admin can create an account with another User ID: kcloud account create")
	}
	var c account.ProfileChange
	if o.changed("name") {
		c.Name = &o.name
	}
	if o.changed("nickname") {
		c.Nickname = &o.nickname
	}
	if o.changed("language") {
		c.Language = &o.language
	}
	v, _, _, err := f.session()
	if err != nil {
		return err
	}
	checked, err := v.CheckProfile(c)
	if err != nil {
		return err
	}
	page, err := withProof(f, v, func(pr *account.Proof) (*account.Page, error) { return v.SetProfile(pr, checked) })
	if err != nil {
		return err
	}
	f.say("Saved.")
	return f.print(newPageDoc(&page.Account, &page.Org), func(t *table) {
		writePage(t, f.tr(), &page.Account, &page.Org)
	})
}

type passwordOptions struct {
	deps
	endKeys bool
}

func newAccountPasswordCmd(f *Factory) *cobra.Command {
	o := &passwordOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Change your password",
		Long: `Change your password. kcloud asks for the current password, then the new one
(twice at a terminal). With --password-stdin, standard input holds the current
password on its first line and the new one on its second. A registered OTP
keeps working; every other session ends. At a terminal kcloud asks whether to
delete the account's access keys too; without one they are kept unless
--end-access-keys is given.`,
		Example: `  kcloud account password
  printf '%s\n' "$OLD" "$NEW" | kcloud account password --password-stdin --end-access-keys`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, accountPasswordRun) },
	}
	cmd.Flags().BoolVar(&o.endKeys, "end-access-keys", false, "delete the account's access keys too")
	return cmd
}

func accountPasswordRun(o *passwordOptions) error {
	f := &o.deps
	v, acc, org, err := f.visit((*account.Service).VisitToChangePassword)
	if err != nil {
		return err
	}
	cur, err := f.IO.Secret("the current password", f.tr().F("Current password for %s: ", acc.UserID))
	if err != nil {
		return err
	}
	minLen := v.PasswordMinLength()
	next, err := NewPassword(f.IO, "the new password", "", minLen, func(pw []byte) (account.NewPassword, error) {
		return account.CheckNewPassword(pw, minLen, acc.UserID, acc.Name, org.Name)
	})
	if err != nil {
		return err
	}
	pr, err := v.Prove(auth.NewPassword(cur))
	if err != nil {
		return err
	}
	endKeys := o.endKeys
	if n := v.ActiveKeys(); n > 0 && !endKeys && f.IO.CanPrompt() && !f.IO.PasswordStdin {
		// As KakaoCloud's password change offers to expire tokens.
		if endKeys, err = f.IO.Confirm(f.tr().N("Delete the account's %d access key too? [y/N] ", "Delete the account's %d access keys too? [y/N] ", n, n), false); err != nil {
			return err
		}
	}
	if err := v.ChangePassword(pr, next, endKeys); err != nil {
		return err
	}
	f.say("Password changed.")
	if cfg, err := f.Config(); err == nil && cfg.Store.Backend == "etcd" && acc.HasOTP {
		// etcd keeps the old record until the cluster is compacted, and
		// the TOTP secrets are the same values: docs/etcd.md.
		// One message, wrapped as the language's words fall.
		warning := f.tr().T("Your old record stays in etcd's history until the cluster is compacted, and with the old password it opens your authenticators' secrets. If that password may be known, register them again: kcloud otp register, then kcloud otp delete --name OLD (docs/etcd.md).")
		for _, line := range wrapColumn([]string{warning}, 76) {
			f.say("%s", line)
		}
	}
	return f.print(struct {
		UserID  string `json:"user_id"`
		Changed bool   `json:"password_changed"`
	}{acc.UserID, true}, func(*table) {})
}

type createOptions struct {
	deps
	n          account.Profile // as typed; checked once, into account.NewAccount
	admin      bool
	mustChange bool
	changed    func(flag string) bool
}

func newAccountCreateCmd(f *Factory) *cobra.Command {
	o := &createOptions{deps: f.deps()}
	n := &o.n
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register another account in the organization (admins only)",
		Long: `Register another account in the organization. Only an admin can.

kcloud asks for your password, then the new account's password (twice at a
terminal). With --password-stdin, standard input holds your password on its
first line and the new account's on its second.

With --must-change-password you type no password for the member: kcloud
makes one and shows it once. It is good for 72 hours and for the member's
first login alone, which sets a password of their own before any session
starts.`,
		Example: `  kcloud account create --user-id bob --name "Bob Lee"
  kcloud account create --user-id carol --name "Carol Park" --admin
  kcloud account create --user-id dan --name "Dan Cho" --must-change-password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			return runCmd(f, o, accountCreateRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&n.UserID, "user-id", "", "the new account's User `ID`")
	fl.StringVar(&n.Name, "name", "", "the new account's `name`")
	fl.StringVar(&n.Nickname, "nickname", "", "the new account's `nickname`")
	fl.BoolVar(&o.admin, "admin", false, "make the new account an admin")
	fl.BoolVar(&o.mustChange, "must-change-password", false, "make an initial password, which the first login replaces")
	return cmd
}

func accountCreateRun(o *createOptions) error {
	f, n := &o.deps, &o.n
	v, _, org, err := f.session()
	if err != nil {
		return err
	}
	if err := v.RequireAdmin(); err != nil {
		return err
	}
	if n.UserID == "" {
		if n.UserID, err = f.IO.Ask("the new account's User ID", "User ID: ", "--user-id"); err != nil {
			return err
		}
	}
	if n.Name == "" {
		if n.Name, err = f.IO.Ask("the new account's name", "Name: ", "--name"); err != nil {
			return err
		}
	}
	if org.UsesNicknames && !o.changed("nickname") && f.IO.CanPrompt() {
		if n.Nickname, err = f.IO.Ask("the new account's nickname", "Nickname (Enter for none): ", "--nickname"); err != nil {
			return err
		}
	}
	n.Language = f.language() // the creator's, until the person sets their own
	checked, err := n.Check(org.UsesNicknames)
	if err != nil {
		return err
	}
	*n = checked.Profile() // normalized: the User ID in lower case
	na := account.NewAccount{Profile: checked, Admin: o.admin, MustChange: o.mustChange}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	if !o.mustChange {
		minLen := account.MinPasswordFor(v.Policy(), false) // a new account has no authenticator yet
		check := func(p []byte) (account.NewPassword, error) {
			return account.CheckNewPassword(p, minLen, n.UserID, n.Name, org.Name)
		}
		if na.Password, err = NewPassword(f.IO, "the new account's password", n.UserID, minLen, check); err != nil {
			return err
		}
	}
	created, err := v.Create(pr, na)
	if err != nil {
		return err
	}
	doc := struct {
		UserID          string  `json:"user_id"`
		UserUUID        string  `json:"user_uuid"`
		Name            string  `json:"name"`
		Nickname        *string `json:"nickname"`
		Admin           bool    `json:"admin"`
		RegisteredAt    Time    `json:"registered_at"`
		InitialPassword *string `json:"initial_password,omitempty"`
		InitialExpires  *Time   `json:"initial_password_expires_at,omitempty"`
	}{UserID: created.UserID, UserUUID: created.UUID, Name: created.Name, Nickname: stringOrNil(created.Nickname),
		Admin: created.Admin, RegisteredAt: Time(created.RegisteredAt)}
	f.say("Created the account %s.", created.UserID)
	if created.InitialPassword == "" {
		f.say("Next: %s logs in with kcloud login --user-id %s and the password you typed (tell it to them yourself, not beside the User ID).", created.UserID, created.UserID)
		return f.print(doc, func(*table) {})
	}
	exp := Time(created.InitialPasswordExpiresAt)
	doc.InitialPassword, doc.InitialExpires = &created.InitialPassword, &exp
	f.say("Its initial password, below, is shown once and is good until %s for one thing: the first login, which sets a password of the member's own.", f.tr().Time(&created.InitialPasswordExpiresAt))
	if err := f.print(doc, func(*table) { fmtLine(f.IO.Out, "%s", created.InitialPassword) }); err != nil {
		return err
	}
	f.say("Next: %s logs in with kcloud login --user-id %s and this password (tell it to them yourself, not beside the User ID).", created.UserID, created.UserID)
	return nil
}

type activityOptions struct {
	deps
	limit int
	since string
	types []string
	user  userFlag
}

func newAccountActivityCmd(f *Factory) *cobra.Command {
	o := &activityOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "activity",
		Short: "Show the account's security events, newest first",
		Example: `  kcloud account activity
  kcloud account activity --since 7d --type login_failed --type locked_out
  kcloud account activity --since 2026-12-01T00:00:00Z --limit 0 -o json
  kcloud account activity --user bob`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, accountActivityRun) },
	}
	cmd.Flags().IntVarP(&o.limit, "limit", "n", 50, "show at most `N` events (0: all)")
	cmd.Flags().StringVar(&o.since, "since", "", "only events since a `time`: a duration back from now (24h, 7d) or an RFC 3339 time")
	cmd.Flags().StringArrayVar(&o.types, "type", nil, "only events of this `kind` (login_failed, ...); repeatable")
	cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(account.EventTypes, cobra.ShellCompDirectiveNoFileComp))
	o.user.add(cmd, false)
	return cmd
}

func accountActivityRun(o *activityOptions) error {
	f := &o.deps
	if o.limit < 0 {
		return fail.Usagef("--limit must not be negative")
	}
	q := account.ActivityQuery{Limit: o.limit, Types: o.types}
	if o.since != "" {
		var err error
		if q.Since, err = parseSince(o.since, f.Now()); err != nil {
			return err
		}
	}
	if err := account.CheckEventTypes(o.types); err != nil {
		return err
	}
	events, err := openPageFor(f, &o.user, func(v *account.Visit, pr *account.Proof) ([]account.Event, error) { return v.Activity(pr, q) })
	if err != nil {
		return err
	}
	type eventDoc struct {
		Time      Time    `json:"time"`
		Event     string  `json:"event"`
		Detail    *string `json:"detail"`
		Host      *string `json:"host"`
		Session   *string `json:"session"`
		Method    *string `json:"method"`
		AccessKey *string `json:"access_key"`
		Actor     *string `json:"actor"`
	}
	docs := make([]eventDoc, len(events))
	for i, e := range events {
		docs[i] = eventDoc{Time(e.Time), e.Event, stringOrNil(e.Detail), stringOrNil(e.Host), stringOrNil(e.Session),
			stringOrNil(e.Method), stringOrNil(e.AccessKey), stringOrNil(e.Actor)}
	}
	return f.print(docs, func(t *table) {
		// By day in the language's time zone (English: this machine's,
		// TZ; Korean: KST), newest first: each day a heading and its own
		// columns.
		w := f.tr()
		zone := w.lang().Zone
		if zone == nil {
			zone = time.Local
		}
		if len(events) == 0 {
			fmtLine(f.IO.Out, "%s", w.T("No event matches."))
			return
		}
		day := ""
		for _, e := range events {
			at := e.Time.In(zone)
			if d := at.Format("2006-01-02 MST"); d != day {
				if day != "" {
					t.blank()
				}
				day = d
				t.heading(d)
				t.cols(w.T("TIME"), w.T("EVENT"), w.T("HOST"), w.T("DETAIL"))
			}
			t.cols(at.Format("15:04:05"), e.Event, e.Host, e.Detail)
		}
	})
}

// parseSince reads --since: an RFC 3339 time, or a duration back from now
// (a Go duration or whole days, as --expires-in takes).
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, ok := span(s); ok && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fail.Usagef("--since %q is neither a duration back from now (24h, 7d) nor an RFC 3339 time (2026-12-01T09:00:00Z)", s)
}
