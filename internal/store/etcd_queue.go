package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"crypto/rand"
)

// Writers that lose their compare line up, as they do on bbolt's file
// lock, instead of sleeping: a writer that lost once takes a place in a
// queue (a key under <prefix>txn/queue/, on a lease, created in order),
// and waits for the writer before it to leave (a watch of that key), then
// runs again at once. Its place goes when it commits or gives up (the
// lease is revoked), or when its process dies (the lease expires). The
// queue only orders retries: a writer still commits by the compare of
// what it read, so a queue that cannot be joined or watched, or a cluster
// that loses its leader, leaves the old way (a jittered wait) and every
// guarantee as it was. Only writers that lost join: an uncontended write
// costs no request more.

// queueTTL is the lease on a place: longer than any request may take, so
// that no keep-alive is needed; a dead writer's place goes after it.
func (e *Etcd) queueTTL() int64 {
	return int64(max(e.o.RequestTimeout, time.Second)/time.Second) + 5
}

// maxQueueWait is the longest a writer waits for the one before it to
// leave: one that died leaves only when its lease ends.
const maxQueueWait = 500 * time.Millisecond

// place is a writer's place in the queue.
type place struct {
	e       *Etcd
	key     string
	lease   i64
	created int64 // the revision that created key: the order
}

func (e *Etcd) queuePrefix() string { return e.o.Prefix + "txn/queue/" }

// join takes a place at the end of the queue, or returns nil where it
// cannot (the caller then waits the old way).
func (e *Etcd) join(ctx context.Context) *place {
	var grant struct {
		ID i64 `json:"ID"`
	}
	if err := e.g.call(ctx, "/v3/lease/grant", map[string]any{"TTL": i64(e.queueTTL())}, &grant, true); err != nil || grant.ID == 0 {
		return nil
	}
	var b [8]byte
	rand.Read(b[:])
	p := &place{e: e, key: e.queuePrefix() + hex.EncodeToString(b[:]), lease: grant.ID}
	var put struct {
		Header struct {
			Revision i64 `json:"revision"`
		} `json:"header"`
	}
	if err := e.g.call(ctx, "/v3/kv/put", map[string]any{"key": []byte(p.key), "value": []byte("kcloud"), "lease": grant.ID}, &put, false); err != nil {
		p.leave()
		return nil
	}
	p.created = int64(put.Header.Revision)
	queueJoins.Add(1)
	return p
}

// queueJoins counts the places taken, and queueTimeouts the waits for a
// writer before that never left: for tests to see which way a writer went.
var queueJoins, queueTimeouts atomic.Int64

// leave gives the place up; the writer after it runs next.
func (p *place) leave() {
	// One try, briefly: a revoke that fails leaves the place to its lease,
	// and a writer that failed is not held up on its way out.
	ctx, cancel := context.WithTimeout(context.Background(), min(p.e.o.RequestTimeout, time.Second))
	defer cancel()
	var out struct{}
	_ = p.e.g.call(ctx, "/v3/lease/revoke", map[string]any{"ID": p.lease}, &out, false)
}

// turn waits until no place before p is left: true then, false where the
// queue cannot be read or watched (the caller waits the old way).
func (p *place) turn(ctx context.Context) bool {
	for {
		var out struct {
			Header struct {
				Revision i64 `json:"revision"`
			} `json:"header"`
			KVs []struct {
				Key            []byte `json:"key"`
				CreateRevision i64    `json:"create_revision"`
			} `json:"kvs"`
		}
		prefix := p.e.queuePrefix()
		in := map[string]any{"key": []byte(prefix), "range_end": prefixEnd(prefix), "keys_only": true,
			"sort_order": "ASCEND", "sort_target": "CREATE"}
		if err := p.e.g.call(ctx, "/v3/kv/range", in, &out, true); err != nil {
			return false
		}
		before := ""
		for _, kv := range out.KVs {
			if int64(kv.CreateRevision) < p.created {
				before = string(kv.Key) // the last one before p
			}
		}
		if before == "" {
			return true
		}
		// A writer before p that died holds its place until its lease
		// ends: p waits for it a moment at most, then runs anyway (its
		// compare keeps it right whatever the order).
		wait, cancel := context.WithTimeout(ctx, maxQueueWait)
		deleted := p.e.g.waitDeleted(wait, before, int64(out.Header.Revision)+1)
		timedOut := wait.Err() != nil && ctx.Err() == nil
		cancel()
		if timedOut {
			queueTimeouts.Add(1)
			return true
		}
		if !deleted {
			return false
		}
	}
}

// waitDeleted watches key from revision rev until it is deleted: true
// then, false where the watch fails or ctx ends. It reads at most
// maxResponse of the stream.
func (g *gateway) waitDeleted(ctx context.Context, key string, rev int64) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"create_request": map[string]any{"key": []byte(key), "start_revision": i64(rev)}})
	g.mu.Lock()
	i, token := g.cur, g.token
	g.mu.Unlock()
	ep := strings.TrimSuffix(g.endpoints[i], "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+"/v3/watch", bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(resp.Body, maxResponse)))
	for {
		var msg struct {
			Result struct {
				Canceled bool `json:"canceled"`
				Events   []struct {
					Type string `json:"type"`
				} `json:"events"`
			} `json:"result"`
			Error *rpcError `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil || msg.Error != nil || msg.Result.Canceled {
			return false
		}
		for _, ev := range msg.Result.Events {
			if ev.Type == "DELETE" {
				return true
			}
		}
	}
}

// lineUp waits, after a lost compare, for the writer's turn in the queue,
// joining it the first time: true when it is the writer's turn, false
// where the queue cannot be used. A writer whose turn it was and that lost
// again (to one that had not lost yet) waits a moment, as before, so that
// it does not spin against a stream of new writers.
func (e *Etcd) lineUp(ctx context.Context, queued **place) bool {
	if *queued == nil {
		if *queued = e.join(ctx); *queued == nil {
			return false
		}
	} else if !sleep(ctx, time.Millisecond+mrand.N(2*time.Millisecond)) {
		return false
	}
	return (*queued).turn(ctx)
}
