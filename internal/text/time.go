package text

import (
	"fmt"
	"time"
)

// Time is t as kcloud shows it to people: local time, to the second,
// with its zone ("2026-11-27 21:30:32 KST"). JSON keeps RFC 3339 in UTC.
func Time(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

// Duration is d in words, in the largest unit that says it exactly:
// "15 minutes", "1 hour", "90 seconds", "1 day" (rounded to the second),
// or below a second "300 milliseconds".
func Duration(d time.Duration) string {
	if d > 0 && d < time.Second {
		return Plural(int(d.Round(time.Millisecond)/time.Millisecond), "millisecond")
	}
	d = d.Round(time.Second)
	switch {
	case d != 0 && d%(24*time.Hour) == 0:
		return Plural(int(d/(24*time.Hour)), "day")
	case d != 0 && d%time.Hour == 0:
		return Plural(int(d/time.Hour), "hour")
	case d != 0 && d%time.Minute == 0:
		return Plural(int(d/time.Minute), "minute")
	}
	return Plural(int(d/time.Second), "second")
}

// Ago says how long ago something was, rounded as people say it: "just
// now", "40 seconds ago", "5 minutes ago", "2 hours ago", "3 days ago".
func Ago(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < time.Minute:
		return Plural(int(d/time.Second), "second") + " ago"
	case d < time.Hour:
		return Plural(int(d.Round(time.Minute)/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return Plural(int(d.Round(time.Hour)/time.Hour), "hour") + " ago"
	}
	return Plural(int(d.Round(24*time.Hour)/(24*time.Hour)), "day") + " ago"
}

// Plural is "1 fault", "2 faults".
func Plural(n int, unit string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
