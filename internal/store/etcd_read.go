package store

import "fmt"

// The reads of an etcd transaction: ranges at the transaction's revision,
// sent one request for all that a step needs.

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

// rangeOp reads keys in [key, end) (just key when end is ""), at most
// limit of them (0: all), descending when reverse is set.
type rangeOp struct {
	key, end string
	limit    int
	reverse  bool
}

func (o rangeOp) request(rev int64) map[string]any {
	in := map[string]any{"key": []byte(o.key)}
	if o.end != "" {
		in["range_end"] = []byte(o.end)
	}
	if o.limit > 0 {
		in["limit"] = i64(o.limit)
	}
	if rev > 0 {
		in["revision"] = i64(rev)
	}
	if o.reverse {
		in["sort_order"], in["sort_target"] = "DESCEND", "KEY"
	}
	return in
}

// read sends ops in one request, all read at the transaction's revision
// (the first request sets it): one range, or a Txn of ranges, which etcd
// reads at one revision. The schema record goes along with the first
// request of a process that has not read it yet.
func (t *etcdTx) read(ops ...rangeOp) ([]*rangeResponse, error) {
	if t.failed != nil {
		return nil, t.failed
	}
	schema := t.schema
	if schema {
		k, _ := t.e.encode(Meta, schemaKey)
		ops = append([]rangeOp{{key: k}}, ops...)
	}
	rs, err := t.send(ops)
	if err != nil {
		t.failed = err
		return nil, err
	}
	for _, r := range rs {
		for _, x := range r.KVs {
			if len(x.Value) > maxRecord {
				t.failed = &DamageError{Store: t.e.Name(), Detail: fmt.Sprintf("the etcd key %q holds %d bytes; kcloud writes no record over %d MiB",
					x.Key, len(x.Value), maxRecord>>20)}
				return nil, t.failed
			}
		}
	}
	if schema {
		t.schema = false
		if err := t.e.checkSchema(t, rs[0]); err != nil {
			t.failed = err
			return nil, err
		}
		rs = rs[1:]
	}
	return rs, nil
}

// send sends ops: a range for one, a Txn of ranges for more.
func (t *etcdTx) send(ops []rangeOp) ([]*rangeResponse, error) {
	if len(ops) == 1 {
		var out rangeResponse
		if err := t.e.g.call(t.ctx, "/v3/kv/range", ops[0].request(t.rev), &out, true); err != nil {
			return nil, err
		}
		if t.rev == 0 {
			t.rev = int64(out.Header.Revision)
		}
		return []*rangeResponse{&out}, nil
	}
	req := make([]map[string]any, len(ops))
	for i, o := range ops {
		req[i] = map[string]any{"request_range": o.request(t.rev)}
	}
	var out struct {
		Header struct {
			Revision i64 `json:"revision"`
		} `json:"header"`
		Responses []struct {
			Range *rangeResponse `json:"response_range"`
		} `json:"responses"`
	}
	if err := t.e.g.call(t.ctx, "/v3/kv/txn", map[string]any{"success": req}, &out, true); err != nil {
		return nil, err
	}
	if len(out.Responses) != len(ops) {
		return nil, &DamageError{Store: t.e.Name(), Detail: fmt.Sprintf("the etcd cluster answered %d reads with %d", len(ops), len(out.Responses))}
	}
	if t.rev == 0 {
		t.rev = int64(out.Header.Revision)
	}
	rs := make([]*rangeResponse, len(ops))
	for i, x := range out.Responses {
		if rs[i] = x.Range; rs[i] == nil {
			rs[i] = &rangeResponse{}
		}
	}
	return rs, nil
}

// Prefetch reads refs in one request: what the function reads next
// comes from it (issue 26: a round trip each is paid in sequence).
func (t *etcdTx) Prefetch(refs []Ref) error {
	var ops []rangeOp
	for _, r := range refs {
		key := r.Key
		if r.Log {
			key = logPrefix(key) // as Newest and AppendKeep scan it
		}
		k, err := t.e.encode(r.Bucket, key)
		if err != nil {
			return err
		}
		if r.Log {
			ops = append(ops, rangeOp{key: k, end: string(prefixEnd(k)), limit: 1, reverse: true})
		} else if _, ok := t.cache[k]; !ok && t.writes[k] == nil {
			if _, ok := t.seen[k]; !ok {
				ops = append(ops, rangeOp{key: k})
			}
		}
	}
	if len(ops) == 0 {
		return nil
	}
	rs, err := t.read(ops...)
	if err != nil {
		return err
	}
	for i, o := range ops {
		if o.end != "" {
			t.first[o.key] = rs[i]
			continue
		}
		c := cached{}
		if len(rs[i].KVs) > 0 {
			c = cached{value: nonNil(rs[i].KVs[0].Value), mod: int64(rs[i].KVs[0].ModRevision)}
		}
		t.cache[o.key] = c
	}
	return nil
}
