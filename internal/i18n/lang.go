package i18n

import (
	"slices"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// A Language is one language kcloud speaks: the tag ui.language and an
// account's language name it by, its catalogue, its plural rule, and how
// its readers write the values in a message and the times in a table.
// Adding a language is one entry in languages and one catalogue; nothing
// else names a language.
type Language struct {
	// Tag is "en", "ko": ui.language's value, a locale's language (ko in
	// ko_KR.UTF-8), an account's language.
	Tag string
	// Catalog is the translations; nil for English, whose messages are
	// their own text.
	Catalog *Catalog
	// Plural is the index of a message's form for the number n, as the
	// catalogue's Plural-Forms says; nil: one form.
	Plural func(n int) int
	// Value writes a message's argument (a time, a duration, a count) as
	// the language's readers do; nil: English's (fail.English).
	Value func(c *Catalog, arg any) any
	// Minutes writes a time in a list, to the minute; Notice, the time in
	// an email or SMS, which the reader reads on another machine. Each
	// says its time zone.
	Minutes, Notice func(t time.Time) string
	// Zone is the time zone the language's tables group days in; nil:
	// this machine's.
	Zone *time.Location
}

var english = &Language{
	Tag:     "en",
	Minutes: func(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") },
	Notice:  func(t time.Time) string { return t.UTC().Format("Monday, 2 January 2006 at 15:04 UTC") },
}

// languages are the languages kcloud speaks, English first.
var languages = []*Language{
	english,
	{Tag: "ko", Catalog: &Catalog{po: koPO}, Value: koValue, Minutes: koTime, Notice: koTime, Zone: kst},
}

// For returns the language tag names, English where it names none that
// kcloud speaks.
func For(tag string) *Language {
	if l := Lookup(tag); l != nil {
		return l
	}
	return english
}

// Lookup returns the language tag names, or nil.
func Lookup(tag string) *Language {
	for _, l := range languages {
		if l.Tag == tag {
			return l
		}
	}
	return nil
}

// Tags are the languages' tags, English first.
func Tags() []string {
	out := make([]string, len(languages))
	for i, l := range languages {
		out[i] = l.Tag
	}
	return out
}

// FromLocale is the language of a POSIX locale ("ko", "ko_KR.UTF-8",
// "ko@euro"): its language part, where kcloud speaks it; else English
// (C and POSIX among them).
func FromLocale(loc string) *Language {
	tag := loc
	if i := strings.IndexAny(loc, "_.@"); i >= 0 {
		tag = loc[:i]
	}
	return For(tag)
}

// Register adds a language, for a test that shows a new one needs
// nothing but its entry: kcloud's own are in languages. A tag it already
// has is replaced. undo puts the registry back as it was.
func Register(l *Language) (undo func()) {
	before := languages
	languages = append(slices.Clip(languages), l)
	for i, o := range before {
		if o.Tag == l.Tag {
			languages = slices.Clone(before)
			languages[i] = l
		}
	}
	return func() { languages = before }
}

// NewCatalog is a catalogue of the .po text po, parsed on first use.
func NewCatalog(po string) *Catalog { return &Catalog{po: po} }

// T is msgid in the language.
func (l *Language) T(msgid string) string { return l.Catalog.T(msgid) }

// N is the form of a message with a plural for the number n: English's
// rule for English, and for a message the catalogue lacks; else the
// catalogue's form that the language's plural rule picks.
func (l *Language) N(singular, plural string, n int) string {
	if l.Catalog != nil {
		if forms := l.Catalog.forms(singular, plural); len(forms) > 0 {
			i := 0
			if l.Plural != nil {
				i = min(max(l.Plural(n), 0), len(forms)-1)
			}
			return forms[i]
		}
	}
	if n == 1 {
		return singular
	}
	return plural
}

// Format is format's translation (fail.Language).
func (l *Language) Format(format string) string { return l.T(format) }

// ValueOf writes a message's argument as the language's readers do.
func (l *Language) ValueOf(arg any) any {
	if l.Value == nil {
		return fail.English.Value(arg)
	}
	return l.Value(l.Catalog, arg)
}
