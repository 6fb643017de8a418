package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

func newStoreCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Back up, check and import the store",
	}
	bo := &backupOptions{deps: f.deps()}
	backup := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the store to FILE (mode 0600), without sessions",
		Long: `Write a consistent copy of the store to FILE, a bbolt file of mode 0600. The
copy is taken in one read transaction, so it is whole even while other kcloud
processes write; it holds no session, so it logs nobody in. It is written
record by record into a new file, so it keeps nothing the store had freed.
FILE is replaced only once the copy is complete, and only with --force.`,
		Example: `  kcloud store backup ~/kcloud-$(date +%F).db`,
		Args:    exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			bo.file = args[0]
			return runCmd(f, bo, storeBackupRun)
		},
	}
	backup.Flags().BoolVar(&bo.force, "force", false, "replace FILE if it exists")
	cmd.AddCommand(backup)

	co := &checkOptions{deps: f.deps()}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Run bbolt's consistency check on the store; exit 1 on a fault",
		Example: `  kcloud store check
  kcloud --store backup.db store check`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, co, storeCheckRun) },
	})

	im := &importOptions{deps: f.deps()}
	cmd.AddCommand(&cobra.Command{
		Use:   "import FILE",
		Short: "Copy a bbolt store (a backup) into the configured store",
		Long: `Copy every record of the bbolt store FILE (a backup, or another local store),
but its sessions, into the configured store. A store that already holds an
organization is refused and left as it was. A bbolt store takes the copy in
one transaction; an etcd directory in batches, the organization last, so that
until the copy is whole the directory holds no organization, and an
interrupted import can be run again (docs/etcd.md).`,
		Example: `  kcloud --store new.db store import backup.db
  KCLOUD_STORE_BACKEND=etcd kcloud store import backup.db`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			im.file = args[0]
			return runCmd(f, im, storeImportRun)
		},
	})
	return cmd
}

type backupOptions struct {
	deps
	file  string
	force bool
}

func storeBackupRun(o *backupOptions) error {
	f := &o.deps
	st, err := f.Store()
	if err != nil {
		return err
	}
	if err := store.Backup(st, o.file, o.force); err != nil {
		return err
	}
	for _, k := range st.Foreign() {
		fmtLine(f.IO.Err, "kcloud: warning: %s", f.tr().F("skipped %q, which kcloud did not write (an etcd role allowed it); the rest is in the backup", k))
	}
	f.say("Wrote a copy of %s to %s.", st.Name(), o.file)
	return f.print(struct {
		Store  string `json:"store"`
		Backup string `json:"backup"`
	}{st.Name(), o.file}, func(*table) {})
}

type checkOptions struct {
	deps
}

func storeCheckRun(o *checkOptions) error {
	f := &o.deps
	st, err := f.Store()
	if err != nil {
		return err
	}
	b, ok := st.Backend().(*store.Bolt)
	if !ok {
		return fail.Usagef("store check reads a bbolt file; the configured store is %s", st.Name())
	}
	faults, err := b.Check()
	if err != nil {
		return err
	}
	err = f.print(struct {
		Store  string   `json:"store"`
		OK     bool     `json:"ok"`
		Faults []string `json:"faults"`
	}{st.Name(), len(faults) == 0, append([]string{}, faults...)}, func(t *table) {
		for _, m := range faults {
			t.row(f.tr().T("fault"), m)
		}
	})
	if err != nil {
		return err
	}
	if len(faults) > 0 {
		return fail.Otherf("the store %s has %s", st.Name(), fail.Plural(len(faults), "%d fault", "%d faults"))
	}
	f.say("The store %s is consistent.", st.Name())
	return nil
}

type importOptions struct {
	deps
	file string
}

func storeImportRun(o *importOptions) error {
	f := &o.deps
	dst, err := f.Store()
	if err != nil {
		return err
	}
	src := store.Open(o.file, store.Options{})
	if err = account.CheckImport(src); err == nil {
		err = store.Import(src, dst, account.RefuseOrganization)
	}
	if errors.Is(err, account.ErrOrgExists) {
		return err
	}
	if err != nil {
		return fail.Wrap(fail.KindOf(err), err, "import from %s", o.file)
	}
	f.say("Copied %s into %s.", o.file, dst.Name())
	return f.print(struct {
		From  string `json:"from"`
		Store string `json:"store"`
	}{o.file, dst.Name()}, func(*table) {})
}
