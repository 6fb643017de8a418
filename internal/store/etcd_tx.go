package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// etcdTx is one attempt at a transaction on etcd. Reads go to the
// cluster at the revision of the first read; writes wait in the
// transaction until commit, and reads see them.
type etcdTx struct {
	e        *Etcd
	ctx      context.Context
	readOnly bool

	rev    int64             // the revision every read sees; 0 before the first
	seen   map[string]int64  // key -> its mod revision when read (0: absent)
	ranges [][2]string       // scanned ranges [start, end)
	writes map[string]*write // key -> what the transaction wrote there
	// cache holds what was read at rev and not yet handed to the
	// function (Prefetch, scans); a key is compared at commit only once
	// the function reads it.
	cache map[string]cached
	// first holds, by a log's first key, the newest record of the log
	// (Prefetch), for the reverse scan that asks for it.
	first map[string]*rangeResponse
	// schema: the schema record is yet to be read, with the first read
	// (this process has not read it; checkSchema); create: a Create,
	// which writes it where there is none.
	schema, create bool
	// failed is the first error the cluster gave: however the function
	// wraps it, the transaction reports this one.
	failed error
}

type cached struct {
	value []byte // nil: absent
	mod   int64
}

type write struct {
	value []byte
	del   bool
}

func newEtcdTx(ctx context.Context, e *Etcd, readOnly bool) *etcdTx {
	return &etcdTx{e: e, ctx: ctx, readOnly: readOnly, seen: map[string]int64{}, writes: map[string]*write{},
		cache: map[string]cached{}, first: map[string]*rangeResponse{}}
}

// nonNil is v, or an empty value for a key present and empty.
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

func (t *etcdTx) Get(b Bucket, key string) ([]byte, error) {
	k, err := t.e.encode(b, key)
	if err != nil {
		return nil, err
	}
	return t.get(k)
}

func (t *etcdTx) get(k string) ([]byte, error) {
	if w, ok := t.writes[k]; ok {
		if w.del {
			return nil, nil
		}
		return slices.Clone(w.value), nil
	}
	if c, ok := t.cache[k]; ok {
		t.saw(k, c.mod)
		return slices.Clone(c.value), nil
	}
	if t.scannedAll(k) {
		return nil, nil // absent where a scan read: its range is compared
	}
	rs, err := t.read(rangeOp{key: k})
	if err != nil {
		return nil, err
	}
	if len(rs[0].KVs) == 0 {
		t.saw(k, 0)
		return nil, nil
	}
	t.saw(k, int64(rs[0].KVs[0].ModRevision))
	return nonNil(rs[0].KVs[0].Value), nil
}

// scannedAll reports whether k lies in a range a scan read (and so is
// absent, if no scan cached it).
func (t *etcdTx) scannedAll(k string) bool {
	for _, r := range t.ranges {
		if k >= r[0] && k < r[1] {
			return true
		}
	}
	return false
}

// saw records a key's mod revision for the commit's compare: the first
// reading counts.
func (t *etcdTx) saw(k string, mod int64) {
	if _, ok := t.seen[k]; !ok {
		t.seen[k] = mod
	}
}

func (t *etcdTx) Put(b Bucket, key string, value []byte) error {
	k, err := t.writable(b, key)
	if err != nil {
		return err
	}
	t.writes[k] = &write{value: slices.Clone(value)}
	return nil
}

func (t *etcdTx) Delete(b Bucket, key string) error {
	k, err := t.writable(b, key)
	if err != nil {
		return err
	}
	t.writes[k] = &write{del: true}
	return nil
}

func (t *etcdTx) writable(b Bucket, key string) (string, error) {
	if t.readOnly {
		return "", errReadOnly
	}
	if b == Sessions {
		return "", errors.New("store: sessions stay on this machine (session.path), never in the etcd directory")
	}
	return t.e.encode(b, key)
}

// Scan reads the range page by page at the transaction's revision and
// merges the transaction's own writes into it. What it read is compared
// at commit: the range up to where fn stopped, and each key in it.
func (t *etcdTx) Scan(b Bucket, prefix string, reverse bool, fn func(string, []byte) bool) error {
	p, err := t.e.encode(b, prefix)
	if err != nil {
		return err
	}
	start, end := p, string(prefixEnd(p))
	if end == "" {
		end = "\x00" // every key from start: etcd's convention
	}
	// The transaction's own puts in the range, in scan order.
	var own []string
	for k, w := range t.writes {
		if !w.del && k >= start && k < end {
			own = append(own, k)
		}
	}
	slices.Sort(own)
	if reverse {
		slices.Reverse(own)
	}
	before := func(a, b string) bool { return (a < b) != reverse }
	emit := func(k string, v []byte) (bool, error) {
		key, err := t.e.decode(b, k)
		if errors.Is(err, errForeign) {
			t.e.noteForeign(k)
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return fn(key, slices.Clone(v)), nil
	}
	lo, hi := start, end // what is left to read
	limit := 8
	for {
		r := t.first[start]
		if r != nil && reverse && hi == end {
			delete(t.first, start) // the newest record, prefetched
		} else {
			rs, err := t.read(rangeOp{key: lo, end: hi, limit: limit, reverse: reverse})
			if err != nil {
				return err
			}
			r = rs[0]
		}
		for _, x := range r.KVs {
			k := string(x.Key)
			t.cache[k] = cached{value: nonNil(x.Value), mod: int64(x.ModRevision)}
			for len(own) > 0 && before(own[0], k) {
				if more, err := emit(own[0], t.writes[own[0]].value); !more || err != nil {
					t.scanned(start, end, own[0], reverse)
					return err
				}
				own = own[1:]
			}
			t.saw(k, int64(x.ModRevision)) // read: compared at commit
			v := x.Value
			if w, ok := t.writes[k]; ok {
				if w.del {
					continue
				}
				v = w.value
				own = slices.DeleteFunc(own, func(o string) bool { return o == k })
			}
			if more, err := emit(k, v); !more || err != nil {
				t.scanned(start, end, k, reverse)
				return err
			}
		}
		if !r.More || len(r.KVs) == 0 {
			break
		}
		last := string(r.KVs[len(r.KVs)-1].Key)
		if reverse {
			hi = last
		} else {
			lo = last + "\x00"
		}
		limit = min(2*limit, 512)
	}
	t.ranges = append(t.ranges, [2]string{start, end})
	for _, k := range own {
		if more, err := emit(k, t.writes[k].value); !more || err != nil {
			return err
		}
	}
	return nil
}

// scanned records the part of [start, end) a scan read before it
// stopped at key at.
func (t *etcdTx) scanned(start, end, at string, reverse bool) {
	if reverse {
		t.ranges = append(t.ranges, [2]string{at, end})
	} else {
		t.ranges = append(t.ranges, [2]string{start, at + "\x00"})
	}
}

// checkPending reads the markers of earlier attempts whose answer was
// lost. The newest one there means that attempt was applied: done. An
// older one there means it was applied after all, though the function
// has run again since (errLostAnswer). None there: the commit compares
// them as absent, so that a late one and this attempt cannot both apply.
func (t *etcdTx) checkPending(pending []string) error {
	for i := len(pending) - 1; i >= 0; i-- {
		v, err := t.get(pending[i])
		if err != nil {
			return err
		}
		if v != nil {
			if i == len(pending)-1 {
				return errCommitted
			}
			return errLostAnswer
		}
	}
	return nil
}

// maxTxnOps is etcd's default limit on the compares, and on the
// operations, of one Txn (--max-txn-ops).
const maxTxnOps = 128

// commit sends the writes in one Txn that compares what the transaction
// read, and writes marker. It reports whether the compare held.
func (t *etcdTx) commit(ctx context.Context, marker string) (bool, error) {
	var cmp []map[string]any
	for k, mod := range t.seen {
		cmp = append(cmp, map[string]any{"key": []byte(k), "target": "MOD", "result": "EQUAL", "mod_revision": i64(mod)})
	}
	for _, r := range t.ranges {
		// Nothing in the range changed or appeared after the read.
		cmp = append(cmp, map[string]any{"key": []byte(r[0]), "range_end": []byte(r[1]),
			"target": "MOD", "result": "LESS", "mod_revision": i64(t.rev + 1)})
	}
	keys := make([]string, 0, len(t.writes))
	for k := range t.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(cmp) > maxTxnOps || len(keys)+2 > maxTxnOps {
		return false, fail.Errorf("store: a transaction of %d reads and %d writes is more than etcd takes at once", len(cmp), len(keys))
	}
	ops := make([]map[string]any, 0, len(keys)+2)
	for _, k := range keys {
		if w := t.writes[k]; w.del {
			ops = append(ops, map[string]any{"request_delete_range": map[string]any{"key": []byte(k)}})
		} else {
			ops = append(ops, map[string]any{"request_put": map[string]any{"key": []byte(k), "value": w.value}})
		}
	}
	old := t.e.markerAt(time.Now().Add(-markerLife))
	ops = append(ops,
		map[string]any{"request_put": map[string]any{"key": []byte(marker), "value": []byte("kcloud")}},
		map[string]any{"request_delete_range": map[string]any{"key": []byte(t.e.markerAt(time.Unix(0, 0))), "range_end": []byte(old)}})
	var out struct {
		Succeeded bool `json:"succeeded"`
	}
	err := t.e.g.call(ctx, "/v3/kv/txn", map[string]any{"compare": cmp, "success": ops}, &out, false)
	return out.Succeeded, err
}
