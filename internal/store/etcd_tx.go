package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// failed is the first error the cluster gave: however the function
	// wraps it, the transaction reports this one.
	failed error
}

type write struct {
	value []byte
	del   bool
}

func newEtcdTx(ctx context.Context, e *Etcd, readOnly bool) *etcdTx {
	return &etcdTx{e: e, ctx: ctx, readOnly: readOnly, seen: map[string]int64{}, writes: map[string]*write{}}
}

type kv struct {
	Key         []byte `json:"key"`
	Value       []byte `json:"value"`
	ModRevision i64    `json:"mod_revision"`
}

type rangeResponse struct {
	Header struct {
		Revision i64 `json:"revision"`
	} `json:"header"`
	KVs  []kv `json:"kvs"`
	More bool `json:"more"`
}

// rangeOf reads keys in [key, end) (just key when end is ""), at most
// limit of them (0: all), descending when reverse is set.
func (t *etcdTx) rangeOf(key, end string, limit int, reverse bool) (*rangeResponse, error) {
	if t.failed != nil {
		return nil, t.failed
	}
	in := map[string]any{"key": []byte(key)}
	if end != "" {
		in["range_end"] = []byte(end)
	}
	if limit > 0 {
		in["limit"] = i64(limit)
	}
	if t.rev > 0 {
		in["revision"] = i64(t.rev)
	}
	if reverse {
		in["sort_order"], in["sort_target"] = "DESCEND", "KEY"
	}
	var out rangeResponse
	if err := t.e.g.call(t.ctx, "/v3/kv/range", in, &out, true); err != nil {
		t.failed = err
		return nil, err
	}
	for _, x := range out.KVs {
		if len(x.Value) > maxRecord {
			t.failed = &DamageError{Store: t.e.Name(), Detail: fmt.Sprintf("the etcd key %q holds %d bytes; kcloud writes no record over %d MiB",
				x.Key, len(x.Value), maxRecord>>20)}
			return nil, t.failed
		}
	}
	if t.rev == 0 {
		t.rev = int64(out.Header.Revision)
	}
	return &out, nil
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
	r, err := t.rangeOf(k, "", 0, false)
	if err != nil {
		return nil, err
	}
	if len(r.KVs) == 0 {
		t.saw(k, 0)
		return nil, nil
	}
	t.saw(k, int64(r.KVs[0].ModRevision))
	v := r.KVs[0].Value
	if v == nil {
		v = []byte{} // present, and empty
	}
	return v, nil
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
		r, err := t.rangeOf(lo, hi, limit, reverse)
		if err != nil {
			return err
		}
		for _, x := range r.KVs {
			k := string(x.Key)
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
	if len(cmp) > maxTxnOps || len(keys)+1 > maxTxnOps {
		return false, fmt.Errorf("store: a transaction of %d reads and %d writes is more than etcd takes at once", len(cmp), len(keys))
	}
	lease, err := t.e.leaseID(ctx, false)
	if err != nil {
		return false, err
	}
	for try := 0; ; try++ {
		ops := make([]map[string]any, 0, len(keys)+1)
		for _, k := range keys {
			if w := t.writes[k]; w.del {
				ops = append(ops, map[string]any{"request_delete_range": map[string]any{"key": []byte(k)}})
			} else {
				ops = append(ops, map[string]any{"request_put": map[string]any{"key": []byte(k), "value": w.value}})
			}
		}
		ops = append(ops, map[string]any{"request_put": map[string]any{
			"key": []byte(marker), "value": []byte("kcloud"), "lease": i64(lease)}})
		var out struct {
			Succeeded bool `json:"succeeded"`
		}
		err := t.e.g.call(ctx, "/v3/kv/txn", map[string]any{"compare": cmp, "success": ops}, &out, false)
		var r *rpcError
		if try == 0 && errors.As(err, &r) && r.leaseNotFound() {
			// The lease expired while this process waited: a new one.
			if lease, err = t.e.leaseID(ctx, true); err != nil {
				return false, err
			}
			continue
		}
		return out.Succeeded, err
	}
}
