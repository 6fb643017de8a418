//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

func initStore(t *testing.T, env []string) {
	t.Helper()
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
}

func TestPTYLoginHidesPassword(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	s := start(t, env, "login")
	s.expect("Password for alice: ")
	if s.echo() {
		t.Fatal("echo is on at the password prompt")
	}
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
	s.expect("Logged in as alice")
	screen := s.screen()
	if strings.Contains(screen, password) || strings.Contains(screen, "horse") {
		t.Fatalf("the typed password appears on the terminal:\n%s", screen)
	}
	if !s.echo() {
		t.Fatal("echo is still off after the prompt")
	}
}

// TestPTYPasswordStdinAtTerminal: --password-stdin typed at a terminal
// (stdin is the terminal) reads with echo off, as a prompt does (issue
// 25, item 2: the password was echoed).
func TestPTYPasswordStdinAtTerminal(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	s := start(t, env, "login", "--password-stdin")
	s.expect("The password for alice: ")
	if s.echo() {
		t.Fatal("echo is on while --password-stdin reads a terminal")
	}
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
	if screen := s.screen(); strings.Contains(screen, password) || strings.Contains(screen, "horse") {
		t.Fatalf("the typed password appears on the terminal:\n%s", screen)
	}
}

// TestPTYInterrupt presses Ctrl-C and Ctrl-\ at the password prompt, and
// sends SIGTERM at it: each exits 128+N, leaves echo on, and leaves
// nothing typed at the prompt on the screen or for the shell to read.
func TestPTYInterrupt(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	for _, tc := range []struct {
		name      string
		interrupt func(s *session)
		exit      int
	}{
		{"ctrl-c", func(s *session) { io.WriteString(s.ptmx, "\x03") }, 130},
		{"ctrl-backslash", func(s *session) { io.WriteString(s.ptmx, "\x1c") }, 131},
		{"sigterm", func(s *session) { s.cmd.Process.Signal(syscall.SIGTERM) }, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, env, "account", "show")
			s.expect("Password for alice: ")
			if s.echo() {
				t.Fatal("echo is on at the password prompt")
			}
			io.WriteString(s.ptmx, "half a pass") // typed, never entered
			tc.interrupt(s)
			if code := s.wait(); code != tc.exit {
				t.Fatalf("exit %d, want %d; the terminal showed:\n%s", code, tc.exit, s.screen())
			}
			if !s.echo() {
				t.Fatal("echo is off after the interrupt")
			}
			if strings.Contains(s.screen(), "half a pass") {
				t.Fatalf("the typed text appears on the terminal:\n%s", s.screen())
			}
			if left := s.unread(); left != "" {
				t.Fatalf("the shell would read %q, typed at kcloud's prompt", left)
			}
		})
	}
}

// TestPTYInit answers init's questions at the terminal.
func TestPTYInit(t *testing.T) {
	env := newHome(t)
	s := start(t, env, "init")
	s.expect("Organization name: ")
	s.typeLine("Acme")
	s.expect("Does the organization use nicknames? [y/N] ")
	s.typeLine("y")
	s.expect("User ID: ")
	s.typeLine("alice")
	s.expect("Name: ")
	s.typeLine("Alice Kim")
	s.expect("Nickname (Enter for none): ")
	s.typeLine("ally")
	s.expect("New password: ")
	s.typeLine(password)
	s.expect("Repeat the new password: ")
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
	if strings.Contains(s.screen(), "horse") {
		t.Fatalf("the password appears on the terminal:\n%s", s.screen())
	}
	out := run(t, env, password+"\n", "login", "--password-stdin")
	if !strings.Contains(out, "Logged in as alice") {
		t.Fatalf("login after an interactive init: %s", out)
	}
	page := run(t, env, password+"\n", "account", "show", "--password-stdin", "-o", "json")
	for _, want := range []string{`"name": "Alice Kim"`, `"nickname": "ally"`, `"uses_nicknames": true`} {
		if !strings.Contains(page, want) {
			t.Errorf("account show lacks %s:\n%s", want, page)
		}
	}
}

// TestPTYMismatch: two different new passwords are refused and nothing
// is created.
func TestPTYMismatch(t *testing.T) {
	env := newHome(t)
	s := start(t, env, "init", "--org-name", "Acme", "--org-nicknames=false", "--user-id", "alice", "--name", "Alice")
	s.expect("A password has at least 15 characters")
	// A refused password and a repeat that differs are asked again, with
	// the reason; the third failure ends init, and nothing is created.
	s.expect("New password: ")
	s.typeLine("password123")
	s.expect("Try again (2 of 3).")
	s.typeLine(password)
	s.expect("Repeat the new password: ")
	s.typeLine(password + "!")
	s.expect("The two passwords differ. Try again (3 of 3).")
	s.typeLine("short")
	if code := s.wait(); code != 2 {
		t.Fatalf("exit %d, want 2; the terminal showed:\n%s", code, s.screen())
	}
	s.expect("kcloud: the password has 5 characters")
	s.fits(80)
	home := strings.TrimPrefix(env[0], "HOME=")
	if _, err := os.Stat(filepath.Join(home, ".local/share/kcloud/kcloud.db")); err == nil {
		t.Fatal("a store was created")
	}
}

// TestPTYInitAsksAgain: a weak password at a terminal is not the end of
// init: the person is told why and asked again, and the answers given
// before are kept.
func TestPTYInitAsksAgain(t *testing.T) {
	env := newHome(t)
	s := start(t, env, "init", "--org-name", "Acme", "--org-nicknames=false", "--user-id", "alice", "--name", "Alice")
	s.expect("New password: ")
	s.typeLine("alice-winter-2026-harbour")
	s.expect("contains \"alice\"")
	s.typeLine(password)
	s.expect("Repeat the new password: ")
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
}

// TestPTYVerifyEmail: send, then type the code from the message; a wrong
// code is asked again.
func TestPTYVerifyEmail(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	s := start(t, env, "contact", "verify", "email", "alice@example.com")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Code: ")
	if !strings.Contains(s.screen(), "Nothing was sent: delivery.email.method is outbox.") {
		t.Fatalf("the outbox is not named:\n%s", s.screen())
	}
	m := regexp.MustCompile(`message with the code is\s+in:\r?\n  (\S+\.eml)`).FindStringSubmatch(s.screen())
	if m == nil {
		t.Fatalf("no outbox file on the screen:\n%s", s.screen())
	}
	msg, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`code is (\d{6})\.`).FindSubmatch(msg)
	if code == nil {
		t.Fatalf("no code in the message:\n%s", msg)
	}
	wrong := "000000"
	if string(code[1]) == wrong {
		wrong = "111111"
	}
	s.typeLine(wrong)
	s.expect("wrong verification code")
	s.typeLine(string(code[1]))
	if c := s.wait(); c != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", c, s.screen())
	}
	s.expect("Verified alice@example.com.")
}

// TestPTYInterruptEveryPrompt: Ctrl-C and SIGTERM at each kind of prompt
// (a line, a yes/no question, a new password, a code after the password)
// exit 128+N, leave echo on, and leave nothing half-typed for the shell
// to read: Ctrl-C 130, SIGTERM 143, SIGHUP 129, SIGQUIT 131 (contract
// exit codes; review finding 8).
func TestPTYInterruptEveryPrompt(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	fresh := newHome(t)
	prompts := []struct {
		name   string
		env    []string
		args   []string
		answer []string // typed before the prompt under test
		prompt string
	}{
		{"line", fresh, []string{"init"}, nil, "Organization name: "},
		{"yes-no", fresh, []string{"init"}, []string{"Acme"}, "Does the organization use nicknames? [y/N] "},
		{"new password", fresh, []string{"init", "--org-name", "Acme", "--org-nicknames=false", "--user-id", "a", "--name", "A"}, nil, "New password: "},
		{"repeat password", fresh, []string{"init", "--org-name", "Acme", "--org-nicknames=false", "--user-id", "a", "--name", "A"}, []string{password}, "Repeat the new password: "},
		{"verification code", env, []string{"contact", "verify", "email"}, []string{password}, "Code: "},
	}
	signals := []struct {
		name string
		sig  syscall.Signal // 0: Ctrl-C typed
		exit int
	}{{"ctrl-c", 0, 130}, {"sigterm", syscall.SIGTERM, 143}, {"sighup", syscall.SIGHUP, 129}, {"sigquit", syscall.SIGQUIT, 131}}
	for _, p := range prompts {
		for i, how := range signals {
			t.Run(p.name+"/"+how.name, func(t *testing.T) {
				args, env := p.args, p.env
				if p.name == "verification code" {
					// An address of its own, and two minutes later by the
					// tests' clock: the resend wait binds the account.
					args = append(args[:len(args):len(args)], "alice-"+how.name+"@example.com")
					env = append(env[:len(env):len(env)], fmt.Sprintf("KCLOUD_TEST_CLOCK=%dm", 2*(i+1)))
				}
				s := start(t, env, args...)
				for _, a := range p.answer {
					s.expect(": ")
					s.typeLine(a)
				}
				s.expect(p.prompt)
				io.WriteString(s.ptmx, "half typed") // never entered
				if how.sig == 0 {
					io.WriteString(s.ptmx, "\x03")
				} else {
					s.cmd.Process.Signal(how.sig)
				}
				if c := s.wait(); c != how.exit {
					t.Fatalf("exit %d, want %d:\n%s", c, how.exit, s.screen())
				}
				if strings.Contains(s.screen(), "goroutine ") {
					t.Fatalf("a goroutine dump reached the terminal:\n%s", s.screen())
				}
				if !s.echo() {
					t.Fatal("echo is off after the interrupt")
				}
				if left := s.unread(); left != "" {
					t.Fatalf("the shell would read %q, typed at kcloud's prompt", left)
				}
			})
		}
	}
}
