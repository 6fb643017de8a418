package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/term"
)

// IOStreams is kcloud's input and output: stdout carries only results,
// stderr messages, and the terminal (opened apart from both) prompts.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	// NoInput forbids prompting (--no-input, KCLOUD_NO_INPUT=1).
	NoInput bool
	// PasswordStdin takes each secret as one line of In.
	PasswordStdin bool
	// Term is $TERM and NoColor whether $NO_COLOR is set: what the
	// terminal can show, read once with the streams.
	Term    string
	NoColor bool

	stdinTTY  bool
	stdoutTTY bool
	// errWidth is the columns of the terminal stderr is, or 0: status
	// lines are wrapped to it at spaces, not by the terminal inside a word.
	errWidth int
	openTTY  func() (Terminal, error)
	// beforeSecret runs before each secret is read (Argon2id's prefault).
	beforeSecret func()
	// lang is the run's language, read when the person is asked.
	lang   func() tr
	tty    Terminal
	ttyErr error
	lines  *bufio.Reader
}

// Terminal is where prompts, the QR code and the steps go: the
// controlling terminal (term.TTY, /dev/tty), apart from stdin and stdout.
type Terminal interface {
	ReadLine(prompt string, max int) (string, error)
	ReadSecret(prompt string, max int) ([]byte, error)
	Writer() io.Writer
	Size() (cols, lines int)
	Close() error
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Term:      os.Getenv("TERM"),
		NoColor:   os.Getenv("NO_COLOR") != "",
		stdinTTY:  term.IsTerminal(os.Stdin),
		stdoutTTY: term.IsTerminal(os.Stdout),
		errWidth:  term.Width(os.Stderr),
		openTTY:   openTerminal,
	}
}

// openTerminal opens /dev/tty; no terminal is a nil Terminal, not a nil
// *term.TTY inside one.
func openTerminal() (Terminal, error) {
	t, err := term.Open()
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Test returns streams for running kcloud in-process: in is standard
// input, and what kcloud prints is in the buffers. There is no terminal,
// as in a script, until SetTerminal gives one.
func Test(in string) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(in), Out: &out, Err: &errOut}, &out, &errOut
}

// SetTerminal makes t the terminal, and stdin (and, with stdoutTTY,
// stdout) a terminal too, as a person's shell has them: for tests.
func (s *IOStreams) SetTerminal(t Terminal, stdoutTTY bool) {
	s.tty, s.ttyErr = t, nil
	s.stdinTTY, s.stdoutTTY = true, stdoutTTY
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// TTY returns the controlling terminal, opened once.
func (s *IOStreams) TTY() (Terminal, error) {
	if s.tty == nil && s.ttyErr == nil {
		if s.openTTY == nil {
			s.ttyErr = errors.New("no terminal")
		} else {
			s.tty, s.ttyErr = s.openTTY()
		}
	}
	return s.tty, s.ttyErr
}

// CanPrompt reports whether a person can be asked: prompting is allowed,
// stdin is a terminal (someone is there), and the terminal opens.
func (s *IOStreams) CanPrompt() bool {
	if s.NoInput || !s.stdinTTY {
		return false
	}
	_, err := s.TTY()
	return err == nil
}

// Close releases the terminal.
func (s *IOStreams) Close() {
	if s.tty != nil {
		s.tty.Close()
	}
}

// tr is the language the person is asked in: the run's, once its
// configuration is read (newRootFor sets lang).
func (s *IOStreams) tr() tr {
	if s.lang == nil {
		return tr{}
	}
	return s.lang()
}

// word is what, a text for people, kept to be said in the run's language.
func word(what string) fail.Message { return fail.Message{Format: what} }

// missing is the usage error for an input nobody can be asked for.
func (s *IOStreams) missing(what string, supply fail.Message) error {
	if s.NoInput {
		return fail.Usagef("%s is required and --no-input is set", word(what)).WithHint("%s", supply)
	}
	return fail.Usagef("%s is required and there is no terminal to ask on", word(what)).WithHint("%s", supply)
}

// errStdinEnded: --password-stdin's input had no line left for a secret.
var errStdinEnded = errors.New("standard input ended")

// stdinLine reads the next line of stdin for --password-stdin. When
// stdin is a terminal, a person is typing it: it is read there with echo
// off, as a prompt would be, so the password is not shown.
func (s *IOStreams) stdinLine(what string) ([]byte, error) {
	if s.stdinTTY && !s.NoInput {
		if t, err := s.TTY(); err == nil {
			b, err := t.ReadSecret(upperFirst(s.tr().T(what))+": ", secret.MaxPassword)
			if errors.Is(err, term.ErrTooLong) {
				return nil, fail.Usagef("%s is longer than %d bytes", word(what), secret.MaxPassword)
			}
			return b, err
		}
	}
	if s.lines == nil {
		s.lines = bufio.NewReader(s.In)
	}
	// At most the limit, the line end and one byte more are read: an
	// endless line is refused without holding it (security rule 13).
	var line []byte
	for len(line) <= secret.MaxPassword+2 {
		b, err := s.lines.ReadByte()
		if err != nil {
			if len(line) == 0 {
				return nil, fail.Mark(fail.Usage, errStdinEnded, "--password-stdin: standard input ended before %s", word(what))
			}
			break
		}
		if b == '\n' {
			break
		}
		line = append(line, b)
	}
	line = trimEOL(line)
	if len(line) > secret.MaxPassword {
		return nil, fail.Usagef("--password-stdin: the line for %s is longer than %d bytes", word(what), secret.MaxPassword)
	}
	return line, nil
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// Secret asks for one secret (a password) with echo off. what names it
// ("the password for alice"); label is the prompt.
func (s *IOStreams) Secret(what, label string) ([]byte, error) {
	if s.beforeSecret != nil {
		s.beforeSecret()
	}
	if s.PasswordStdin {
		return s.stdinLine(what)
	}
	if !s.CanPrompt() {
		return nil, s.missing(what, word("pass it on standard input with --password-stdin"))
	}
	t, _ := s.TTY()
	b, err := t.ReadSecret(s.tr().T(label), secret.MaxPassword)
	if errors.Is(err, term.ErrTooLong) {
		return nil, fail.Usagef("%s is longer than %d bytes", word(what), secret.MaxPassword)
	}
	return b, err
}

// newPasswordTries is how often a terminal asks for a new password that
// the rules refuse, or whose repeat differs, before giving up.
const newPasswordTries = 3

// passwordRule is said before the first new-password prompt, with the
// length that applies to this password.
var passwordRule = msg("A password has at least %d characters, is not a common one, and holds no\npart of your User ID, name or organization. A few unrelated words make a good\none.")

// The prompts for a new password, for the person's own account and for
// another's (NewPassword's whose).
var (
	newPasswordPrompt   = msg("New password: ")
	repeatPrompt        = msg("Repeat the new password: ")
	newPasswordForOther = msg("New password for %s: ")
	repeatForOther      = msg("Repeat the new password for %s: ")
)

// NewPassword asks for a new password of at least minLen characters; at
// a terminal, twice. check is
// the rule it must meet, and makes the checked value the domain takes
// (account.NewPassword): the rule runs once, here. At a terminal the rule
// is said first, and a refused password or a repeat that differs is
// asked again, up to three times, with the reason; from standard input a
// refused password is the error.
//
// whose, when it is not the person's own account, names it in the
// prompts: "New password for bob: ".
func NewPassword[T any](s *IOStreams, what, whose string, minLen int, check func([]byte) (T, error)) (T, error) {
	w := s.tr()
	prompt, repeat := w.T(newPasswordPrompt), w.T(repeatPrompt)
	if whose != "" {
		prompt, repeat = w.F(newPasswordForOther, whose), w.F(repeatForOther, whose)
	}
	var none T
	if s.PasswordStdin {
		pw, err := s.Secret(what, "")
		if err != nil {
			return none, err
		}
		return check(pw)
	}
	if !s.CanPrompt() {
		return none, s.missing(what, word("pass it on standard input with --password-stdin"))
	}
	t, _ := s.TTY()
	fmt.Fprintln(t.Writer(), w.F(passwordRule, minLen))
	var err error
	for try := 1; try <= newPasswordTries; try++ {
		var pw, again []byte
		if pw, err = s.Secret(what, prompt); err != nil {
			return none, err
		}
		var checked T
		if checked, err = check(pw); err == nil {
			if again, err = s.Secret(what, repeat); err != nil {
				return none, err
			}
			if string(again) == string(pw) {
				return checked, nil
			}
			err = fail.Usagef("the two passwords differ")
		}
		if fail.KindOf(err) != fail.Usage {
			return none, err
		}
		if try < newPasswordTries {
			toTerminal(t, w.F("%s. Try again (%d of %d).", upperFirst(w.say(err)), try+1, newPasswordTries))
		}
	}
	return none, err
}

// upperFirst is s with its first letter a capital, where its script has
// capitals.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// Code asks for a short code (OTP, recovery or verification) that flag
// could have supplied. With --password-stdin it is the next line.
func (s *IOStreams) Code(what, label, flag string) (string, error) {
	if s.PasswordStdin {
		b, err := s.stdinLine(what)
		var fe *fail.Error
		if errors.Is(err, errStdinEnded) && errors.As(err, &fe) {
			// A script that gave the password on stdin gives the code
			// by its flag (issue: a login with an OTP named no flag).
			fe.WithHint("give it with %s", flag)
		}
		return string(b), err
	}
	if !s.CanPrompt() {
		return "", s.missing(what, fail.Message{Format: "give it with %s, or as a line of standard input with --password-stdin", Args: []any{flag}})
	}
	t, _ := s.TTY()
	return t.ReadLine(s.tr().T(label), 64)
}

// Ask asks for a value that flag could have supplied.
func (s *IOStreams) Ask(what, label, flag string) (string, error) {
	if !s.CanPrompt() {
		return "", s.missing(what, fail.Message{Format: "give it with %s", Args: []any{flag}})
	}
	t, _ := s.TTY()
	v, err := t.ReadLine(s.tr().T(label), 1024)
	if errors.Is(err, term.ErrTooLong) {
		return "", fail.Usagef("%s is too long", word(what))
	}
	return v, err
}

// Confirm asks a yes/no question; def is the answer to an empty line.
func (s *IOStreams) Confirm(label string, def bool) (bool, error) {
	t, err := s.TTY()
	if err != nil {
		return def, err
	}
	for {
		v, err := t.ReadLine(s.tr().T(label), 16)
		if err != nil && !errors.Is(err, term.ErrTooLong) {
			return def, err
		}
		switch v {
		case "":
			return def, nil
		case "y", "Y", "yes", "Yes", "예", "네":
			return true, nil
		case "n", "N", "no", "No", "아니요", "아니오":
			return false, nil
		}
	}
}
