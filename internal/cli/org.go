package cli

import (
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
)

func newOrgCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "See the organization; admins set its nickname policy",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Show the organization's name, ID and whether it uses nicknames",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, _, org, err := f.session()
			if err != nil {
				return err
			}
			return printOrg(f, org)
		},
	})
	var nicknames bool
	set := &cobra.Command{
		Use:   "set",
		Short: "Set whether the organization uses nicknames (admins only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("nicknames") {
				return fail.Usagef("nothing to change").WithHint("give --nicknames=true or --nicknames=false")
			}
			svc, acc, _, err := f.session()
			if err != nil {
				return err
			}
			if err := account.RequireAdmin(acc); err != nil {
				return err
			}
			pw, err := f.password(acc)
			if err != nil {
				return err
			}
			org, err := svc.SetNicknames(acc, pw, nicknames)
			if err != nil {
				return err
			}
			f.say("Saved.")
			return printOrg(f, org)
		},
	}
	set.Flags().BoolVar(&nicknames, "nicknames", false, "whether the organization uses nicknames")
	cmd.AddCommand(passwordCmd(set))
	return cmd
}

func printOrg(f *Factory, org *account.Organization) error {
	return f.print(newOrgDoc(org), func(t *table) {
		t.row("Organization name", org.Name)
		t.row("Organization ID", org.ID)
		t.row("Uses nicknames", yesNo(org.UsesNicknames))
	})
}
