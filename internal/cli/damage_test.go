package cli

import (
	"os"
	"path/filepath"
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
// rest; the password commands take a wider stride.
func TestDamagedStoreEveryCommand(t *testing.T) {
	store := initStore(t)
	good, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	reported := 0
	for i := 0; i < len(good); i++ {
		header := i%4096 < 80
		if !header && i%97 != 0 {
			continue
		}
		b := append([]byte(nil), good...)
		b[i] ^= 0xa5
		for _, c := range damageCommands {
			// A file of its own for each command, as each is a process
			// of its own: a handle bbolt panicked with keeps its lock
			// until the process ends.
			os.Remove(store)
			if err := os.WriteFile(store, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if c.pw && i%509 != 0 && !(header && i < 8192 && i%8 == 0) {
				continue
			}
			args := append([]string(nil), c.args...)
			for j := range args {
				if args[j] == "BACKUP" {
					args[j] = backup
				}
			}
			t0 := time.Now()
			code, _, stderr := kc(t, testPassword+"\n", args...)
			if d := time.Since(t0); d > time.Second {
				t.Logf("byte %d, kcloud %s: %v, exit %d: %s", i, strings.Join(args, " "), d, code, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("byte %d, kcloud %s: a trace reached the user:\n%s", i, strings.Join(args, " "), stderr)
			}
			if !strings.Contains(stderr, "damaged") && !strings.Contains(stderr, "fault") {
				continue
			}
			reported++
			if code != ExitFailure || !strings.Contains(stderr, store) ||
				(!strings.Contains(stderr, "kcloud store check") && args[1] != "check") {
				t.Fatalf("byte %d, kcloud %s: exit %d; want 1, the file named and a pointer to store check:\n%s",
					i, strings.Join(args, " "), code, stderr)
			}
		}
	}
	if reported == 0 {
		t.Fatal("no command ever reported damage: the test damaged nothing")
	}
}
