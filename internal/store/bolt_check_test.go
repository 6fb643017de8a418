//go:build linux

package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// unreadable is the bbolt backend with each transaction's mapping made
// unreadable, once bbolt has opened the file, but for the meta pages and
// the pages in readable. bbolt's open reads the meta pages and, to
// write, the freelist; both were checked on a mapping of their own before
// (checkOpenFile), and stay readable.
type unreadable struct {
	*Bolt
	*protection
}

// protection is shared by the stores of one run of an operation.
type protection struct {
	readable map[uint64]bool
	db       *bolt.DB // the last transaction's, and its bytes
	data     []byte
}

func (u *unreadable) View(fn func(RawTx) error) error {
	db, data, err := u.open(true)
	if err != nil {
		return err
	}
	u.protect(db, data)
	return u.viewOn(db, data, fn)
}

func (u *unreadable) Update(fn func(RawTx) error) error {
	db, data, err := u.open(false)
	if err != nil {
		return err
	}
	u.protect(db, data)
	return u.updateOn(db, data, fn)
}

func (u *protection) protect(db *bolt.DB, data []byte) {
	u.db, u.data = db, data
	ps := uint64(os.Getpagesize())
	if err := unix.Mprotect(data[2*ps:], unix.PROT_NONE); err != nil {
		panic(err)
	}
	for id := range u.readable {
		if err := unix.Mprotect(data[id*ps:(id+1)*ps], unix.PROT_READ); err != nil {
			panic(err)
		}
	}
}

// checkedFirst runs op on the store at path, each store op opens with
// open its transactions' mappings
// unreadable (unreadable) but for the pages the checker has read. A
// fault in the checker (boltcheck) makes the page readable, puts the
// file back as it was, and runs op again from the start; a fault
// anywhere else, in bbolt or in the store, fails the test: that read
// came before the checker read the page. op does the same on the same
// bytes each time, so when it runs to its end, every page bbolt read
// was read by the checker at an earlier point of the same run. It
// returns the pages the checker read, in the order it first read them.
func checkedFirst(t *testing.T, path string, op func(open func() *Store) error) []uint64 {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := activeMeta(before)
	if err != nil {
		t.Fatal(err)
	}
	ps := uint64(m.pageSize)
	if ps != uint64(os.Getpagesize()) {
		t.Skip("the store's pages must be the system's to protect them one by one")
	}
	readable := map[uint64]bool{}
	for id := m.freelist; id <= m.freelist+uint64(ne.Uint32(before[m.freelist*ps+12:])); id++ {
		readable[id] = true
	}
	var order []uint64
	for {
		u := &protection{readable: readable}
		err := op(func() *Store { return New(&unreadable{OpenBolt(path, Options{}), u}) })
		var p *panicked
		if !errors.As(err, &p) {
			if err != nil {
				t.Fatal(err)
			}
			return order
		}
		u.db.Close() // abandoned by the store, which saw the panic
		fault, ok := p.v.(interface{ Addr() uintptr })
		base := uintptr(unsafe.Pointer(unsafe.SliceData(u.data)))
		if !ok || fault.Addr() < base || fault.Addr() >= base+uintptr(len(u.data)) {
			t.Fatalf("not a read of the file's pages: %v", err)
		}
		id := uint64(fault.Addr()-base) / ps
		switch {
		case !strings.HasPrefix(p.in, "github.com/kcloud/kcloud/internal/boltcheck."):
			t.Fatalf("%s read page %d before the checker did (read %d pages)", p.in, id, len(order))
		case readable[id]:
			t.Fatalf("%s faulted on page %d, left readable", p.in, id)
		}
		readable[id] = true
		order = append(order, id)
		// A commit writes a meta page: where one did, or the file grew,
		// the file is put back.
		if !sameMeta(t, path, before[:2*ps], int64(len(before))) {
			if err := os.WriteFile(path, before, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sameMeta reports whether the file at path has size bytes and starts
// with meta, its meta pages: whether no commit wrote it.
func sameMeta(t *testing.T, path string, meta []byte, size int64) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	now := make([]byte, len(meta))
	if err == nil {
		_, err = f.ReadAt(now, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() == size && bytes.Equal(now, meta)
}

// TestBboltReadsOnlyCheckedPages holds the path checks to what they
// promise: every page bbolt reads was checked first (checkedFirst). The
// operations are those of a login and of the pages: gets, puts, a log
// appended and trimmed (deletes, so the commit merges pages with their
// neighbours), scans both ways, in reads and in writes.
func TestBboltReadsOnlyCheckedPages(t *testing.T) {
	path := deepStore(t)
	var r rec
	run := func(name string, op func(s *Store) error) {
		t.Helper()
		checked := checkedFirst(t, path, func(open func() *Store) error { return op(open()) })
		t.Logf("%s: the checker read %d pages first", name, len(checked))
		if len(checked) < 3 {
			t.Fatalf("%s: the checker read %d pages: it did not run", name, len(checked))
		}
	}
	login := func(user string) func(s *Store) error {
		return func(s *Store) error {
			return s.Update(func(tx *Tx) error {
				if ok, err := tx.Get(Accounts, user, &r); err != nil || !ok {
					return fmt.Errorf("get %s: %v %v", user, ok, err)
				}
				if err := tx.Put(Accounts, user, rec{1}); err != nil {
					return err
				}
				if err := tx.Put(Sessions, "current", rec{2}); err != nil {
					return err
				}
				return tx.AppendKeep(Activity, user, rec{3}, 10)
			})
		}
	}
	for _, user := range []string{"user00000", "user03000", "user05999", "user02999", "user03001"} {
		run("login as "+user, login(user))
	}
	// Until the long log is trimmed to 10, 64 at a time: whole leaves
	// empty and merge.
	for range 6 {
		run("trim the long log", login("user03000"))
	}
	// Leaves left with one key each: the commit merges each with its
	// neighbour, the next one for a first child, else the one before.
	for _, first := range []bool{true, false} {
		keys := leafKeys(t, path, Accounts, first)
		run(fmt.Sprintf("empty a leaf but for one key (first child %v)", first), func(s *Store) error {
			return s.Update(func(tx *Tx) error {
				for _, k := range keys[1:] {
					if err := tx.Delete(Accounts, k); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	// Leaves emptied in memory, then a scan across them: bbolt's cursor
	// passes over empty nodes where the pages still hold keys.
	run("delete, then scan", func(s *Store) error {
		var from int
		fmt.Sscanf(leafKeys(t, path, Accounts, false)[0], "user%d", &from)
		return s.Update(func(tx *Tx) error {
			for i := from; i < from+80; i++ {
				if err := tx.Delete(Accounts, fmt.Sprintf("user%05d", i)); err != nil {
					return err
				}
			}
			return tx.raw.Scan(Accounts, "user0", false, func(string, []byte) bool { return true })
		})
	})
	run("put alone", func(s *Store) error {
		return s.Update(func(tx *Tx) error { return tx.Put(Accounts, "user04500x", rec{4}) })
	})
	run("delete a run of accounts", func(s *Store) error {
		return s.Update(func(tx *Tx) error {
			for i := 2000; i < 2200; i++ {
				if err := tx.Delete(Accounts, fmt.Sprintf("user%05d", i)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	run("put then scan in one write", func(s *Store) error {
		return s.Update(func(tx *Tx) error {
			for i := range 40 {
				if err := tx.Append(Activity, "user01000", rec{i}); err != nil {
					return err
				}
			}
			n := 0
			err := tx.Newest(Activity, "user01000", func(func(any) error) bool { n++; return true })
			if err == nil && n != 41 {
				err = fmt.Errorf("read %d records of user01000's log, want 41", n)
			}
			return err
		})
	})
	run("read pages", func(s *Store) error {
		return s.View(func(tx *Tx) error {
			for _, user := range []string{"user00000", "user03000", "user04500", "user05999", "nobody"} {
				if _, err := tx.Get(Accounts, user, &r); err != nil {
					return err
				}
				n := 0
				if err := tx.Newest(Activity, user, func(func(any) error) bool { n++; return true }); err != nil {
					return err
				}
			}
			return nil
		})
	})
	// The protection is real: bbolt, left to itself, faults.
	u := &unreadable{OpenBolt(path, Options{}), &protection{readable: map[uint64]bool{}}}
	u.validated = true // as if this process had walked the file: no checks
	err := New(u).View(func(tx *Tx) error { _, err := tx.Get(Accounts, "user04000", &r); return err })
	if p := (*panicked)(nil); !errors.As(err, &p) || !strings.HasPrefix(p.in, "go.etcd.io/bbolt") {
		t.Fatalf("bbolt reading pages left unreadable: %v, want a fault in bbolt", err)
	}
	u.db.Close()
}

// TestDamagedDeepStore damages, in a store three levels deep, each page
// a login's write and a page's reads check (their ways down, the
// neighbours a commit merges with, the root tree, the freelist), in its
// header, its element table and its first keys, and runs them on each
// copy. With the whole file no longer walked before a write, damage
// there must come back as ErrDamaged, never as a panic, a fault or a
// hang (security rule 11).
func TestDamagedDeepStore(t *testing.T) {
	good, err := os.ReadFile(deepStore(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := activeMeta(good)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(m.pageSize)
	dir := fastDir(t)
	path := filepath.Join(dir, "deep.db")
	var r rec
	ops := func(open func() *Store, user string) []error {
		write := open().Update(func(tx *Tx) error {
			if _, err := tx.Get(Accounts, user, &r); err != nil {
				return err
			}
			if err := tx.Put(Accounts, user, rec{1}); err != nil {
				return err
			}
			if err := tx.Delete(Accounts, user+"x"); err != nil {
				return err
			}
			return tx.AppendKeep(Activity, user, rec{2}, 1)
		})
		if p := (*panicked)(nil); errors.As(write, &p) {
			return []error{write} // the handle it left holds the lock
		}
		return []error{write, open().View(func(tx *Tx) error {
			return tx.Newest(Activity, user, func(d func(any) error) bool { return d(&r) == nil })
		})}
	}
	users := []string{"user00007", "user03000", "user05990"}

	// The pages the operations check, on the good store (checkedFirst),
	// and the freelist, which a write's open checks.
	touched := map[int]bool{int(m.freelist): true}
	for _, user := range users {
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		checked := checkedFirst(t, path, func(open func() *Store) error { return errors.Join(ops(open, user)...) })
		for _, id := range checked {
			touched[int(id)] = true
		}
	}
	if len(touched) < 10 || len(touched) > int(m.pgid)/4 {
		t.Fatalf("the operations check %d of %d pages", len(touched), m.pgid)
	}

	damaged := 0
	offsets := []int{8, 9, 10, 11, 12, 16, 20, 24, 28, 31, 40, 60, 100}
	if testing.Short() || raceDetector {
		offsets = []int{8, 10, 12, 20, 28}
	}
	for page := range touched {
		for _, off := range offsets {
			b := append([]byte(nil), good...)
			b[page*ps+off] ^= 0xa5
			for _, user := range users {
				os.Remove(path) // a handle bbolt panicked with keeps its lock
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				for _, err := range ops(func() *Store { return Open(path, Options{}) }, user) {
					var p *panicked
					switch {
					case errors.As(err, &p):
						t.Errorf("page %d byte %d: bbolt panicked, where a check should have seen it: %v", page, off, err)
					case errors.Is(err, ErrDamaged):
						damaged++
					case err != nil:
						t.Fatalf("page %d byte %d: %v, want ErrDamaged or nothing", page, off, err)
					}
				}
			}
		}
	}
	if damaged == 0 {
		t.Fatal("no damage was ever reported: the test damaged nothing")
	}
	t.Logf("%d of %d pages damaged in turn; %d operations reported it", len(touched), m.pgid, damaged)
}
