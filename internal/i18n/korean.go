package i18n

import (
	"fmt"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// How a Korean reader writes the values in a message: times, durations,
// counts. The words themselves are in ko.po.

// kst is Korea Standard Time, UTC+9 all year: a notice in Korean says
// the time as a Korean reader reads it, without a time zone database.
var kst = time.FixedZone("KST", 9*60*60)

// koTime is t as a Korean reader writes it: 2026년 12월 2일 19:11 KST.
func koTime(t time.Time) string {
	t = t.In(kst)
	return fmt.Sprintf("%d년 %d월 %d일 %02d:%02d KST", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// koDuration is d in hours, minutes and seconds: 15분, 1시간 30분, 24시간.
func koDuration(d time.Duration) string {
	if d < 0 { // a refused policy value: -1분
		return "-" + koDuration(-d)
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d시간", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d분", m))
	}
	if s > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d초", s))
	}
	return strings.Join(parts, " ")
}

// koAgo says how long ago, rounded as text.Ago rounds: 방금, 40초 전,
// 5분 전, 2시간 전, 3일 전.
func koAgo(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "방금"
	case d < time.Minute:
		return fmt.Sprintf("%d초 전", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d분 전", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d시간 전", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d일 전", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// koRough is a large count in Korean units at a glance: 400, 4만, 3억.
func koRough(g float64) string {
	switch {
	case g < 1e4:
		return fmt.Sprintf("%.0f", g)
	case g < 1e8:
		return fmt.Sprintf("%.0f만", g/1e4)
	case g < 1e12:
		return fmt.Sprintf("%.0f억", g/1e8)
	}
	return fmt.Sprintf("%.0f조", g/1e12)
}

// koValue writes a message's argument as a Korean reader does; c is the
// catalogue, for a count's noun.
func koValue(c *Catalog, arg any) any {
	switch v := arg.(type) {
	case fail.Count:
		return fmt.Sprintf(c.N(v.One, v.Many, v.N), v.N)
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
