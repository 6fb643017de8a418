// Package i18n holds kcloud's catalogues of messages for people, one
// gettext .po file a language (every translator's tool reads them), and
// gives the text of a message in a language.
//
// A catalogue is parsed only when its language is used, on first use, so
// an English run reads none; the reader is kcloud's own (the .po subset
// this catalogue uses: msgid, msgid_plural, msgstr, msgstr[N], multi-line
// strings, C escapes), because a gettext library's package initialisers
// cost every start of every command about 0.6 ms (leonelquinteros/gotext
// v1.7.2 links encoding/gob and its plural-forms parser; measured with
// GODEBUG=inittrace=1). The languages are a registry (lang.go): a
// language with more plural forms than Korean's one gives its rule there.
package i18n

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:embed ko.po
var koPO string

// Catalog is the messages of one language, parsed from its .po text on
// first use.
type Catalog struct {
	po   string
	once sync.Once
	msgs map[string]string
}

// messages parses the catalogue once. Its text is embedded and tested
// (TestCatalogs), so a parse error is not expected; were there one,
// every message would be its English text.
func (c *Catalog) messages() map[string]string {
	c.once.Do(func() { c.msgs, _ = Parse(c.po) })
	return c.msgs
}

// T is msgid in c's language: its translation, or msgid itself where the
// catalogue has none (never a key). A nil Catalog is English.
func (c *Catalog) T(msgid string) string {
	if c == nil {
		return msgid
	}
	if s := c.messages()[msgid]; s != "" {
		return s
	}
	return msgid
}

// N is the form of a message with a plural for the number n: in English
// singular for 1 and plural otherwise; in c's language its translation
// (Korean's one form), or the English form where the catalogue has none.
func (c *Catalog) N(singular, plural string, n int) string {
	if forms := c.forms(singular, plural); len(forms) > 0 {
		return forms[0]
	}
	if n == 1 {
		return singular
	}
	return plural
}

// forms are the catalogue's forms of a message with a plural, msgstr[0]
// first; none where it lacks the message.
func (c *Catalog) forms(singular, plural string) []string {
	if c == nil {
		return nil
	}
	s := c.messages()[PluralKey(singular, plural)]
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// PluralKey is the key under which Parse keeps a message with a plural:
// its msgid and msgid_plural joined by a NUL, as gettext's .mo files do;
// its forms (msgstr[0], msgstr[1], ...) are joined by a NUL too.
func PluralKey(singular, plural string) string { return singular + "\x00" + plural }

// Parse reads a .po file: each msgid and its msgstr (the header's empty
// msgid is skipped); a message with a plural under PluralKey, with its
// msgstr[0]. Comments and msgctxt-free entries only.
func Parse(po string) (map[string]string, error) {
	// One pass over the text, without splitting it or copying what needs
	// no unescaping: a Korean run parses the catalogue before its first
	// message (BenchmarkParseKorean).
	msgs := make(map[string]string, strings.Count(po, "msgid "))
	var id, plural, str field
	var more []*field // msgstr[1], msgstr[2], ...
	var cur *field
	flush := func() {
		if id.set && str.set && id.s != "" {
			key, val := id.text(), str.text()
			if plural.set {
				key = PluralKey(key, plural.text())
				for _, f := range more {
					val += "\x00" + f.text()
				}
			}
			msgs[key] = val
		}
		id, plural, str, more, cur = field{}, field{}, field{}, nil, nil
	}
	for n := 1; po != ""; n++ {
		line := po
		if i := strings.IndexByte(po, '\n'); i >= 0 {
			line, po = po[:i], po[i+1:]
		} else {
			po = ""
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "msgid "):
			flush()
			cur = &id
			line = line[len("msgid "):]
		case strings.HasPrefix(line, "msgid_plural "):
			if !id.set || plural.set || str.set {
				return nil, fmt.Errorf("line %d: msgid_plural without its msgid", n)
			}
			cur = &plural
			line = line[len("msgid_plural "):]
		case strings.HasPrefix(line, "msgstr[0] "):
			if !id.set || !plural.set || str.set {
				return nil, fmt.Errorf("line %d: msgstr[0] without its msgid_plural", n)
			}
			cur = &str
			line = line[len("msgstr[0] "):]
		case strings.HasPrefix(line, "msgstr["):
			k := strconv.Itoa(len(more) + 1)
			if !str.set || !strings.HasPrefix(line, "msgstr["+k+"] ") {
				return nil, fmt.Errorf("line %d: a plural form out of order (msgstr[%s] next)", n, k)
			}
			more = append(more, &field{})
			cur = more[len(more)-1]
			line = line[len("msgstr["+k+"] "):]
		case strings.HasPrefix(line, "msgstr "):
			if !id.set || plural.set || str.set {
				return nil, fmt.Errorf("line %d: msgstr without its msgid", n)
			}
			cur = &str
			line = line[len("msgstr "):]
		}
		if cur == nil || line == "" || line[0] != '"' {
			return nil, fmt.Errorf("line %d: %q is not a .po line this reader takes", n, line)
		}
		s, err := unquote(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		cur.set = true
		if cur.s == "" {
			cur.s = s // one line is the whole string, mostly: no copy
		} else {
			cur.more = append(cur.more, s)
		}
	}
	flush()
	return msgs, nil
}

// field is a msgid's or msgstr's text so far, and whether it was given:
// its first non-empty line, and the lines after it.
type field struct {
	s    string
	more []string
	set  bool
}

func (f *field) text() string {
	if len(f.more) == 0 {
		return f.s
	}
	return f.s + strings.Join(f.more, "")
}

// unquote is strconv.Unquote, with no copy of a string that holds no
// escape, and the escapes a catalogue holds (\n, \", \\, \t) undone
// without it.
func unquote(q string) (string, error) {
	if len(q) < 2 || q[len(q)-1] != '"' {
		return strconv.Unquote(q)
	}
	in := q[1 : len(q)-1]
	if strings.IndexByte(in, '\\') < 0 && strings.IndexByte(in, '"') < 0 {
		return in, nil
	}
	b := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"':
			return strconv.Unquote(q) // its error
		case c != '\\':
			b = append(b, c)
			continue
		case i+1 == len(in):
			return strconv.Unquote(q)
		}
		i++
		switch in[i] {
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case '"', '\\':
			b = append(b, in[i])
		default: // \x, \u and the like: the whole string the slow way
			return strconv.Unquote(q)
		}
	}
	return string(b), nil
}

// Has reports whether c holds a translation of msgid (a PluralKey for a
// message with a plural); a nil Catalog, English, holds every message.
func (c *Catalog) Has(msgid string) bool {
	if c == nil {
		return true
	}
	return c.messages()[msgid] != ""
}

// KoreanPO is the Korean catalogue's text, for tests that check it.
func KoreanPO() string { return koPO }
