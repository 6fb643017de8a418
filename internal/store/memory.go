package store

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/kcloud/kcloud/internal/fail"
)

// Memory is a store held in memory, for unit tests of the domain: the
// same records and transactions as a file, without one. A transaction
// writes to a copy that replaces the data only when it commits.
type Memory struct {
	mu      sync.Mutex
	created bool
	data    map[Bucket]map[string][]byte
}

// NewMemory returns an empty in-memory backend; Create makes its store.
func NewMemory() *Memory { return &Memory{data: map[Bucket]map[string][]byte{}} }

// Name names the store for people.
func (m *Memory) Name() string { return "memory" }

// View runs fn on the committed records.
func (m *Memory) View(fn func(RawTx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.created {
		return errNoMemoryStore
	}
	return fn(&memTx{data: m.data, readOnly: true})
}

var errNoMemoryStore = wrapNoStore("no store in memory")

// Update runs fn on a copy and keeps the copy if fn returns nil.
func (m *Memory) Update(fn func(RawTx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.created {
		return errNoMemoryStore
	}
	return m.update(fn)
}

// Create makes the store and runs fn as Update does.
func (m *Memory) Create(fn func(RawTx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.created = true
	return m.update(fn)
}

func (m *Memory) update(fn func(RawTx) error) error {
	next := make(map[Bucket]map[string][]byte, len(m.data))
	for b, kv := range m.data {
		next[b] = maps.Clone(kv)
	}
	if err := fn(&memTx{data: next}); err != nil {
		return err
	}
	m.data = next
	return nil
}

type memTx struct {
	data     map[Bucket]map[string][]byte
	readOnly bool
}

func (t *memTx) Get(b Bucket, key string) ([]byte, error) {
	v, ok := t.data[b][key]
	if !ok {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

func (t *memTx) Put(b Bucket, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if t.data[b] == nil {
		t.data[b] = map[string][]byte{}
	}
	t.data[b][key] = append([]byte{}, value...)
	return nil
}

func (t *memTx) Delete(b Bucket, key string) error {
	if t.readOnly {
		return errReadOnly
	}
	delete(t.data[b], key)
	return nil
}

func (t *memTx) Scan(b Bucket, prefix string, reverse bool, fn func(string, []byte) bool) error {
	var keys []string
	for k := range t.data[b] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	for _, k := range keys {
		if !fn(k, append([]byte{}, t.data[b][k]...)) {
			break
		}
	}
	return nil
}

var errReadOnly = errors.New("store: write in a read-only transaction")

func wrapNoStore(msg string) error { return fail.Mark(fail.Other, ErrNoStore, "%s", msg) }
