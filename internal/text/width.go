package text

import (
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

// Prefix is the length in bytes of the longest prefix of s that takes
// at most w columns.
func Prefix(s string, w int) int {
	used := 0
	for i, r := range s {
		if used += runeWidth(r); used > w {
			return i
		}
	}
	return len(s)
}

// Truncate shortens s to at most w columns, ending it with "…" when
// anything was cut.
func Truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	return s[:Prefix(s, w-1)] + "…"
}
