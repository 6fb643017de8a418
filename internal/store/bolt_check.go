package store

import (
	"errors"
	"os"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/kcloud/kcloud/internal/boltcheck"
)

// Everything the bbolt backend asks of the page checker (boltcheck), in
// one place: a write's open checks what bbolt reads as it opens
// (checkOpenFile, checkOpened); each transaction then checks the way of
// each operation before bbolt takes it (pathsOf and the boltTx methods
// below), until this process has walked the whole file (validated);
// `store check` walks it all.

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
	if err := walkFile(s.path, boltcheck.Check); errors.Is(err, berrors.ErrInvalid) {
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

// walkFile checks the file at path with check (boltcheck.Check: every
// page).
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
		if !boltcheck.Magic(data) {
			return berrors.ErrInvalid // not a damaged store: not one at all
		}
		if err := check(data); err != nil {
			return damage("%v", err)
		}
		return nil
	})
}

// checkOpenFile checks, on a mapping of its own, what bbolt reads when
// it opens the file f to write: the meta pages and the freelist.
func checkOpenFile(f *os.File) error { return walkOpen(f, boltcheck.CheckOpen) }

// checkOpened is checkOpenFile on the file's bytes as bbolt mapped them,
// where bbolt took the file's lock itself and opened it first.
func checkOpened(data []byte) error {
	if err := boltcheck.CheckOpen(data); err != nil {
		return damage("%v", err)
	}
	return nil
}

// pathsOf checks the meta pages and the root tree of the file's bytes in
// data, and returns the checks of each operation's way on them; nil once
// this process has walked the whole file (validated).
func (s *Bolt) pathsOf(data []byte) (*boltcheck.Path, error) {
	if s.validated {
		return nil, nil
	}
	var c *boltcheck.Path
	err := guard(func() (err error) {
		c, err = boltcheck.NewPath(data)
		if err != nil {
			return damage("%v", err)
		}
		return nil
	})
	return c, err
}

// walkAll walks every page of the file, unless this process did so
// before (validated).
func (t *boltTx) walkAll() error {
	if t.paths == nil {
		return nil
	}
	if err := t.paths.CheckAll(); err != nil {
		return t.damage("%v", err)
	}
	t.s.validated, t.paths = true, nil
	return nil
}

// check checks the way to key in bucket b, as bbolt's Get and Put take
// it.
func (t *boltTx) check(b Bucket, key string) error {
	if t.paths != nil {
		if err := t.paths.Get(string(b), key); err != nil {
			return t.damage("%v", err)
		}
	}
	return nil
}

// checkDelete checks the way of a delete of key in bucket b, and the
// pages the commit's rebalance may merge its pages with.
func (t *boltTx) checkDelete(b Bucket, key string) error {
	if t.paths != nil {
		if err := t.paths.Delete(string(b), key); err != nil {
			return t.damage("%v", err)
		}
	}
	return nil
}

// checkScan returns the mirror of a scan of bucket b, or nil where none
// is needed. A whole bucket (a copy) walks the whole file instead.
func (t *boltTx) checkScan(b Bucket, prefix string) (*boltcheck.Cursor, error) {
	if t.paths == nil {
		return nil, nil
	}
	if prefix == "" {
		return nil, t.walkAll()
	}
	m, err := t.paths.Scan(string(b))
	if err != nil {
		return nil, t.damage("%v", err)
	}
	return m, nil
}

// checkStep moves the mirror *m with step, before bbolt's cursor makes
// the same step. A mirror that comes to a leaf this transaction deleted
// from walks the whole file, and is done.
func (t *boltTx) checkStep(m **boltcheck.Cursor, step func() error) error {
	err := step()
	switch {
	case errors.Is(err, boltcheck.ErrTrimmed):
		*m = nil
		return t.walkAll()
	case err != nil:
		return t.damage("%v", err)
	}
	return nil
}
