package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

type initOptions struct {
	deps
	orgName      string
	orgNicknames bool
	profile      account.Profile
	flagSet      func(string) bool
}

func newInitCmd(f *Factory) *cobra.Command {
	o := &initOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the store, the organization and its first admin account",
		Long: `Create the store, the organization and its first account, an admin.

What is not given by flags is asked for at the terminal; with no terminal it is
an error. The new password is asked twice at the terminal, or read as one line
of standard input with --password-stdin. Without --org-nicknames the
organization does not use nicknames.`,
		Example: `  kcloud init
  kcloud init --org-name Acme --user-id alice --name "Alice Kim" --password-stdin < new-password.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.flagSet = cmd.Flags().Changed
			return runCmd(f, o, initRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.orgName, "org-name", "", "the organization's `name`")
	fl.StringVar(&o.profile.UserID, "user-id", "", "the admin's User `ID` (letters, digits, . _ @ -)")
	fl.StringVar(&o.profile.Name, "name", "", "the admin's `name`")
	fl.StringVar(&o.profile.Nickname, "nickname", "", "the admin's `nickname` (needs --org-nicknames)")
	fl.BoolVar(&o.orgNicknames, "org-nicknames", false, "the organization uses nicknames")
	return cmd
}

func initRun(o *initOptions) error {
	f, io := &o.deps, o.IO
	svc, err := f.Service()
	if err != nil {
		return err
	}
	if org, err := svc.Org(); err == nil {
		return fail.Mark(fail.Other, account.ErrOrgExists, "the store %s already holds the organization %q", svc.Store.Name(), org.Name)
	} else if !errors.Is(err, store.ErrNoStore) && !errors.Is(err, account.ErrNoOrganization) {
		return err // damaged, busy or unsafe: say so before asking anything
	} else if errors.Is(err, account.ErrNoOrganization) {
		if err := svc.CheckEmpty(); err != nil {
			return err // an interrupted import: refused before anything is asked
		}
	}
	// Ask for what is missing, checking each answer before the next
	// question, so nobody types a password for input that will fail.
	ask := func(val *string, flag, what, label string, check func(string) (string, error)) error {
		if !o.flagSet(flag[2:]) {
			v, err := io.Ask(what, label, flag)
			if err != nil {
				return err
			}
			*val = v
		}
		v, err := check(*val)
		if err != nil {
			return fail.Usagef("%v", err)
		}
		*val = v
		return nil
	}
	if err := ask(&o.orgName, "--org-name", "the organization name", "Organization name: ", account.CheckOrgName); err != nil {
		return err
	}
	if !o.flagSet("org-nicknames") && io.CanPrompt() {
		if o.orgNicknames, err = io.Confirm("Does the organization use nicknames? [y/N] ", false); err != nil {
			return err
		}
	}
	if err := ask(&o.profile.UserID, "--user-id", "the User ID", "User ID: ", account.CheckUserID); err != nil {
		return err
	}
	if err := ask(&o.profile.Name, "--name", "the name", "Name: ", account.CheckName); err != nil {
		return err
	}
	if o.profile.Nickname != "" && !o.orgNicknames {
		return fail.Usagef("--nickname needs an organization that uses nicknames").WithHint("add --org-nicknames")
	}
	if o.orgNicknames && !o.flagSet("nickname") && io.CanPrompt() {
		if err := ask(&o.profile.Nickname, "--nickname", "the nickname", "Nickname (Enter for none): ", account.CheckNickname); err != nil {
			return err
		}
	}
	o.profile.Language = f.language()               // the messages sent to the first admin: the language kcloud speaks here
	profile, err := o.profile.Check(o.orgNicknames) // once: Init takes it as checked
	if err != nil {
		return err
	}
	minLen := account.MinPasswordFor(account.DefaultPolicy, false)
	pw, err := NewPassword(io, "the new password", "", minLen, func(pw []byte) (account.NewPassword, error) {
		return account.CheckNewPassword(pw, minLen, profile.Profile().UserID, profile.Profile().Name, o.orgName)
	})
	if err != nil {
		return err
	}
	org, acc, err := svc.Init(o.orgName, o.orgNicknames, profile, pw)
	if err != nil {
		return err
	}
	f.say("Created the organization %s and its admin %s in %s.", org.Name, acc.UserID, svc.Store.Name())
	f.say("Next: kcloud login")
	return f.print(struct {
		UserID       string `json:"user_id"`
		UserUUID     string `json:"user_uuid"`
		Organization orgDoc `json:"organization"`
		Store        string `json:"store"`
	}{acc.UserID, acc.UUID, newOrgDoc(org), svc.Store.Name()}, func(*table) {})
}
