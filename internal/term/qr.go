package term

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"

	"github.com/kcloud/kcloud/internal/safefile"
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

// Colours are set explicitly for every cell, and reset after it, so the
// code reads the same on a dark or a light theme, and no colour bleeds
// into the rest of the line: xterm-256 16 is #000000 and 231 #ffffff.
const (
	dark  = "16"
	light = "231"
	reset = "\x1b[0m"
)

// ErrQRTooLong reports text too long for a QR code.
var ErrQRTooLong = errors.New("too long for a QR code")

// QR is an encoded QR code.
type QR struct {
	text string
	code *qr.Code
}

// EncodeQR encodes text at the lowest error correction level: a screen
// does not smudge, and a smaller code fits more terminals. qrterminal
// encodes again to draw (the same library, the same level); encoding
// here first checks the length, which qrterminal would answer with a
// panic, and gives the size the layout needs.
func EncodeQR(text string) (*QR, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil || code == nil {
		return nil, ErrQRTooLong
	}
	return &QR{text: text, code: code}, nil
}

// Modules is the code's side, without the quiet zone.
func (q *QR) Modules() int { return q.code.Size }

// Size is how many columns and lines the code takes in style with a
// quiet zone of quiet modules (an even number) on each side.
func (q *QR) Size(style QRStyle, quiet int) (cols, lines int) {
	n := q.code.Size + 2*quiet
	if style == QRFull {
		return 2 * n, n
	}
	return n, (n + 1) / 2
}

// Drawing is how a code is drawn on a terminal.
type Drawing struct {
	Style QRStyle
	// Quiet is the quiet zone on each side, in modules: even, since
	// qrterminal draws an odd one in half blocks with a dark half-row
	// at the top.
	Quiet int
	// Invert swaps dark and light.
	Invert bool
	// Plain draws without colour (NO_COLOR): block characters in the
	// terminal's own foreground for the dark modules, its background
	// for the light. That reads as drawn on a light theme; on a dark
	// one the code comes out inverted, and Invert sets it right.
	Plain bool
}

// Draw writes the code with qrterminal. beside, if any, is text written
// to the right of the code's lines, one string a line.
func (q *QR) Draw(w io.Writer, d Drawing, beside []string) error {
	var buf bytes.Buffer
	cfg := qrterminal.Config{
		Level:      qr.L,
		Writer:     &buf,
		HalfBlocks: d.Style == QRHalf,
		QuietZone:  d.Quiet,
	}
	// last is what the quiet zone's last half-row becomes: light above,
	// the terminal's own background below. qrterminal draws it as
	// light above, dark below, which would be a bar under the code on a
	// light theme.
	var last string
	if d.Plain {
		ink, none := "█", " "
		cfg.BlackChar, cfg.WhiteChar, cfg.BlackWhiteChar, cfg.WhiteBlackChar = ink, none, "▀", "▄"
		last = none
		if d.Invert { // the light modules are the ink
			cfg.BlackChar, cfg.WhiteChar, cfg.BlackWhiteChar, cfg.WhiteBlackChar = none, ink, "▄", "▀"
			last = "▀"
		}
		if d.Style == QRFull {
			cfg.BlackChar, cfg.WhiteChar = strings.Repeat(cfg.BlackChar, 2), strings.Repeat(cfg.WhiteChar, 2)
		}
	} else {
		// Colours are set explicitly for every cell, and reset after it.
		fg, bg := dark, light
		if d.Invert {
			fg, bg = light, dark
		}
		cell := func(top, bottom string) string { return "\x1b[38;5;" + top + ";48;5;" + bottom + "m▀" + reset }
		cfg.BlackChar, cfg.WhiteChar, cfg.BlackWhiteChar, cfg.WhiteBlackChar = cell(fg, fg), cell(bg, bg), cell(fg, bg), cell(bg, fg)
		last = "\x1b[38;5;" + bg + ";49m▀" + reset
		if d.Style == QRFull {
			cfg.BlackChar = "\x1b[48;5;" + fg + "m  " + reset
			cfg.WhiteChar = "\x1b[48;5;" + bg + "m  " + reset
		}
	}
	qrterminal.GenerateWithConfig(q.text, cfg)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if d.Style == QRHalf && len(lines) > 0 {
		l := &lines[len(lines)-1]
		if strings.Trim(*l, cfg.WhiteBlackChar) == "" {
			*l = strings.ReplaceAll(*l, cfg.WhiteBlackChar, last)
		}
	}
	var out strings.Builder
	for i, l := range lines {
		out.WriteString(l)
		if i < len(beside) && beside[i] != "" {
			out.WriteString("  " + beside[i])
		}
		out.WriteString("\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// WritePNG writes the code as a PNG image (mode 0600), with its quiet
// zone, for scanning from another screen. The file is replaced whole.
func (q *QR) WritePNG(path string) error {
	c := *q.code
	c.Scale = 8
	return safefile.WriteFile(path, c.PNG())
}
