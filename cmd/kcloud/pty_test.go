//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

const password = "correct horse battery"

// waitLimit only keeps a broken test from hanging; nothing is timed.
const waitLimit = time.Minute

// session is kcloud running on a real pseudo-terminal as its controlling
// terminal and its stdin, stdout and stderr, as in a person's shell.
type session struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File // the person's side
	tty  *os.File // kcloud's side, kept open to read its modes
	mu   sync.Mutex
	out  bytes.Buffer
}

func newHome(t *testing.T) []string {
	home := t.TempDir()
	env := append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm"}, coverEnv()...)
	return env
}

// run runs kcloud without a terminal, with stdin.
func run(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(kcloudBin(t), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcloud %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func start(t *testing.T, env []string, args ...string) *session {
	t.Helper()
	return startSized(t, env, 80, 24, args...)
}

// startSized starts kcloud at a terminal of cols x rows: the size is set
// before kcloud starts, so it never sees another.
func startSized(t *testing.T, env []string, cols, rows int, args ...string) *session {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kcloudBin(t), args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, cmd: cmd, ptmx: ptmx, tty: tty}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		ptmx.Close()
		tty.Close()
	})
	return s
}

func (s *session) screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// expect waits until the terminal has shown want.
func (s *session) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(s.screen(), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal never showed %q; it showed:\n%s", want, s.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectAll waits until the terminal has shown n matches of re, and
// returns them: counting before all have arrived would fail by chance.
func (s *session) expectAll(re *regexp.Regexp, n int) [][]string {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		m := re.FindAllStringSubmatch(s.screen(), -1)
		if len(m) >= n {
			if len(m) > n {
				s.t.Fatalf("the terminal showed %d matches of %s, want %d:\n%s", len(m), re, n, s.screen())
			}
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal showed %d matches of %s, want %d:\n%s", len(m), re, n, s.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recoveryCode is a recovery code alone on its line.
var recoveryCode = regexp.MustCompile(`(?m)^([a-km-z2-9]{4}(?:-[a-km-z2-9]{4}){3})\r?$`)

// typeLine types a line and Enter, as a person would.
func (s *session) typeLine(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.ptmx, line+"\r"); err != nil {
		s.t.Fatal(err)
	}
}

// wait waits for kcloud to exit and returns its exit code.
func (s *session) wait() int {
	s.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.cmd.Wait() }()
	select {
	case err := <-errc:
		s.settle()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			s.t.Fatal(err)
		}
		return 0
	case <-time.After(waitLimit):
		s.t.Fatalf("kcloud did not exit; the terminal showed:\n%s", s.screen())
	}
	return -1
}

// settle waits, once kcloud has exited, until the terminal has shown all
// it wrote: nothing left to read on the person's side and no change for
// a moment. A check of the screen after the exit, above all one that
// something is absent, must not pass on half the output.
func (s *session) settle() {
	deadline := time.Now().Add(waitLimit)
	last := -1
	for time.Now().Before(deadline) {
		pending, err := unix.IoctlGetInt(int(s.ptmx.Fd()), unix.TIOCINQ)
		n := len(s.screen())
		if (err != nil || pending == 0) && n == last {
			return
		}
		last = n
		time.Sleep(30 * time.Millisecond)
	}
}

func (s *session) echo() bool {
	s.t.Helper()
	tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// unread is what is left in the terminal's input queue once kcloud has
// exited: what the shell would read next. It switches the terminal to
// non-canonical reads that return at once, so call it last.
func (s *session) unread() string {
	s.t.Helper()
	fd := int(s.tty.Fd())
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	tio.Lflag &^= unix.ICANON | unix.ECHO
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 0, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		s.t.Fatal(err)
	}
	var b [256]byte
	n, err := unix.Read(fd, b[:])
	if err != nil && err != unix.EAGAIN {
		s.t.Fatal(err)
	}
	return string(b[:max(n, 0)])
}

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
	s.expect("A password has at least 8 characters")
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
	s.typeLine("alice2026!")
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
	m := regexp.MustCompile(`message with the code is in (\S+\.eml)\.`).FindStringSubmatch(s.screen())
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
		for _, how := range signals {
			t.Run(p.name+"/"+how.name, func(t *testing.T) {
				args := p.args
				if p.name == "verification code" {
					// An address of its own: no resend limit between cases.
					args = append(args[:len(args):len(args)], "alice-"+how.name+"@example.com")
				}
				s := start(t, p.env, args...)
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
