package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/store"
)

// TestInitRefusesInterruptedImport: a store that holds an import's
// accounts but not yet its organization (the import's last transaction
// writes it) is not given a new organization by init, which would let the
// imported accounts log in to it; running the import again finishes it.
func TestInitRefusesInterruptedImport(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		srcPath := filepath.Join(t.TempDir(), "source.db")
		src := &world{open: func() *store.Store { return store.Open(srcPath, store.Options{LockTimeout: time.Second}) }}
		setup(t, src)
		// What an import cut off before its last transaction leaves.
		var rec json.RawMessage
		if err := src.open().View(func(tx *store.Tx) error { _, err := tx.Get(store.Accounts, "alice", &rec); return err }); err != nil {
			t.Fatal(err)
		}
		if err := w.open().Create(func(tx *store.Tx) error { return tx.PutRaw(store.Accounts, "alice", rec) }); err != nil {
			t.Fatal(err)
		}
		c := &clock{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
		_, _, err := newService(w, c).Init("Evil", false, profile(t, Profile{UserID: "mallory", Name: "Mallory"}), checked(t, pw, "mallory"))
		var partial *PartialStoreError
		if !errors.As(err, &partial) || !errors.Is(err, ErrPartialStore) || fmt.Sprint(partial.Accounts) != "[alice]" {
			t.Fatalf("init on an interrupted import: %v; want a PartialStoreError naming alice", err)
		}
		if err := newService(w, c).CheckEmpty(); !errors.Is(err, ErrPartialStore) {
			t.Fatalf("CheckEmpty: %v", err)
		}
		if err := store.Import(src.open(), w.open(), RefuseOrganization); err != nil {
			t.Fatalf("the import run again: %v", err)
		}
		if err := login(t, newService(w, c), "alice", pw); err != nil {
			t.Fatalf("alice after the import finished: %v", err)
		}
		if _, _, err := newService(w, c).Init("Evil", false, profile(t, Profile{UserID: "mallory", Name: "Mallory"}), checked(t, pw, "mallory")); !errors.Is(err, ErrOrgExists) {
			t.Fatalf("init after the import: %v, want ErrOrgExists", err)
		}
	})
}

// TestImportedPolicyChecked: a policy a person could not have set (a
// negative lockout, which unlocked at once) is refused by import, and is
// damage when found in a store (issue 24, finding 5).
func TestImportedPolicyChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kcloud.db")
	w := &world{open: func() *store.Store { return store.Open(path, store.Options{LockTimeout: time.Second}) }}
	w, _ = setup(t, w)
	err := w.open().Update(func(tx *store.Tx) error {
		var org Organization
		if _, err := tx.Get(store.Meta, keyOrg, &org); err != nil {
			return err
		}
		org.Policy.LockoutDuration = -96 * time.Second
		return tx.Put(store.Meta, keyOrg, &org)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckImport(w.open()); err == nil || !strings.Contains(err.Error(), "security.lockout_duration") {
		t.Fatalf("importing a negative lockout: %v", err)
	}
	if _, err := newService(w, &clock{time.Now()}).Org(); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("reading a negative lockout: %v, want damage", err)
	}
}
