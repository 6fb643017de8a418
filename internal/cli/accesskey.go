package cli

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/perm"
)

// Access keys on the command line: the access-key commands, and a run
// with KCLOUD_ACCESS_KEY or KCLOUD_ACCESS_KEY_FILE set (docs/scripting.md).

// keyRules says what a command does when an access key is set, by its
// path: "read" or "write", it runs with the key (a key of that scope);
// "ignore", it runs as without one; "refuse", it is a usage error (as gh
// auth login is with GH_TOKEN set). Any other command needs a person
// (exit 1). The contract's list, in one place.
var keyRules = map[string]string{
	"kcloud whoami":           account.ScopeRead,
	"kcloud account show":     account.ScopeRead,
	"kcloud account activity": account.ScopeRead,
	"kcloud otp list":         account.ScopeRead,
	"kcloud passkey list":     account.ScopeRead,
	"kcloud access-key list":  account.ScopeRead,
	"kcloud session list":     account.ScopeRead,
	"kcloud org show":         account.ScopeRead,
	"kcloud member list":      account.ScopeRead,
	"kcloud member show":      account.ScopeRead,
	"kcloud account set":      account.ScopeWrite,
	"kcloud login":            "refuse",
	"kcloud logout":           "refuse",
	"kcloud version":          "ignore",
	"kcloud store check":      "ignore",
}

// The variables that carry a key.
const (
	envAccessKey     = "KCLOUD_ACCESS_KEY"
	envAccessKeyFile = "KCLOUD_ACCESS_KEY_FILE"
)

// takeAccessKey reads the key the environment gives, and removes both
// variables from kcloud's environment, so that no program kcloud starts
// (a delivery command, a browser) inherits it.
func takeAccessKey() (string, error) {
	tok, file := os.Getenv(envAccessKey), os.Getenv(envAccessKeyFile)
	os.Unsetenv(envAccessKey)
	os.Unsetenv(envAccessKeyFile)
	switch {
	case tok != "" && file != "":
		return "", fail.Usagef("both %s and %s are set: set one", envAccessKey, envAccessKeyFile)
	case file != "":
		s, err := perm.ReadSecret(file, int64(auth.MaxToken)+2)
		if err != nil {
			return "", fail.Wrap(fail.Usage, err, "%s", envAccessKeyFile)
		}
		return s, nil
	}
	return tok, nil
}

// keyRule is what cmd does with a key (keyRules): help, its topics and
// completion ignore it, as version does.
func keyRule(cmd *cobra.Command) string {
	if rule, ok := keyRules[cmd.CommandPath()]; ok {
		return rule
	}
	for c := cmd; c != nil; c = c.Parent() {
		if n := c.Name(); n == "help" || n == "completion" || strings.HasPrefix(n, "__complete") || c.Annotations["topic"] != "" {
			return "ignore"
		}
	}
	return ""
}

// useAccessKey decides, before cmd runs, what the key in the environment
// means for it.
func (f *Factory) useAccessKey(cmd *cobra.Command) error {
	tok, err := takeAccessKey()
	if err != nil || tok == "" {
		return err
	}
	switch rule := keyRule(cmd); rule {
	case "ignore":
		return nil
	case "refuse":
		return fail.Usagef("%s is set: unset %s to use a session", envAccessKey, envAccessKey)
	case account.ScopeRead, account.ScopeWrite:
		f.accessKey = tok
		return nil
	}
	return fail.Mark(fail.Other, account.ErrNeedsPerson, "%s needs a person, not an access key: log in", cmd.CommandPath()).
		WithHint("unset %s, then kcloud login", envAccessKey)
}

func newAccessKeyCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access-key",
		Short: "Access keys for scripts that run without your password",
		Long: `Access keys let a program read your account (and, with --scope write, change
your name and nickname) without your password or a session: set
KCLOUD_ACCESS_KEY to the token, or KCLOUD_ACCESS_KEY_FILE to a file that holds
it. A token is shown once, when the key is made; kcloud keeps only its hash.
An account holds at most 2 keys, so that one can replace the other; each
expires. No key opens a sealed secret or manages keys, passwords,
authenticators, contacts or members (docs/scripting.md).`,
	}
	cmd.AddCommand(newAccessKeyCreateCmd(f), newAccessKeyListCmd(f),
		newAccessKeyChangeCmd(f, account.KeyDisable, "Disable an access key: it opens nothing until enabled"),
		newAccessKeyChangeCmd(f, account.KeyEnable, "Enable a disabled access key"),
		newAccessKeyChangeCmd(f, account.KeyDelete, "Delete an access key for good"))
	return cmd
}

type accessKeyCreateOptions struct {
	deps
	name, scope, expiresIn string
	sf                     secondFactorFlags
}

func newAccessKeyCreateCmd(f *Factory) *cobra.Command {
	o := &accessKeyCreateOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Make an access key; its token is shown once",
		Long: `Make an access key for a script. kcloud asks for the password, then, where an
authenticator is registered, a second factor (or --otp, --recovery-code). The
token goes to standard output once: keep it in a secret store, never in a
script's text. --expires-in takes a Go duration (720h) or whole days (30d); the
default and the longest is the organization's security.access_key_max_age.`,
		Example: `  kcloud access-key create --name ci --expires-in 30d
  kcloud access-key create --name deploy --scope write -o json --password-stdin < password.txt`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, accessKeyCreateRun) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "the key's `name`, 1 to 32 characters, unique in the account (default key, key-2)")
	fl.StringVar(&o.scope, "scope", "read", "what the key may do: read or write")
	fl.StringVar(&o.expiresIn, "expires-in", "", "the key's life: a `duration` (720h) or days (30d); default the policy's maximum")
	o.sf.add(cmd)
	cmd.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions([]string{"read", "write"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parseLife reads --expires-in: a Go duration, or a whole number of days
// ("30d"); 0 when empty.
func parseLife(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, ok := span(s)
	if !ok {
		return 0, fail.Usagef("--expires-in %q is not a duration such as 720h or 30d", s)
	}
	if d <= 0 {
		return 0, fail.Usagef("--expires-in must be positive")
	}
	return d, nil
}

// span reads a Go duration ("36h") or a whole number of days ("30d", up
// to a century).
func span(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 36500 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func accessKeyCreateRun(o *accessKeyCreateOptions) error {
	f := &o.deps
	life, err := parseLife(o.expiresIn)
	if err != nil {
		return err
	}
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	v, acc, _, err := f.session()
	if err != nil {
		return err
	}
	name := o.name
	if name == "" { // key, then key-2, ...: the first the account does not use
		name = "key"
		for i := 2; v.HasKeyNamed(name); i++ {
			name = "key-" + strconv.Itoa(i)
		}
	}
	n, err := v.CheckNewKey(account.NewKey{Name: name, Scope: o.scope, ExpiresIn: life})
	if err != nil {
		return err
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	if acc.HasOTP {
		if err := f.stepUp(pr, given); err != nil {
			return err
		}
	}
	k, err := v.CreateKey(pr, n)
	if err != nil {
		return err
	}
	f.say("Made the access key %s (%s, %s), good until %s. Its token, below, is shown once:", k.ID, k.Name, k.Scope, f.tr().Time(&k.ExpiresAt))
	return f.print(struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Scope     string `json:"scope"`
		Token     string `json:"token"`
		CreatedAt Time   `json:"created_at"`
		ExpiresAt Time   `json:"expires_at"`
	}{k.ID, k.Name, k.Scope, k.Token, Time(k.CreatedAt), Time(k.ExpiresAt)}, func(*table) {
		fmtLine(f.IO.Out, "%s", k.Token)
	})
}

// keyStates are the states access-key list shows, said through a variable.
var keyStates = []string{msg("active"), msg("disabled"), msg("expired")}

func stateWord(w tr, s string) string {
	for _, k := range keyStates {
		if k == s {
			return w.T(k)
		}
	}
	return s
}

type accessKeyListOptions struct {
	deps
	user userFlag
}

func newAccessKeyListCmd(f *Factory) *cobra.Command {
	o := &accessKeyListOptions{deps: f.deps()}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the account's access keys: ID, name, scope, dates and state",
		Example: `  kcloud access-key list
  KCLOUD_ACCESS_KEY_FILE=~/.config/kcloud/key kcloud access-key list -o json
  kcloud access-key list --user bob`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, accessKeyListRun) },
	}
	o.user.add(cmd, false)
	return cmd
}

func accessKeyListRun(o *accessKeyListOptions) error {
	f := &o.deps
	keys, err := openPageFor(f, &o.user, (*account.Visit).Keys)
	if err != nil {
		return err
	}
	type keyDoc struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Scope      string `json:"scope"`
		CreatedAt  Time   `json:"created_at"`
		ExpiresAt  Time   `json:"expires_at"`
		LastUsedAt *Time  `json:"last_used_at"`
		State      string `json:"state"`
	}
	docs := make([]keyDoc, len(keys))
	for i, k := range keys {
		docs[i] = keyDoc{k.ID, k.Name, k.Scope, Time(k.CreatedAt), Time(k.ExpiresAt), timeOrNil(k.LastUsedAt), k.State}
	}
	return f.print(docs, func(t *table) {
		w := f.tr()
		if len(keys) == 0 {
			fmtLine(f.IO.Out, "%s", w.T("No access key: kcloud access-key create makes one."))
			return
		}
		t.cols(w.T("ID"), w.T("NAME"), w.T("SCOPE"), w.T("CREATED"), w.T("EXPIRES"), w.T("LAST USED"), w.T("STATE"))
		for _, k := range keys {
			t.cols(k.ID, k.Name, k.Scope, w.Time(&k.CreatedAt), w.Time(&k.ExpiresAt), w.Time(k.LastUsedAt), stateWord(w, k.State))
		}
	})
}

type accessKeyChangeOptions struct {
	deps
	change string
	id     string
	sf     secondFactorFlags
	user   userFlag // disable and delete: an admin on a member's key
}

func newAccessKeyChangeCmd(f *Factory, change, short string) *cobra.Command {
	o := &accessKeyChangeOptions{deps: f.deps(), change: change}
	cmd := &cobra.Command{
		Use:     change + " ID",
		Short:   short,
		Example: "  kcloud access-key " + change + " 4fT9xQ2a",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.id = args[0]
			return runCmd(f, o, accessKeyChangeRun)
		},
	}
	if change == account.KeyEnable {
		o.sf.add(cmd)
	} else {
		cmd.Example += "\n  kcloud access-key " + change + " 4fT9xQ2a --user bob"
		o.user.add(cmd, true)
	}
	return cmd
}

func accessKeyChangeRun(o *accessKeyChangeOptions) error {
	f := &o.deps
	given, err := o.sf.given()
	if err != nil {
		return err
	}
	if _, err := o.user.sf.given(); err != nil {
		return err
	}
	v, acc, err := o.user.visit(f)
	if err != nil {
		return err
	}
	if err := v.CheckKey(o.id); err != nil {
		return err
	}
	var pr *account.Proof
	if o.change == account.KeyEnable {
		if pr, err = f.prove(v); err == nil && acc.HasOTP {
			err = f.stepUp(pr, given)
		}
	} else {
		pr, err = o.user.prove(f, v)
	}
	if err != nil {
		return err
	}
	changed, err := v.ChangeKey(pr, o.id, o.change)
	if err != nil {
		return err
	}
	switch {
	case !changed:
		f.say("The access key %s was already so; nothing changed.", o.id)
	case o.change == account.KeyDelete:
		f.say("Deleted the access key %s.", o.id)
	case o.change == account.KeyDisable:
		f.say("Disabled the access key %s: it opens nothing until enabled.", o.id)
	default:
		f.say("Enabled the access key %s.", o.id)
	}
	return f.print(struct {
		ID      string `json:"id"`
		Action  string `json:"action"`
		Changed bool   `json:"changed"`
	}{o.id, o.change, changed}, func(*table) {})
}

// whoamiByKey is whoami with an access key: whose it is, and until when
// it opens pages (session_expires_at: the key has no session).
func whoamiByKey(f *deps) error {
	v, who, org, err := f.session()
	if err != nil {
		return err
	}
	until := v.KeyExpiresAt(f.keyProof)
	return f.print(struct {
		UserID           string `json:"user_id"`
		Organization     orgDoc `json:"organization"`
		Admin            bool   `json:"admin"`
		SessionExpiresAt Time   `json:"session_expires_at"`
		AccessKey        string `json:"access_key"`
	}{who.UserID, newOrgDoc(org), who.Admin, Time(until), f.keyProof.KeyID()}, func(t *table) {
		w := f.tr()
		t.row(w.T("User ID"), who.UserID)
		t.row(w.T("Organization"), org.Name+" ("+org.ID+")")
		t.row(w.T("Admin"), w.yesNo(who.Admin))
		t.row(w.T("Access key"), f.keyProof.KeyID())
		t.row(w.T("Key expires"), w.Time(&until))
	})
}
