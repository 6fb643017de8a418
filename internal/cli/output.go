package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kcloud/kcloud/internal/text"
)

// Time is a time in documents: RFC 3339 in UTC, to the second.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

// timeOrNil is a document time that is null when unset.
func timeOrNil(t *time.Time) *Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := Time(*t)
	return &v
}

// stringOrNil is a document string that is null when empty.
func stringOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeDoc writes doc as JSON or YAML. Both come from the same JSON
// encoding, so their fields and order are one; strings that could act
// on a terminal are escaped.
func writeDoc(w io.Writer, format string, doc any) error {
	// Not json.Marshal: it writes & < > as \u0026 and the like, which is
	// for HTML, and makes an otpauth URI unreadable to people and jq -r
	// alike. The encoder ends the document with a line feed.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	data := buf.Bytes()
	if format == "yaml" {
		var err error
		if data, err = jsonToYAML(data); err != nil {
			return err
		}
	}
	_, err := w.Write(text.EscapeQuoted(data))
	return err
}

func jsonToYAML(data []byte) ([]byte, error) {
	var n yaml.Node
	// YAML refuses raw DEL and C1 bytes that JSON leaves in strings;
	// as \u escapes it reads them.
	if err := yaml.Unmarshal(text.EscapeQuoted(data), &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// blockStyle turns the flow style that JSON parses into YAML's block
// style; strings that text.Escape would change stay double-quoted so that
// their escapes keep meaning.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if !text.Safe(n.Value) || looksTyped(n.Value) {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// looksTyped reports whether a plain YAML scalar would read as something
// other than a string.
func looksTyped(s string) bool {
	var v any
	if yaml.Unmarshal([]byte(s), &v) != nil {
		return true
	}
	_, isString := v.(string)
	return !isString || strings.TrimSpace(s) != s || s == ""
}

// table writes aligned "label  value" rows for people, escaping values.
// Columns line up by display width (a Hangul syllable, or a CJK
// character, is two columns): text/tabwriter counts runes, so it is not
// used.
type table struct {
	w io.Writer
	// lines are the lines' cells; a line of one cell is not aligned, and
	// ends the block of lines aligned together.
	lines [][]string
}

func newTable(w io.Writer) *table { return &table{w: w} }

func (t *table) heading(s string) { t.lines = append(t.lines, []string{s}) }
func (t *table) blank()           { t.lines = append(t.lines, []string{""}) }

func (t *table) row(label, value string) {
	if value == "" {
		value = "-"
	}
	t.lines = append(t.lines, []string{"  " + label, text.Escape(value)})
}

// cols writes one row of a table with a header row: cells escaped, an
// empty one shown as "-".
func (t *table) cols(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		row[i] = text.Escape(c)
	}
	t.lines = append(t.lines, row)
}

// flush writes the lines: in each block of lines of several cells, a
// column is as wide as its widest cell, and two spaces apart from the
// next; the last cell of a line is not padded.
func (t *table) flush() error {
	var b strings.Builder
	for i := 0; i < len(t.lines); {
		j := i
		for j < len(t.lines) && len(t.lines[j]) > 1 {
			j++
		}
		if j == i {
			b.WriteString(t.lines[i][0] + "\n")
			i++
			continue
		}
		var widths []int
		for _, l := range t.lines[i:j] {
			for c, cell := range l[:len(l)-1] {
				if c == len(widths) {
					widths = append(widths, 0)
				}
				widths[c] = max(widths[c], text.Width(cell))
			}
		}
		for _, l := range t.lines[i:j] {
			for c, cell := range l[:len(l)-1] {
				b.WriteString(cell + strings.Repeat(" ", widths[c]-text.Width(cell)+2))
			}
			b.WriteString(l[len(l)-1] + "\n")
		}
		i = j
	}
	t.lines = nil
	_, err := io.WriteString(t.w, b.String())
	return err
}

// status writes a line for the person on stderr; where stderr is a
// terminal, wrapped to its width at spaces (by display width: a Hangul
// syllable is two columns).
func (s *IOStreams) status(line string) {
	line = text.Escape(line)
	if s.errWidth > 0 {
		line = strings.Join(wrapColumn(strings.Split(line, "\n"), s.errWidth), "\n")
	}
	fmt.Fprintln(s.Err, line)
}

// toTerminal writes a line on the terminal t, wrapped to its width.
func toTerminal(t Terminal, line string) {
	cols, _ := t.Size()
	if cols <= 0 {
		fmt.Fprintln(t.Writer(), line)
		return
	}
	fmt.Fprintln(t.Writer(), strings.Join(wrapColumn(strings.Split(line, "\n"), cols), "\n"))
}

func fmtLine(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, text.Escape(fmt.Sprintf(format, args...)))
}
