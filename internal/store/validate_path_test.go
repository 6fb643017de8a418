//go:build linux

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// deepStore writes a store whose accounts and activity trees are three
// levels deep (a root branch, branches, leaves), so that a way down has
// neighbours at every level, and returns its path.
func deepStore(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kcloud", "kcloud.db")
	s := Open(path, Options{})
	type padded struct {
		N   int
		Pad string
	}
	pad := strings.Repeat("x", 180)
	err := s.Create(func(tx *Tx) error {
		for i := range 6000 {
			if err := tx.Put(Accounts, fmt.Sprintf("user%05d", i), padded{i, pad}); err != nil {
				return err
			}
		}
		for i := range 300 { // one long log among short ones
			if err := tx.Append(Activity, "user03000", padded{i, pad}); err != nil {
				return err
			}
		}
		for i := range 6000 {
			if err := tx.Append(Activity, fmt.Sprintf("user%05d", i), padded{i, pad}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []Bucket{Accounts, Activity} {
		k := cursorOf(t, data, b)
		if err := k.Seek([]byte("user03000")); err != nil {
			t.Fatal(err)
		}
		if len(k.stack) < 3 {
			t.Fatalf("bucket %s is %d levels deep, want 3 or more", b, len(k.stack))
		}
	}
	return path
}

// TestBboltReadsOnlyCheckedPages holds the path checks to what they
// promise: every page bbolt reads was checked first. Each transaction's
// mapping is made unreadable but for the meta pages and the pages
// checked so far, which become readable as they are checked; a read of
// any other page faults, and the fault comes back as ErrDamaged. The
// operations are those of a login and of the pages: gets, puts, a log
// appended and trimmed (deletes, so the commit merges pages with their
// neighbours), scans both ways, in reads and in writes.
func TestBboltReadsOnlyCheckedPages(t *testing.T) {
	if os.Getpagesize() != 4096 {
		t.Skip("the store's pages must be the system's to protect them one by one")
	}
	path := deepStore(t)
	// The checks read a mapping of their own; bbolt's is protected.
	var protected int
	var bbolts []byte
	var mine [][]byte
	checkHooks.start = func(c *pathCheck) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		own, err := unix.Mmap(int(f.Fd()), 0, len(c.data), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, own)
		bbolts, c.data = c.data, own
		ps := int(c.m.pageSize)
		if err := unix.Mprotect(bbolts[2*ps:], unix.PROT_NONE); err != nil {
			t.Fatal(err)
		}
		for id, ok := range c.ok {
			if ok {
				checkHooks.page(c, uint64(id))
			}
		}
		// The freelist page, which a commit frees: openCheck checked
		// it before bbolt opened the file.
		checkHooks.page(c, c.m.freelist)
		protected++
	}
	checkHooks.page = func(c *pathCheck, id uint64) {
		ps := uint64(c.m.pageSize)
		over := uint64(ne.Uint32(c.data[id*ps+12:]))
		if err := unix.Mprotect(bbolts[id*ps:(id+over+1)*ps], unix.PROT_READ); err != nil {
			t.Fatal(err)
		}
	}
	checkHooks.whole = func(c *pathCheck) {
		if err := unix.Mprotect(bbolts, unix.PROT_READ); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		checkHooks.start, checkHooks.page, checkHooks.whole = nil, nil, nil
		for _, m := range mine {
			unix.Munmap(m)
		}
	})

	var r rec
	run := func(name string, op func(s *Store) error) {
		t.Helper()
		before := protected
		// A store of its own each time: a process that walked the file
		// checks nothing more.
		if err := op(Open(path, Options{})); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if protected == before {
			t.Fatalf("%s ran without the path checks", name)
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
	// The protection is real: bbolt faults on a page left unreadable.
	checkHooks.page = func(*pathCheck, uint64) {}
	err := Open(path, Options{}).View(func(tx *Tx) error { _, err := tx.Get(Accounts, "user04000", &r); return err })
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "reading it failed") {
		t.Fatalf("bbolt reading pages left unreadable: %v, want ErrDamaged (bbolt faulted)", err)
	}
}

// cursorOf opens a checking cursor on bucket b of the file in data.
func cursorOf(t testing.TB, data []byte, b Bucket) *cursor {
	t.Helper()
	c, err := newPathCheck(data)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.cursor(b)
	if err != nil || k == nil {
		t.Fatalf("bucket %s: %v", b, err)
	}
	return k
}

// leafKeys returns the keys of a leaf of bucket b in the store at path,
// in the middle of the tree: the first child of its parent, or not.
func leafKeys(t *testing.T, path string, b Bucket, first bool) []string {
	t.Helper()
	hooks := checkHooks // not told of this check, on bytes of the heap
	checkHooks.start, checkHooks.page = nil, nil
	defer func() { checkHooks = hooks }()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k := cursorOf(t, data, b)
	var leaves [][]string
	last := uint64(0)
	for err = k.First(); err == nil && len(k.stack) > 2 && k.top().id != last; err = k.Next() {
		leaf, parent := k.top(), k.stack[len(k.stack)-2]
		last = leaf.id // Next leaves the cursor where it was at the end
		var keys []string
		for i := range leaf.count() {
			keys = append(keys, string(leaf.key(i)))
		}
		if (parent.index == 0) == first && len(keys) > 2 {
			leaves = append(leaves, keys)
		}
		leaf.index = leaf.count() - 1
	}
	if err != nil || len(leaves) == 0 {
		t.Fatalf("no leaf to empty in bucket %s: %v", b, err)
	}
	return leaves[len(leaves)/2]
}

// TestFreelistNamesLivePage: a write checks only its own way down, yet a
// freelist that names a page in use anywhere must stop it, for the write
// would hand that page out again and overwrite records it never read.
// The page named is a leaf far from the write, unread by it, or the
// overflow of a large record's leaf.
func TestFreelistNamesLivePage(t *testing.T) {
	path := deepStore(t)
	big := strings.Repeat("y", 3*4096)
	if err := Open(path, Options{}).Update(func(tx *Tx) error {
		return tx.Put(Accounts, "user04000", struct{ Big string }{big})
	}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newPathCheck(good)
	if err != nil {
		t.Fatal(err)
	}
	leafOf := func(key string) (uint64, uint64) {
		k, err := c.cursor(Accounts)
		if err == nil {
			err = k.search([]byte(key))
		}
		if err != nil {
			t.Fatal(err)
		}
		return k.top().id, uint64(len(k.top().p))/uint64(c.m.pageSize) - 1
	}
	far, _ := leafOf("user05500")
	bigLeaf, over := leafOf("user04000")
	if over == 0 {
		t.Fatal("the large record's leaf has no overflow pages")
	}
	ps := uint64(c.m.pageSize)
	var r rec
	for name, id := range map[string]uint64{"a leaf far away": far, "a large leaf's overflow": bigLeaf + over} {
		b := append([]byte(nil), good...)
		p := b[c.m.freelist*ps:]
		n := ne.Uint16(p[10:])
		if n >= 0xfff0 {
			t.Fatal("the freelist is too long to add to")
		}
		ne.PutUint64(p[pageHeader+int(n)*8:], id)
		ne.PutUint16(p[10:], n+1)
		bad := filepath.Join(t.TempDir(), "kcloud.db")
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Open(bad, Options{}).Update(func(tx *Tx) error {
			if _, err := tx.Get(Accounts, "user00007", &r); err != nil {
				return err
			}
			return tx.Put(Accounts, "user00007", rec{7})
		})
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "freelist names page") {
			t.Errorf("%s (page %d) in the freelist: %v, want ErrDamaged naming it", name, id, err)
		}
		// Reads allocate nothing: they go on.
		if err := Open(bad, Options{}).View(func(tx *Tx) error { _, err := tx.Get(Accounts, "user00007", &r); return err }); err != nil {
			t.Errorf("%s in the freelist, a read: %v", name, err)
		}
	}
}
