// Package store keeps kcloud's state in one bbolt file and offers a small
// transactional API over typed records: read and update JSON values by
// bucket and key inside one transaction. Callers never see bbolt's types,
// so the same API can later stand in front of a shared directory.
//
// The file is opened for each transaction and closed after it. bbolt
// locks the whole file while it is open, so a store is never locked
// between transactions, in particular not while kcloud waits for a person
// to type.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/kcloud/kcloud/internal/fail"
)

// Bucket names a set of records.
type Bucket string

// The buckets. Sessions are local to a machine; the others belong to the
// directory an organization would share.
var (
	Meta     Bucket = "meta"
	Accounts Bucket = "accounts"
	Sessions Bucket = "sessions"
	Activity Bucket = "activity"
)

// schemaKey holds the schema version in the meta bucket.
const schemaKey = "schema"

// Store is a kcloud store file.
type Store struct {
	path    string
	timeout time.Duration
	ready   bool // the schema was checked (and migrated) by this process
}

// Options configure Open.
type Options struct {
	// LockTimeout is how long to wait for another process holding the
	// file. Zero means one try.
	LockTimeout time.Duration
}

// Open returns the store at path. Nothing is read until the first
// transaction.
func Open(path string, opts Options) *Store {
	t := opts.LockTimeout
	if t <= 0 {
		t = time.Nanosecond // bbolt reads zero as "wait forever"
	}
	return &Store{path: path, timeout: t}
}

// Path is the store's file name.
func (s *Store) Path() string { return s.path }

// Exists reports whether the store file exists.
func (s *Store) Exists() bool {
	_, err := os.Stat(s.path)
	return err == nil
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	if err := s.exists(); err != nil {
		return err
	}
	err := s.view(fn)
	if errors.Is(err, errMigrate) {
		// An older schema: migrate under the write lock, then read.
		if err = s.update(func(*Tx) error { return nil }); err == nil {
			err = s.view(fn)
		}
	}
	return err
}

func (s *Store) view(fn func(*Tx) error) error {
	db, err := s.open(true)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.View(func(btx *bolt.Tx) error {
		if !s.ready {
			v, err := version(btx)
			if err != nil {
				return s.wrap(err)
			}
			if v < Version {
				return errMigrate
			}
			s.ready = true
		}
		return fn(&Tx{btx})
	})
	return err
}

var errMigrate = errors.New("the store needs a migration")

// Update runs fn in a read-write transaction, committed only if fn
// returns nil. A commit that fails leaves the store as it was. An older
// schema is migrated in the same transaction, before fn.
func (s *Store) Update(fn func(*Tx) error) error {
	if err := s.exists(); err != nil {
		return err
	}
	return s.update(fn)
}

// Create makes a new store file (0600, in a 0700 directory) if there is
// none, and runs fn in a read-write transaction on it.
func (s *Store) Create(fn func(*Tx) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fail.Wrap(fail.Other, err, "creating the store's directory")
	}
	return s.update(fn)
}

func (s *Store) update(fn func(*Tx) error) error {
	db, err := s.open(false)
	if err != nil {
		return err
	}
	var fnErr error
	err = db.Update(func(btx *bolt.Tx) error {
		if !s.ready {
			if err := migrate(btx, Version); err != nil {
				fnErr = s.wrap(err)
				return fnErr
			}
		}
		fnErr = fn(&Tx{btx})
		return fnErr
	})
	switch {
	case err == nil:
		s.ready = true
	case err != fnErr:
		// bbolt's own failure: a write or a resize the system refused.
		err = fail.Wrap(fail.Other, err, "writing the store %s failed; it was left as it was", s.path).
			WithHint("free some disk space, or raise the file-size limit, and try again")
	}
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fail.Wrap(fail.Other, cerr, "closing the store %s", s.path)
	}
	return err
}

// exists refuses a missing or empty file: only Create makes a store.
func (s *Store) exists() error {
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail.Otherf("no store at %s", s.path).
			WithHint("run `kcloud init` to create one, or point --store at an existing store")
	case err == nil && fi.Size() == 0:
		return fail.Otherf("%s is empty, not a kcloud store", s.path)
	}
	return nil
}

func (s *Store) open(readOnly bool) (*bolt.DB, error) {
	if err := checkPerm(s.path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{
		Timeout:  s.timeout,
		ReadOnly: readOnly,
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	return db, nil
}

// wrap turns bbolt's errors into kinds and messages a person can act on.
func (s *Store) wrap(err error) error {
	var fe *fail.Error
	switch {
	case errors.As(err, &fe):
		return err
	case errors.Is(err, berrors.ErrTimeout):
		return fail.Busyf("the store %s is busy: another kcloud held it for more than %v", s.path, s.timeout).
			WithHint("try again, or raise store.lock_timeout")
	case errors.Is(err, ErrNewer):
		return fail.Wrap(fail.Other, err, "refusing %s", s.path).
			WithHint("use the kcloud that wrote it, or a newer one; the file was not changed")
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, errNotKcloud):
		return fail.Wrap(fail.Other, err, "%s is not a kcloud store", s.path)
	}
	return fail.Wrap(fail.Other, err, "store %s", s.path)
}

// Backup writes a consistent copy of the store to dst, mode 0600. The copy
// is written beside dst and renamed into place, so dst is either the old
// file or a whole copy.
func (s *Store) Backup(dst string) error {
	if abs, err := filepath.Abs(dst); err == nil {
		if src, err := filepath.Abs(s.path); err == nil && abs == src {
			return fail.Usagef("the backup file is the store itself")
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return fail.Wrap(fail.Other, err, "backup")
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fail.Wrap(fail.Other, err, "backup")
	}
	err = s.View(func(tx *Tx) error {
		_, err := tx.tx.WriteTo(tmp)
		return err
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fail.Wrap(fail.KindOf(err), err, "backup to %s", dst)
	}
	return nil
}

// Check runs bbolt's consistency check and returns every fault it finds.
func (s *Store) Check() ([]error, error) {
	var faults []error
	err := s.View(func(tx *Tx) error {
		for err := range tx.tx.Check() {
			faults = append(faults, err)
		}
		return nil
	})
	return faults, err
}

// Tx is a transaction. Values read from it are copies: they stay valid
// after the transaction ends.
type Tx struct{ tx *bolt.Tx }

func (t *Tx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, fmt.Errorf("store: bucket %q is missing", b)
	}
	return bk, nil
}

// Get decodes the record at key into v and reports whether it exists.
func (t *Tx) Get(b Bucket, key string, v any) (bool, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return false, err
	}
	data := bk.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("store: record %s/%s: %w", b, key, err)
	}
	return true, nil
}

// Put stores v at key.
func (t *Tx) Put(b Bucket, key string, v any) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return bk.Put([]byte(key), data)
}

// Delete removes the record at key, if any.
func (t *Tx) Delete(b Bucket, key string) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Delete([]byte(key))
}

// Append stores v under prefix with a key that sorts after every earlier
// Append to the bucket.
func (t *Tx) Append(b Bucket, prefix string, v any) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	seq, err := bk.NextSequence()
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return bk.Put(seqKey(prefix, seq), data)
}

func seqKey(prefix string, seq uint64) []byte {
	k := make([]byte, len(prefix)+1+8)
	copy(k, prefix)
	k[len(prefix)] = 0
	binary.BigEndian.PutUint64(k[len(prefix)+1:], seq)
	return k
}

// Newest calls fn for the records appended under prefix, newest first,
// until fn returns false. decode fills a value with the current record.
func (t *Tx) Newest(b Bucket, prefix string, fn func(decode func(v any) error) bool) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	p := append([]byte(prefix), 0)
	c := bk.Cursor()
	last := seqKey(prefix, ^uint64(0))
	k, v := c.Seek(last)
	switch {
	case k == nil:
		k, v = c.Last()
	case string(k) != string(last):
		k, v = c.Prev()
	}
	for ; k != nil && hasPrefix(k, p); k, v = c.Prev() {
		data := v
		if !fn(func(dst any) error { return json.Unmarshal(data, dst) }) {
			break
		}
	}
	return nil
}

// Trim keeps the newest keep records appended under prefix and deletes
// the rest.
func (t *Tx) Trim(b Bucket, prefix string, keep int) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	p := append([]byte(prefix), 0)
	var old [][]byte
	n := 0
	c := bk.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p) && len(old) < n-keep; k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Keys calls fn for every key in b, in order, until fn returns false.
func (t *Tx) Keys(b Bucket, fn func(key string) bool) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	c := bk.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !fn(string(k)) {
			break
		}
	}
	return nil
}

func hasPrefix(k, p []byte) bool { return strings.HasPrefix(string(k), string(p)) }
