package fail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// upper is a language for tests: a format is its own text in capitals
// (verbs kept), and a duration is written in seconds.
type upper struct{}

func (upper) Format(f string) string {
	return strings.NewReplacer("%S", "%s", "%Q", "%q", "%V", "%v", "%D", "%d", "%W", "%w").Replace(strings.ToUpper(f))
}

func (upper) Value(a any) any {
	switch v := a.(type) {
	case time.Duration:
		return fmt.Sprintf("%gS", v.Seconds())
	case Count:
		return fmt.Sprintf("%d THINGS", v.N)
	case Ordinal:
		return int(v)
	}
	return a
}

// word is a text from a package below fail (text.Word).
type word string

func (w word) FormatArgs() (string, []any) { return string(w), nil }

var errConst = errors.New("the store is busy")

// TestSay: each way kcloud builds a message is said in the language, its
// arguments kept and written as the language writes them, and what wraps
// stays wrapped.
func TestSay(t *testing.T) {
	wrapped := Errorf("reading %s: %w", "alice", errConst)
	for _, c := range []struct {
		err     error
		en, up  string
		isConst bool
	}{
		{errConst, "the store is busy", "THE STORE IS BUSY", true},
		{wrapped, "reading alice: the store is busy", "READING alice: THE STORE IS BUSY", true},
		{Usagef("waited %s for %v", 90*time.Second, word("the lock")), "waited 90 seconds for the lock", "WAITED 90S FOR THE LOCK", false},
		{Wrap(Busy, errConst, "store %s", "x"), "store x: the store is busy", "STORE x: THE STORE IS BUSY", true},
		{Mark(Busy, errConst, "the store %s is busy", "x"), "the store x is busy", "THE STORE x IS BUSY", true},
		{Otherf("the store has %s", Plural(2, "%d fault", "%d faults")), "the store has 2 faults", "THE STORE HAS 2 THINGS", false},
		{Otherf("%s", Plural(1, "%d fault", "%d faults")), "1 fault", "1 THINGS", false},
		{Otherf("it is the %v", Ordinal(22)), "it is the 22nd", "IT IS THE 22", false},
		{fmt.Errorf("a library's: %w", errConst), "a library's: the store is busy", "a library's: the store is busy", true},
	} {
		if got := Say(c.err, English); got != c.en || got != c.err.Error() {
			t.Errorf("English: %q, Error() %q, want %q", got, c.err.Error(), c.en)
		}
		if got := Say(c.err, upper{}); got != c.up {
			t.Errorf("in a language: %q, want %q", got, c.up)
		}
		if errors.Is(c.err, errConst) != c.isConst {
			t.Errorf("%q: errors.Is = %v", c.err, !c.isConst)
		}
	}
	if KindOf(Wrap(Usage, wrapped, "x")) != Usage || HintOf((&Error{Err: wrapped}).WithHint("see %s", "x")).In(upper{}) != "SEE x" {
		t.Error("kind or hint lost")
	}
}
