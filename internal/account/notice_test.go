package account

import (
	"testing"
	"time"
)

// TestAlertsOfOneKindThrottled: a burst of one kind of event sends one
// alert; the next after AlertEvery says how many were held back; another
// kind is not held by it.
func TestAlertsOfOneKindThrottled(t *testing.T) {
	a := &Account{UserID: "alice", Email: &Contact{Address: "alice@example.com"}}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	n := func(event string, after time.Duration) []Notice {
		return noticesTo(a, Notice{UserID: "alice", Event: event, Time: at.Add(after)})
	}
	if got := n(EvKeyCreated, 0); len(got) != 1 || got[0].Held != 0 {
		t.Fatalf("the first alert: %+v", got)
	}
	for i := 1; i <= 3; i++ {
		if got := n(EvKeyCreated, time.Duration(i)*time.Minute); len(got) != 0 {
			t.Fatalf("alert %d within %s: %+v; want it held", i, AlertEvery, got)
		}
	}
	if got := n(EvPasswordChanged, 4*time.Minute); len(got) != 1 {
		t.Fatalf("another kind: %+v; want it sent", got)
	}
	got := n(EvKeyCreated, AlertEvery)
	if len(got) != 1 || got[0].Held != 3 || !got[0].HeldSince.Equal(at) {
		t.Fatalf("after %s: %+v; want it sent, saying 3 were held since the first", AlertEvery, got)
	}
	if got := n(EvKeyCreated, AlertEvery+time.Second); len(got) != 0 {
		t.Fatalf("right after: %+v; want it held", got)
	}
}
