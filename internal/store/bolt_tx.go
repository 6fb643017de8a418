package store

import (
	"fmt"
	"os"

	"github.com/kcloud/kcloud/internal/boltcheck"
	bolt "go.etcd.io/bbolt"
)

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
	paths *boltcheck.Path
	s     *Bolt
}

func (t *boltTx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, t.damage("bucket %q is missing", b)
	}
	return bk, nil
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
	if err := t.checkDelete(b, key); err != nil {
		return err
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Delete([]byte(key))
}

func (t *boltTx) Scan(b Bucket, prefix string, reverse bool, fn func(string, []byte) bool) error {
	// The mirror cursor m, moved before bbolt's c, checks the pages c is
	// about to read (checkScan).
	m, err := t.checkScan(b, prefix)
	if err != nil {
		return err
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	c := bk.Cursor()
	var k, v []byte
	move := func(check func() error, step func() ([]byte, []byte)) error {
		if m != nil {
			if err := t.checkStep(&m, check); err != nil {
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
