//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// graceHome is alice, logged in, under security.reauth_grace=5m.
func graceHome(t *testing.T) []string {
	t.Helper()
	env := newHome(t)
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, password+"\n", "login", "--password-stdin")
	run(t, env, password+"\n", "org", "set", "--policy", "security.reauth_grace=5m", "--password-stdin")
	// Passwords typed before the policy had a grace were not recorded.
	run(t, env, password+"\n", "login", "--password-stdin")
	return env
}

// TestReauthGraceByScript: within the grace, the pages that open no
// sealed secret answer without a password (none on stdin, no terminal),
// and the others still ask; a copy of the store and its session used from
// another login session gets no grace.
func TestReauthGraceByScript(t *testing.T) {
	env := graceHome(t)
	for _, args := range [][]string{{"account", "show"}, {"account", "activity", "--limit", "1"}, {"session", "list"}, {"access-key", "list"}, {"otp", "list"}, {"member", "list"}, {"account", "set", "--name", "Alice Kim"}} {
		if code, out := runExit(t, env, "", append(args, "--no-input")...); code != 0 {
			t.Errorf("%s in the grace: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	for _, args := range [][]string{{"otp", "register", "--begin"}, {"access-key", "create", "--name", "ci"}, {"account", "password"}} {
		if code, out := runExit(t, env, "", append(args, "--no-input")...); code != 2 || !strings.Contains(out, "password") {
			t.Errorf("%s in the grace: exit %d, want the password asked\n%s", strings.Join(args, " "), code, out)
		}
	}
	if out := run(t, env, "", "account", "activity", "--limit", "1", "-o", "json"); !strings.Contains(out, `"method": "reauth_grace"`) {
		t.Errorf("account set in the grace is not logged as such:\n%s", out)
	}

	// An attacker's copy of the store, with this machine's session in it,
	// used from a login session of its own.
	home := strings.TrimPrefix(env[0], "HOME=")
	other := t.TempDir()
	copyTree(t, filepath.Join(home, ".local"), filepath.Join(other, ".local"))
	oenv := append([]string{"HOME=" + other}, env[1:]...)
	cmd := exec.Command(kcloudBin(t), "account", "show", "--no-input")
	cmd.Env = oenv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 || !strings.Contains(string(out), "password") {
		t.Fatalf("a copied session from another login session: exit %d\n%s", code, out)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPTYReauthGrace: at a terminal, two commands from one shell: the
// first asks for the password, the second, within the grace, does not.
func TestPTYReauthGrace(t *testing.T) {
	env := graceHome(t)
	s := startShell(t, env, `"$KCLOUD" login --user-id alice && "$KCLOUD" account show && "$KCLOUD" account activity --limit 1 && echo both-done`)
	s.expect("Password for alice: ")
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, s.screen())
	}
	sc := s.screen()
	if strings.Count(sc, "Password for alice") != 1 || !strings.Contains(sc, "both-done") || !strings.Contains(sc, "Alice") {
		t.Fatalf("the password was asked again within the grace, or a page failed:\n%s", sc)
	}
	s.fits(80)
}
