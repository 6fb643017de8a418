// Package term talks to the person at the terminal: it opens the
// controlling terminal (not stdin or stdout, which carry data), prompts on
// it, and reads secrets with echo off. Ctrl-C or SIGTERM at a prompt
// restores the terminal and returns fail.ErrInterrupted.
package term

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	xterm "golang.org/x/term"

	"github.com/kcloud/kcloud/internal/fail"
)

// TTY is the controlling terminal.
type TTY struct {
	in, out *os.File
	sig     chan os.Signal // while a prompt is up
}

// Open opens the controlling terminal.
func Open() (*TTY, error) { return open() }

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return xterm.IsTerminal(int(f.Fd())) }

// Width is the columns of the terminal f is, or 0 when it is none.
func Width(f *os.File) int {
	if w, _, err := xterm.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	return 0
}

// Close closes the terminal.
func (t *TTY) Close() error {
	if t.out != t.in {
		t.out.Close()
	}
	return t.in.Close()
}

// Writer is where prompts and pictures go.
func (t *TTY) Writer() io.Writer { return t.out }

// Size is the terminal's columns and lines, or 80x24 when unknown.
func (t *TTY) Size() (cols, lines int) {
	if w, h, err := xterm.GetSize(int(t.out.Fd())); err == nil && w > 0 && h > 0 {
		return w, h
	}
	return 80, 24
}

// ErrTooLong is returned for an input line longer than the limit given to
// a read: kcloud never truncates what a person typed.
var ErrTooLong = errors.New("input line too long")

// ReadLine prompts and reads one line with echo on.
func (t *TTY) ReadLine(prompt string, max int) (string, error) {
	stop := t.watch()
	defer stop()
	fmt.Fprint(t.out, prompt)
	b, err := t.interruptible(func() ([]byte, error) { return readLine(t.in, max) }, nil)
	return strings.TrimRight(string(b), "\r"), err
}

// ReadSecret prompts and reads one line with echo off. Signals are
// watched, then echo is turned off, then the prompt is drawn: no signal
// can leave echo off, and nothing typed after the prompt appears.
func (t *TTY) ReadSecret(prompt string, max int) ([]byte, error) {
	stop := t.watch()
	defer stop()
	restore, err := noEcho(t.in)
	if err != nil {
		return nil, fail.Errorf("turning off echo: %w", err)
	}
	fmt.Fprint(t.out, prompt)
	b, err := t.interruptible(func() ([]byte, error) { return readLine(t.in, max) }, restore)
	if err == nil {
		restore()
		fmt.Fprintln(t.out)
	}
	return []byte(strings.TrimRight(string(b), "\r")), err
}

// watched are the signals that end kcloud at a prompt: each restores the
// terminal first, and none dumps goroutines (Go's default for SIGQUIT).
var watched = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// watch catches the watched signals until stop is called, so that a
// signal while a prompt is up becomes an interrupt error (exit 128+N)
// instead of an exit that skips restoring the terminal.
func (t *TTY) watch() (stop func()) {
	t.sig = make(chan os.Signal, 1)
	signal.Notify(t.sig, watched...)
	return func() { signal.Stop(t.sig) }
}

// interruptible runs read until it returns or a watched signal arrives.
// On a signal it restores the terminal and returns fail.ErrInterrupted;
// the read is abandoned, and the process is about to exit.
func (t *TTY) interruptible(read func() ([]byte, error), restore func()) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := read()
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && restore != nil {
			restore()
		}
		if errors.Is(r.err, io.EOF) && len(r.b) == 0 {
			// Ctrl-D at an empty prompt: the line ends here, so that what
			// comes next (the shell's prompt) starts on a line of its own.
			fmt.Fprintln(t.out)
			return nil, fail.ErrInterrupted
		}
		return r.b, r.err
	case sig := <-t.sig:
		// What was typed but not entered belongs to this prompt. It is
		// discarded before echo comes back: otherwise the terminal shows
		// it, and the shell reads half a password as its next command.
		// A signal skips the input queue, so those bytes may not even
		// have been read by the line discipline yet.
		flushInput(t.in)
		if restore != nil {
			restore()
		}
		fmt.Fprintln(t.out)
		n := 2
		if s, ok := sig.(syscall.Signal); ok {
			n = int(s)
		}
		return nil, fail.InterruptedBy(n)
	}
}

// readLine reads up to a newline, one byte at a time so that nothing
// after the line is consumed. A line longer than max is an error, never
// a truncated value.
func readLine(r io.Reader, max int) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(line) >= max {
				clear(line) // a secret's first bytes
				return nil, drain(r)
			}
			line = append(line, b[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				break
			}
			return line, err
		}
	}
	return line, nil
}

// drain consumes the rest of an over-long line and reports ErrTooLong.
func drain(r io.Reader) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if (n == 1 && b[0] == '\n') || err != nil {
			return ErrTooLong
		}
	}
}
