package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestBranch(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"whoami"}, "whoami"},
		{[]string{"account", "show", "-o", "json"}, "account"},
		{[]string{"-o", "json", "whoami"}, "whoami"},
		{[]string{"--output", "json", "otp", "register"}, "otp"},
		{[]string{"--output=json", "org"}, "org"},
		{[]string{"-ojson", "login"}, "login"},
		{[]string{"-ho", "json", "store"}, "store"},
		{[]string{"--password-stdin", "account", "set"}, "account"},
		{[]string{"-q", ".user_id", "whoami"}, "whoami"},
		{[]string{"--store", "whoami", "account"}, "account"}, // whoami is the file
		{[]string{"--no-input=true", "logout"}, "logout"},
		// Not certain, or not one command: the whole tree.
		{nil, ""},
		{[]string{"help", "whoami"}, ""},
		{[]string{"completion", "bash"}, ""},
		{[]string{"__complete", "who"}, ""},
		{[]string{"whomai"}, ""},
		{[]string{"--bogus", "whoami"}, ""},
		{[]string{"-x", "whoami"}, ""},
		{[]string{"--", "whoami"}, ""},
		{[]string{"-o"}, ""},
		{[]string{"--version"}, ""},
	} {
		io, _, _ := Test("")
		root, _ := newRoot(io)
		if got := branch(root, tc.args); got != tc.want {
			t.Errorf("branch(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
	io, _, _ := Test("")
	root, _ := newRoot(io)
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	for _, c := range topLevel {
		if !slices.Contains(names, c.name) {
			t.Errorf("topLevel names %q, which the tree does not have", c.name)
		}
	}
}

// TestBranchIsTheWholeTree: a command run from its branch alone prints
// the same help, and makes the same options of every example, as from the
// whole tree.
func TestBranchIsTheWholeTree(t *testing.T) {
	io, _, _ := Test("")
	whole, _ := newRoot(io)
	var runs [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "help" || c.Name() == "completion" || c.Hidden {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		runs = append(runs, append(slices.Clone(path), "--help"), append([]string{"-o", "json"}, path...))
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range whole.Commands() {
		walk(c)
	}
	for _, lines := range exampleLines(whole) {
		for _, line := range lines {
			runs = append(runs, kcloudArgs(line))
		}
	}
	partial := 0
	for _, args := range runs {
		want := runTree(args, newRoot)
		got := runTree(args, func(io *IOStreams) (*cobra.Command, *Factory) {
			r, f := newRootFor(io, args)
			if len(r.Commands()) < len(topLevel) {
				partial++
			}
			return r, f
		})
		if got != want {
			t.Errorf("kcloud %s\nfrom its branch:\n%s\nfrom the whole tree:\n%s", strings.Join(args, " "), got, want)
		}
	}
	if partial < len(runs)/2 {
		t.Fatalf("only %d of %d runs were built as a branch", partial, len(runs))
	}
}

// runTree runs args on a tree that build makes, the commands' options
// handed to a hook, and returns everything it printed and the options.
func runTree(args []string, build func(*IOStreams) (*cobra.Command, *Factory)) string {
	io, out, errOut := Test("")
	root, f := build(io)
	var opts any
	f.runHook = func(o any) error { opts = o; return nil }
	root.SetArgs(args)
	err := root.Execute()
	var flags []string
	root.PersistentFlags().VisitAll(func(fl *pflag.Flag) { flags = append(flags, fl.Name+"="+fl.Value.String()) })
	o := regexp.MustCompile(`0x[0-9a-f]+`).ReplaceAllString(fmt.Sprintf("%+v", opts), "0x") // the Factory
	return fmt.Sprintf("out: %s\nerr: %s\nerror: %v\noptions: %s\nroot flags: %s\nstdin secrets: %v, no input: %v",
		out, errOut, err, o, flags, io.PasswordStdin, io.NoInput)
}
