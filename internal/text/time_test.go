package text

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute:        "15 minutes",
		time.Hour:               "1 hour",
		90 * time.Second:        "90 seconds",
		48 * time.Hour:          "2 days",
		0:                       "0 seconds",
		1500 * time.Millisecond: "2 seconds",
		time.Second:             "1 second",
		36 * time.Hour:          "36 hours",
		300 * time.Millisecond:  "300 milliseconds",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	old := time.Local
	time.Local = kst
	defer func() { time.Local = old }()
	got := Time(time.Date(2026, 11, 27, 12, 30, 5, 0, time.UTC))
	if got != "2026-11-27 21:30:05 KST" {
		t.Fatalf("Time = %q", got)
	}
}
