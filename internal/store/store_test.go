package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kcloud/kcloud/internal/fail"
)

type rec struct{ N int }

func newBolt(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kcloud", "kcloud.db")
	s := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err := s.Create(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// eachBackend runs test on a new store of every backend.
func eachBackend(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("bbolt", func(t *testing.T) {
		s, _ := newBolt(t)
		test(t, s)
	})
	t.Run("memory", func(t *testing.T) {
		s := New(NewMemory())
		if err := s.Create(func(*Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		test(t, s)
	})
	t.Run("etcd", func(t *testing.T) {
		s := New(newEtcd(t))
		if err := s.Create(func(*Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		test(t, s)
	})
}

func mustView(t *testing.T, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatal(err)
	}
}

func mustUpdate(t *testing.T, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestCreateModes(t *testing.T) {
	_, path := newBolt(t)
	fi, _ := os.Stat(path)
	di, _ := os.Stat(filepath.Dir(path))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("file %v, directory %v; want 0600 in 0700", fi.Mode(), di.Mode())
	}
}

func TestMissingStoreIsNotCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	err := Open(path, Options{}).View(func(*Tx) error { return nil })
	if !errors.Is(err, ErrNoStore) {
		t.Fatalf("View on a missing store: %v, want ErrNoStore", err)
	}
	if _, serr := os.Stat(path); serr == nil {
		t.Fatal("View created the file")
	}
	if err := New(NewMemory()).View(func(*Tx) error { return nil }); !errors.Is(err, ErrNoStore) {
		t.Fatalf("View on an empty memory store: %v, want ErrNoStore", err)
	}
}

func TestGetPutDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		mustUpdate(t, s, func(tx *Tx) error { return tx.Put(Accounts, "a", rec{1}) })
		var r rec
		mustView(t, s, func(tx *Tx) error {
			ok, err := tx.Get(Accounts, "a", &r)
			if !ok || err != nil || r.N != 1 {
				return fmt.Errorf("Get = %v %v %v, want true nil {1}", ok, err, r)
			}
			return nil
		})
		// An error from fn rolls the whole transaction back.
		boom := fmt.Errorf("boom")
		err := s.Update(func(tx *Tx) error {
			if err := tx.Put(Accounts, "a", rec{2}); err != nil {
				return err
			}
			if err := tx.Delete(Accounts, "a"); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Update returned %v, want boom", err)
		}
		mustView(t, s, func(tx *Tx) error {
			if ok, _ := tx.Get(Accounts, "a", &r); !ok || r.N != 1 {
				return fmt.Errorf("a failed update changed the record: %v %v", ok, r)
			}
			return nil
		})
		// A record that does not decode is damage, not a crash.
		mustUpdate(t, s, func(tx *Tx) error { return tx.PutRaw(Accounts, "bad", []byte("{")) })
		err = s.View(func(tx *Tx) error { _, err := tx.Get(Accounts, "bad", &r); return err })
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("Get of a record that does not decode: %v, want ErrDamaged", err)
		}
	})
}

func newest(t *testing.T, s *Store, prefix string, max int) string {
	t.Helper()
	var got []int
	mustView(t, s, func(tx *Tx) error {
		var derr error
		err := tx.Newest(Activity, prefix, func(decode func(any) error) bool {
			var r rec
			if derr = decode(&r); derr != nil {
				return false
			}
			got = append(got, r.N)
			return max == 0 || len(got) < max
		})
		if err == nil {
			err = derr
		}
		return err
	})
	return fmt.Sprint(got)
}

func TestNewestAndTrim(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		mustUpdate(t, s, func(tx *Tx) error {
			for i := 1; i <= 5; i++ {
				for _, a := range []struct {
					p string
					n int
				}{{"al", i}, {"alice", 100 + i}, {"a", 200 + i}} { // keys with the same start
					if err := tx.Append(Activity, a.p, rec{a.n}); err != nil {
						return err
					}
				}
			}
			return tx.Trim(Activity, "al", 3)
		})
		if got := newest(t, s, "al", 0); got != "[5 4 3]" {
			t.Fatalf("Newest after Trim = %v, want [5 4 3]", got)
		}
		if got := newest(t, s, "alice", 2); got != "[105 104]" {
			t.Fatalf("Newest(alice) = %v, want [105 104]", got)
		}
		// Appending after a trim goes on after the newest record.
		mustUpdate(t, s, func(tx *Tx) error { return tx.Append(Activity, "al", rec{6}) })
		if got := newest(t, s, "al", 0); got != "[6 5 4 3]" {
			t.Fatalf("Newest after another Append = %v, want [6 5 4 3]", got)
		}
	})
}

func TestBusy(t *testing.T) {
	s, path := newBolt(t)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = s.Update(func(*Tx) error { return nil })
	if fail.KindOf(err) != fail.Busy {
		t.Fatalf("Update on a held store = %v, want a Busy error", err)
	}
}

func TestNewerSchemaRefusedUntouched(t *testing.T) {
	_, path := newBolt(t)
	db, _ := bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(Meta)).Put([]byte(schemaKey), []byte("9")) })
	db.Close()
	before, _ := os.ReadFile(path)
	s2 := Open(path, Options{})
	if err := s2.Update(func(*Tx) error { return nil }); err == nil {
		t.Fatal("a newer schema was opened")
	}
	if err := s2.Create(func(*Tx) error { return nil }); err == nil {
		t.Fatal("Create opened a newer schema")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("refusing a newer store changed it")
	}
}

// TestMigrateOldStore: an empty bbolt file (schema 0) is brought to the
// current schema in one transaction.
func TestMigrateOldStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, _ := bolt.Open(path, 0o600, nil)
	db.Close()
	s := Open(path, Options{})
	if err := s.Update(func(tx *Tx) error { return tx.Put(Accounts, "x", rec{1}) }); err != nil {
		t.Fatal(err)
	}
	db, _ = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v, _ := version(tx); v != Version {
			t.Fatalf("schema after migration = %d, want %d", v, Version)
		}
		return nil
	})
}

func TestForeignBoltFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, _ := bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
	db.Close()
	err := Open(path, Options{}).View(func(*Tx) error { return nil })
	if err == nil {
		t.Fatal("a bbolt file of another program was taken for a store")
	}
	// A file that is not bbolt's at all is not a store, to read or to
	// write, and is left as it was.
	text := []byte(strings.Repeat("not a database\n", 1000))
	path = filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func(*Store) error{
		"read":  func(s *Store) error { return s.View(func(*Tx) error { return nil }) },
		"write": func(s *Store) error { return s.Update(func(tx *Tx) error { return tx.Put(Accounts, "a", rec{1}) }) },
	} {
		if err := op(Open(path, Options{})); !errors.Is(err, ErrNotKcloud) || errors.Is(err, ErrDamaged) {
			t.Errorf("%s a text file: %v, want ErrNotKcloud", name, err)
		}
	}
	if _, err := OpenBolt(path, Options{}).Check(); !errors.Is(err, ErrNotKcloud) {
		t.Errorf("check a text file: %v, want ErrNotKcloud", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, text) {
		t.Fatal("the text file was changed")
	}
}

func TestBackupAndCheck(t *testing.T) {
	s, path := newBolt(t)
	mustUpdate(t, s, func(tx *Tx) error {
		if err := tx.Put(Accounts, "a", rec{7}); err != nil {
			return err
		}
		if err := tx.Append(Activity, "a", rec{1}); err != nil {
			return err
		}
		return tx.Put(Sessions, "current", rec{9})
	})
	dst := filepath.Join(t.TempDir(), "copy.db")
	os.WriteFile(dst, []byte("old"), 0o644)
	if err := Backup(s, dst, false); fail.KindOf(err) != fail.Usage || !errors.Is(err, ErrExists) {
		t.Fatalf("backup onto an existing file without overwrite: %v, want a usage error", err)
	}
	if err := Backup(s, dst, true); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dst)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v, want 0600", fi.Mode())
	}
	c := OpenBolt(dst, Options{})
	faults, err := c.Check()
	if err != nil || len(faults) != 0 {
		t.Fatalf("Check(backup) = %v, %v", faults, err)
	}
	mustView(t, New(c), func(tx *Tx) error {
		var r rec
		if ok, err := tx.Get(Accounts, "a", &r); !ok || err != nil || r.N != 7 {
			return fmt.Errorf("the backup lacks the account: %v %v %v", ok, err, r)
		}
		if ok, err := tx.Get(Sessions, "current", &r); ok || err != nil {
			return fmt.Errorf("the backup holds a session: %v %v", ok, err)
		}
		return nil
	})
	if got := newest(t, New(c), "a", 0); got != "[1]" {
		t.Fatalf("the backup's activity = %v, want [1]", got)
	}
	if err := Backup(s, path, true); fail.KindOf(err) != fail.Usage {
		t.Fatalf("backing up onto the store itself: %v", err)
	}
}

// TestForgetZeroesFreedPages: after a transaction that asks to forget, no
// byte of an overwritten record is left in the file (security rule 2).
func TestForgetZeroesFreedPages(t *testing.T) {
	s, path := newBolt(t)
	secretValue := bytes.Repeat([]byte("OLDSECRET"), 50)
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutRaw(Accounts, "a", secretValue) })
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutRaw(Accounts, "b", []byte("x")) })
	mustUpdate(t, s, func(tx *Tx) error { return tx.PutRaw(Accounts, "a", []byte(`"new"`)) })
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("OLDSECRET")) {
		t.Skip("bbolt overwrote the freed page itself; nothing to show")
	}
	mustUpdate(t, s, func(tx *Tx) error { tx.Forget(); return tx.PutRaw(Accounts, "a", []byte(`"newer"`)) })
	raw, _ = os.ReadFile(path)
	if bytes.Contains(raw, []byte("OLDSECRET")) {
		t.Fatal("the old record is still in a freed page")
	}
	if faults, err := OpenBolt(path, Options{}).Check(); err != nil || len(faults) > 0 {
		t.Fatalf("after zeroing: %v %v", faults, err)
	}
}

func TestPermissions(t *testing.T) {
	s, path := newBolt(t)
	for _, mode := range []os.FileMode{0o620, 0o640, 0o604} {
		os.Chmod(path, mode)
		if err := s.View(func(*Tx) error { return nil }); !errors.Is(err, ErrUnsafe) {
			t.Fatalf("a store of mode %04o: %v, want ErrUnsafe", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	s = Open(path, Options{})
	if err := s.View(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationIsOneTransaction: a store of an older schema is brought up
// to date in one transaction: if a migration fails, nothing of the
// earlier ones (nor the caller's change) is kept.
func TestMigrationIsOneTransaction(t *testing.T) {
	_, path := newBolt(t) // this binary's schema
	saved := migrations
	defer func() { migrations, Version = saved, len(saved) }()

	// One more schema adds a bucket; the one after fails.
	migrations = append(append([]func(*bolt.Tx) error{}, saved...),
		func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("v2")); return err },
		func(tx *bolt.Tx) error { return fmt.Errorf("disk on fire") },
	)
	Version = len(migrations)
	s2 := Open(path, Options{})
	err := s2.Update(func(tx *Tx) error { return tx.Put(Accounts, "x", rec{1}) })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk on fire")) {
		t.Fatalf("a failing migration: %v", err)
	}
	db, _ := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	db.View(func(tx *bolt.Tx) error {
		if v, _ := version(tx); v != len(saved) || tx.Bucket([]byte("v2")) != nil || tx.Bucket([]byte(Accounts)).Get([]byte("x")) != nil {
			t.Fatalf("after a failed migration: schema %d, v2 bucket %v", v, tx.Bucket([]byte("v2")) != nil)
		}
		return nil
	})
	db.Close()

	// Without the failing step, both the migration and the change land,
	// and a read of an old store migrates first.
	migrations = migrations[:len(migrations)-1]
	Version = len(migrations)
	s3 := Open(path, Options{})
	if err := s3.View(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	db, _ = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v, _ := version(tx); v != len(saved)+1 || tx.Bucket([]byte("v2")) == nil {
			t.Fatalf("after the migration: schema %d", v)
		}
		return nil
	})
}

// TestAppendAged: a log keeps every record that has not expired up to
// its most, and at least its newest least whatever their age; the
// oldest go first.
func TestAppendAged(t *testing.T) {
	old := func(data []byte) bool { // records below 100 have expired
		var r rec
		return json.Unmarshal(data, &r) == nil && r.N < 100
	}
	eachBackend(t, func(t *testing.T, s *Store) {
		appendAll := func(p string, ns ...int) {
			mustUpdate(t, s, func(tx *Tx) error {
				for _, n := range ns {
					if err := tx.AppendAged(Activity, p, rec{n}, 8, 3, old); err != nil {
						return err
					}
				}
				return nil
			})
		}
		count := func(p string) int { return len(strings.Fields(strings.Trim(newest(t, s, p, 0), "[]"))) }
		// Four expired, then four that are not: only the four stay.
		appendAll("mixed", 1, 2, 3, 4, 101, 102, 103, 104)
		if got := newest(t, s, "mixed", 0); got != "[104 103 102 101]" {
			t.Fatalf("expired, then new: %v, want [104 103 102 101]", got)
		}
		// A quiet log of expired records keeps its newest three.
		appendAll("quiet", 1, 2, 3, 4, 5)
		if got := newest(t, s, "quiet", 0); got != "[5 4 3]" {
			t.Fatalf("a quiet log: %v, want [5 4 3]", got)
		}
		// A burst of new records stops at the most.
		burst := make([]int, 20)
		for i := range burst {
			burst[i] = 200 + i
		}
		appendAll("burst", burst...)
		if n := count("burst"); n != 8 {
			t.Fatalf("a burst of 20: %d kept, want 8", n)
		}
	})
}
