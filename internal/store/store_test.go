package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kcloud/kcloud/internal/fail"
)

type rec struct{ N int }

func newStore(t *testing.T) *Store {
	t.Helper()
	s := Open(filepath.Join(t.TempDir(), "kcloud", "kcloud.db"), Options{LockTimeout: 100 * time.Millisecond})
	if err := s.Create(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateModes(t *testing.T) {
	s := newStore(t)
	fi, _ := os.Stat(s.Path())
	di, _ := os.Stat(filepath.Dir(s.Path()))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("file %v, directory %v; want 0600 in 0700", fi.Mode(), di.Mode())
	}
}

func TestMissingStoreIsNotCreated(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "none.db"), Options{})
	err := s.View(func(*Tx) error { return nil })
	if err == nil || s.Exists() {
		t.Fatalf("View on a missing store: %v; exists: %v", err, s.Exists())
	}
}

func TestGetPutDelete(t *testing.T) {
	s := newStore(t)
	if err := s.Update(func(tx *Tx) error { return tx.Put(Accounts, "a", rec{1}) }); err != nil {
		t.Fatal(err)
	}
	var r rec
	s.View(func(tx *Tx) error {
		ok, err := tx.Get(Accounts, "a", &r)
		if !ok || err != nil || r.N != 1 {
			t.Fatalf("Get = %v %v %v", ok, err, r)
		}
		return nil
	})
	// An error from fn rolls the whole transaction back.
	boom := fmt.Errorf("boom")
	err := s.Update(func(tx *Tx) error {
		tx.Put(Accounts, "a", rec{2})
		tx.Delete(Accounts, "a")
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v", err)
	}
	s.View(func(tx *Tx) error {
		if ok, _ := tx.Get(Accounts, "a", &r); !ok || r.N != 1 {
			t.Fatalf("a failed update changed the record: %v %v", ok, r)
		}
		return nil
	})
}

func TestNewestAndTrim(t *testing.T) {
	s := newStore(t)
	s.Update(func(tx *Tx) error {
		for i := 1; i <= 5; i++ {
			tx.Append(Activity, "al", rec{i})
			tx.Append(Activity, "alice", rec{100 + i}) // a longer key with the same start
			tx.Append(Activity, "a", rec{200 + i})
		}
		return tx.Trim(Activity, "al", 3)
	})
	var got []int
	s.View(func(tx *Tx) error {
		return tx.Newest(Activity, "al", func(decode func(any) error) bool {
			var r rec
			decode(&r)
			got = append(got, r.N)
			return true
		})
	})
	if fmt.Sprint(got) != "[5 4 3]" {
		t.Fatalf("Newest after Trim = %v, want [5 4 3]", got)
	}
	got = nil
	s.View(func(tx *Tx) error {
		return tx.Newest(Activity, "alice", func(decode func(any) error) bool {
			var r rec
			decode(&r)
			got = append(got, r.N)
			return len(got) < 2
		})
	})
	if fmt.Sprint(got) != "[105 104]" {
		t.Fatalf("Newest(alice) = %v, want [105 104]", got)
	}
}

func TestBusy(t *testing.T) {
	s := newStore(t)
	db, err := bolt.Open(s.Path(), 0o600, &bolt.Options{Timeout: time.Second})
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
	s := newStore(t)
	db, _ := bolt.Open(s.Path(), 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(Meta)).Put([]byte(schemaKey), []byte("9")) })
	db.Close()
	before, _ := os.ReadFile(s.Path())
	s2 := Open(s.Path(), Options{})
	if err := s2.Update(func(*Tx) error { return nil }); err == nil {
		t.Fatal("a newer schema was opened")
	}
	if err := s2.Create(func(*Tx) error { return nil }); err == nil {
		t.Fatal("Create opened a newer schema")
	}
	after, _ := os.ReadFile(s.Path())
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
}

func TestBackupAndCheck(t *testing.T) {
	s := newStore(t)
	s.Update(func(tx *Tx) error { return tx.Put(Accounts, "a", rec{7}) })
	dst := filepath.Join(t.TempDir(), "copy.db")
	os.WriteFile(dst, []byte("old"), 0o644)
	if err := s.Backup(dst); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dst)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v, want 0600", fi.Mode())
	}
	c := Open(dst, Options{})
	faults, err := c.Check()
	if err != nil || len(faults) != 0 {
		t.Fatalf("Check(backup) = %v, %v", faults, err)
	}
	var r rec
	c.View(func(tx *Tx) error { tx.Get(Accounts, "a", &r); return nil })
	if r.N != 7 {
		t.Fatalf("the backup lacks the record: %v", r)
	}
	if err := s.Backup(s.Path()); fail.KindOf(err) != fail.Usage {
		t.Fatalf("backing up onto the store itself: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	s := newStore(t)
	os.Chmod(s.Path(), 0o620)
	if err := s.View(func(*Tx) error { return nil }); err == nil {
		t.Fatal("a group-writable store was opened")
	}
	os.Chmod(s.Path(), 0o600)
	s = Open(s.Path(), Options{})
	if err := s.View(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationIsOneTransaction: a store of an older schema is brought up
// to date in one transaction: if a migration fails, nothing of the
// earlier ones (nor the caller's change) is kept.
func TestMigrationIsOneTransaction(t *testing.T) {
	s := newStore(t) // schema 1
	saved := migrations
	defer func() { migrations, Version = saved, len(saved) }()

	// Schema 2 adds a bucket; schema 3 fails.
	migrations = append(append([]func(*bolt.Tx) error{}, saved...),
		func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("v2")); return err },
		func(tx *bolt.Tx) error { return fmt.Errorf("disk on fire") },
	)
	Version = len(migrations)
	s2 := Open(s.Path(), Options{})
	err := s2.Update(func(tx *Tx) error { return tx.Put(Accounts, "x", rec{1}) })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk on fire")) {
		t.Fatalf("a failing migration: %v", err)
	}
	db, _ := bolt.Open(s.Path(), 0o600, &bolt.Options{ReadOnly: true})
	db.View(func(tx *bolt.Tx) error {
		if v, _ := version(tx); v != 1 || tx.Bucket([]byte("v2")) != nil || tx.Bucket([]byte(Accounts)).Get([]byte("x")) != nil {
			t.Fatalf("after a failed migration: schema %d, v2 bucket %v", v, tx.Bucket([]byte("v2")) != nil)
		}
		return nil
	})
	db.Close()

	// Without the failing step, both the migration and the change land,
	// and a read of an old store migrates first.
	migrations = migrations[:len(migrations)-1]
	Version = len(migrations)
	s3 := Open(s.Path(), Options{})
	if err := s3.View(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	db, _ = bolt.Open(s.Path(), 0o600, &bolt.Options{ReadOnly: true})
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v, _ := version(tx); v != 2 || tx.Bucket([]byte("v2")) == nil {
			t.Fatalf("after the migration: schema %d", v)
		}
		return nil
	})
}
