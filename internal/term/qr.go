package term

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"rsc.io/qr"
)

// QRStyle is how a QR code is drawn in a terminal.
type QRStyle int

const (
	// QRFull draws each module as two spaces with a background colour.
	QRFull QRStyle = iota
	// QRHalf draws two rows of modules per line with "▀", its foreground
	// the upper module and its background the lower one.
	QRHalf
)

// quiet is the quiet zone the QR specification asks for, in modules.
const quiet = 4

// Colours are set explicitly for every cell, so the code reads the same on
// a dark or a light theme: xterm-256 16 is #000000 and 231 is #ffffff.
const (
	dark  = 16
	light = 231
	reset = "\x1b[0m"
)

// ErrQRTooLong reports text too long for a QR code.
var ErrQRTooLong = errors.New("too long for a QR code")

// QR is an encoded QR code.
type QR struct{ code *qr.Code }

// EncodeQR encodes text at the lowest error correction level: a screen
// does not smudge, and a smaller code fits more terminals.
func EncodeQR(text string) (*QR, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil || code == nil {
		return nil, ErrQRTooLong
	}
	return &QR{code}, nil
}

// Width is how many terminal columns the code takes in style.
func (q *QR) Width(style QRStyle) int {
	n := q.code.Size + 2*quiet
	if style == QRFull {
		return 2 * n
	}
	return n
}

// black reports whether the module at (x, y) is dark; coordinates
// outside the code are the quiet zone.
func (q *QR) black(x, y int) bool {
	return x >= 0 && y >= 0 && x < q.code.Size && y < q.code.Size && q.code.Black(x, y)
}

// Draw writes the code in style. invert swaps the colours, for scanners
// or screens that want light modules on dark.
func (q *QR) Draw(w io.Writer, style QRStyle, invert bool) error {
	colour := func(black bool) int {
		if black != invert {
			return dark
		}
		return light
	}
	var b strings.Builder
	lo, hi := -quiet, q.code.Size+quiet
	// Each line sets its colours afresh and resets at its end; within a
	// line a colour is sent only when it changes.
	switch style {
	case QRFull:
		for y := lo; y < hi; y++ {
			last := -1
			for x := lo; x < hi; x++ {
				if c := colour(q.black(x, y)); c != last {
					fmt.Fprintf(&b, "\x1b[48;5;%dm", c)
					last = c
				}
				b.WriteString("  ")
			}
			b.WriteString(reset + "\n")
		}
	case QRHalf:
		for y := lo; y < hi; y += 2 {
			last := [2]int{-1, -1}
			for x := lo; x < hi; x++ {
				if c := [2]int{colour(q.black(x, y)), colour(q.black(x, y+1))}; c != last {
					fmt.Fprintf(&b, "\x1b[38;5;%d;48;5;%dm", c[0], c[1])
					last = c
				}
				b.WriteString("▀")
			}
			b.WriteString(reset + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePNG writes the code as a PNG image (mode 0600), with its quiet
// zone, for scanning from another screen. The file is replaced whole.
func (q *QR) WritePNG(path string) error {
	c := *q.code
	c.Scale = 8
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(c.PNG()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
