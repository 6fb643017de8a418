//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/store"
)

type result struct {
	args    []string
	code    int
	elapsed time.Duration
	stderr  string
}

func runWith(bin string, env []string, stdin string, args ...string) result {
	c := exec.Command(bin, args...)
	c.Env, c.Stdin = env, strings.NewReader(stdin)
	var stderr strings.Builder
	c.Stderr, c.Stdout = &stderr, io.Discard
	start := time.Now()
	err := c.Run()
	r := result{args: args, elapsed: time.Since(start), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.code = -1
		r.stderr += err.Error()
	}
	return r
}

func storePath(env []string) string {
	return filepath.Join(strings.TrimPrefix(env[0], "HOME="), ".local/share/kcloud/kcloud.db")
}

func readAccount(t *testing.T, path, id string) (*account.Account, []account.Event) {
	t.Helper()
	return readAccountIn(t, store.Open(path, store.Options{LockTimeout: 10 * time.Second}), id)
}

// readAccountIn reads an account and its activity, newest first.
func readAccountIn(t *testing.T, s *store.Store, id string) (*account.Account, []account.Event) {
	t.Helper()
	var a account.Account
	var events []account.Event
	err := s.View(func(tx *store.Tx) error {
		if ok, err := tx.Get(store.Accounts, id, &a); err != nil || !ok {
			return fmt.Errorf("account %s: found %v, %v", id, ok, err)
		}
		var derr error
		err := tx.Newest(store.Activity, id, func(decode func(any) error) bool {
			var e account.Event
			if derr = decode(&e); derr != nil {
				return false
			}
			events = append(events, e)
			return true
		})
		if err == nil {
			err = derr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &a, events
}

func setupPlain(t *testing.T, extraEnv ...string) (string, []string) {
	t.Helper()
	bin := kcloudBin(t)
	env := append(newHome(t), extraEnv...)
	for _, args := range [][]string{
		{"init", "--org-name", "Acme", "--org-nicknames", "--user-id", "alice", "--name", "Alice", "--password-stdin"},
		{"login", "--password-stdin"},
	} {
		if r := runWith(bin, env, password+"\n", args...); r.code != 0 {
			t.Fatalf("kcloud %v: %d %s", args, r.code, r.stderr)
		}
	}
	return bin, env
}

// checkOutcome: each process exits 0, or 6 only after the lock timeout.
func checkOutcome(t *testing.T, results []result, lockTimeout time.Duration) {
	t.Helper()
	for _, r := range results {
		switch {
		case r.code == 0:
		case r.code == 6 && r.elapsed >= lockTimeout:
			t.Logf("kcloud %v: busy after %v (allowed)", r.args, r.elapsed)
		default:
			t.Errorf("kcloud %v: exit %d after %v: %s", r.args, r.code, r.elapsed, r.stderr)
		}
	}
}

func startTogether(bin string, env []string, jobs [][]string) []result {
	results := make([]result, len(jobs))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i, args := range jobs {
		wg.Go(func() {
			<-gate
			results[i] = runWith(bin, env, password+"\n", args...)
		})
	}
	close(gate)
	wg.Wait()
	return results
}

// TestLoad starts 16 kcloud processes at once against one store, mixing
// login, account show, account set and contact verify --send-only, then 16
// distinct account set --nickname at once: none fails, none is lost.
func TestLoad(t *testing.T) {
	bin, env := setupPlain(t)
	var jobs [][]string
	for i := range 4 {
		jobs = append(jobs,
			[]string{"login", "--password-stdin"},
			[]string{"account", "show", "--password-stdin", "-o", "json"},
			[]string{"account", "set", "--name", fmt.Sprintf("Alice %d", i), "--password-stdin"},
			[]string{"contact", "verify", "email", fmt.Sprintf("alice%d@example.com", i), "--send-only", "--password-stdin"},
		)
	}
	// The resend wait binds the account: of four codes to four addresses
	// at once, one is sent and three wait (exit 4), whatever the order.
	var others, sends []result
	for _, r := range startTogether(bin, env, jobs) {
		if r.args[0] == "contact" {
			sends = append(sends, r)
		} else {
			others = append(others, r)
		}
	}
	checkOutcome(t, others, 5*time.Second)
	sent := 0
	for _, r := range sends {
		switch {
		case r.code == 0:
			sent++
		case r.code == 4 && strings.Contains(r.stderr, "a code was sent to another address"):
		default:
			checkOutcome(t, []result{r}, 5*time.Second)
		}
	}
	if sent != 1 {
		t.Errorf("four codes at once to four addresses: %d sent, want 1", sent)
	}

	jobs = nil
	for i := range 16 {
		jobs = append(jobs, []string{"account", "set", "--nickname", fmt.Sprintf("nick%02d", i), "--password-stdin"})
	}
	results := startTogether(bin, env, jobs)
	checkOutcome(t, results, 5*time.Second)
	ok := 0
	for _, r := range results {
		if r.code == 0 {
			ok++
		}
	}
	a, events := readAccount(t, storePath(env), "alice")
	var nickEvents []string
	for _, e := range events {
		if e.Event == account.EvProfileChanged && strings.HasPrefix(e.Detail, "nickname ") {
			nickEvents = append(nickEvents, e.Detail)
		}
	}
	if len(nickEvents) != ok || ok == 0 {
		t.Fatalf("%d nickname changes succeeded and the log has %d: %v; want as many, and at least one", ok, len(nickEvents), nickEvents)
	}
	if want := fmt.Sprintf("nickname %q", a.Nickname); nickEvents[0] != want {
		t.Fatalf("the last write is not what the account shows: newest event %s, account nickname %q", nickEvents[0], a.Nickname)
	}
	t.Logf("16 at once: %d succeeded, %d activity entries, last write %q visible", ok, len(nickEvents), a.Nickname)
}

// TestPromptHoldsNoLock: a kcloud waiting at a password prompt does not
// keep another from writing the store.
func TestPromptHoldsNoLock(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	s := start(t, env, "account", "set", "--name", "Waiting")
	s.expect("Password for alice: ")
	env2 := append(env, "KCLOUD_STORE_LOCK_TIMEOUT=1s")
	r := runWith(kcloudBin(t), env2, password+"\n", "account", "set", "--name", "Other", "--password-stdin")
	if r.code != 0 {
		t.Fatalf("a write while another kcloud waits at a prompt: exit %d: %s", r.code, r.stderr)
	}
	s.typeLine(password)
	if c := s.wait(); c != 0 {
		t.Fatalf("the waiting kcloud: exit %d:\n%s", c, s.screen())
	}
	if a, _ := readAccount(t, storePath(env), "alice"); a.Name != "Waiting" {
		t.Fatalf("name %q, want the later write", a.Name)
	}
}

// TestKillDuringWrites kills kcloud with SIGKILL at random moments of
// account set, 200 times. After each, the store passes its check and the
// account is wholly before or wholly after the change: name and activity
// together.
func TestKillDuringWrites(t *testing.T) {
	bin, env := setupPlain(t)
	path := storePath(env)
	// How long a whole run takes, to spread the kills over it.
	full := runWith(bin, env, password+"\n", "account", "set", "--name", "Warm", "--password-stdin").elapsed
	const kills = 200
	before, after := 0, 0
	for i := range kills {
		old, oldEvents := readAccount(t, path, "alice")
		name := fmt.Sprintf("Name %03d", i)
		c := exec.Command(bin, "account", "set", "--name", name, "--password-stdin")
		c.Env, c.Stdin = env, strings.NewReader(password+"\n")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Up to twice a warm run: a loaded machine runs kcloud slower
		// than the warm-up did, and the kills must still reach past the
		// commit; those after the end count as "after".
		time.Sleep(time.Duration(rand.Int64N(int64(full) * 2)))
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		if r := runWith(bin, env, "", "store", "check"); r.code != 0 {
			t.Fatalf("kill %d: store check: exit %d: %s", i, r.code, r.stderr)
		}
		a, events := readAccount(t, path, "alice")
		switch {
		case a.Name == old.Name && len(events) == len(oldEvents):
			before++
		case a.Name == name && len(events) == len(oldEvents)+1 && events[0].Detail == fmt.Sprintf("name %q", name):
			after++
		default:
			t.Fatalf("kill %d: neither before nor after: name %q (was %q), %d events (were %d)", i, a.Name, old.Name, len(events), len(oldEvents))
		}
	}
	t.Logf("%d kills: %d left the store before the change, %d after", kills, before, after)
	if before == 0 || after == 0 {
		// Then the test proved nothing about a kill during the commit.
		t.Fatalf("the kills did not land on both sides of the commit (%d before, %d after)", before, after)
	}
}

// TestFileSizeLimit: a write that fails for lack of space (RLIMIT_FSIZE)
// ends with a clear error and leaves the store intact.
func TestFileSizeLimit(t *testing.T) {
	bin, env := setupPlain(t)
	path := storePath(env)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	limitKB := fi.Size() / 1024
	long := strings.Repeat("x", 60)
	var failed *result
	var lastGood string
	for i := 0; i < 200 && failed == nil; i++ {
		name := fmt.Sprintf("%s %03d", long, i)
		script := fmt.Sprintf("ulimit -f %d && exec %s account set --name '%s' --password-stdin", limitKB, bin, name)
		r := runWith("bash", env, password+"\n", "-c", script)
		if r.code == 0 {
			lastGood = name
			continue
		}
		failed = &r
	}
	if failed == nil {
		t.Fatal("200 writes never reached the file-size limit")
	}
	if failed.code != 1 || !strings.Contains(failed.stderr, "failed; it was left as it was") || !strings.Contains(failed.stderr, "file too large") {
		t.Fatalf("the failing write: exit %d: %s", failed.code, failed.stderr)
	}
	t.Logf("the failing write said: %s", strings.TrimSpace(failed.stderr))
	if r := runWith(bin, env, "", "store", "check"); r.code != 0 {
		t.Fatalf("store check after the failure: %d %s", r.code, r.stderr)
	}
	a, _ := readAccount(t, path, "alice")
	if lastGood != "" && a.Name != lastGood {
		t.Fatalf("name %q after the failed write, want the last good one %q", a.Name, lastGood)
	}
	// Without the limit, writing works again.
	if r := runWith(bin, env, password+"\n", "account", "set", "--name", "After", "--password-stdin"); r.code != 0 {
		t.Fatalf("a write after the limit is lifted: %d %s", r.code, r.stderr)
	}
}

// TestBackupWhileWriting: backups taken while other processes write are
// valid stores, each with a whole account.
func TestBackupWhileWriting(t *testing.T) {
	bin, env := setupPlain(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := runWith(bin, env, password+"\n", "account", "set", "--name", fmt.Sprintf("Writer %d-%d", w, i), "--password-stdin")
				if r.code != 0 && r.code != 6 {
					t.Errorf("writer: exit %d: %s", r.code, r.stderr)
				}
			}
		})
	}
	dir := t.TempDir()
	for i := range 10 {
		b := filepath.Join(dir, fmt.Sprintf("backup%d.db", i))
		if r := runWith(bin, env, "", "store", "backup", b); r.code != 0 {
			t.Errorf("backup %d: exit %d: %s", i, r.code, r.stderr)
			continue
		}
		if r := runWith(bin, env, "", "--store", b, "store", "check"); r.code != 0 {
			t.Errorf("backup %d: store check: exit %d: %s", i, r.code, r.stderr)
		}
		a, events := readAccount(t, b, "alice")
		if a.UserID != "alice" || len(events) == 0 {
			t.Errorf("backup %d: account %+v, %d events", i, a.UserID, len(events))
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
}
