package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/cli"
)

// TestExamplesRun runs, as written, by bash, in a fresh HOME with an
// organization and a session, every example in kcloud's help that needs
// no person: those that read secrets from a file or a variable, and
// those that ask for none. Each must exit 0. The others (a bare `kcloud
// login` asks at the terminal; a code such as 123456 is an app's) are
// parsed, not run, by internal/cli's TestEveryCommandHasExamples.
func TestExamplesRun(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	noSecret := map[string]bool{"whoami": true, "version": true, "org show": true, "store check": true,
		"store backup": true, "logout": true, "completion bash": true, "help": true}
	bin := kcloudBin(t)
	ran := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			sub := strings.TrimPrefix(c.CommandPath(), "kcloud ")
			runnable := strings.Contains(line, "< ") || strings.Contains(line, "$OLD") || noSecret[sub]
			if line == "" || !runnable || strings.Contains(line, "123456") || strings.Contains(line, "zsh") || strings.Contains(line, "fish") ||
				strings.Contains(line, "etcd") {
				continue
			}
			t.Run(line, func(t *testing.T) {
				env := newHome(t)
				dir := t.TempDir()
				pw, next := password+"\n", "amber tide over stone\n"
				os.WriteFile(filepath.Join(dir, "password.txt"), []byte(pw), 0o600)
				os.WriteFile(filepath.Join(dir, "new-password.txt"), []byte(pw), 0o600)
				if !strings.Contains(line, "kcloud init") {
					run(t, env, pw, "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
					run(t, env, pw, "login", "--user-id", "alice", "--password-stdin")
					cmd := exec.Command(bin, "store", "backup", filepath.Join(dir, "backup.db"))
					cmd.Env = env
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("store backup: %v\n%s", err, out)
					}
				}
				sh := exec.Command(bash, "-c", line)
				sh.Dir = dir
				sh.Env = append(env[:len(env):len(env)],
					"PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"),
					"OLD="+strings.TrimSpace(pw), "NEW="+strings.TrimSpace(next))
				out, err := sh.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", line, err, out)
				}
			})
			ran++
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.NewCommand())
	if ran < 15 {
		t.Fatalf("ran %d examples; the help has lost some, or this test its way", ran)
	}
}
