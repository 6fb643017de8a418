package store

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/testnet"
)

// newEtcd returns the etcd backend on a prefix of its own in the test
// binary's shared cluster.
func newEtcd(t *testing.T) *Etcd {
	t.Helper()
	c, prefix := etcdtest.Shared(t)
	return OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix, RequestTimeout: 20 * time.Second})
}

type counter struct{ N int }

// increment adds one to the counter at key, in tx, and returns it.
func increment(tx *Tx, b Bucket, key string) (counter, error) {
	var n counter
	if _, err := tx.Get(b, key, &n); err != nil {
		return n, err
	}
	n.N++
	return n, tx.Put(b, key, n)
}

// TestEtcdWritersLoseNothing: 16 writers, each a backend of its own as a
// separate kcloud process would have, add to one record and append to
// one log. Every addition and every record is there, once.
func TestEtcdWritersLoseNothing(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	open := func() *Store {
		return New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix, RequestTimeout: time.Minute}))
	}
	if err := open().Create(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := open()
			for i := 0; i < each; i++ {
				errs <- s.Update(func(tx *Tx) error {
					if _, err := increment(tx, Accounts, "alice"); err != nil {
						return err
					}
					return tx.Append(Activity, "alice", rec{w*100 + i})
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n counter
	seen := map[int]bool{}
	mustView(t, open(), func(tx *Tx) error {
		if _, err := tx.Get(Accounts, "alice", &n); err != nil {
			return err
		}
		return tx.Newest(Activity, "alice", func(decode func(any) error) bool {
			var r rec
			if err := decode(&r); err != nil || seen[r.N] {
				t.Errorf("record %v twice or undecodable (%v)", r.N, err)
			}
			seen[r.N] = true
			return true
		})
	})
	if n.N != writers*each || len(seen) != writers*each {
		t.Fatalf("after %d updates: counter %d, %d log records", writers*each, n.N, len(seen))
	}
	// The writers that lost a compare lined up, and every place is gone.
	if queueJoins.Load() == 0 {
		t.Error("no writer took a place in the queue")
	}
	if n := queueLen(t, OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix})); n != 0 {
		t.Errorf("%d places left in the queue", n)
	}
}

// lossy stands between kcloud and etcd and loses the answer to the
// first Txn: applied (the request went through) or not (it never did).
type lossy struct {
	target  *url.URL
	applied bool
	txns    atomic.Int32
}

func (l *lossy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v3/kv/txn" && l.txns.Add(1) == 1 {
		if l.applied {
			body, _ := io.ReadAll(r.Body)
			resp, err := http.Post(l.target.String()+r.URL.Path, "application/json", bytes.NewReader(body))
			if err == nil {
				resp.Body.Close()
			}
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // no answer
		}
		return
	}
	httputil.NewSingleHostReverseProxy(l.target).ServeHTTP(w, r)
}

// TestEtcdLostAnswer: when the answer to a Txn is lost, the change is
// made once, whether or not the lost Txn was applied.
func TestEtcdLostAnswer(t *testing.T) {
	c, _ := etcdtest.Shared(t)
	target, _ := url.Parse(c.Endpoints()[0])
	for _, applied := range []bool{true, false} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			_, prefix := etcdtest.Shared(t)
			l := &lossy{target: target, applied: applied}
			proxy := httptest.NewServer(l)
			defer proxy.Close()
			s := New(OpenEtcd(EtcdOptions{Endpoints: []string{proxy.URL}, Prefix: prefix, RequestTimeout: time.Minute}))
			if err := s.Create(func(*Tx) error { return nil }); err != nil {
				t.Fatal(err)
			}
			l.txns.Store(0)                                  // the next Txn's answer is lost
			mustUpdate(t, s, func(*Tx) error { return nil }) // no write: no Txn
			runs := 0
			mustUpdate(t, s, func(tx *Tx) error {
				runs++
				_, err := increment(tx, Accounts, "alice")
				return err
			})
			var n counter
			mustView(t, s, func(tx *Tx) error { _, err := tx.Get(Accounts, "alice", &n); return err })
			// Applied: the marker tells, and nothing runs again. Not
			// applied: one more run and Txn.
			want := 2
			if applied {
				want = 1
			}
			if n.N != 1 || runs != want || int(l.txns.Load()) != want {
				t.Fatalf("counter %d after one increment (%d runs, %d Txns; want %d)", n.N, runs, l.txns.Load(), want)
			}
		})
	}
}

// TestEtcdUnreachable: a cluster that does not answer is ErrUnreachable
// (exit 6) naming the endpoints, within the request timeout.
func TestEtcdUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := "http://" + l.Addr().String() // accepts, never answers
	defer l.Close()
	s := New(OpenEtcd(EtcdOptions{Endpoints: []string{"http://127.0.0.1:1", silent}, Prefix: "/kcloud/",
		DialTimeout: 200 * time.Millisecond, RequestTimeout: 500 * time.Millisecond}))
	err = s.View(func(*Tx) error { return nil })
	err2 := s.Update(func(tx *Tx) error { return tx.Put(Accounts, "a", rec{1}) })
	for _, err := range []error{err, err2} {
		if !errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrBusy) || fail.KindOf(err) != fail.Busy {
			t.Fatalf("got %v, want ErrUnreachable of kind Busy", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), silent) {
			t.Fatalf("%q does not name the endpoints", err)
		}
	}
}

// TestEtcdLayout: the keys are what docs/etcd.md tells operators to grant.
func TestEtcdLayout(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	s := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
	if err := s.Create(func(tx *Tx) error {
		if err := tx.Put(Accounts, "alice", rec{1}); err != nil {
			return err
		}
		return tx.Append(Activity, "alice", rec{2})
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Client("", "").Get(etcdtest.Ctx(t), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		if !strings.HasPrefix(string(kv.Key), prefix+"txn/") {
			keys = append(keys, strings.TrimPrefix(string(kv.Key), prefix))
		}
	}
	want := "[accounts/alice activity/alice/0000000000000001 meta/schema]"
	if fmt.Sprint(keys) != want {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if err := s.Update(func(tx *Tx) error { return tx.Put(Sessions, "current", []byte("{}")) }); err == nil {
		t.Fatal("a session was written to the cluster")
	}
}

// TestEtcdTLS: an https cluster is trusted only with its CA; a
// certificate kcloud does not trust is ErrEtcdTLS at once, not a
// cluster that did not answer.
func TestEtcdTLS(t *testing.T) {
	certs, err := testnet.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := etcdtest.StartTLS(t, 1, certs.CertFile, certs.KeyFile)
	pool := x509.NewCertPool()
	pool.AddCert(certs.CA)
	trusted := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: "/kcloud/",
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}))
	if err := trusted.Create(func(tx *Tx) error { return tx.Put(Accounts, "alice", rec{1}) }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	untrusted := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: "/kcloud/", RequestTimeout: time.Minute}))
	err = untrusted.View(func(tx *Tx) error { _, err := tx.Get(Accounts, "alice", &rec{}); return err })
	if !errors.Is(err, ErrEtcdTLS) || fail.KindOf(err) != fail.Other || time.Since(start) > 30*time.Second {
		t.Fatalf("an untrusted certificate: %v (after %v), want ErrEtcdTLS at once", err, time.Since(start))
	}
}

// FuzzEtcdKeys: the etcd layout's keys decode to what was encoded, and
// keep the order of the keys under one log prefix.
func FuzzEtcdKeys(f *testing.F) {
	f.Add("alice", "\x00\x00\x00\x00\x00\x00\x00\x01", "\x00\x00\x00\x00\x00\x00\x01\x00")
	f.Add("al", "", "/")
	f.Add("", "\xff", "\x00")
	e := OpenEtcd(EtcdOptions{Prefix: "/kcloud/"})
	f.Fuzz(func(t *testing.T, head, a, b string) {
		if strings.Contains(head, "\x00") {
			return // the head ends at the first NUL
		}
		for _, tail := range []string{a, b} {
			key := head + "\x00" + tail
			enc, err := e.encode(Activity, key)
			if strings.Contains(head, "/") != (err != nil) {
				t.Fatalf("encode(%q): %v", key, err)
			}
			if err != nil {
				return
			}
			dec, err := e.decode(Activity, enc)
			if err != nil || dec != key {
				t.Fatalf("decode(encode(%q)) = %q, %v", key, dec, err)
			}
		}
		ea, _ := e.encode(Activity, head+"\x00"+a)
		eb, _ := e.encode(Activity, head+"\x00"+b)
		if (a < b) != (ea < eb) {
			t.Fatalf("order of %q and %q lost: %q, %q", a, b, ea, eb)
		}
		p, _ := e.encode(Activity, head+"\x00")
		if !strings.HasPrefix(ea, p) {
			t.Fatalf("%q is not under the scan prefix %q", ea, p)
		}
	})
}

// TestEtcdOldMarkersGo: a commit deletes the markers written more than
// markerLife ago, and only those: the one it writes and a recent one stay.
func TestEtcdOldMarkersGo(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	e := OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix})
	s := New(e)
	cli := c.Client("", "")
	stale := e.markerAt(time.Now().Add(-markerLife-time.Minute)) + "-old"
	recent := e.markerAt(time.Now().Add(-markerLife+time.Minute)) + "-recent"
	legacy := prefix + "txn/0123abcd" // a marker of an older kcloud: its lease ends it
	for _, k := range []string{stale, recent, legacy} {
		if _, err := cli.Put(etcdtest.Ctx(t), k, "kcloud"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(func(tx *Tx) error { _, err := increment(tx, Accounts, "n"); return err }); err != nil {
		t.Fatal(err)
	}
	r, err := cli.Get(etcdtest.Ctx(t), prefix+"txn/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range r.Kvs {
		keys = append(keys, string(kv.Key))
	}
	if slices.Contains(keys, stale) || !slices.Contains(keys, recent) || !slices.Contains(keys, legacy) || len(keys) != 3 {
		t.Fatalf("markers after a commit: %q; want %q, %q and the commit's own", keys, recent, legacy)
	}
}

// TestEtcdAnswersBounded: a gateway that answers with more than
// maxResponse, or with a record over maxRecord, is refused, and reading
// it allocates a bounded amount (issue 24, finding 2: one 64 MiB answer
// took login past 1 GiB).
func TestEtcdAnswersBounded(t *testing.T) {
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), maxRecord+1))
	for name, body := range map[string]func(w io.Writer){
		"an answer too large": func(w io.Writer) {
			io.WriteString(w, `{"kvs":[{"key":"a2V5","value":"`)
			chunk := strings.Repeat("QUFB", 1<<16)
			for range (maxResponse / len(chunk)) + 2 {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `"}]}`)
		},
		"a record too large": func(w io.Writer) {
			io.WriteString(w, `{"header":{"revision":"5"},"kvs":[{"key":"a2V5","value":"`+big+`","mod_revision":"5"}]}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				body(w)
			}))
			defer srv.Close()
			s := New(OpenEtcd(EtcdOptions{Endpoints: []string{srv.URL}, Prefix: "/kcloud/", RequestTimeout: 10 * time.Second}))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := s.View(func(tx *Tx) error { _, err := tx.Get(Meta, "org", &rec{}); return err })
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("the answer was taken")
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 200<<20 {
				t.Errorf("reading it allocated %d MiB", grew>>20)
			}
			t.Logf("%v (allocated %d MiB)", err, (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}

// TestEtcdPrefetch: what Prefetch read is compared at commit once the
// function reads it, and only then: another writer's change to a record
// prefetched and not read lets the commit through; one to a record read
// from the prefetch runs the function again, on the new value.
func TestEtcdPrefetch(t *testing.T) {
	c, prefix := etcdtest.Shared(t)
	s := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
	if err := s.Create(func(tx *Tx) error {
		if err := tx.Put(Accounts, "a", counter{1}); err != nil {
			return err
		}
		return tx.Put(Accounts, "b", counter{1})
	}); err != nil {
		t.Fatal(err)
	}
	other := New(OpenEtcd(EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
	for _, tc := range []struct {
		changed string
		runs    int
	}{{"b", 1}, {"a", 2}} {
		runs := 0
		err := s.Update(func(tx *Tx) error {
			runs++
			if err := tx.Prefetch(Ref{Bucket: Accounts, Key: "a"}, Ref{Bucket: Accounts, Key: "b"}, Ref{Bucket: Activity, Key: "a", Log: true}); err != nil {
				return err
			}
			if runs == 1 { // another writer, between the read and the commit
				if err := other.Update(func(tx *Tx) error { _, err := increment(tx, Accounts, tc.changed); return err }); err != nil {
					return err
				}
			}
			var a counter
			if _, err := tx.Get(Accounts, "a", &a); err != nil {
				return err
			}
			if err := tx.Put(Accounts, "sum", counter{a.N}); err != nil {
				return err
			}
			return tx.AppendKeep(Activity, "a", counter{a.N}, 10)
		})
		if err != nil || runs != tc.runs {
			t.Fatalf("%s changed meanwhile: %v, %d runs; want %d", tc.changed, err, runs, tc.runs)
		}
	}
	var sum counter
	if err := s.View(func(tx *Tx) error { _, err := tx.Get(Accounts, "sum", &sum); return err }); err != nil || sum.N != 2 {
		t.Fatalf("sum %d (%v): the rerun did not see the new value", sum.N, err)
	}
	n := 0
	if err := s.View(func(tx *Tx) error {
		return tx.Newest(Activity, "a", func(func(any) error) bool { n++; return true })
	}); err != nil || n != 2 {
		t.Fatalf("%d log records (%v), want 2", n, err)
	}
}
