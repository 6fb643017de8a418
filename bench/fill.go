//go:build unix

package main

import (
	"fmt"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// fill adds n accounts to the store at path, each with a password hash,
// a wrapped data key and one activity event, as `account create` would
// leave them. One Argon2id hash serves all: filling 100,000 accounts
// should not take an hour. It lives with the benchmark, not among the
// user's commands.
func fill(path string, n int) error {
	h, kek, err := secret.NewHash([]byte(password), secret.Minimum)
	if err != nil {
		return err
	}
	s := store.Open(path, store.Options{LockTimeout: time.Minute})
	now := time.Now().UTC()
	const batch = 10_000
	for start := 0; start < n; start += batch {
		err := s.Update(func(tx *store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				id := fmt.Sprintf("user%07d", i+1)
				a := account.NewRecord(id, fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), "Bench User "+id, h, kek, now)
				if err := tx.Put(store.Accounts, id, a); err != nil {
					return err
				}
				if err := tx.Append(store.Activity, id, account.Event{Time: now, Event: account.EvAccountCreated, Detail: "by bench"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
