package config

import (
	"testing"
	"time"
)

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		12 * time.Hour: "12h", 10 * time.Minute: "10m", 60 * time.Second: "1m", 15 * time.Minute: "15m",
		90 * time.Second: "1m30s", 2*time.Hour + 30*time.Minute: "2h30m", 45 * time.Second: "45s", 10 * time.Hour: "10h",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}
