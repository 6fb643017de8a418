package cli

import (
	"os"
	"strings"

	"github.com/kcloud/kcloud/internal/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// localizeHelp puts the help cobra is about to show for c in w's
// language: c's short and long text, its subcommands' short texts, its
// flags' usage and the headings of the usage template. Examples are
// commands, the same in every language. English changes nothing, and
// the tree is built in English, so only a Korean run with --help pays.
func localizeHelp(c *cobra.Command, w tr) {
	if !w.translated() {
		return
	}
	c.Short, c.Long = w.T(c.Short), w.T(c.Long)
	if c.Annotations["topic"] != "" {
		c.Long = topicLong(c.Name(), w)
	}
	for _, s := range c.Commands() {
		s.Short = w.T(s.Short)
	}
	for _, g := range c.Groups() {
		g.Title = w.T(g.Title)
	}
	usage := func(fl *pflag.Flag) {
		switch fl.Name {
		case "help": // cobra's words, with the command's name
			fl.Usage = w.F("help for %s", c.Name())
		case "version":
			fl.Usage = w.F("version for %s", c.Root().Name())
		default:
			fl.Usage = w.T(fl.Usage)
		}
	}
	c.LocalFlags().VisitAll(usage)
	c.InheritedFlags().VisitAll(usage)
	// pflag writes a flag's default in English, " (default …)", as the
	// last words of its line: the flag lists say it in w's language.
	cobra.AddTemplateFunc("kcloudFlags", func(fs *pflag.FlagSet) string {
		return strings.ReplaceAll(fs.FlagUsagesWrapped(80), " (default ", " ("+w.T(msg("default"))+" ")
	})
	tmpl := strings.NewReplacer(".LocalFlags.FlagUsagesWrapped 80", "kcloudFlags .LocalFlags",
		".InheritedFlags.FlagUsagesWrapped 80", "kcloudFlags .InheritedFlags").Replace(c.UsageTemplate())
	tmpl = usageHeadings(w).Replace(tmpl)
	// The usage lines' placeholders, "[flags]" and "[command]", in w's
	// language too: what to type stays as it is.
	cobra.AddTemplateFunc("kcloudUseLine", func(line string) string {
		return strings.NewReplacer(" [flags]", " ["+w.T(msg("flags"))+"]", " [command]", " ["+w.T(msg("command"))+"]").Replace(line)
	})
	tmpl = strings.NewReplacer("{{.UseLine}}", "{{kcloudUseLine .UseLine}}",
		"{{.CommandPath}} [command]", "{{.CommandPath}} ["+w.T(msg("command"))+"]").Replace(tmpl)
	if rest, ok := strings.CutPrefix(tmpl, "Usage:"); ok {
		tmpl = w.T("Usage:") + rest
	}
	c.SetUsageTemplate(tmpl)
}

// unparsedLanguage is ui.language before the flags are parsed: the
// configuration file's and the environment's.
func unparsedLanguage() string {
	file, mustExist := config.File("")
	if cfg, err := config.Load(file, mustExist, nil); err == nil {
		return cfg.Language()
	}
	return config.EnvLanguage("", os.Getenv)
}

// localizeDescriptions puts every command's short text and every flag's
// usage in w's language: what a shell shows beside a completion.
func localizeDescriptions(c *cobra.Command, w tr) {
	if !w.translated() {
		return
	}
	c.Short = w.T(c.Short)
	c.LocalFlags().VisitAll(func(fl *pflag.Flag) { fl.Usage = w.T(fl.Usage) })
	if args := c.ValidArgsFunction; args != nil {
		c.ValidArgsFunction = func(cmd *cobra.Command, a []string, s string) ([]string, cobra.ShellCompDirective) {
			out, d := args(cmd, a, s)
			for i, v := range out { // "email\tan email address"
				if name, desc, ok := strings.Cut(v, "\t"); ok {
					out[i] = name + "\t" + w.T(desc)
				}
			}
			return out, d
		}
	}
	for _, s := range c.Commands() {
		localizeDescriptions(s, w)
	}
}

// usageHeadings translates the headings of cobra's usage template.
func usageHeadings(w tr) *strings.Replacer {
	var pairs []string
	for _, h := range []string{msg("Usage:"), msg("Aliases:"), msg("Examples:"), msg("Available Commands:"),
		msg("Additional Commands:"), msg("Global Flags:"), msg("Flags:"), msg("Additional help topics:")} {
		pairs = append(pairs, "\n"+h, "\n"+w.T(h))
	}
	pairs = append(pairs, `Use "{{.CommandPath}} [command] --help" for more information about a command.`,
		strings.ReplaceAll(w.T(msg("Use \"%s [command] --help\" for more information about a command.")), "%s", "{{.CommandPath}}"))
	return strings.NewReplacer(pairs...)
}
