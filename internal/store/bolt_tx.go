package store

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Check runs bbolt's consistency check and returns every fault it finds.
// bbolt checks in a goroutine of its own, where a fault could not be
// recovered: the size check before it keeps every page it reads inside
// the file.
func (s *Bolt) Check() ([]string, error) {
	var faults []string
	if err := s.exists(); err != nil {
		return nil, err
	}
	if err := checkPerm(s.path); err != nil {
		return nil, err
	}
	// The walk first, on a mapping of its own: a file bbolt would not
	// even open (cut inside its meta pages) is damaged, not foreign.
	var d *DamageError
	if err := walkFile(s.path, validate); errors.Is(err, berrors.ErrInvalid) {
		return nil, s.wrap(err) // not a store at all
	} else if errors.As(err, &d) {
		return []string{d.Detail}, nil
	} else if err != nil {
		return nil, s.wrap(err)
	}
	s.validated = true // the View below need not walk the pages again
	err := s.View(func(r RawTx) error {
		for err := range r.(*boltTx).tx.Check() {
			faults = append(faults, err.Error())
		}
		return nil
	})
	if errors.As(err, &d) {
		return []string{d.Detail}, nil
	}
	return faults, err
}

// walkFile checks the file at path with check (validate: every page).
func walkFile(path string, check func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return walkOpen(f, check)
}

// walkOpen checks the open file f with check, on a mapping of its own.
// An empty file is one Create is making: bbolt writes its first pages.
func walkOpen(f *os.File, check func([]byte) error) error {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	data, release, err := mapFile(f, fi.Size())
	if err != nil {
		return err
	}
	defer release()
	return guard(func() error {
		if !boltMagic(data) {
			return berrors.ErrInvalid // not a damaged store: not one at all
		}
		if err := check(data); err != nil {
			return damage("%v", err)
		}
		return nil
	})
}

// boltMagic reports whether either meta page, where bbolt looks for them
// (the second at this system's page size or the usual 4 KiB), carries
// bbolt's magic number.
func boltMagic(data []byte) bool {
	for _, off := range []int{0, 4096, os.Getpagesize()} {
		if len(data) >= off+pageHeader+4 && ne.Uint32(data[off+pageHeader:]) == bboltMagic {
			return true
		}
	}
	return false
}

// walkAll walks every page of the file, unless this process did so
// before (validate).
func (t *boltTx) walkAll() error {
	if t.paths == nil {
		return nil
	}
	if err := validate(t.paths.data); err != nil {
		return t.damage("%v", err)
	}
	if checkHooks.whole != nil {
		checkHooks.whole(t.paths)
	}
	t.s.validated, t.paths = true, nil
	return nil
}

// damage is damage this transaction found, named by its file: in a copy
// from one store to another, it names the store that holds it.
func (t *boltTx) damage(format string, args ...any) error {
	return &DamageError{Store: t.s.path, Detail: fmt.Sprintf(format, args...)}
}

// boltTx is a bbolt transaction.
type boltTx struct {
	tx    *bolt.Tx
	scrub bool
	// paths, in a process that has not walked the whole file, checks
	// the pages each operation visits before bbolt reads them.
	paths *pathCheck
	s     *Bolt
}

func (t *boltTx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, t.damage("bucket %q is missing", b)
	}
	return bk, nil
}

// check checks the way to key in bucket b, as bbolt's Get and Put take
// it, unless this process walked the whole file.
func (t *boltTx) check(b Bucket, key string) error {
	if t.paths != nil {
		if err := t.paths.get(b, key); err != nil {
			return t.damage("%v", err)
		}
	}
	return nil
}

func (t *boltTx) Get(b Bucket, key string) ([]byte, error) {
	if err := t.check(b, key); err != nil {
		return nil, err
	}
	bk, err := t.bucket(b)
	if err != nil {
		return nil, err
	}
	v := bk.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (t *boltTx) Put(b Bucket, key string, value []byte) error {
	if err := t.check(b, key); err != nil {
		return err
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	bk.FillPercent = fillPercent
	return bk.Put([]byte(key), value)
}

// fillPercent is how full bbolt packs a page when it splits one. Its
// default, half, suits keys that arrive in random order; kcloud's arrive
// mostly in order (an account's log grows at its end, accounts are made
// one after another, a record is rewritten in place), and at half a
// store of 100,000 accounts is half empty pages.
const fillPercent = 0.9

func (t *boltTx) Delete(b Bucket, key string) error {
	if t.paths != nil {
		if err := t.paths.del(b, key); err != nil {
			return t.damage("%v", err)
		}
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Delete([]byte(key))
}

func (t *boltTx) Scan(b Bucket, prefix string, reverse bool, fn func(string, []byte) bool) error {
	// The mirror cursor m, moved before bbolt's c, checks the pages c is
	// about to read. A whole bucket (a copy) walks the whole file, and so
	// does a scan that comes to a leaf this transaction deleted from.
	var m *cursor
	if t.paths != nil && prefix == "" {
		if err := t.walkAll(); err != nil {
			return err
		}
	} else if t.paths != nil {
		var err error
		if m, err = t.paths.cursor(b); err != nil {
			return t.damage("%v", err)
		}
		if m != nil {
			m.scan = true
		}
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	c := bk.Cursor()
	var k, v []byte
	move := func(check func() error, step func() ([]byte, []byte)) error {
		if m != nil {
			err := check()
			if errors.Is(err, errTrimmed) {
				err, m = t.walkAll(), nil
			} else if err != nil {
				err = t.damage("%v", err)
			}
			if err != nil {
				return err
			}
		}
		k, v = step()
		return nil
	}
	seek := func(key []byte) error {
		return move(func() error { return m.Seek(key) }, func() ([]byte, []byte) { return c.Seek(key) })
	}
	if !reverse {
		for err = seek([]byte(prefix)); err == nil && k != nil && hasPrefix(k, prefix); err = move(m.Next, c.Next) {
			if !fn(string(k), append([]byte(nil), v...)) {
				break
			}
		}
		return err
	}
	// The first key after every key with the prefix, then back one.
	if end := prefixEnd(prefix); end == nil {
		err = move(m.Last, c.Last)
	} else if err = seek(end); err == nil && k == nil {
		err = move(m.Last, c.Last)
	} else if err == nil {
		err = move(m.Prev, c.Prev)
	}
	for ; err == nil && k != nil && hasPrefix(k, prefix); err = move(m.Prev, c.Prev) {
		if !fn(string(k), append([]byte(nil), v...)) {
			break
		}
	}
	return err
}

// Forget asks that no copy of what this transaction overwrites or
// deletes stays in the file once it commits.
func (t *boltTx) Forget() { t.scrub = true }

// prefixEnd is the least key greater than every key that starts with
// prefix, or nil when there is none (all 0xff).
func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// zeroFreePages overwrites every free page of db's file with zeros, so
// that what earlier transactions overwrote or deleted (an old password
// hash, a data key wrapped by it) is gone from the file and from every
// copy made of it later. db is open for writing, so no other process has
// the file open, and this process holds no other transaction: every page
// the freelist names is unused.
func zeroFreePages(db *bolt.DB, path string) error {
	var free []int
	var pageSize int
	err := db.View(func(tx *bolt.Tx) error {
		pageSize = tx.DB().Info().PageSize
		for id := 2; int64(id)*int64(pageSize) < tx.Size(); id++ {
			p, err := tx.Page(id)
			if err != nil {
				return err
			}
			if p != nil && p.Type == "free" {
				free = append(free, id)
			}
		}
		return nil
	})
	if err != nil || len(free) == 0 {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	zero := make([]byte, pageSize)
	for _, id := range free {
		if _, err = f.WriteAt(zero, int64(id)*int64(pageSize)); err != nil {
			break
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
