// Package text owns the rules for strings that people type (names,
// nicknames, organization names): what is accepted on input, and how any
// string is escaped on output so that no control character, escape
// sequence or bidi override reaches a terminal (security rule 8).
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxName is the longest name, nickname or organization name, in characters.
const MaxName = 64

// unsafe reports whether r must never reach a terminal as itself: C0 and
// C1 controls, DEL, line and paragraph separators, and Unicode format
// characters (bidi overrides, isolates and marks, zero-width spaces, BOM),
// except the joiners that scripts and emoji need.
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == '\u2028', r == '\u2029':
		return true
	case r == '\u200c', r == '\u200d': // ZWNJ, ZWJ
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// CheckName validates a name-like field and returns it with surrounding
// white space removed. what names the field in the error ("name").
func CheckName(what Word, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errorf("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if unsafe(r) {
			return "", errorf("%s contains a control or formatting character (%U); only printable text is allowed", what, r)
		}
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", errorf("%s is empty", what)
	case !visible(s):
		return "", errorf("%s has no visible character", what)
	case n > MaxName:
		return "", errorf("%s is %d characters long; at most %d are allowed", what, n, MaxName)
	}
	return s, nil
}

// blank are characters that draw nothing though Unicode does not call
// them space: fillers and the empty braille pattern.
var blank = map[rune]bool{
	'\u115f': true, '\u1160': true, '\u3164': true, '\uffa0': true, // Hangul fillers
	'\u2800': true,                 // braille pattern blank
	'\u200c': true, '\u200d': true, // joiners, allowed only beside a visible character
	'\u180e': true, // Mongolian vowel separator
}

// visible reports whether s has at least one character that draws
// something: a name of only blanks and joiners looks empty.
func visible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !blank[r] && !unsafe(r) && !unicode.Is(unicode.Mn, r) {
			return true
		}
	}
	return false
}

// CheckConfigured validates a configured string shown to people (the OTP
// issuer, a sender's name): printable, visible, at most max bytes.
func CheckConfigured(s string, max int) error {
	switch {
	case len(s) > max:
		return errorf("is %d bytes long; at most %d are allowed", len(s), max)
	case !Safe(s):
		return errorf("contains a control or formatting character")
	case !visible(s):
		return errorf("has no visible character")
	}
	return nil
}

// Safe reports whether s can be written to a terminal as it is.
func Safe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafe(r) {
			return false
		}
	}
	return true
}

// Escape returns s with every unsafe rune written as a Go-style escape
// (\x1b, \u202e) and every invalid byte as \xNN, for text meant for people.
func Escape(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafe(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// EscapeQuoted rewrites every unsafe rune in an encoded JSON document (or
// a YAML one whose unsafe strings are double-quoted) as a \uXXXX escape,
// which both formats decode back to the same rune. Encoders leave DEL, C1
// controls and bidi characters raw; this keeps them off the terminal
// without changing the document's meaning.
func EscapeQuoted(doc []byte) []byte {
	if Safe(string(doc)) {
		return doc
	}
	out := make([]byte, 0, len(doc)+32)
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case unsafe(r) && r != '\n' && r != '\t' && r != '\r':
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, doc[i:i+size]...)
		}
		i += size
	}
	return out
}

// Error is a refusal by one of the rules here, kept as its format and
// arguments: fail.Say reads them (FormatArgs) to say it in the person's
// language. This package is below fail and cannot name its types.
type Error struct {
	format string
	args   []any
}

func errorf(format string, args ...any) error { return &Error{format, args} }

func (e *Error) Error() string { return fmt.Sprintf(e.format, e.args...) }

// FormatArgs is the error's format and arguments.
func (e *Error) FormatArgs() (string, []any) { return e.format, e.args }

// Word is a text for people given as an argument ("the name"), said in
// the person's language where a message holds it.
type Word string

// FormatArgs is the word, as a format with no arguments.
func (w Word) FormatArgs() (string, []any) { return string(w), nil }
