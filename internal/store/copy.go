package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/safefile"
)

// ErrExists: the destination of a copy is there already.
var ErrExists = errors.New("the file exists")

// Backup writes a consistent copy of src (one read transaction) to the
// bbolt file dst, mode 0600, without the sessions: a copy must not log
// anyone in. The copy is built beside dst and renamed into place, so dst
// is either what it was or a whole copy. An existing dst is refused
// unless overwrite is set.
//
// The copy is written record by record into a new file, not as an image
// of src's pages: it holds no page src freed, whatever those held.
func Backup(src *Store, dst string, overwrite bool) error {
	if abs, err := filepath.Abs(dst); err == nil {
		if b, ok := src.b.(*Bolt); ok {
			if s, err := filepath.Abs(b.path); err == nil && s == abs {
				return fail.Usagef("the backup file is the store itself")
			}
		}
	}
	if _, err := os.Lstat(dst); err == nil && !overwrite {
		return fail.Mark(fail.Usage, ErrExists, "%s exists", dst)
	}
	err := safefile.Replace(dst, func(tmp string) error {
		out := Open(tmp, Options{}) // bbolt lays out the empty file
		return src.View(func(in *Tx) error {
			return out.Create(func(w *Tx) error { return copyRecords(in, w, Sessions) })
		})
	})
	if err != nil {
		return fail.Wrap(fail.KindOf(err), err, "backup to %s", dst)
	}
	return nil
}

// Import copies every record of the bbolt file src, but its sessions,
// into dst, which must hold no organization yet (the caller checks that
// inside fn's transaction, through refuse). One transaction: all or
// nothing.
func Import(src *Store, dst *Store, refuse func(*Tx) error) error {
	return src.View(func(in *Tx) error {
		return dst.Create(func(w *Tx) error {
			if err := refuse(w); err != nil {
				return err
			}
			return copyRecords(in, w, Sessions)
		})
	})
}

// copyRecords copies every record of in to out, leaving out the buckets
// named in skip. The schema record of a bbolt file is its own.
func copyRecords(in, out *Tx, skip ...Bucket) error {
	for _, b := range Buckets {
		if slices.Contains(skip, b) {
			continue
		}
		var err error
		scanErr := in.ScanRaw(b, func(k string, v []byte) bool {
			if b == Meta && k == schemaKey {
				return true
			}
			err = out.PutRaw(b, k, v)
			return err == nil
		})
		if err == nil {
			err = scanErr
		}
		if err != nil {
			return fmt.Errorf("copying %s: %w", b, err)
		}
	}
	return nil
}
