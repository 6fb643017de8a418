package cli

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/termtest"
)

// script is a terminal for tests: what kcloud writes to it is kept, and
// each prompt is answered by answer, which sees the prompt and the whole
// screen so far. An answer of ^C is Ctrl-C.
type script struct {
	t           *testing.T
	out         bytes.Buffer
	cols, lines int
	answer      func(prompt, screen string) string
	prompts     []string
}

func (s *script) ask(prompt string) (string, error) {
	s.out.WriteString(prompt)
	s.prompts = append(s.prompts, prompt)
	if len(s.prompts) > 40 {
		s.t.Fatalf("kcloud asked 40 times; the last: %q\n%s", prompt, s.out.String())
	}
	a := s.answer(prompt, s.out.String())
	if a == "^C" {
		s.out.WriteString("^C\n")
		return "", fail.ErrInterrupted
	}
	return a, nil
}

func (s *script) ReadLine(prompt string, max int) (string, error) {
	a, err := s.ask(prompt)
	if err == nil {
		s.out.WriteString(a + "\n")
	}
	return a, err
}

func (s *script) ReadSecret(prompt string, max int) ([]byte, error) {
	a, err := s.ask(prompt)
	if err == nil {
		s.out.WriteString("\n") // no echo
	}
	return []byte(a), err
}

func (s *script) Writer() io.Writer      { return &s.out }
func (s *script) Size() (cols, rows int) { return s.cols, s.lines }
func (s *script) Close() error           { return nil }

// answers answers the prompts that start with each key, in order for a
// key given several answers (the last one repeats).
func answers(m map[string][]string) func(prompt, screen string) string {
	used := map[string]int{}
	return func(prompt, _ string) string {
		for k, as := range m {
			if strings.HasPrefix(prompt, k) {
				i := min(used[k], len(as)-1)
				used[k]++
				return as[i]
			}
		}
		return "^C"
	}
}

// atTerminal runs kcloud with a person at a terminal of cols x lines
// (stdout a terminal too where stdoutTTY), TERM=xterm-256color.
func atTerminal(t *testing.T, term *script, stdoutTTY bool, args ...string) (int, string, string) {
	t.Helper()
	term.t = t
	if term.cols == 0 {
		term.cols, term.lines = 80, 24
	}
	streams, out, errOut := Test("")
	streams.SetTerminal(term, stdoutTTY)
	streams.Term = "xterm-256color"
	code := run(streams, args)
	return code, out.String(), errOut.String()
}

// appCode is the code an app shows now for the setup key on the screen.
func appCode(t *testing.T, screen string) string {
	t.Helper()
	key := termtest.SetupKey(screen)
	if key == "" {
		t.Fatalf("no setup key on the screen:\n%s", screen)
	}
	sec, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	return otp.CodeAt(sec, otp.StepAt(time.Now()))
}

// TestTerminalInit: init with nothing given asks for each field; a
// refused password is asked again with the reason, a repeat that differs
// too, and the third good one is taken.
func TestTerminalInit(t *testing.T) {
	home(t)
	term := &script{answer: answers(map[string][]string{
		"Organization name:":                  {"Acme"},
		"User ID:":                            {"alice"},
		"Name:":                               {"Alice"},
		"Does the organization use nicknames": {""},
		"New password:":                       {"password", testPassword, testPassword},
		"Repeat the new":                      {"something else", testPassword},
	})}
	code, out, errOut := atTerminal(t, term, true, "init")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s\nterminal:\n%s", code, errOut, term.out.String())
	}
	screen := term.out.String()
	for _, want := range []string{"A password has at least", "Try again (2 of 3)", "The two passwords differ. Try again (3 of 3)"} {
		if !strings.Contains(flat(screen), want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen)
		}
	}
	if strings.Contains(out+errOut, testPassword) || strings.Contains(screen, testPassword) {
		t.Fatal("the password was shown")
	}
	// Logged in at the terminal: the password, no second factor yet.
	term = &script{answer: answers(map[string][]string{"Password for alice": {testPassword}})}
	if code, _, errOut := atTerminal(t, term, true, "login"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errOut)
	}
}

// TestTerminalRegisterAndDelete: otp register at an 80x24 terminal draws
// the code and the setup key; a mistyped and a wrong code are asked again;
// the right one registers, the screen is cleared and the recovery codes
// go to stdout. otp delete then takes a recovery code after a malformed
// answer, and login asks for the second factor in between.
func TestTerminalRegisterAndDelete(t *testing.T) {
	initStore(t)
	wrong := 0
	term := &script{answer: func(prompt, screen string) string {
		switch {
		case strings.HasPrefix(prompt, "Password for alice"):
			return testPassword
		case prompt == "Code: " && wrong == 0:
			wrong++
			return "12ab"
		case prompt == "Code: " && wrong == 1:
			wrong++
			good := appCode(t, screen)
			return fmt.Sprintf("%06d", (atoi(good)+500000)%1000000)
		case prompt == "Code: ":
			return appCode(t, screen)
		}
		return "^C"
	}}
	code, out, errOut := atTerminal(t, term, true, "otp", "register")
	screen := term.out.String()
	if code != 0 {
		t.Fatalf("otp register: exit %d\n%s\nterminal:\n%s", code, errOut, screen)
	}
	for _, want := range []string{"▀", "Setup key: ", "A code is the 6 digits", "That code is not right (1 of", "\x1b[H\x1b[2J\x1b[3J", "Registered.\nThe QR code and the setup key were cleared"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen)
		}
	}
	recovery := regexp.MustCompile(`(?m)^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$`).FindAllString(out, -1)
	if len(recovery) != 10 || strings.Contains(out, "Setup key") {
		t.Fatalf("stdout holds %d recovery codes (want 10) and no setup key:\n%s", len(recovery), out)
	}
	mustKC(t, "", "logout")

	// Login now asks for the second factor at the terminal.
	term = &script{answer: answers(map[string][]string{
		"Password for alice": {testPassword},
		"OTP code":           {"not a code", recovery[0]},
	})}
	if code, _, errOut := atTerminal(t, term, false, "login"); code != 0 {
		t.Fatalf("login with a recovery code: exit %d\n%s\nterminal:\n%s", code, errOut, term.out.String())
	}
	if !strings.Contains(term.out.String(), "neither a 6-digit code nor a recovery code") {
		t.Errorf("a malformed second factor was not asked again:\n%s", term.out.String())
	}

	term = &script{answer: answers(map[string][]string{
		"Password for alice": {testPassword},
		"OTP code":           {"nope", recovery[1]},
	})}
	if code, _, errOut := atTerminal(t, term, false, "otp", "delete"); code != 0 {
		t.Fatalf("otp delete: exit %d\n%s\nterminal:\n%s", code, errOut, term.out.String())
	}
	if got := mustKC(t, testPassword+"\n", "account", "show", "--password-stdin", "-o", "json"); !strings.Contains(got, `"registered": false`) {
		t.Fatalf("the OTP is still registered:\n%s", got)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestTerminalRegisterCancelled: Ctrl-C at the code prompt registers
// nothing and says so; the pending secret is discarded.
func TestTerminalRegisterCancelled(t *testing.T) {
	initStore(t)
	term := &script{answer: answers(map[string][]string{"Password for alice": {testPassword}, "Code:": {"^C"}})}
	code, _, _ := atTerminal(t, term, true, "otp", "register")
	if code != ExitInterrupted || !strings.Contains(term.out.String(), "Cancelled: no OTP was registered.") {
		t.Fatalf("Ctrl-C at the code: exit %d\n%s", code, term.out.String())
	}
	if code, _, errOut := kc(t, testPassword+"\n", "otp", "register", "--code", "123456", "--password-stdin"); code == 0 || !strings.Contains(errOut, "no pending OTP registration") {
		t.Fatalf("--code after a cancelled registration: exit %d, %s; want the pending one gone", code, errOut)
	}
}

// TestTerminalQRLayout: what the registration screen shows for the
// terminal it has: no escape sequence where the terminal shows no colour
// or NO_COLOR asks for none (--qr auto), a reason where the code does not
// fit, the half-block code where asked (without colour under NO_COLOR),
// and nothing drawn when stdout is not a terminal (--qr auto).
func TestTerminalQRLayout(t *testing.T) {
	initStore(t)
	for _, tc := range []struct {
		name        string
		term        string
		noColor     bool
		cols, lines int
		stdoutTTY   bool
		args        []string
		want        string
		drawn       bool
	}{
		{"dumb terminal", "dumb", false, 80, 24, true, nil, "this terminal shows no colours", false},
		{"NO_COLOR", "xterm", true, 80, 24, true, nil, "NO_COLOR is set", false},
		{"too small", "xterm", false, 30, 10, true, nil, "the terminal is 30x10 and the code needs", false},
		{"half blocks asked for", "xterm", true, 80, 24, true, []string{"--qr", "half"}, "▀", true},
		{"stdout not a terminal", "xterm", false, 80, 24, false, nil, "Setup key: ", false},
		{"wide: the steps beside the code", "xterm", false, 140, 40, true, nil, "Setup key: ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term := &script{t: t, cols: tc.cols, lines: tc.lines, answer: answers(map[string][]string{"Password for alice": {testPassword}, "Code:": {"^C"}})}
			streams, _, errOut := Test("")
			streams.SetTerminal(term, tc.stdoutTTY)
			streams.Term, streams.NoColor = tc.term, tc.noColor
			code := run(streams, append([]string{"otp", "register"}, tc.args...))
			screen := term.out.String()
			if code != ExitInterrupted || !strings.Contains(screen, tc.want) {
				t.Fatalf("exit %d, want %d and %q on the screen:\n%s\n%s", code, ExitInterrupted, tc.want, screen, errOut)
			}
			if drawn := strings.Contains(screen, "█") || strings.Contains(screen, "▀"); drawn != tc.drawn {
				t.Fatalf("a code drawn: %v, want %v:\n%s", drawn, tc.drawn, screen)
			}
			// Cancelled, the screen is cleared of the setup key (issue 25,
			// item 10): an erase, not a colour, so NO_COLOR keeps it.
			clear := "\x1b[H\x1b[2J\x1b[3J"
			if !strings.Contains(screen, clear+"Cancelled: no OTP was registered.") && tc.term != "dumb" {
				t.Fatalf("cancelled, the setup key was not cleared:\n%q", screen)
			}
			if (!tc.drawn || tc.noColor) && strings.Contains(strings.Replace(screen, clear, "", 1), "\x1b[") {
				t.Fatalf("an escape sequence where no colour is wanted:\n%q", screen)
			}
		})
	}
}

// TestTerminalVerifyEmail: the code is sent to the outbox, a wrong code
// at the terminal is asked again, and the right one verifies.
func TestTerminalVerifyEmail(t *testing.T) {
	h := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(initStore(t)))))
	outbox := filepath.Join(h, ".local", "state", "kcloud", "outbox")
	codeFrom := func() string {
		files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
		if len(files) != 1 {
			t.Fatalf("%d messages in %s, want 1", len(files), outbox)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return regexp.MustCompile(`\b\d{6}\b`).FindString(string(b))
	}
	tries := 0
	term := &script{answer: func(prompt, _ string) string {
		switch {
		case strings.HasPrefix(prompt, "Password for alice"):
			return testPassword
		case prompt == "Code: " && tries == 0:
			tries++
			c := codeFrom()
			return fmt.Sprintf("%06d", (atoi(c)+1)%1000000)
		case prompt == "Code: ":
			return codeFrom()
		}
		return "^C"
	}}
	code, out, errOut := atTerminal(t, term, false, "contact", "verify", "email", "alice@example.com")
	if code != 0 {
		t.Fatalf("contact verify: exit %d\n%s\n%s", code, errOut, term.out.String())
	}
	if !strings.Contains(errOut, "Nothing was sent") || !strings.Contains(errOut, "more wrong") || !strings.Contains(out+errOut, "Verified alice@example.com") {
		t.Fatalf("stderr:\n%s\nstdout:\n%s", errOut, out)
	}
}

// flat is a screen with its lines joined: a long line is wrapped at a
// space to the terminal's width.
func flat(screen string) string { return strings.ReplaceAll(screen, "\n", " ") }

// TestTerminalAccountCreate: an admin creates an account at the
// terminal: the User ID and name asked for, the admin's password, the new
// account's password twice.
func TestTerminalAccountCreate(t *testing.T) {
	initStore(t)
	term := &script{answer: answers(map[string][]string{
		"User ID:":              {"bob"},
		"Name:":                 {"Bob"},
		"Password for alice":    {testPassword},
		"New password for bob:": {"green kite over hills"},
		"Repeat the new":        {"green kite over hills"},
	})}
	code, _, errOut := atTerminal(t, term, false, "account", "create")
	if code != 0 || !strings.Contains(errOut, "Created the account bob.") {
		t.Fatalf("account create: exit %d\n%s\n%s", code, errOut, term.out.String())
	}
	mustKC(t, "", "logout")
	mustKC(t, "green kite over hills\n", "login", "--user-id", "bob", "--password-stdin")
}

// TestTerminalPassword: account password at the terminal asks for the
// current password and the new one twice.
func TestTerminalPassword(t *testing.T) {
	initStore(t)
	next := "blue lanterns by the bay"
	term := &script{answer: answers(map[string][]string{
		"Current password": {testPassword},
		"New password:":    {next},
		"Repeat the new":   {next},
	})}
	if code, _, errOut := atTerminal(t, term, false, "account", "password"); code != 0 || !strings.Contains(errOut, "Password changed.") {
		t.Fatalf("account password: exit %d\n%s\n%s", code, errOut, term.out.String())
	}
	mustKC(t, next+"\n", "account", "show", "--password-stdin")
}

// TestTerminalPasswordAskedAgain: a wrong password at a terminal is said
// and asked again, as sudo does, each try counted; an empty line is not a
// try; the third wrong one ends the command (issue 25, item 3).
func TestTerminalPasswordAskedAgain(t *testing.T) {
	initStore(t)
	mustKC(t, "", "logout")
	term := &script{answer: answers(map[string][]string{"Password for alice": {"not it at all", "", testPassword}})}
	code, _, errOut := atTerminal(t, term, false, "login", "--user-id", "alice")
	screen := term.out.String()
	if code != 0 || !strings.Contains(flat(screen), "Wrong password: 4 more failed attempts lock the account for 15 minutes. Try again (2 of 3).") {
		t.Fatalf("login: exit %d\n%s\n%s", code, screen, errOut)
	}
	if n := strings.Count(strings.Join(term.prompts, "\n"), "Password for alice"); n != 3 {
		t.Fatalf("asked %d times, want 3 (one empty)", n)
	}
	page := &script{answer: answers(map[string][]string{"Password for alice": {"wrong 1", "wrong 2", "wrong 3", testPassword}})}
	code, _, errOut = atTerminal(t, page, false, "account", "show")
	if code != ExitAuth || strings.Count(flat(page.out.String()), "Try again") != 2 || !strings.Contains(errOut, "wrong password") {
		t.Fatalf("three wrong passwords at account show: exit %d\n%s\n%s", code, page.out.String(), errOut)
	}
	if out := mustKC(t, testPassword+"\n", "account", "activity", "--password-stdin", "--limit", "3", "-o", "json"); strings.Count(out, "password_failed") != 3 {
		t.Fatalf("three wrong tries are three failures:\n%s", out)
	}
}

// TestTerminalMemberListFits: at an 80-column terminal the member list
// fits, long User IDs and names shortened with "…"; piped, it keeps
// every value whole.
func TestTerminalMemberListFits(t *testing.T) {
	initStore(t)
	long := "alexander.hamilton.the.third@example.com"
	mustKC(t, testPassword+"\nviolet lamp under snow tonight\n", "member", "create", "--user-id", long, "--name", "Alexander Hamilton the Third, Treasury", "--password-stdin")
	term := &script{answer: answers(map[string][]string{"Password for alice": {testPassword}})}
	code, out, errOut := atTerminal(t, term, true, "member", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := utf8.RuneCountInString(line); w > 80 {
			t.Errorf("a line of %d columns:\n%s", w, out)
		}
	}
	if !strings.Contains(out, "…") {
		t.Errorf("nothing was shortened:\n%s", out)
	}
	if piped := mustKC(t, testPassword+"\n", "member", "list", "--password-stdin"); !strings.Contains(piped, long) {
		t.Errorf("piped, the User ID was shortened:\n%s", piped)
	}
}
