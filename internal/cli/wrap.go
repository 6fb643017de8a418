package cli

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/text"
)

// stepLabel is how a step starts, in any language: a number with a few
// words before or a counter after it, and a full stop ("Step 1. ",
// "1단계. "). A step's wrapped lines are indented past it.
var stepLabel = regexp.MustCompile(`^[^.\d]{0,10}\d+[^.\s]{0,4}\. `)

// wrapColumn wraps each line to width display columns (a Hangul syllable
// is two), at spaces; a word wider than width is cut. A step's wrapped
// lines are indented past its label.
func wrapColumn(lines []string, width int) []string {
	var out []string
	for _, line := range lines {
		indent := ""
		if m := stepLabel.FindString(line); m != "" {
			indent = strings.Repeat(" ", text.Width(m))
		}
		for {
			if text.Width(line) <= width {
				out = append(out, line)
				break
			}
			// The last space within width+1 columns (a space there ends
			// the line exactly at width), else a hard cut at width.
			cut := strings.LastIndexByte(line[:text.Prefix(line, width+1)], ' ')
			if cut <= len(indent) {
				cut = text.Prefix(line, width)
			}
			if cut == 0 {
				_, cut = utf8.DecodeRuneInString(line) // a rune wider than width: alone on its line
			}
			out = append(out, strings.TrimRight(line[:cut], " "))
			line = indent + strings.TrimLeft(line[cut:], " ")
		}
	}
	return out
}
