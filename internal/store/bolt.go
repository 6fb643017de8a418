package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/kcloud/kcloud/internal/fail"
)

// Bolt is the local store: one bbolt file.
//
// The file is opened for each transaction and closed after it. bbolt
// locks the whole file while it is open, so a store is never locked
// between transactions, in particular not while kcloud waits for a person
// to type.
//
// bbolt maps the file into memory and trusts what it reads: a damaged
// page makes it panic, or fault on an address past the file's end. So
// before a transaction the file's size is checked against the page count
// its meta page claims, and every call into bbolt runs with faults turned
// into panics and recovered into an ErrDamaged error (security rule 11).
type Bolt struct {
	path      string
	timeout   time.Duration
	waiting   func() // another process holds the file, a second on
	ready     bool   // the schema was checked (and migrated) by this process
	validated bool   // this process walked all the file's pages (boltcheck.Check)
	// broken is the damage a bbolt panic showed. The handle that saw it
	// still holds the file's lock, so no later transaction of this
	// process opens the file again: each gets this error at once.
	broken error
}

// Options configure Open.
type Options struct {
	// LockTimeout is how long to wait for another process holding the
	// file. Zero means one try.
	LockTimeout time.Duration
	// Waiting, if set, is called once when another process has held the
	// file for a second and this one is still waiting for it: to say so.
	Waiting func()
}

// Open returns the store in the bbolt file at path. Nothing is read until
// the first transaction.
func Open(path string, opts Options) *Store { return New(OpenBolt(path, opts)) }

// OpenBolt returns the bbolt backend for the file at path.
func OpenBolt(path string, opts Options) *Bolt {
	t := opts.LockTimeout
	if t <= 0 {
		t = time.Nanosecond // bbolt reads zero as "wait forever"
	}
	return &Bolt{path: path, timeout: t, waiting: opts.Waiting}
}

// Name is the file's path.
func (s *Bolt) Name() string { return s.path }

// View runs fn in a read-only transaction.
func (s *Bolt) View(fn func(RawTx) error) error {
	if err := s.exists(); err != nil {
		return err
	}
	err := s.view(fn)
	if errors.Is(err, errMigrate) {
		// An older schema: migrate under the write lock, then read.
		if err = s.update(func(RawTx) error { return nil }); err == nil {
			err = s.view(fn)
		}
	}
	return err
}

var errMigrate = errors.New("the store needs a migration")

func (s *Bolt) view(fn func(RawTx) error) error {
	db, data, err := s.open(true)
	if err != nil {
		return err
	}
	return s.viewOn(db, data, fn)
}

// viewOn runs fn in a read-only transaction of db, just opened, whose
// file's bytes are data (open).
func (s *Bolt) viewOn(db *bolt.DB, data []byte, fn func(RawTx) error) error {
	paths, err := s.pathsOf(data)
	if err != nil {
		db.Close()
		return s.wrap(err)
	}
	var fnErr error
	err = guard(func() error {
		return db.View(func(btx *bolt.Tx) error {
			if err := checkSize(btx, data); err != nil {
				return err
			}
			t := &boltTx{tx: btx, paths: paths, s: s}
			if err := t.check(Meta, schemaKey); err != nil { // what version() reads
				return err
			}
			if !s.ready {
				v, err := version(btx)
				if err != nil {
					return err
				}
				if v < Version {
					return errMigrate
				}
				s.ready = true
			}
			fnErr = fn(t)
			return fnErr
		})
	})
	s.closeDB(db, err)
	if err != nil && err == fnErr && !errors.Is(err, ErrDamaged) {
		return err // the caller's own
	}
	return s.wrap(err)
}

// Update runs fn in a read-write transaction, committed only if fn
// returns nil. A commit that fails leaves the store as it was. An older
// schema is migrated in the same transaction, before fn.
func (s *Bolt) Update(fn func(RawTx) error) error {
	if err := s.exists(); err != nil {
		return err
	}
	return s.update(fn)
}

// Create makes a new store file (0600, in a 0700 directory) if there is
// none, and runs fn in a read-write transaction on it.
func (s *Bolt) Create(fn func(RawTx) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fail.Wrap(fail.Other, err, "creating the store's directory")
	}
	return s.update(fn)
}

func (s *Bolt) update(fn func(RawTx) error) error {
	db, data, err := s.open(false)
	if err != nil {
		return err
	}
	return s.updateOn(db, data, fn)
}

// updateOn is update on db, just opened to write, whose file's bytes are
// data (open).
func (s *Bolt) updateOn(db *bolt.DB, data []byte, fn func(RawTx) error) error {
	paths, err := s.pathsOf(data)
	if err != nil {
		db.Close()
		return s.wrap(err)
	}
	var fnErr, inner error // fn's error; what the transaction returned
	var scrub bool
	err = guard(func() error {
		return db.Update(func(btx *bolt.Tx) error {
			t := &boltTx{tx: btx, paths: paths, s: s}
			inner = checkSize(btx, data)
			if inner == nil && !s.ready {
				if inner = t.check(Meta, schemaKey); inner == nil { // what version() reads
					inner = migrate(btx, Version)
				}
			}
			if inner != nil {
				return inner
			}
			fnErr = fn(t)
			scrub = t.scrub
			inner = fnErr
			if fnErr == nil && scrub {
				// Zeroing what the freelist names must not zero a live
				// page: the walk proves the two apart.
				inner = t.walkAll()
			}
			return inner
		})
	})
	switch {
	case err != nil && err == fnErr && !errors.Is(err, ErrDamaged):
		// the caller's own
	case err == nil:
		s.ready = true
		if scrub {
			if zerr := guard(func() error { return zeroFreePages(db, s.path) }); zerr != nil {
				// The change is committed; only its erasure of the old
				// record failed, and the person must know both.
				err = fail.Wrap(fail.Other, zerr, "the change was saved, but overwriting the old record in %s failed", s.path)
			}
		}
	case err != inner && !errors.Is(err, ErrDamaged):
		// bbolt's own failure: a write or a resize the system refused.
		err = fail.Wrap(fail.Other, err, "writing the store %s failed; it was left as it was", s.path)
	}
	if cerr := s.closeDB(db, err); err == nil && cerr != nil {
		err = fail.Wrap(fail.Other, cerr, "closing the store %s", s.path)
	}
	if err != nil && err == fnErr && !errors.Is(err, ErrDamaged) {
		return err
	}
	return s.wrap(err)
}

// guard runs fn, which calls into bbolt, turning a panic or a memory
// fault (a damaged page) into ErrDamaged. After one, bbolt's own locks
// are in an unknown state, so the handle is abandoned, not closed: the
// process is about to report the damage and exit, which releases the
// file.
func guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			p := &panicked{r, panicSite()}
			err = &DamageError{Detail: fmt.Sprintf("reading it failed in %s: %v", p.in, r), Err: p}
		}
	}()
	return fn()
}

// panicked is a panic or fault in bbolt, the cause of a DamageError: the
// handle that saw it is not touched again. A fault's value has an
// Addr() method: the address read.
type panicked struct {
	v any
	// in is the function that panicked or faulted: the innermost one
	// outside Go's own library (a fault inside bytes.Compare is its
	// caller's), for a report that says whose read it was.
	in string
}

func (p *panicked) Error() string { return fmt.Sprintf("a panic in %s: %v", p.in, p.v) }

// panicSite names the function that panicked, called in the deferred
// recover: the panicking frames are still on the stack, below gopanic.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	below := false // below runtime.gopanic
	for {
		f, more := frames.Next()
		host, _, path := strings.Cut(f.Function, "/")
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && path && strings.Contains(host, "."): // not the standard library's
			return f.Function
		}
		if !more {
			return "?"
		}
	}
}

// closeDB closes db unless err says bbolt panicked with it.
func (s *Bolt) closeDB(db *bolt.DB, err error) error {
	var p *panicked
	if errors.As(err, &p) {
		s.broken = s.wrap(err)
		return nil
	}
	return db.Close()
}

// exists refuses a missing or empty file: only Create makes a store.
func (s *Bolt) exists() error {
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail.Mark(fail.Other, ErrNoStore, "no store at %s", s.path)
	case err == nil && fi.Size() == 0:
		return fail.Mark(fail.Other, ErrNotKcloud, "%s is empty, not a kcloud store", s.path)
	}
	return nil
}

// open opens the file with bbolt and returns, with the handle, the file's
// bytes as bbolt mapped them. A write's open checks what bbolt reads as
// it opens (checkOpenFile); each operation then checks its own way
// (pathsOf).
func (s *Bolt) open(readOnly bool) (db *bolt.DB, data []byte, err error) {
	if s.broken != nil {
		return nil, nil, s.broken
	}
	if err := checkPerm(s.path); err != nil {
		return nil, nil, err
	}
	// Opening to write, bbolt reads the freelist and allocates what it
	// counts: a write's open checks the meta pages and the freelist
	// first (checkOpenFile), in the OpenFile hook, once the hook holds the
	// lock, before bbolt has read a byte; where bbolt takes the lock
	// itself (hookLocks false), right after it opened the file. The
	// trees are checked along each operation's way (pathsOf), until
	// this process walks them all (validated).
	check := !readOnly && !s.validated
	var file *os.File
	err = guard(func() (err error) {
		db, err = bolt.Open(s.path, 0o600, &bolt.Options{
			Timeout:  s.timeout,
			ReadOnly: readOnly,
			OpenFile: func(path string, flag int, mode os.FileMode) (*os.File, error) {
				f, err := openLocked(s.timeout, s.waiting)(path, flag, mode)
				if err == nil && check && hookLocks {
					if err = checkOpenFile(f); err != nil {
						f.Close()
						return nil, err
					}
				}
				file = f
				return f, err
			},
		})
		if err == nil {
			data, err = mapped(db, file)
		}
		if err == nil && check && !hookLocks {
			err = checkOpened(data)
		}
		return err
	})
	var p *panicked
	if errors.As(err, &p) {
		s.broken = s.wrap(err) // the half-open handle may hold the lock
	}
	if err != nil {
		if db != nil && p == nil {
			db.Close()
		}
		return nil, nil, s.wrap(err)
	}
	return db, data, nil
}

// mapped is the file's bytes where bbolt mapped them, up to the file's
// end: bbolt maps more than the file holds, and past its end is a fault.
// The checks read bbolt's own mapping, so a transaction maps the file
// once, not twice.
func mapped(db *bolt.DB, f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	info := db.Info()
	// Data is the address of a mapping, not of Go memory: it never moves.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	return unsafe.Slice((*byte)(base), fi.Size()), nil
}

// checkSize refuses a file shorter than the pages its meta page counts:
// bbolt would fault reading past the end of the mapping. data is the
// open file's bytes (mapped), sized when it was opened and locked.
func checkSize(tx *bolt.Tx, data []byte) error {
	if tx.Size() > int64(len(data)) {
		return damage("the file has %d bytes; its meta page counts %d", len(data), tx.Size())
	}
	return nil
}

// wrap turns bbolt's errors into kinds and messages that name the file.
// Which command to run next is the command line's to say.
func (s *Bolt) wrap(err error) error {
	var (
		fe *fail.Error
		d  *DamageError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &d):
		if d.Store == "" {
			d.Store = s.path
		}
		return fail.Mark(fail.Other, err, "%v", d)
	case errors.As(err, &fe):
		return err
	case errors.Is(err, berrors.ErrTimeout):
		return fail.Mark(fail.Busy, ErrBusy, "the store %s is busy: another kcloud held it for more than %s", s.path, s.timeout)
	case errors.Is(err, ErrNewer):
		return fail.Wrap(fail.Other, err, "refusing %s", s.path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, ErrNotKcloud):
		if errors.Is(err, ErrNotKcloud) {
			return fail.Wrap(fail.Other, err, "%s is not a kcloud store", s.path)
		}
		both := fail.Errorf("%w: %w", ErrNotKcloud, err)
		return fail.Mark(fail.Other, both, "%s is not a kcloud store: %v", s.path, err)
	case errors.Is(err, berrors.ErrChecksum):
		d := &DamageError{Store: s.path, Detail: err.Error(), Err: err}
		return fail.Mark(fail.Other, d, "%v", d)
	}
	return fail.Wrap(fail.Other, err, "store %s", s.path)
}
