package cli

import (
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
)

// The account's sessions on every machine: session list, session end.

func newSessionCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "See and end your sessions, on every machine",
		Long: `Every login is a session, kept as a record in the store (on etcd, the shared
directory) and, on the machine that made it, as a token in its session file.
session list shows them all; session end ends one (a lost laptop) or, with
--others, every one but this machine's: its token opens nothing from then on.`,
	}
	cmd.AddCommand(newSessionListCmd(f), newSessionEndCmd(f))
	return cmd
}

type sessionListOptions struct {
	deps
	user userFlag
}

func newSessionListCmd(f *Factory) *cobra.Command {
	o := &sessionListOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the account's sessions: ID, this one, host, method, times",
		Example: `  kcloud session list
  kcloud session list -o json --password-stdin < password.txt
  kcloud session list --user bob`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, sessionListRun) },
	}
	o.user.add(cmd, false)
	return cmd
}

func sessionListRun(o *sessionListOptions) error {
	f := &o.deps
	list, err := openPageFor(f, &o.user, (*account.Visit).Sessions)
	if err != nil {
		return err
	}
	type sessionDoc struct {
		ID         string  `json:"id"`
		Current    bool    `json:"current"`
		Host       *string `json:"host"`
		Method     string  `json:"method"`
		Client     *string `json:"client"`
		CreatedAt  Time    `json:"created_at"`
		LastUsedAt Time    `json:"last_used_at"`
		ExpiresAt  Time    `json:"expires_at"`
	}
	docs := make([]sessionDoc, len(list))
	for i, s := range list {
		docs[i] = sessionDoc{s.ID, s.Current, stringOrNil(s.Host), s.Method, stringOrNil(s.Client), Time(s.CreatedAt), Time(s.LastUsedAt), Time(s.ExpiresAt)}
	}
	return f.print(docs, func(t *table) {
		w := f.tr()
		if len(list) == 0 {
			fmtLine(f.IO.Out, "%s", w.T("No session is recorded."))
			return
		}
		t.cols(w.T("ID"), w.T("CURRENT"), w.T("HOST"), w.T("METHOD"), w.T("STARTED"), w.T("LAST USED"), w.T("ENDS"))
		for _, s := range list {
			mark, host := "", s.Host
			if s.Current {
				mark = "*"
			}
			if host == "" {
				host = "-"
			}
			t.cols(s.ID, mark, host, s.Method, w.Time(&s.CreatedAt), w.Time(&s.LastUsedAt), w.Time(&s.ExpiresAt))
		}
	})
}

type sessionEndOptions struct {
	deps
	ids         []string
	others, all bool
	user        userFlag
}

func newSessionEndCmd(f *Factory) *cobra.Command {
	o := &sessionEndOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "end ID... | --others | --user USER --all",
		Short: "End sessions by ID, or every session but this one",
		Example: `  kcloud session end 4ktq2ja5
  kcloud session end --others
  kcloud session end --user bob --all`,
		RunE: func(_ *cobra.Command, args []string) error {
			o.ids = args
			return runCmd(f, o, sessionEndRun)
		},
	}
	cmd.Flags().BoolVar(&o.others, "others", false, "end every session of the account but this one")
	cmd.Flags().BoolVar(&o.all, "all", false, "with --user: end every session of the member's account")
	o.user.add(cmd, true)
	return cmd
}

func sessionEndRun(o *sessionEndOptions) error {
	f := &o.deps
	which := account.EndNamed
	switch {
	case o.all && o.user.user == "":
		return fail.Usagef("--all is for an admin with --user USER; your own sessions end with logout --all")
	case o.others && o.user.user != "":
		return fail.Usagef("--others is of your own sessions: with --user, give session IDs or --all")
	case o.all:
		which = account.EndAll
	case o.others:
		which = account.EndOthers
	}
	if (which != account.EndNamed) == (len(o.ids) > 0) {
		return fail.Usagef("give session IDs or --others (--all with --user), not both or neither")
	}
	if _, err := o.user.sf.given(); err != nil {
		return err
	}
	v, _, err := o.user.visit(f)
	if err != nil {
		return err
	}
	if err := v.CheckSessions(o.ids); err != nil {
		return err
	}
	pr, err := o.user.prove(f, v)
	if err != nil {
		return err
	}
	n, err := v.EndSessions(pr, o.ids, which)
	if err != nil {
		return err
	}
	f.say("%s", f.tr().N("Ended %d session.", "Ended %d sessions.", n, n))
	return f.print(struct {
		Ended int `json:"ended"`
	}{n}, func(*table) {})
}
