package store

import (
	"context"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// queueLen is how many places e's queue holds.
func queueLen(t *testing.T, e *Etcd) int {
	t.Helper()
	var out struct {
		Count i64 `json:"count"`
	}
	prefix := e.queuePrefix()
	if err := e.g.call(context.Background(), "/v3/kv/range", map[string]any{"key": []byte(prefix), "range_end": prefixEnd(prefix), "count_only": true}, &out, true); err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// TestEtcdDeadWriterHoldsNoQueue: a writer that took a place and died
// (its place stays until its lease ends) holds up the writer after it a
// moment at most: that one commits, long before the lease would end.
func TestEtcdDeadWriterHoldsNoQueue(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	open := func() *Etcd {
		return OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix, RequestTimeout: 20 * time.Second})
	}
	s := New(open())
	if err := s.Create(func(tx *Tx) error { _, err := increment(tx, Accounts, "alice"); return err }); err != nil {
		t.Fatal(err)
	}
	dead := open().join(context.Background()) // never leaves: its lease lasts 25 s
	if dead == nil {
		t.Fatal("no place for the dead writer")
	}
	other := New(open())
	timeouts := queueTimeouts.Load()
	first := true
	err := s.Update(func(tx *Tx) error {
		if _, err := increment(tx, Accounts, "alice"); err != nil {
			return err
		}
		if first { // another writer commits meanwhile: this compare is lost
			first = false
			return other.Update(func(tx *Tx) error { _, err := increment(tx, Accounts, "alice"); return err })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if queueTimeouts.Load() == timeouts {
		t.Fatal("the writer did not wait for the dead one's place, or waited for it to leave")
	}
	var n counter
	mustView(t, s, func(tx *Tx) error { _, err := tx.Get(Accounts, "alice", &n); return err })
	if n.N != 3 {
		t.Fatalf("counter %d, want 3", n.N)
	}
	if got := queueLen(t, open()); got != 1 {
		t.Fatalf("%d places, want the dead writer's alone", got)
	}
}

// TestEtcdQueueWakesTheNext: the writer after one that leaves runs as soon
// as it leaves, by the watch, not after the wait for a dead one.
func TestEtcdQueueWakesTheNext(t *testing.T) {
	e := newEtcd(t)
	first, next := e.join(context.Background()), e.join(context.Background())
	if first == nil || next == nil {
		t.Fatal("no place in the queue")
	}
	defer next.leave()
	turn := make(chan struct{})
	go func() {
		if next.turn(context.Background()) {
			turn <- struct{}{}
		}
		close(turn)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-turn:
		t.Fatal("the next writer ran before the first left")
	default:
	}
	timeouts := queueTimeouts.Load()
	first.leave()
	if _, ok := <-turn; !ok {
		t.Fatal("the next writer could not wait its turn")
	}
	if queueTimeouts.Load() != timeouts {
		t.Fatal("the next writer ran after the wait for a dead one: the watch did not wake it")
	}
}
