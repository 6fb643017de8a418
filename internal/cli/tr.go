package cli

import (
	"time"

	"github.com/kcloud/kcloud/internal/i18n"
)

// tr is the language of text for people on this run (ui.language):
// the catalogue to say a message in, and how to write a time.
type tr struct{ c *i18n.Catalog }

// tr is this run's language.
func (f *deps) tr() tr { return tr{i18n.For(f.language())} }

// T is msg in the run's language.
func (w tr) T(msg string) string { return w.c.T(msg) }

// F formats format, in the run's language.
func (w tr) F(format string, args ...any) string { return w.c.Sprintf(format, args...) }

// Time writes t as a reader of the run's language does: 2026-12-02
// 10:11:00 UTC, or 2026년 12월 2일 19:11 KST; "" for none.
func (w tr) Time(t *time.Time) string {
	if w.c != nil && t != nil && !t.IsZero() {
		return koTime(*t)
	}
	return fmtTime(t)
}

// Duration says d as a reader of the run's language does: 10 minutes,
// or 10분.
func (w tr) Duration(d time.Duration) string {
	if w.c != nil {
		return koDuration(d)
	}
	return words(d)
}

// yesNo is b as a word.
func (w tr) yesNo(b bool) string {
	if b {
		return w.T("yes")
	}
	return w.T("no")
}
