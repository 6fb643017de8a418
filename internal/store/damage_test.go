package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// goodStore writes a small real store and returns its bytes.
func goodStore(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kcloud", "kcloud.db")
	s := Open(path, Options{})
	err := s.Create(func(tx *Tx) error {
		for i := range 40 {
			if err := tx.Put(Accounts, fmt.Sprintf("user%02d", i), rec{i}); err != nil {
				return err
			}
			if err := tx.Append(Activity, fmt.Sprintf("user%02d", i), rec{i}); err != nil {
				return err
			}
		}
		return tx.Put(Sessions, "current", rec{1})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second write leaves freed pages and a freelist to damage too.
	if err := s.Update(func(tx *Tx) error { return tx.Put(Accounts, "user00", rec{100}) }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exercise runs every store operation on the file at path, reading every
// record, and returns how many reported damage. Whatever the file holds,
// each returns: a panic or a fault fails the whole test binary.
func exercise(path string, write bool) (damaged int) {
	s := Open(path, Options{})
	var r rec
	// Reads alone first, in a store of their own: a process that only
	// reads walks only the pages it reads (boltcheck.Path).
	gets := Open(path, Options{}).View(func(tx *Tx) error {
		for i := range 40 {
			if _, err := tx.Get(Accounts, fmt.Sprintf("user%02d", i), &r); err != nil {
				return err
			}
			if _, err := tx.Get(Meta, fmt.Sprintf("k%02d", i), &r); err != nil {
				return err
			}
		}
		return nil
	})
	errs := []error{gets, s.View(func(tx *Tx) error {
		for i := range 40 {
			if _, err := tx.Get(Accounts, fmt.Sprintf("user%02d", i), &r); err != nil {
				return err
			}
			var derr error
			err := tx.Newest(Activity, fmt.Sprintf("user%02d", i), func(d func(any) error) bool { derr = d(&r); return derr == nil })
			if err == nil {
				err = derr
			}
			if err != nil {
				return err
			}
		}
		return nil
	})}
	faults, err := OpenBolt(path, Options{}).Check()
	if len(faults) > 0 {
		errs = append(errs, ErrDamaged)
	}
	errs = append(errs, err)
	if write {
		errs = append(errs,
			// A write that checks only its way (boltcheck.Path): a log
			// appended and trimmed (scans, deletes), a record deleted.
			Open(path, Options{}).Update(func(tx *Tx) error {
				if _, err := tx.Get(Accounts, "user02", &r); err != nil {
					return err
				}
				if err := tx.Put(Accounts, "user02", rec{98}); err != nil {
					return err
				}
				if err := tx.Delete(Accounts, "user30"); err != nil {
					return err
				}
				for i := range 3 {
					if err := tx.AppendKeep(Activity, "user05", rec{i}, 1); err != nil {
						return err
					}
				}
				return nil
			}),
			// One that walks the whole file first, to erase what it
			// replaces.
			Open(path, Options{}).Update(func(tx *Tx) error { tx.Forget(); return tx.Put(Accounts, "user01", rec{99}) }),
			Backup(Open(path, Options{}), filepath.Join(filepath.Dir(path), "copy.db"), true))
	}
	for _, err := range errs {
		if errors.Is(err, ErrDamaged) {
			damaged++
		}
	}
	return damaged
}

// TestDamagedStoreNeverPanics damages a real store every way there is:
// each byte flipped in turn, and the file cut short at every page and
// in the middle of pages. Every read and the check run on every copy;
// the writing operations on every byte of each page's first 64 (headers,
// meta fields, element tables) and every 61st byte of the rest (security
// rule 11).
func TestDamagedStoreNeverPanics(t *testing.T) {
	good := goodStore(t)
	path := filepath.Join(fastDir(t), "damaged.db")
	damaged, step := 0, 1
	switch {
	case testing.Short():
		step = 7
	case raceDetector:
		step = 17 // CI runs every byte once more without the detector
	}
	for i := 0; i < len(good); i += step {
		b := append([]byte(nil), good...)
		b[i] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		damaged += exercise(path, i%4096 < 64 || i%61 == 0)
	}
	m, err := activeMeta(good)
	if err != nil {
		t.Fatal(err)
	}
	used := int(m.pgid) * int(m.pageSize) // bbolt grows the file ahead of use
	for n := 0; n < used; n += 1024 {
		os.Remove(path)
		if err := os.WriteFile(path, good[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if n > 0 && exercise(path, true) == 0 {
			t.Errorf("the file cut to %d of its %d used bytes was not reported damaged", n, used)
		}
	}
	if damaged == 0 {
		t.Fatal("no damage was ever reported: the test damaged nothing")
	}
}

// FuzzDamagedStore feeds stores with bytes changed at chosen places to
// every store operation; none may panic, fault or hang.
func FuzzDamagedStore(f *testing.F) {
	f.Add(uint16(16), []byte{0xff})   // meta page: magic
	f.Add(uint16(4096+12), []byte{9}) // meta 1: an overflow of sorts
	f.Add(uint16(8192+12), []byte{0xff, 0xff, 0xff, 0x7f})
	f.Add(uint16(12288+10), []byte{0xff, 0xff})
	good := goodStore(f)
	dir := fastDir(f)
	f.Fuzz(func(t *testing.T, at uint16, patch []byte) {
		b := append([]byte(nil), good...)
		copy(b[int(at)%len(b):], patch)
		path := filepath.Join(dir, "fuzz.db")
		os.Remove(path)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		exercise(path, true)
	})
}

// fastDir is a temporary directory in memory where there is one: the
// damage tests write thousands of small files and sync some.
func fastDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "kcloud-test-"); err == nil {
			os.Chmod(d, 0o700)
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestFreelistCountTooLarge: a freelist page that claims more free pages
// than memory could hold. bbolt reads the freelist when it opens a file
// to write, and allocates what the count says before it reads the ids:
// the walk must see it first, or the process dies of "out of memory"
// where no recover reaches (security rule 11).
func TestFreelistCountTooLarge(t *testing.T) {
	good := goodStore(t)
	m, err := activeMeta(good)
	if err != nil {
		t.Fatal(err)
	}
	if m.freelist == noFreelist {
		t.Fatal("the store has no freelist page to damage")
	}
	b := append([]byte(nil), good...)
	p := b[m.freelist*uint64(m.pageSize):]
	ne.PutUint16(p[10:], 0xffff)        // the count overflows into the first element
	ne.PutUint64(p[pageHeader:], 1<<40) // 8 TiB of page ids
	path := filepath.Join(t.TempDir(), "kcloud.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	err = Open(path, Options{}).Update(func(tx *Tx) error { return tx.Put(Accounts, "user01", rec{1}) })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("a write to a store whose freelist counts 2^40 pages: %v, want ErrDamaged", err)
	}
}

// TestMetaCountsTooManyPages: meta pages, checksums intact, that count
// 2^40 pages in a file of a few. Every check sizes its tables by that
// count, so the count is held to the file first, or a table of a
// terabyte is asked for (security rule 11).
func TestMetaCountsTooManyPages(t *testing.T) {
	b := goodStore(t)
	m, err := activeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, int(m.pageSize)} {
		ne.PutUint64(b[off+56:], 1<<40) // pgid, the high-water mark
		resum(b[off:])
	}
	if m, err := activeMeta(b); err != nil || m.pgid != 1<<40 {
		t.Fatalf("the crafted meta pages do not read back: %v %v", m, err)
	}
	path := filepath.Join(t.TempDir(), "kcloud.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var r rec
	read := Open(path, Options{}).View(func(tx *Tx) error { _, err := tx.Get(Accounts, "user01", &r); return err })
	write := Open(path, Options{}).Update(func(tx *Tx) error { return tx.Put(Accounts, "user01", rec{1}) })
	faults, check := OpenBolt(path, Options{}).Check()
	for name, err := range map[string]error{"a read": read, "a write": write} {
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
	}
	if check != nil || len(faults) == 0 {
		t.Errorf("store check: %q, %v; want the fault listed", faults, check)
	}
}

// TestNoFreelistWalksWhole: meta pages, checksums intact, that say the
// file keeps no freelist. bbolt then finds the free pages by reading
// every tree, in a goroutine of its own, so a write's open must check
// every page first: a damaged leaf far from the write is reported, not
// a panic no recover reaches (security rule 11).
func TestNoFreelistWalksWhole(t *testing.T) {
	b := goodStore(t)
	m, err := activeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, int(m.pageSize)} {
		ne.PutUint64(b[off+48:], noFreelist)
		resum(b[off:])
	}
	first := leaves(t, b, Activity)[0].id
	ne.PutUint16(b[first*uint64(m.pageSize)+8:], 0x40) // no page type bbolt knows
	path := filepath.Join(t.TempDir(), "kcloud.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	err = Open(path, Options{}).Update(func(tx *Tx) error { return tx.Put(Accounts, "user01", rec{1}) })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("a write with no freelist and a damaged leaf: %v, want ErrDamaged", err)
	}
}
