package cli

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/text"
)

// groups gives every command that only groups others (the root among
// them) one behaviour: with no argument it shows its help, exit 0; with
// an unknown one it is a usage error, exit 2, with the nearest command,
// so that a typo in a script stops the script. (Left to cobra, a group
// shows its help for a typo and exits 0, and the root's error arrives
// with its suggestions in lines that escaping would mangle.)
func groups(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		groups(c)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	if cmd.Example == "" { // a group shows its commands' first examples
		var ex []string
		for _, c := range cmd.Commands() {
			if first, _, _ := strings.Cut(c.Example, "\n"); first != "" && c.IsAvailableCommand() {
				ex = append(ex, first)
			}
		}
		cmd.Example = strings.Join(ex, "\n")
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		err := fail.Usagef("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.Name() == "completion" && cmd.HasParent() && !cmd.Parent().HasParent() {
			// A shell kcloud has no script for is not a typo of one.
			var shells []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					shells = append(shells, c.Name())
				}
			}
			return fail.Usagef("there is no completion script for %q", args[0]).
				WithHint("it has them for %s", strings.Join(shells, ", "))
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			return err.WithHint("did you mean `%s %s`?", cmd.CommandPath(), nearest(args[0], s))
		}
		return err.WithHint("see `%s --help`", cmd.CommandPath())
	}
}

// NewCommand returns kcloud's command tree, for generating completions
// and documentation.
func NewCommand() *cobra.Command {
	root, _ := newRoot(System())
	return root
}

// newRoot builds kcloud's whole command tree.
func newRoot(io *IOStreams) (*cobra.Command, *Factory) { return newRootFor(io, nil) }

// topLevel are kcloud's commands under the root, by name.
var topLevel = []struct {
	name string
	make func(*Factory) *cobra.Command
}{
	{"init", newInitCmd},
	{"login", newLoginCmd},
	{"logout", newLogoutCmd},
	{"whoami", newWhoamiCmd},
	{"account", newAccountCmd},
	{"contact", newContactCmd},
	{"otp", newOTPCmd},
	{"passkey", newPasskeyCmd},
	{"org", newOrgCmd},
	{"member", newMemberCmd},
	{"access-key", newAccessKeyCmd},
	{"session", newSessionCmd},
	{"store", newStoreCmd},
	{"version", newVersionCmd},
}

// now is kcloud's clock: the system's, but in the end-to-end tests' own
// build (testclock.go).
var now = time.Now

// newRootFor builds the command tree for args: where args certainly run
// one of the commands under the root, only that command's branch, for
// the whole tree costs every command a tenth of its start-up. Help,
// completion, a misspelt name and anything unclear get the whole tree.
func newRootFor(io *IOStreams, args []string) (*cobra.Command, *Factory) {
	f := &Factory{IO: io, Now: now}
	// Ready Argon2id's memory while the person types: when a secret is
	// asked for, after every check that can fail without one.
	io.lang = func() tr { d := f.deps(); return d.tr() }
	io.beforeSecret = func() {
		if cfg, err := f.Config(); err == nil {
			secret.Prefault(cfg.Argon2())
		}
	}
	root := &cobra.Command{
		Use:   "kcloud",
		Short: "Your cloud account, from the terminal",
		Long: `kcloud is the "Account information" page of the cloud console, for the
terminal and for shell scripts: see every field of your account, change your
name and nickname, verify a contact email and phone, register an OTP
authenticator, and log in with your password and a one-time code.

Every page asks for your password again first. State lives in one local file,
or, for an organization that shares it, on an etcd cluster.`,
		Example: `  kcloud login
  kcloud account show
  kcloud otp register`,
		// Non-empty, so cobra adds --version; the template asks for the
		// real string, read from the build only when it is shown.
		Version:           "set by the template",
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.started = true
			if os.Getenv("KCLOUD_NO_INPUT") == "1" {
				io.NoInput = true
			}
			if err := f.useAccessKey(cmd); err != nil {
				return err
			}
			if f.jqExpr != "" {
				// Checked before anything is asked or changed.
				if err := compileJQ(f.jqExpr); err != nil {
					return err
				}
				f.jq = f.jqExpr
			}
			return nil
		},
	}
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	// Flag lines wrap at 80 columns, as the rest of the help does.
	root.SetUsageTemplate(strings.NewReplacer(
		".LocalFlags.FlagUsages", "(.LocalFlags.FlagUsagesWrapped 80)",
		".InheritedFlags.FlagUsages", "(.InheritedFlags.FlagUsagesWrapped 80)",
	).Replace(root.UsageTemplate()))
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		d := f.deps()
		localizeHelp(c, d.tr())
		help(c, args)
	})
	cobra.AddTemplateFunc("kcloudVersion", versionLine)
	root.SetVersionTemplate("{{kcloudVersion}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "kcloud: account show: unknown flag: --x"; the root's own
		// errors need no name but kcloud's.
		err = flagValueError(err)
		e := &fail.Error{Kind: fail.Usage, Err: err}
		if c.HasParent() {
			e = fail.Wrap(fail.Usage, err, "%s", strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" "))
		}
		var missing *pflag.NotExistError
		if errors.As(err, &missing) && len(missing.GetSpecifiedName()) > 1 {
			name := missing.GetSpecifiedName()
			var names []string
			c.Flags().VisitAll(func(fl *pflag.Flag) { names = append(names, fl.Name) })
			c.InheritedFlags().VisitAll(func(fl *pflag.Flag) { names = append(names, fl.Name) })
			if n := config.Nearest(name, names); n != "" {
				return e.WithHint("did you mean --%s? see `%s --help`", n, c.CommandPath())
			}
		}
		if fail.HintOf(err).Format != "" {
			return e // the flag's own hint says more
		}
		return e.WithHint("see `%s --help`", c.CommandPath())
	})

	pf := root.PersistentFlags()
	pf.StringVar(&f.configFile, "config", "", "configuration `file` (env KCLOUD_CONFIG; default $XDG_CONFIG_HOME/kcloud/config.yaml)")
	pf.String("store", "", "store `file` (env KCLOUD_STORE_PATH; default $XDG_DATA_HOME/kcloud/kcloud.db)")
	pf.StringP("output", "o", "text", "output `format`: text, json or yaml (env KCLOUD_OUTPUT)")
	pf.BoolVar(&io.PasswordStdin, "password-stdin", false, "read each secret the command asks for as one line of standard input\n(typed at a terminal, with echo off)")
	pf.BoolVar(&io.NoInput, "no-input", false, "never prompt; a missing input is an error (env KCLOUD_NO_INPUT=1)")
	pf.StringVarP(&f.jqExpr, "jq", "q", "", "filter the JSON output with a jq `expression`; strings print without quotes")
	pf.String("ui-language", "", "the `language` of text for people: auto, en or ko (env KCLOUD_UI_LANGUAGE; auto reads the locale)")
	f.flags = pf
	root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	root.RegisterFlagCompletionFunc("ui-language", cobra.FixedCompletions(append([]string{"auto"}, i18n.Tags()...), cobra.ShellCompDirectiveNoFileComp))

	defer groups(root)
	if only := branch(root, args); only != "" {
		for _, c := range topLevel {
			if c.name == only {
				root.AddCommand(c.make(f))
			}
		}
		root.CompletionOptions.DisableDefaultCmd = true // not asked for
		return root, f
	}
	for _, c := range topLevel {
		root.AddCommand(c.make(f))
	}
	root.AddCommand(helpTopics()...)
	// cobra adds these at Execute; made here, they get examples too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  kcloud help account show"
		case "completion":
			c.Example = "  source <(kcloud completion bash)\n" +
				"  kcloud completion zsh > _kcloud     # then move _kcloud to a directory on $fpath\n" +
				"  kcloud completion fish | source"
			for _, sh := range c.Commands() {
				sh.Example = "  kcloud completion " + sh.Name()
				// cobra's one line of 81 columns, wrapped to 80.
				sh.Long = strings.Replace(sh.Long, "via your OS's package manager.", "via your OS's\npackage manager.", 1)
			}
		}
	}
	return root, f
}

// branch returns the command under the root that args run, or "" when
// that is not certain. The root's flags come first, with their values:
// "-o json", "--output json", "--output=json", "-ojson", "-ho json".
func branch(root *cobra.Command, args []string) string {
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	flags := root.Flags() // the root's own and its persistent flags
	takesValue := func(f *pflag.Flag) bool { return f.NoOptDefVal == "" }
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-":
			return ""
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			fl := flags.Lookup(name)
			if fl == nil {
				return ""
			}
			if takesValue(fl) && !hasValue {
				i++
			}
		case strings.HasPrefix(a, "-"):
			for j := 1; j < len(a); j++ {
				fl := flags.ShorthandLookup(a[j : j+1])
				if fl == nil {
					return ""
				}
				if takesValue(fl) {
					if j == len(a)-1 {
						i++ // "-o json"
					}
					break // "-ojson": the rest is the value
				}
			}
		default:
			for _, c := range topLevel {
				if c.name == a {
					return a
				}
			}
			return ""
		}
	}
	return ""
}

// exactArgs is cobra.ExactArgs with the command's own usage in the
// error, where cobra says only "accepts 1 arg(s), received 0".
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		return fail.Usagef("%s takes %s, not %d", path, fail.Plural(n, "%d argument", "%d arguments"), len(args)).
			WithHint("usage: %s (see `%s --help`)", cmd.UseLine(), cmd.CommandPath())
	}
}

// flagValueError words a flag value that does not parse for the person
// who typed it: `--limit: "abc" is not a whole number`, where pflag
// says `invalid argument "abc" for "-n, --limit" flag: strconv.ParseInt:
// parsing "abc": invalid syntax`. Other errors pass unchanged.
func flagValueError(err error) error {
	var (
		bad     *pflag.InvalidValueError
		num     *strconv.NumError
		missing *pflag.NotExistError
		needs   *pflag.ValueRequiredError
	)
	switch {
	case errors.As(err, &missing) && missing.GetSpecifiedShortnames() != "":
		return fail.Mark(fail.Usage, err, "unknown shorthand flag: %q in -%s", rune(missing.GetSpecifiedName()[0]), missing.GetSpecifiedShortnames())
	case errors.As(err, &missing):
		return fail.Mark(fail.Usage, err, "unknown flag: --%s", missing.GetSpecifiedName())
	case errors.As(err, &needs) && needs.GetSpecifiedShortnames() != "":
		return fail.Mark(fail.Usage, err, "flag needs an argument: %q in -%s", rune(needs.GetSpecifiedName()[0]), needs.GetSpecifiedShortnames())
	case errors.As(err, &needs):
		return fail.Mark(fail.Usage, err, "flag needs an argument: --%s", needs.GetSpecifiedName())
	case errors.As(err, &bad) && errors.Is(err, errTakesNoValue):
		// The value is not repeated: it may be the secret the flag asks for.
		return fail.Mark(fail.Usage, errTakesNoValue, "--%s takes no value", bad.GetFlag().Name).
			WithHint("give --%s alone: the code is asked for without echo, or read as the first line of --password-stdin", bad.GetFlag().Name)
	case !errors.As(err, &bad) || !errors.As(err, &num):
		return err
	}
	what := word("not a whole number")
	switch {
	case errors.Is(num.Err, strconv.ErrRange):
		what = word("out of range")
	case num.Func == "ParseBool":
		what = word("not true or false")
	case num.Func == "ParseFloat":
		what = word("not a number")
	}
	return fail.Errorf("--%s: %q is %s", bad.GetFlag().Name, bad.GetValue(), what)
}

// nearest is the suggestion fewest edits from typed ("shw" is show, one
// edit, not set, two), a name typed starts winning a tie ("sho": show);
// cobra gives its suggestions in the order the commands were added.
func nearest(typed string, suggestions []string) string {
	best, bestD := "", -1
	for _, c := range suggestions {
		d := 2 * text.Distance(typed, c)
		if !strings.HasPrefix(c, typed) {
			d++
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
