package cli

import (
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
)

// tr is the language of text for people on this run (ui.language): the
// catalogue to say a message in, and how to write a time. It is the
// fail.Language that says errors.
type tr struct{ c *i18n.Catalog }

// tr is this run's language.
func (f *deps) tr() tr { return tr{i18n.For(f.language())} }

// T is msg in the run's language.
func (w tr) T(msg string) string { return w.c.T(msg) }

// F formats format, in the run's language; a time or duration among args
// is written as the language's readers write it.
func (w tr) F(format string, args ...any) string {
	return fail.Message{Format: format, Args: args}.In(w)
}

// N formats the form of a message with a plural for n, in the run's
// language: "1 more wrong entry", "2 more wrong entries", "2번 더".
func (w tr) N(singular, plural string, n int, args ...any) string {
	return fail.Message{Format: w.c.N(singular, plural, n), Args: args}.In(w)
}

// Format is format's translation (fail.Language).
func (w tr) Format(format string) string { return w.c.T(format) }

// Value writes a message's argument (fail.Language): a time, a duration or
// an Ago as the language's readers write them.
func (w tr) Value(arg any) any {
	if t, ok := arg.(noticeTime); ok && w.c == nil {
		return time.Time(t).UTC().Format("Monday, 2 January 2006 at 15:04 UTC")
	} else if ok {
		return koTime(time.Time(t))
	}
	if w.c == nil {
		return fail.English.Value(arg)
	}
	switch v := arg.(type) {
	case fail.Count:
		return fmt.Sprintf(w.c.N(v.One, v.Many, v.N), v.N)
	case time.Time:
		return koTime(v)
	case time.Duration:
		return koDuration(v)
	case fail.Ago:
		return koAgo(time.Duration(v))
	case fail.Ordinal:
		return fmt.Sprintf("%d번째", int(v))
	case fail.Rough:
		return koRough(float64(v))
	}
	return arg
}

// msg marks a message said later through a variable (gettext's N_), so
// that the catalogue's test finds it; it returns s.
func msg(s string) string { return s }

// say is err in the run's language.
func (w tr) say(err error) string { return fail.Say(err, w) }

// Time writes t as a reader of the run's language does: 2026-12-02
// 10:11:00 UTC, or 2026년 12월 2일 19:11 KST; "" for none.
func (w tr) Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return fmt.Sprint(w.Value(*t))
}

// Duration says d as a reader of the run's language does: 10 minutes,
// or 10분.
func (w tr) Duration(d time.Duration) string { return fmt.Sprint(w.Value(d)) }

// yesNo is b as a word.
func (w tr) yesNo(b bool) string {
	if b {
		return w.T("yes")
	}
	return w.T("no")
}
