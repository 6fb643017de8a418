package store

import (
	"errors"
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
// inside fn's transaction, through refuse). On one transaction if dst
// takes it (bbolt): all or nothing. A backend that takes a bounded number
// of writes at once (etcd) gets the records in batches, the meta records
// (the organization) last, checked again by refuse in that same last
// transaction: until it commits, dst holds no organization, and an
// interrupted import can be run again.
func Import(src *Store, dst *Store, refuse func(*Tx) error) error {
	l, ok := dst.b.(interface{ maxWrites() int })
	if !ok {
		return src.View(func(in *Tx) error {
			return dst.Create(func(w *Tx) error {
				if err := refuse(w); err != nil {
					return err
				}
				return copyRecords(in, w, Sessions)
			})
		})
	}
	if err := dst.Create(refuse); err != nil {
		return err
	}
	type record struct {
		b Bucket
		k string
		v []byte
	}
	var batch, meta []record
	flush := func() error {
		err := dst.Update(func(w *Tx) error {
			for _, r := range batch {
				if err := w.PutRaw(r.b, r.k, r.v); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	err := src.View(func(in *Tx) error {
		for _, b := range Buckets {
			if b == Sessions {
				continue
			}
			var err error
			scanErr := in.ScanRaw(b, func(k string, v []byte) bool {
				switch {
				case b == Meta && k == schemaKey:
				case b == Meta:
					meta = append(meta, record{b, k, v})
				default:
					batch = append(batch, record{b, k, v})
					if len(batch) == l.maxWrites() {
						err = flush()
					}
				}
				return err == nil
			})
			if err == nil {
				err = scanErr
			}
			if err != nil {
				return fail.Errorf("copying %s: %w", b, err)
			}
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return err
	}
	return dst.Update(func(w *Tx) error {
		if err := refuse(w); err != nil {
			return err
		}
		for _, r := range meta {
			if err := w.PutRaw(r.b, r.k, r.v); err != nil {
				return err
			}
		}
		return nil
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
			return fail.Errorf("copying %s: %w", b, err)
		}
	}
	return nil
}
