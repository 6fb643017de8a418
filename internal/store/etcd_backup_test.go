package store

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestEtcdBackupImport: a backup taken while a writer works is one
// revision (its counter matches its records), opens as a bbolt store,
// and imports, in batches, into an empty prefix; a prefix that holds an
// organization is refused.
func TestEtcdBackupImport(t *testing.T) {
	src := New(newEtcd(t))
	if err := src.Create(func(tx *Tx) error { return tx.Put(Meta, "org", rec{1}) }); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := src.Update(func(tx *Tx) error {
				n, err := increment(tx, Meta, "count")
				if err != nil {
					return err
				}
				if err := tx.Put(Accounts, fmt.Sprintf("u%04d", n.N), rec(n)); err != nil {
					return err
				}
				return tx.Append(Activity, fmt.Sprintf("u%04d", n.N), rec(n))
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for { // until the directory is bigger than one etcd transaction
		var n counter
		mustView(t, src, func(tx *Tx) error { _, err := tx.Get(Meta, "count", &n); return err })
		if n.N > 150 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := Backup(src, file, false); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()

	count := func(s *Store) (n counter, accounts, events int) {
		mustView(t, s, func(tx *Tx) error {
			if _, err := tx.Get(Meta, "count", &n); err != nil {
				return err
			}
			tx.ScanRaw(Accounts, func(string, []byte) bool { accounts++; return true })
			return tx.ScanRaw(Activity, func(string, []byte) bool { events++; return true })
		})
		return
	}
	backup := Open(file, Options{})
	n, accounts, events := count(backup)
	if n.N != accounts || n.N != events || n.N <= 150 {
		t.Fatalf("the backup is not one state: counter %d, %d accounts, %d events", n.N, accounts, events)
	}

	refuse := func(tx *Tx) error {
		var o rec
		if ok, err := tx.Get(Meta, "org", &o); ok || err != nil {
			return fmt.Errorf("there is an organization here (%v)", err)
		}
		return nil
	}
	dst := New(newEtcd(t))
	if err := Import(backup, dst, refuse); err != nil {
		t.Fatal(err)
	}
	if m, a, e := count(dst); m != n || a != accounts || e != events {
		t.Fatalf("imported %v, %d accounts, %d events; want %v, %d, %d", m, a, e, n, accounts, events)
	}
	if err := Import(backup, dst, refuse); err == nil {
		t.Fatal("an import into a prefix with an organization was not refused")
	}
}

// TestEtcdSchemaUpgraded: a directory of an older schema is read as it
// is and marked with this binary's schema by its first write, so that an
// older kcloud refuses it from then on rather than misread its records.
func TestEtcdSchemaUpgraded(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	if _, err := c.Client("", "").Put(etcdtest.Ctx(t), prefix+"meta/schema", "1"); err != nil {
		t.Fatal(err)
	}
	s := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
	if err := s.View(func(tx *Tx) error { _, err := tx.Get(Accounts, "a", &rec{}); return err }); err != nil {
		t.Fatalf("reading schema 1: %v", err)
	}
	if resp, _ := c.Client("", "").Get(etcdtest.Ctx(t), prefix+"meta/schema"); string(resp.Kvs[0].Value) != "1" {
		t.Fatalf("a read changed the schema to %s", resp.Kvs[0].Value)
	}
	s = New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
	if err := s.Update(func(tx *Tx) error { return tx.Put(Accounts, "a", rec{1}) }); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Client("", "").Get(etcdtest.Ctx(t), prefix+"meta/schema")
	if err != nil || string(resp.Kvs[0].Value) != fmt.Sprint(Version) {
		t.Fatalf("schema after a write: %v %v, want %d", resp, err, Version)
	}
}

// TestEtcdBackupSkipsForeignKeys: a key kcloud did not write, under a
// prefix a person's etcd role may write (/kcloud/activity/bob/zz), does
// not break the admin's backup: it is skipped and named, and the rest is
// copied (issue 24, finding 6).
func TestEtcdBackupSkipsForeignKeys(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	e := OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix, RequestTimeout: 20 * time.Second})
	src := New(e)
	err := src.Create(func(tx *Tx) error {
		if err := tx.Put(Meta, "org", rec{1}); err != nil {
			return err
		}
		return tx.Append(Activity, "bob", rec{2})
	})
	if err != nil {
		t.Fatal(err)
	}
	cli := c.Client("", "")
	for _, k := range []string{"activity/bob/zz", "accounts/bob/x"} {
		if _, err := cli.Put(etcdtest.Ctx(t), prefix+k, "{}"); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := Backup(src, file, false); err != nil {
		t.Fatalf("a backup with keys kcloud did not write: %v", err)
	}
	if got := src.Foreign(); len(got) != 2 {
		t.Fatalf("Foreign() = %q, want the two keys", got)
	}
	var n int
	mustView(t, Open(file, Options{}), func(tx *Tx) error {
		return tx.Newest(Activity, "bob", func(func(any) error) bool { n++; return true })
	})
	if n != 1 {
		t.Fatalf("the backup holds %d of bob's records, want the one kcloud wrote", n)
	}
}
