package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// ExampleLines returns every example of every command, by command path:
// each line as a person would type it.
func exampleLines(root *cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// A line that ends in a backslash goes on on the next, as in a shell.
		for _, line := range strings.Split(strings.ReplaceAll(c.Example, "\\\n", " "), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out[c.CommandPath()] = append(out[c.CommandPath()], line)
			}
		}
		if c.Example == "" {
			out[c.CommandPath()] = nil
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// kcloudArgs is the argv of the kcloud command in a shell line: the
// words after "kcloud", up to a redirection, a pipe or a comment, with
// quotes removed ("$(...)" kept as one word).
func kcloudArgs(line string) []string {
	if i := strings.LastIndex(line, "| kcloud "); i >= 0 {
		line = line[i+2:]
	}
	if i := strings.Index(line, "<(kcloud "); i >= 0 {
		line = strings.TrimSuffix(line[i+2:], ")")
	}
	var words []string
	var w strings.Builder
	var quote rune
	depth, inWord := 0, false
	flush := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == '(' && strings.HasSuffix(w.String(), "$"):
			depth++
			w.WriteRune(r)
		case r == ')' && depth > 0:
			depth--
			w.WriteRune(r)
		case depth == 0 && (r == ' ' || r == '\t'):
			flush()
		case depth == 0 && (r == '<' || r == '>' || r == '|' || r == '#'):
			flush()
			return afterKcloud(words)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return afterKcloud(words)
}

// afterKcloud drops what comes before the word kcloud: variables set for
// the command (KCLOUD_STORE_BACKEND=etcd kcloud ...).
func afterKcloud(words []string) []string {
	for i, w := range words {
		if w == "kcloud" {
			return words[i+1:]
		}
	}
	return nil
}

// TestEveryCommandHasExamples: every command's --help has an Examples
// section, and every example's flags and arguments are ones the command
// takes: parsed as written, through runHook, without running.
// cmd/kcloud's TestExamplesRun runs those that need no person.
func TestEveryCommandHasExamples(t *testing.T) {
	io, _, _ := Test("")
	root, _ := newRoot(io)
	for path, lines := range exampleLines(root) {
		if len(lines) == 0 {
			t.Errorf("%s has no examples", path)
			continue
		}
		for _, line := range lines {
			if kcloudArgs(line) == nil {
				t.Errorf("%s: the example %q does not run kcloud", path, line)
				continue
			}
			args := kcloudArgs(line)
			io, out, errOut := Test("")
			r, f := newRoot(io)
			ran := false
			f.runHook = func(any) error { ran = true; return nil }
			r.SetArgs(args)
			if err := r.Execute(); err != nil {
				t.Errorf("%s: the example %q (args %q): %v", path, line, args, err)
				continue
			}
			if c, _, _ := r.Find(args); !ran && c.Runnable() && c.Name() != "help" && c.Parent().Name() != "completion" {
				t.Errorf("%s: the example %q ran nothing: %s%s", path, line, out, errOut)
			}
		}
	}
}
