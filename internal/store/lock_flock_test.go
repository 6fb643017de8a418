//go:build linux

package store

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitForBlockedLocks waits until n lock requests on the file at path are
// blocked, as /proc/locks lists them ("->" before a request that waits).
func waitForBlockedLocks(t *testing.T, path string, n int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if _, err := os.Stat("/proc/locks"); !ok || err != nil {
		t.Skip("no /proc/locks to see waiting locks in")
	}
	inode := fmt.Sprintf(":%d ", st.Ino)
	deadline := time.Now().Add(20 * time.Second)
	for {
		locks, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Fatal(err)
		}
		blocked := 0
		for _, l := range strings.Split(string(locks), "\n") {
			if strings.Contains(l, "->") && strings.Contains(l, inode) {
				blocked++
			}
		}
		if blocked >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lock requests wait on %s, want %d:\n%s", blocked, path, n, locks)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLockHandedOver: a writer that finds the store held waits for it and
// then sees what the holder wrote; readers wait for a writer the same way.
// (How soon it gets the lock is measured by the bench, not asserted.)
func TestLockHandedOver(t *testing.T) {
	_, path := newBolt(t)
	open := func() *Store { return Open(path, Options{LockTimeout: 30 * time.Second}) }
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- open().Update(func(tx *Tx) error {
			close(holding)
			<-release
			return tx.Put(Accounts, "a", rec{1})
		})
	}()
	<-holding
	got := make(chan error, 2)
	go func() { // a writer
		got <- open().Update(func(tx *Tx) error {
			var r rec
			if ok, err := tx.Get(Accounts, "a", &r); !ok || err != nil || r.N != 1 {
				return fmt.Errorf("the waiting writer saw %v %v %v, not the holder's record", ok, err, r)
			}
			return tx.Put(Accounts, "a", rec{2})
		})
	}()
	go func() { // a reader
		got <- open().View(func(tx *Tx) error {
			var r rec
			if ok, err := tx.Get(Accounts, "a", &r); !ok || err != nil || r.N == 0 {
				return fmt.Errorf("the waiting reader saw %v %v %v, not a committed record", ok, err, r)
			}
			return nil
		})
	}()
	waitForBlockedLocks(t, path, 2) // both wait on the lock, in the kernel
	close(release)
	for _, c := range []chan error{done, got, got} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
}
