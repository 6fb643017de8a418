package store

import (
	"strconv"

	"github.com/kcloud/kcloud/internal/fail"
	bolt "go.etcd.io/bbolt"
)

// schemaKey holds the schema version in the meta bucket.
const schemaKey = "schema"

// Version is the schema this binary writes: one past the last migration.
// A store with a newer schema is refused untouched; an older one is
// migrated in one transaction, with the first transaction that writes.
var Version = len(migrations)

// migrations[i] takes a store from schema i to schema i+1. Append only.
var migrations = []func(*bolt.Tx) error{
	// 0 -> 1: the first layout.
	func(tx *bolt.Tx) error {
		for _, b := range []Bucket{Meta, Accounts, Sessions, Activity} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	},
	// 1 -> 2: an account's OTP holds several authenticators
	// (account.Account.normalize reads the first layout's one). The
	// records change as they are written; the version makes an older
	// kcloud refuse the store rather than misread them.
	func(*bolt.Tx) error { return nil },
	// 2 -> 3: an account's data key is held in slots (account.Keys: the
	// password's, one per recovery code). A record from before moves to
	// them when its password next opens it; account.normalize reads the
	// old form until then. The version makes an older kcloud refuse the
	// store rather than miss the slots.
	func(*bolt.Tx) error { return nil },
}

// version reads the schema version: 0 for an empty bbolt file.
func version(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(Meta))
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, ErrNotKcloud
		}
		return 0, nil
	}
	raw := meta.Get([]byte(schemaKey))
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fail.Errorf("%w: bad schema version %q", ErrNotKcloud, raw)
	}
	if v > Version {
		return v, fail.Errorf("%w (schema %d; this kcloud knows up to %d)", ErrNewer, v, Version)
	}
	return v, nil
}

// migrate brings tx's store to schema target, all in tx. A store at the
// target is left as it is.
func migrate(tx *bolt.Tx, target int) error {
	v, err := version(tx)
	if err != nil || v == target {
		return err
	}
	for ; v < target; v++ {
		if err := migrations[v](tx); err != nil {
			return fail.Errorf("migrating the store to schema %d: %w", v+1, err)
		}
	}
	return tx.Bucket([]byte(Meta)).Put([]byte(schemaKey), []byte(strconv.Itoa(target)))
}
