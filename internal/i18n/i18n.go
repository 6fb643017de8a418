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
// GODEBUG=inittrace=1). Korean has one plural form (Plural-Forms:
// nplurals=1; plural=0), so a message with a plural takes msgstr[0]
// whatever the number; a language with more forms needs its rule here.
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

// Catalog is the messages of one language.
type Catalog struct {
	lang string
	once sync.Once
	msgs map[string]string
	err  error
}

var catalogs = map[string]*Catalog{"ko": {lang: "ko"}}

// For returns the catalogue of lang; nil for English (the messages are
// their own text) and for a language kcloud has none of.
func For(lang string) *Catalog { return catalogs[lang] }

// T is msgid in c's language: its translation, or msgid itself where the
// catalogue has none (never a key). A nil Catalog is English.
func (c *Catalog) T(msgid string) string {
	if c == nil {
		return msgid
	}
	c.once.Do(func() { c.msgs, c.err = Parse(koPO) })
	if s, ok := c.msgs[msgid]; ok && s != "" {
		return s
	}
	return msgid
}

// N is the form of a message with a plural for the number n: in English
// singular for 1 and plural otherwise; in c's language its translation
// (Korean's one form), or the English form where the catalogue has none.
func (c *Catalog) N(singular, plural string, n int) string {
	if c != nil {
		c.once.Do(func() { c.msgs, c.err = Parse(koPO) })
		if s := c.msgs[PluralKey(singular, plural)]; s != "" {
			return s
		}
	}
	if n == 1 {
		return singular
	}
	return plural
}

// PluralKey is the key under which Parse keeps a message with a plural:
// its msgid and msgid_plural joined by a NUL, as gettext's .mo files do.
func PluralKey(singular, plural string) string { return singular + "\x00" + plural }

// Sprintf formats the translation of format.
func (c *Catalog) Sprintf(format string, args ...any) string {
	return fmt.Sprintf(c.T(format), args...)
}

// Parse reads a .po file: each msgid and its msgstr (the header's empty
// msgid is skipped); a message with a plural under PluralKey, with its
// msgstr[0]. Comments and msgctxt-free entries only.
func Parse(po string) (map[string]string, error) {
	msgs := map[string]string{}
	var id, plural, str *strings.Builder
	var cur *strings.Builder
	flush := func() {
		if id != nil && str != nil && id.Len() > 0 {
			key := id.String()
			if plural != nil {
				key = PluralKey(key, plural.String())
			}
			msgs[key] = str.String()
		}
		id, plural, str, cur = nil, nil, nil, nil
	}
	for n, line := range strings.Split(po, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "msgid "):
			flush()
			id = &strings.Builder{}
			cur = id
			line = strings.TrimPrefix(line, "msgid ")
		case strings.HasPrefix(line, "msgid_plural "):
			if id == nil || plural != nil || str != nil {
				return nil, fmt.Errorf("line %d: msgid_plural without its msgid", n+1)
			}
			plural = &strings.Builder{}
			cur = plural
			line = strings.TrimPrefix(line, "msgid_plural ")
		case strings.HasPrefix(line, "msgstr[0] "):
			if id == nil || plural == nil || str != nil {
				return nil, fmt.Errorf("line %d: msgstr[0] without its msgid_plural", n+1)
			}
			str = &strings.Builder{}
			cur = str
			line = strings.TrimPrefix(line, "msgstr[0] ")
		case strings.HasPrefix(line, "msgstr["):
			return nil, fmt.Errorf("line %d: a second plural form; this language has one (nplurals=1)", n+1)
		case strings.HasPrefix(line, "msgstr "):
			if id == nil || plural != nil || str != nil {
				return nil, fmt.Errorf("line %d: msgstr without its msgid", n+1)
			}
			str = &strings.Builder{}
			cur = str
			line = strings.TrimPrefix(line, "msgstr ")
		}
		if cur == nil || !strings.HasPrefix(line, `"`) {
			return nil, fmt.Errorf("line %d: %q is not a .po line this reader takes", n+1, line)
		}
		s, err := strconv.Unquote(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
		cur.WriteString(s)
	}
	flush()
	return msgs, nil
}

// Has reports whether c holds a translation of msgid (a PluralKey for a
// message with a plural); a nil Catalog, English, holds every message.
func (c *Catalog) Has(msgid string) bool {
	if c == nil {
		return true
	}
	c.once.Do(func() { c.msgs, c.err = Parse(koPO) })
	return c.msgs[msgid] != ""
}

// KoreanPO is the Korean catalogue's text, for tests that check it.
func KoreanPO() string { return koPO }
