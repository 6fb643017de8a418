package term

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	r := strings.NewReader("first\nsecond\nlast")
	for _, want := range []string{"first", "second", "last"} {
		got, err := readLine(r, 64)
		if err != nil || string(got) != want {
			t.Fatalf("readLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readLine(r, 64); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v", err)
	}
}

// TestReadLineNeverTruncates: a line longer than the limit is an error,
// and the next line is read whole.
func TestReadLineNeverTruncates(t *testing.T) {
	r := strings.NewReader(strings.Repeat("x", 10) + "\nnext\n")
	if got, err := readLine(r, 9); !errors.Is(err, ErrTooLong) || got != nil {
		t.Fatalf("an over-long line = %q, %v", got, err)
	}
	if got, err := readLine(r, 9); err != nil || string(got) != "next" {
		t.Fatalf("the line after = %q, %v", got, err)
	}
}

func FuzzReadLine(f *testing.F) {
	f.Add([]byte("password\n"), 16)
	f.Add([]byte("no newline"), 4)
	f.Add([]byte("\r\n\n\x00\xff"), 1)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 0 || max > 4096 {
			return
		}
		got, err := readLine(bytes.NewReader(in), max)
		if err != nil {
			return
		}
		line, _, _ := bytes.Cut(in, []byte("\n"))
		if len(got) > max || bytes.IndexByte(got, '\n') >= 0 || !bytes.Equal(got, line) {
			t.Fatalf("readLine(%q, %d) = %q", in, max, got)
		}
	})
}
