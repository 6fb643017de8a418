package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestEtcdLeaderKilled: a three-member cluster loses its leader while 16
// writers each make changes. Every change that reported success is
// there; every one that reported failure left nothing behind; and the
// counter every change adds to equals the number of changes there.
func TestEtcdLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-member cluster")
	}
	c := etcdtest.Start(t, 3)
	eps := c.Endpoints()
	open := func(first int) *Store {
		rot := append(append([]string{}, eps[first:]...), eps[:first]...)
		return New(OpenEtcd(EtcdOptions{Endpoints: rot, Prefix: "/kcloud/",
			DialTimeout: time.Second, RequestTimeout: 30 * time.Second}))
	}
	if err := open(0).Create(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 24
	results := make([][]error, writers)
	var done atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := open(w % len(eps))
			for i := 0; i < each; i++ {
				err := s.Update(func(tx *Tx) error {
					if _, err := increment(tx, Meta, "count"); err != nil {
						return err
					}
					return tx.Put(Accounts, fmt.Sprintf("w%d-%d", w, i), rec{i})
				})
				results[w] = append(results[w], err)
				done.Add(1)
			}
		}()
	}
	// Kill the leader once a quarter of the changes are made.
	for done.Load() < writers*each/4 {
		time.Sleep(5 * time.Millisecond)
	}
	leader := c.Leader()
	if leader < 0 {
		t.Fatal("no leader")
	}
	c.Kill(leader)
	wg.Wait()

	check := open((leader + 1) % len(eps))
	var n counter
	there, failed := 0, 0
	mustView(t, check, func(tx *Tx) error {
		if _, err := tx.Get(Meta, "count", &n); err != nil {
			return err
		}
		for w := range results {
			for i, err := range results[w] {
				var r rec
				ok, gerr := tx.Get(Accounts, fmt.Sprintf("w%d-%d", w, i), &r)
				if gerr != nil {
					return gerr
				}
				switch {
				case err == nil && !ok:
					t.Errorf("w%d-%d reported success and is not there", w, i)
				case err != nil && ok && !errors.Is(err, ErrLostAnswer):
					t.Errorf("w%d-%d failed (%v) and is there", w, i, err)
				case err != nil:
					failed++
					t.Logf("w%d-%d: %v", w, i, err)
				}
				if ok {
					there++
				}
			}
		}
		return nil
	})
	if n.N != there {
		t.Fatalf("the counter says %d changes, %d are there", n.N, there)
	}
	t.Logf("killed member %d; %d changes there, %d failed; %d answers lost and recovered", leader, there, failed, lostAnswers.Load())
}
