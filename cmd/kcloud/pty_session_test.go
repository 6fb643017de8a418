//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	bolt "go.etcd.io/bbolt"
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
	return startOn(t, ptmx, tty, cmd)
}

// startShell runs script in sh at an 80x24 terminal, as a person's shell
// runs commands one after another in one login session; $KCLOUD is the
// binary.
func startShell(t *testing.T, env []string, script string) *session {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 80, Rows: 24}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(env, "KCLOUD="+kcloudBin(t))
	return startOn(t, ptmx, tty, cmd)
}

// startOn starts cmd with tty as its controlling terminal and its stdin,
// stdout and stderr, in a session of its own.
func startOn(t *testing.T, ptmx, tty *os.File, cmd *exec.Cmd) *session {
	t.Helper()
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

// expect waits until the terminal has shown want, on one line or
// wrapped over several (kcloud wraps a long line at spaces to the
// terminal's width).
func (s *session) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for sc := s.screen(); !strings.Contains(sc, want) && !strings.Contains(strings.ReplaceAll(sc, "\r\n", " "), want); sc = s.screen() {
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

// TestPTYWaitingSaysSo: a command waiting for another kcloud to release
// the store says so on the terminal after a second (it was silent until
// store.lock_timeout), and goes on once the store is free (issue 25,
// item 6).
func TestPTYWaitingSaysSo(t *testing.T) {
	env := newHome(t)
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, password+"\n", "login", "--password-stdin")
	db, err := bolt.Open(storePath(env), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, env, "whoami")
	s.expect("waiting for another kcloud to finish...")
	db.Close()
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d after the store was released:\n%s", code, s.screen())
	}
	s.expect("User ID")
}

// TestPTYCtrlDEndsTheLine: Ctrl-D at an empty prompt exits 130 and ends
// the prompt's line, so the shell's prompt starts on a line of its own
// (issue 25, item 3).
func TestPTYCtrlDEndsTheLine(t *testing.T) {
	env := newHome(t)
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, password+"\n", "login", "--password-stdin")
	s := start(t, env, "account", "show")
	s.expect("Password for alice: ")
	io.WriteString(s.ptmx, "\x04")
	if code := s.wait(); code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, s.screen())
	}
	if !strings.Contains(s.screen(), "Password for alice: \r\n") {
		t.Fatalf("the prompt's line was not ended:\n%q", s.screen())
	}
}

// TestPTYWrongCodeAskedAgain: at login, a wrong OTP code is asked for
// again in place, as a wrong password is, without the password again;
// the right code then logs in (issue 42, item 4).
func TestPTYWrongCodeAskedAgain(t *testing.T) {
	env := newHome(t)
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, password+"\n", "login", "--password-stdin")
	var begin struct{ Secret string }
	if err := json.Unmarshal([]byte(run(t, env, password+"\n", "otp", "register", "--begin", "--password-stdin", "-o", "json")), &begin); err != nil {
		t.Fatal(err)
	}
	code, _ := totpCode(begin.Secret, 0)
	var done struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(run(t, env, password+"\n", "otp", "register", "--code", code, "--password-stdin", "-o", "json")), &done); err != nil {
		t.Fatal(err)
	}
	run(t, env, "", "logout")
	s := startSized(t, env, 80, 24, "login", "--user-id", "alice")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("OTP code")
	s.typeLine("000000")
	s.expect("Try again (2 of 3)")
	s.expect("OTP code (or a recovery code): ")
	s.typeLine(done.RecoveryCodes[0]) // this step's code was used to register
	if !strings.Contains(s.screen(), "Not accepted: ") {
		t.Fatalf("the wrong code was not said:\n%s", s.screen())
	}
	if c := s.wait(); c != 0 {
		t.Fatalf("exit %d after the right code:\n%s", c, s.screen())
	}
	if sc := s.screen(); strings.Count(sc, "Password for alice:") != 1 || !strings.Contains(sc, "Logged in as alice") {
		t.Fatalf("the password was asked again, or no login:\n%s", sc)
	}
	s.fits(80)
}

// TestPTYCtrlCInPasskeyCeremony: Ctrl-C while kcloud waits for the
// browser ends the ceremony, clears the countdown's line and exits 130,
// as at a prompt.
func TestPTYCtrlCInPasskeyCeremony(t *testing.T) {
	env := newHome(t)
	run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	run(t, env, password+"\n", "login", "--password-stdin")
	s := startSized(t, env, 80, 24, "passkey", "register", "--no-browser")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Waiting for the browser")
	io.WriteString(s.ptmx, "\x03")
	if code := s.wait(); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130:\n%s", code, s.screen())
	}
	out := s.screen() // what was written: the last countdown must be erased
	if i := strings.LastIndex(out, "Waiting for the browser"); i < 0 || !strings.Contains(out[i:], "\r\x1b[K") {
		t.Fatalf("the countdown's line was left on the screen:\n%q", out)
	}
}
