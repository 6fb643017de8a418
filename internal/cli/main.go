// Package cli is kcloud's command line: the cobra tree, the streams and
// prompts, and the one place where errors become exit codes.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/text"
	"github.com/spf13/cobra"
)

// Exit codes of the contract.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitAuth          = 3
	ExitLocked        = 4
	ExitLoginRequired = 5
	ExitBusy          = 6
	ExitInterrupted   = 130
)

// exitCode maps an error's kind to the contract's exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch fail.KindOf(err) {
	case fail.Usage:
		return ExitUsage
	case fail.Auth:
		return ExitAuth
	case fail.Locked:
		return ExitLocked
	case fail.LoginRequired:
		return ExitLoginRequired
	case fail.Busy:
		return ExitBusy
	case fail.Interrupted:
		var i *fail.Interrupt
		if errors.As(err, &i) {
			return 128 + i.Signal
		}
		return ExitInterrupted
	}
	return ExitFailure
}

// Main runs kcloud with args and returns its exit code.
func Main(args []string) int {
	if len(args) == 1 && args[0] == jqChildArg {
		return runJQChild(os.Stdin, os.Stdout, os.Stderr)
	}
	return run(System(), args)
}

func run(io *IOStreams, args []string) int {
	defer io.Close()
	root, f := newRootFor(io, args)
	if len(args) > 0 && args[0] == cobra.ShellCompRequestCmd {
		// A shell asks for completions: their descriptions are the
		// commands' short texts and the flags' usage. The flags are not
		// parsed yet, so the language comes from the file and the
		// environment, read without keeping the configuration (a
		// completion function reads it with the flags).
		localizeDescriptions(root, tr{i18n.For(unparsedLanguage())})
	}
	root.SetArgs(args)
	err := root.Execute()
	if err != nil && !f.started {
		// Cobra failed before any command ran: a bad flag, argument or
		// command name.
		if fail.KindOf(err) == fail.Other {
			err = (&fail.Error{Kind: fail.Usage, Err: err}).WithHint("see `kcloud --help`")
		}
	}
	if err != nil { // the language only when there is something to say
		d := f.deps()
		report(io.Err, io.errWidth, err, d.tr())
	}
	return exitCode(err)
}

// report writes err in kcloud's one voice, in the run's language:
// "kcloud: what went wrong" and, where one helps, "kcloud: hint: what to
// do". Where stderr is a terminal of width columns, a long line is
// wrapped at spaces, its next lines indented past "kcloud: "; elsewhere
// (a log, a pipe) each stays one line, for grep.
func report(w io.Writer, width int, err error, lang tr) {
	if err == nil || errors.Is(err, fail.ErrInterrupted) {
		return
	}
	line := func(s string) {
		s = text.Escape(s)
		if width > 0 {
			if lines := wrapColumn([]string{s}, width-len("kcloud: ")); len(lines) > 1 {
				s = strings.Join(lines, "\n        ")
			}
		}
		fmt.Fprintf(w, "kcloud: %s\n", s)
	}
	line(strings.TrimSuffix(lang.say(err), "."))
	if h := hint(err, lang); h != "" {
		line("hint: " + h)
	}
}
