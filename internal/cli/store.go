package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/fail"
)

func newStoreCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Back up and check the store file",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to FILE, mode 0600",
		Long: `Write a consistent copy of the store to FILE, mode 0600. The copy is taken in
one read transaction, so it is whole even while other kcloud processes write.
FILE is replaced only once the copy is complete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			if err := svc.Store.Backup(args[0]); err != nil {
				return err
			}
			f.say("Wrote a copy of %s to %s.", svc.Store.Path(), args[0])
			return f.print(struct {
				Store  string `json:"store"`
				Backup string `json:"backup"`
			}{svc.Store.Path(), args[0]}, func(*table) {})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Run bbolt's consistency check on the store; exit 1 on a fault",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			faults, err := svc.Store.Check()
			if err != nil {
				return err
			}
			msgs := make([]string, len(faults))
			for i, e := range faults {
				msgs[i] = e.Error()
			}
			err = f.print(struct {
				Store  string   `json:"store"`
				OK     bool     `json:"ok"`
				Faults []string `json:"faults"`
			}{svc.Store.Path(), len(faults) == 0, msgs}, func(t *table) {
				for _, m := range msgs {
					t.row("fault", m)
				}
			})
			if err != nil {
				return err
			}
			if len(faults) > 0 {
				return fail.Otherf("the store %s has %d faults", svc.Store.Path(), len(faults))
			}
			f.say("%s", fmt.Sprintf("The store %s is consistent.", svc.Store.Path()))
			return nil
		},
	})
	return cmd
}
