// Package store keeps kcloud's records behind one small transactional
// interface. A Backend stores bytes by bucket and key (bbolt on one
// machine, etcd for an organization's shared directory, memory for unit
// tests); Store and Tx, written once above it, add typed JSON records, an
// append-only log per prefix and its newest-first scan. Callers never see
// a backend's own types.
//
// Update may run its function more than once: a backend with optimistic
// transactions (etcd) reruns it when another writer changed what it read.
// So a transaction's function does nothing outside the transaction but set
// its own results.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
)

// Bucket names a set of records.
type Bucket string

// The buckets. Sessions are local to a machine; the others belong to the
// directory an organization may share.
var (
	Meta     Bucket = "meta"
	Accounts Bucket = "accounts"
	Sessions Bucket = "sessions"
	Activity Bucket = "activity"
)

// Buckets lists every bucket, in the order a copy writes them.
var Buckets = []Bucket{Meta, Accounts, Sessions, Activity}

// Backend is where records live.
type Backend interface {
	// Name names the store for people: a file or a cluster's endpoints.
	Name() string
	// View runs fn in a read-only transaction that sees one state.
	View(fn func(RawTx) error) error
	// Update runs fn in a read-write transaction and commits what it
	// wrote only if fn returns nil. It may run fn again after a
	// conflict with another writer.
	Update(fn func(RawTx) error) error
	// Create makes the store if it does not exist, then runs Update.
	Create(fn func(RawTx) error) error
}

// RawTx is a backend's transaction: bytes by bucket and key. Values it
// returns stay valid after the transaction.
type RawTx interface {
	Get(b Bucket, key string) ([]byte, error)
	Put(b Bucket, key string, value []byte) error
	Delete(b Bucket, key string) error
	// Scan calls fn for each key that starts with prefix, in key order
	// (reverse order when reverse is set), until fn returns false.
	Scan(b Bucket, prefix string, reverse bool, fn func(key string, value []byte) bool) error
}

// Errors a backend reports, for callers to tell apart with errors.Is.
var (
	// ErrNoStore: there is no store yet.
	ErrNoStore = errors.New("no store")
	// ErrBusy: another process held the store past the lock timeout, or
	// the cluster did not answer in time.
	ErrBusy = errors.New("the store is busy")
	// ErrDamaged: the store's bytes are not what kcloud wrote.
	ErrDamaged = errors.New("the store is damaged")
	// ErrNewer: a newer kcloud wrote the store.
	ErrNewer = errors.New("the store was written by a newer kcloud")
	// ErrNotKcloud: the file holds data kcloud did not write.
	ErrNotKcloud = errors.New("it holds data kcloud did not write")
	// ErrUnsafe: other users can read or write the store.
	ErrUnsafe = errors.New("other users can reach the store")
)

// Store is a kcloud store on some backend.
type Store struct {
	b Backend
}

// New returns the store kept by b.
func New(b Backend) *Store { return &Store{b: b} }

// Name names the store for people.
func (s *Store) Name() string { return s.b.Name() }

// Foreign lists the keys this store's scans skipped because kcloud did
// not write them (on etcd, a key a person's role let them add); a backup
// reports them.
func (s *Store) Foreign() []string {
	if f, ok := s.b.(interface{ Foreign() []string }); ok {
		return f.Foreign()
	}
	return nil
}

// Backend returns the backend, for operations only one kind offers
// (bbolt's consistency check).
func (s *Store) Backend() Backend { return s.b }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.named(s.b.View(func(r RawTx) error { return fn(&Tx{r, s.Name()}) }))
}

// Update runs fn in a read-write transaction; see Backend.Update.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.named(s.b.Update(func(r RawTx) error { return fn(&Tx{r, s.Name()}) }))
}

// Create makes the store if there is none and runs fn in a read-write
// transaction on it.
func (s *Store) Create(fn func(*Tx) error) error {
	return s.named(s.b.Create(func(r RawTx) error { return fn(&Tx{r, s.Name()}) }))
}

// named gives damage found in a transaction (a record that does not
// decode, or does not open) the store's name, as the backend gives it to
// the damage it finds itself: the person must know which file.
func (s *Store) named(err error) error {
	var d *DamageError
	if !errors.As(err, &d) {
		return err
	}
	if d.Store == "" {
		d.Store = s.Name()
	}
	return fail.Mark(fail.Other, err, "%v", d)
}

// Damaged reports a record of this store that does not open, found
// outside a transaction.
func (s *Store) Damaged(b Bucket, key string, err error) error {
	return s.named(Damaged(b, key, err))
}

// Tx is a transaction over typed records.
type Tx struct {
	raw  RawTx
	name string // the store's, for the damage this transaction finds
}

// DamageError says which store is damaged and how; errors.Is matches it
// to ErrDamaged.
type DamageError struct {
	Store  string // the file or the cluster; empty until the store names it
	Detail string // what is wrong, for people and for `store check`
	Err    error  // the cause, where there is one
}

func (e *DamageError) Error() string { return e.Message().In(fail.English) }

// Message says the damage; the detail stays in English, as `store check`
// and bbolt's own words give it (docs/languages.md).
func (e *DamageError) Message() fail.Message {
	if e.Store == "" {
		return fail.Message{Format: "the store is damaged: %s", Args: []any{e.Detail}}
	}
	return fail.Message{Format: "the store %s is damaged: %s", Args: []any{e.Store, e.Detail}}
}
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }
func (e *DamageError) Unwrap() error        { return e.Err }

func damage(format string, args ...any) error {
	return &DamageError{Detail: fmt.Sprintf(format, args...)}
}

// Damaged reports a record that does not decode, or does not open: the
// store's bytes are not what kcloud wrote.
func Damaged(b Bucket, key string, err error) error {
	return &fail.Error{Kind: fail.Other, Err: damage("record %s/%q: %v", b, key, err)}
}

func (t *Tx) damaged(b Bucket, key string, err error) error {
	return &DamageError{Store: t.name, Detail: fmt.Sprintf("record %s/%q: %v", b, key, err)}
}

// Get decodes the record at key into v and reports whether it exists.
func (t *Tx) Get(b Bucket, key string, v any) (bool, error) {
	data, err := t.raw.Get(b, key)
	if err != nil || data == nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, t.damaged(b, key, err)
	}
	return true, nil
}

// Put stores v at key.
func (t *Tx) Put(b Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.raw.Put(b, key, data)
}

// Delete removes the record at key, if any.
func (t *Tx) Delete(b Bucket, key string) error { return t.raw.Delete(b, key) }

// Append stores v under prefix with a key that sorts after every record
// appended there before. The sequence number is derived from the last
// key, and the new key is read first: a backend that compares what a
// transaction read (etcd) sees two writers that chose the same number.
func (t *Tx) Append(b Bucket, prefix string, v any) error {
	last, err := t.lastSeq(b, prefix)
	if err != nil {
		return err
	}
	return t.appendAt(b, prefix, last+1, v)
}

// Ref names a record a transaction is about to read: the record at Key,
// or, with Log, the newest record of the log under Key (Newest,
// AppendKeep).
type Ref struct {
	Bucket Bucket
	Key    string
	Log    bool
}

// Prefetch says what the transaction is about to read, so that a
// directory on a network reads it all in one request; what the
// transaction then reads comes from what it fetched, at the same
// revision. A local store has nothing to gain, and ignores it.
func (t *Tx) Prefetch(refs ...Ref) error {
	if p, ok := t.raw.(interface{ Prefetch([]Ref) error }); ok {
		return p.Prefetch(refs)
	}
	return nil
}

// AppendKeep appends v as Append does and keeps the newest keep records
// as Trim does, reading the log's end once.
func (t *Tx) AppendKeep(b Bucket, prefix string, v any, keep int) error {
	last, err := t.lastSeq(b, prefix)
	if err != nil {
		return err
	}
	if err := t.appendAt(b, prefix, last+1, v); err != nil {
		return err
	}
	return t.trimTo(b, prefix, last+1, keep)
}

// AppendAged appends v under prefix as AppendKeep does, keeping at most
// most records; then the oldest records beyond the newest least go while
// expired says so of them (a log in time order: the first that has not
// expired stops it), at most trimBatch of them at once.
func (t *Tx) AppendAged(b Bucket, prefix string, v any, most, least int, expired func(data []byte) bool) error {
	last, err := t.lastSeq(b, prefix)
	if err != nil {
		return err
	}
	if err := t.appendAt(b, prefix, last+1, v); err != nil {
		return err
	}
	if err := t.trimTo(b, prefix, last+1, most); err != nil || last+1 <= uint64(least) {
		return err
	}
	return t.trimOldest(b, prefix, last+1-uint64(least), expired)
}

// lastSeq is the sequence number of the newest record under prefix, 0
// when there is none.
func (t *Tx) lastSeq(b Bucket, prefix string) (uint64, error) {
	var last uint64
	p := logPrefix(prefix)
	err := t.raw.Scan(b, p, true, func(k string, _ []byte) bool {
		if len(k) == len(p)+8 {
			last = binary.BigEndian.Uint64([]byte(k[len(p):]))
		}
		return false
	})
	return last, err
}

func (t *Tx) appendAt(b Bucket, prefix string, seq uint64, v any) error {
	key := logKey(prefix, seq)
	if old, err := t.raw.Get(b, key); err != nil || old != nil {
		if err == nil {
			err = &DamageError{Store: t.name, Detail: fmt.Sprintf("%s/%q is taken", b, key)}
		}
		return err
	}
	return t.Put(b, key, v)
}

// logPrefix ends with a NUL, so that "al" does not match "alice".
func logPrefix(prefix string) string { return prefix + "\x00" }

func logKey(prefix string, seq uint64) string {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	return logPrefix(prefix) + string(n[:])
}

// Newest calls fn for the records appended under prefix, newest first,
// until fn returns false. decode fills a value with the current record.
func (t *Tx) Newest(b Bucket, prefix string, fn func(decode func(v any) error) bool) error {
	return t.raw.Scan(b, logPrefix(prefix), true, func(k string, data []byte) bool {
		return fn(func(dst any) error {
			if err := json.Unmarshal(data, dst); err != nil {
				return t.damaged(b, k, err)
			}
			return nil
		})
	})
}

// Trim deletes the records appended under prefix before the newest
// keep sequence numbers (the newest keep records, since sequence numbers
// follow each other), the oldest first and at most trimBatch of them at
// once: a transaction reads and writes a few keys, not the whole log,
// and stays within what one etcd Txn takes.
func (t *Tx) Trim(b Bucket, prefix string, keep int) error {
	last, err := t.lastSeq(b, prefix)
	if err != nil {
		return err
	}
	return t.trimTo(b, prefix, last, keep)
}

// trimTo deletes what Trim deletes when the newest sequence number is last.
func (t *Tx) trimTo(b Bucket, prefix string, last uint64, keep int) error {
	if keep < 0 || last <= uint64(keep) {
		return nil
	}
	return t.trimOldest(b, prefix, last-uint64(keep), nil)
}

// trimOldest deletes the oldest records under prefix whose sequence
// numbers are at most cut, while goes says so of them (nil: all), at
// most trimBatch of them.
func (t *Tx) trimOldest(b Bucket, prefix string, cut uint64, goes func(data []byte) bool) error {
	p := logPrefix(prefix)
	var old []string
	err := t.raw.Scan(b, p, false, func(k string, data []byte) bool {
		if len(k) != len(p)+8 || binary.BigEndian.Uint64([]byte(k[len(p):])) > cut || len(old) == trimBatch || goes != nil && !goes(data) {
			return false
		}
		old = append(old, k)
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := t.raw.Delete(b, k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteLog deletes the oldest records appended under prefix, at most
// trimBatch of them, and reports whether more are left.
func (t *Tx) DeleteLog(b Bucket, prefix string) (more bool, err error) {
	var keys []string
	err = t.raw.Scan(b, logPrefix(prefix), false, func(k string, _ []byte) bool {
		if len(keys) == trimBatch {
			more = true
			return false
		}
		keys = append(keys, k)
		return true
	})
	for _, k := range keys {
		if err == nil {
			err = t.raw.Delete(b, k)
		}
	}
	return more, err
}

// trimBatch is the most records one Trim deletes.
const trimBatch = 64

// ScanRaw calls fn for every record of b, in key order, as stored: for
// copying a store.
func (t *Tx) ScanRaw(b Bucket, fn func(key string, value []byte) bool) error {
	return t.raw.Scan(b, "", false, fn)
}

// PutRaw stores value at key as it is: for copying a store.
func (t *Tx) PutRaw(b Bucket, key string, value []byte) error { return t.raw.Put(b, key, value) }

func hasPrefix(k []byte, p string) bool { return strings.HasPrefix(string(k), p) }

// Forget asks the backend to keep no copy of what this transaction
// overwrites or deletes once it commits: bbolt zeroes the pages it
// freed. A backend that keeps history (etcd) documents what it keeps.
func (t *Tx) Forget() {
	if f, ok := t.raw.(interface{ Forget() }); ok {
		f.Forget()
	}
}
