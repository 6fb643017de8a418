package cli

import (
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
)

// tr is the language of text for people on this run (ui.language), from
// the registry (i18n.Language): the catalogue to say a message in, and
// how to write a time. It is the fail.Language that says errors.
type tr struct{ l *i18n.Language }

// tr is this run's language.
func (f *deps) tr() tr { return tr{i18n.For(f.language())} }

// T is msg in the run's language.
func (w tr) T(msg string) string { return w.lang().T(msg) }

// F formats format, in the run's language; a time or duration among args
// is written as the language's readers write it.
func (w tr) F(format string, args ...any) string {
	return fail.Message{Format: format, Args: args}.In(w)
}

// N formats the form of a message with a plural for n, in the run's
// language: "1 more wrong entry", "2 more wrong entries", "2번 더".
func (w tr) N(singular, plural string, n int, args ...any) string {
	return fail.Message{Format: w.lang().N(singular, plural, n), Args: args}.In(w)
}

// Format is format's translation (fail.Language).
func (w tr) Format(format string) string { return w.lang().T(format) }

// Value writes a message's argument (fail.Language): a time, a duration or
// an Ago as the language's readers write them.
func (w tr) Value(arg any) any {
	if t, ok := arg.(noticeTime); ok {
		return w.lang().Notice(time.Time(t))
	}
	return w.lang().ValueOf(arg)
}

// translated reports whether the language has a catalogue: English, the
// text's own language, has none, and has nothing to put in its words.
func (w tr) translated() bool { return w.lang().Catalog != nil }

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

// lang is the run's language; the zero tr is English.
func (w tr) lang() *i18n.Language {
	if w.l == nil {
		return i18n.For("en")
	}
	return w.l
}
