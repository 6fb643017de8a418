package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		if l := leaves(t, data, b); l[len(l)/2].depth < 3 {
			t.Fatalf("bucket %s is %d levels deep, want 3 or more", b, l[len(l)/2].depth)
		}
	}
	return path
}

// leafKeys returns the keys of a leaf of bucket b in the store at path,
// in the middle of the tree: the first child of its parent, or not.
func leafKeys(t *testing.T, path string, b Bucket, first bool) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]string
	for _, l := range leaves(t, data, b) {
		if l.first == first && len(l.keys) > 2 {
			keys = append(keys, l.keys)
		}
	}
	if len(keys) == 0 {
		t.Fatalf("no leaf to empty in bucket %s", b)
	}
	return keys[len(keys)/2]
}

// TestFreelistNamesLivePage: a write checks only its own way down, yet a
// freelist that names a page in use anywhere must stop it, for the write
// would hand that page out again and overwrite records it never read.
// The page named is a leaf far from the write, unread by it, or the
// overflow of a large record's leaf.
func TestFreelistNamesLivePage(t *testing.T) {
	path := deepStore(t)
	large := strings.Repeat("y", 3*4096)
	if err := Open(path, Options{}).Update(func(tx *Tx) error {
		return tx.Put(Accounts, "user04000", struct{ Big string }{large})
	}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := activeMeta(good)
	if err != nil {
		t.Fatal(err)
	}
	far := leafOf(t, good, Accounts, "user05500")
	big := leafOf(t, good, Accounts, "user04000")
	if big.pages == 1 {
		t.Fatal("the large record's leaf has no overflow pages")
	}
	ps := uint64(m.pageSize)
	var r rec
	for name, id := range map[string]uint64{"a leaf far away": far.id, "a large leaf's overflow": big.id + big.pages - 1} {
		b := append([]byte(nil), good...)
		p := b[m.freelist*ps:]
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
