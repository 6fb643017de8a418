package text

import (
	"strings"

	"golang.org/x/text/width"
)

// Width is how many terminal columns s takes: East Asian wide and
// fullwidth characters (a Hangul syllable) take two, the rest one.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// Truncate shortens s to at most w columns, ending it with "…" when
// anything was cut.
func Truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := runeWidth(r)
		if used+rw > w-1 {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	return b.String() + "…"
}
