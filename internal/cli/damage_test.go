package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// commands are what a person runs; pw marks those that read the password
// (Argon2id: tens of milliseconds each, so they run on fewer copies).
var damageCommands = []struct {
	pw   bool
	args []string
}{
	{false, []string{"whoami"}},
	{false, []string{"org", "show"}},
	{false, []string{"store", "check"}},
	{false, []string{"store", "backup", "--force", "BACKUP"}},
	{false, []string{"logout"}},
	{true, []string{"account", "show", "--password-stdin"}},
	{true, []string{"account", "activity", "--password-stdin"}},
	{true, []string{"account", "set", "--name", "Alice P", "--password-stdin"}},
	{true, []string{"login", "--password-stdin"}},
}

// TestDamagedStoreEveryCommand: whatever bytes the store holds, no command
// panics; one that finds damage exits 1, names the file, and points to
// `store check` and the last backup (security rule 11). Every byte of
// each page header and meta page is damaged in turn, and a stride of the
// rest; the password commands take a wider stride. Every command must be
// seen reporting damage, and one that succeeds prints what it prints on
// the good store, but for the one character a damaged value may change:
// a command that read a damaged tree as another one would show it.
func TestDamagedStoreEveryCommand(t *testing.T) {
	store := initStore(t)
	good, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	reported := map[string]int{}
	baseline := map[string]string{}
	for i := -1; i < len(good); i++ {
		header := i%4096 < 80
		if !header && i%97 != 0 {
			continue
		}
		b := append([]byte(nil), good...)
		if i >= 0 { // -1: the good store, for each command's baseline
			b[i] ^= 0xa5
		}
		for _, c := range damageCommands {
			// A file of its own for each command, as each is a process
			// of its own: a handle bbolt panicked with keeps its lock
			// until the process ends.
			os.Remove(store)
			if err := os.WriteFile(store, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if c.pw && i >= 0 && i%509 != 0 && !(header && i%16 == 0) {
				continue
			}
			args := append([]string(nil), c.args...)
			for j := range args {
				if args[j] == "BACKUP" {
					args[j] = backup
				}
			}
			t0 := time.Now()
			code, stdout, stderr := kc(t, testPassword+"\n", args...)
			name := strings.Join(c.args, " ")
			if i < 0 {
				if code != 0 {
					t.Fatalf("kcloud %s on the good store: exit %d\n%s", name, code, stderr)
				}
				baseline[name] = stdout
				continue
			}
			if d := time.Since(t0); d > time.Second {
				t.Logf("byte %d, kcloud %s: %v, exit %d: %s", i, strings.Join(args, " "), d, code, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("byte %d, kcloud %s: a trace reached the user:\n%s", i, strings.Join(args, " "), stderr)
			}
			if !strings.Contains(stderr, "damaged") && !strings.Contains(stderr, "fault") {
				if code == 0 && !sameButOneRune(stdout, baseline[name]) {
					t.Fatalf("byte %d, kcloud %s succeeded on damaged data with another page:\n%s\nwant:\n%s", i, name, stdout, baseline[name])
				}
				continue
			}
			reported[name]++
			if code != ExitFailure || !strings.Contains(stderr, store) ||
				(!strings.Contains(stderr, "kcloud store check") && args[1] != "check") {
				t.Fatalf("byte %d, kcloud %s: exit %d; want 1, the file named and a pointer to store check:\n%s",
					i, strings.Join(args, " "), code, stderr)
			}
		}
	}
	for _, c := range damageCommands {
		if name := strings.Join(c.args, " "); reported[name] == 0 {
			t.Errorf("kcloud %s never reported damage: the test damaged nothing it reads", name)
		}
	}
}

// sameButOneRune reports whether a and b are the same text, times of day
// aside, or differ in one rune only (a damaged byte of a value).
func sameButOneRune(a, b string) bool {
	clock := regexp.MustCompile(`\d\d:\d\d:\d\d`)
	ra, rb := []rune(clock.ReplaceAllString(a, "T")), []rune(clock.ReplaceAllString(b, "T"))
	if len(ra) != len(rb) {
		return false
	}
	diff := 0
	for i := range ra {
		if ra[i] != rb[i] {
			diff++
		}
	}
	return diff <= 1
}
