package store

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// Etcd keeps an organization's directory on an etcd cluster, under one
// key prefix: "<prefix><bucket>/<key>" (docs/etcd.md). Sessions never go
// there: each machine keeps its own (session.path).
//
// A transaction reads at one revision (the first read is linearizable,
// the rest read at its revision) and commits with one etcd Txn that
// compares the mod revision of every key it read, and of every range it
// scanned, with what it saw. Another writer in between makes the compare
// fail, and the transaction's function runs again on the new state. So
// two kcloud processes anywhere can never both use one code, or both
// count a failure from the same count.
//
// Each Txn also writes a marker key, and deletes the markers older than an
// hour. When the answer to a Txn is lost (the member died, the connection
// broke), the next attempt reads the marker first: there, the change was
// made; not there, the retry compares the marker as absent, so that the
// lost Txn and the retry can never both apply.
//
// A transaction's reads go in as few requests as it allows: the schema
// record with the first, and what the function says it will read
// (Tx.Prefetch) in one Txn of ranges (issue 26).
type Etcd struct {
	o EtcdOptions
	g *gateway

	mu      sync.Mutex
	ready   bool     // this process read a schema it knows
	foreign []string // keys under the prefix kcloud did not write, skipped
}

// errForeign is a key under a bucket's prefix that kcloud did not write
// (a person's etcd role may write any key under its own activity/ID/):
// scans skip it, and Foreign lists it.
var errForeign = errors.New("store: an etcd key kcloud did not write")

// Foreign lists the keys scans skipped as not kcloud's.
func (e *Etcd) Foreign() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.foreign)
}

func (e *Etcd) noteForeign(k string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.foreign, k) {
		e.foreign = append(e.foreign, k)
	}
}

// EtcdOptions configure OpenEtcd.
type EtcdOptions struct {
	Endpoints      []string // http(s)://host:port
	Prefix         string   // every key starts with it; ends with "/"
	Username       string   // etcd user, if the cluster has auth enabled
	Password       string
	TLS            *tls.Config // CA and client certificate for https endpoints
	DialTimeout    time.Duration
	RequestTimeout time.Duration // the most one transaction may take, retries included
}

// OpenEtcd returns the etcd backend. Nothing is sent until the first
// transaction.
func OpenEtcd(o EtcdOptions) *Etcd {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	return &Etcd{o: o, g: newGateway(o)}
}

// Name names the cluster and the prefix.
func (e *Etcd) Name() string {
	return "etcd " + strings.Join(e.o.Endpoints, ",") + " under " + e.o.Prefix
}

// View runs fn on one revision of the directory.
func (e *Etcd) View(fn func(RawTx) error) error { return e.run(false, false, fn) }

// Update runs fn and commits its writes if nothing it read changed
// meanwhile; else it runs fn again.
func (e *Etcd) Update(fn func(RawTx) error) error { return e.run(true, false, fn) }

// Create writes the schema record if the prefix has none, then runs as
// Update.
func (e *Etcd) Create(fn func(RawTx) error) error { return e.run(true, true, fn) }

// maxWrites is how many records one transaction may write: etcd refuses
// a Txn of more than 128 operations by default (--max-txn-ops), and one
// is the marker.
func (e *Etcd) maxWrites() int { return 100 }

// errLostAnswer: an earlier attempt, whose answer was lost, was applied
// after all, but a later attempt had run the function again.
var errLostAnswer = errors.New("the etcd cluster applied the change, but its answer was lost")

func (e *Etcd) run(write, create bool, fn func(RawTx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), e.o.RequestTimeout)
	defer cancel()
	var pending []string // markers of attempts whose answer was lost
	backoff := 2 * time.Millisecond
	var queued *place // once a compare was lost (etcd_queue.go)
	defer func() {
		if queued != nil {
			queued.leave()
		}
	}()
	for {
		t := newEtcdTx(ctx, e, !write)
		t.schema, t.create = !e.isReady(), create
		err := t.checkPending(pending)
		if err == nil {
			err = fn(t)
		}
		if err == nil && t.schema {
			_, err = t.read() // a function that read nothing: the schema alone
		}
		if t.failed != nil {
			err = t.failed // the backend's error, however fn wrapped it
		} else if errors.Is(err, errLostAnswer) {
			return e.wrap(ctx, err)
		} else if err != nil && !errors.Is(err, errCommitted) {
			return err // fn's own error, as it gave it
		}
		if errors.Is(err, errCommitted) {
			return nil
		}
		if err == nil && write && len(t.writes) > 0 {
			marker := e.marker()
			var ok bool
			if ok, err = t.commit(ctx, marker); err == nil && !ok {
				err = errConflict
			}
			if err != nil && retryable(err) {
				pending = append(pending, marker)
				lostAnswers.Add(1)
			}
		}
		switch {
		case err == nil:
			if create {
				e.setReady()
			}
			return nil
		case errors.Is(err, errConflict) && e.lineUp(ctx, &queued):
			// Its turn in the queue: run again on the new state at once.
		case errors.Is(err, errConflict), compacted(err), retryable(err):
			// Run again on the new state, after a moment that grows.
			if !sleep(ctx, backoff/2+mrand.N(backoff)) {
				return e.wrap(ctx, err)
			}
			backoff = min(2*backoff, 200*time.Millisecond)
		default:
			return e.wrap(ctx, err)
		}
	}
}

// lostAnswers counts the Txns whose answer was lost, for tests to see
// that a fault test went through that path.
var lostAnswers atomic.Int64

var (
	errConflict  = errors.New("another writer changed what the transaction read")
	errCommitted = errors.New("committed by an earlier attempt")
)

func compacted(err error) bool {
	var r *rpcError
	return errors.As(err, &r) && r.Code == codeOutOfRange
}

// Errors of the etcd directory, for callers to tell apart with errors.Is.
var (
	// ErrUnreachable: the cluster did not answer in time. It is an
	// ErrBusy too (exit 6).
	ErrUnreachable = fail.Errorf("%w: the etcd cluster did not answer", ErrBusy)
	// ErrEtcdAuth: the cluster refused the configured user's password.
	ErrEtcdAuth = errors.New("the etcd cluster refused the user")
	// ErrEtcdDenied: the configured user's roles do not allow the request.
	ErrEtcdDenied = errors.New("the etcd user may not do this")
	// ErrEtcdTLS: TLS with the cluster failed (an untrusted certificate,
	// or one the cluster refused).
	ErrEtcdTLS = errors.New("TLS with the etcd cluster failed")
	// ErrLostAnswer: a change was applied though its answer was lost, and
	// kcloud cannot tell what it was.
	ErrLostAnswer = errLostAnswer
)

// wrap gives an error the kind the contract gives it: a cluster that did
// not answer in time is exit 6, naming the endpoints.
func (e *Etcd) wrap(ctx context.Context, err error) error {
	var (
		f    *fail.Error
		auth *authError
		r    *rpcError
		tl   *tlsError
	)
	switch {
	case errors.As(err, &f) && !retryable(err) && !errors.Is(err, errConflict):
		return err
	case errors.As(err, &auth):
		return fail.Mark(fail.Other, ErrEtcdAuth, "%s: the cluster refused the etcd user %q: %v", e.Name(), auth.user, auth.err)
	case errors.As(err, &r) && r.Code == codePermissionDenied:
		return fail.Mark(fail.Other, ErrEtcdDenied, "%s: the etcd user %q may not do this (%v)", e.Name(), e.o.Username, r)
	case errors.As(err, &tl):
		return fail.Mark(fail.Other, ErrEtcdTLS, "TLS with the etcd member %s failed: %v", tl.endpoint, tl.err)
	case errors.Is(err, errLostAnswer):
		return fail.Wrap(fail.Other, err, "%s", e.Name())
	case retryable(err) || errors.Is(err, errConflict) || compacted(err) || ctx.Err() != nil:
		return fail.Mark(fail.Busy, ErrUnreachable, "the etcd cluster at %s did not answer within %s: %v",
			strings.Join(e.o.Endpoints, ", "), e.o.RequestTimeout, err)
	}
	return fail.Wrap(fail.Other, err, "%s", e.Name())
}

// checkSchema checks the schema record r, read with the first request of
// a transaction while this process has not read one it knows: none means
// no directory (Create writes one), a newer one is refused untouched.
func (e *Etcd) checkSchema(t *etcdTx, r *rangeResponse) error {
	k, _ := e.encode(Meta, schemaKey)
	if len(r.KVs) == 0 {
		t.saw(k, 0)
		if !t.create {
			return fail.Mark(fail.Other, ErrNoStore, "no kcloud directory under %s on the etcd cluster at %s",
				e.o.Prefix, strings.Join(e.o.Endpoints, ", "))
		}
		return t.Put(Meta, schemaKey, []byte(strconv.Itoa(Version)))
	}
	t.saw(k, int64(r.KVs[0].ModRevision))
	raw := r.KVs[0].Value
	v, err := strconv.Atoi(string(raw))
	switch {
	case err != nil || v < 1:
		return fail.Mark(fail.Other, ErrNotKcloud, "%s: bad schema version %q", e.Name(), raw)
	case v > Version:
		return fail.Mark(fail.Other, ErrNewer, "%s: schema %d; this kcloud knows up to %d", e.Name(), v, Version)
	case v < Version && !t.readOnly:
		// The migrations are record by record, as the domain writes
		// them (schema.go): the first write says so for older kcloud.
		if err := t.Put(Meta, schemaKey, []byte(strconv.Itoa(Version))); err != nil {
			return err
		}
	}
	e.setReady()
	return nil
}

func (e *Etcd) isReady() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ready
}

func (e *Etcd) setReady() {
	e.mu.Lock()
	e.ready = true
	e.mu.Unlock()
}

// markerLife is how long a marker stays: a commit deletes the markers
// written longer ago than that by the clock of the machine that wrote
// them. The retry that reads a marker comes within
// store.etcd.request_timeout of writing it; machines whose clocks are an
// hour apart would also disagree on every OTP code.
const markerLife = time.Hour

// marker returns a new marker key: the time, then 16 random bytes, so
// that the markers older than markerLife are one range.
func (e *Etcd) marker() string {
	var b [16]byte
	rand.Read(b[:])
	return e.markerAt(time.Now()) + "-" + hex.EncodeToString(b[:])
}

// markerAt is where the markers of time at start.
func (e *Etcd) markerAt(at time.Time) string {
	return fmt.Sprintf("%stxn/@%016x", e.o.Prefix, at.Unix())
}

// encode maps a bucket and key to an etcd key. A key's part after a NUL
// (the sequence number of a log record) is written in hex, after a '/':
// the keys stay in order, and the operator can name a person's records
// by a printable prefix ("<prefix>activity/alice/") in an etcd role.
func (e *Etcd) encode(b Bucket, k string) (string, error) {
	head, tail, nul := strings.Cut(k, "\x00")
	if strings.Contains(head, "/") {
		return "", fail.Errorf("store: the key %q holds a '/', which the etcd layout keeps for itself", k)
	}
	s := e.o.Prefix + string(b) + "/" + head
	if nul {
		s += "/" + hex.EncodeToString([]byte(tail))
	}
	return s, nil
}

// decode is encode's inverse.
func (e *Etcd) decode(b Bucket, s string) (string, error) {
	rest, ok := strings.CutPrefix(s, e.o.Prefix+string(b)+"/")
	if !ok {
		return "", &DamageError{Store: e.Name(), Detail: fmt.Sprintf("the etcd key %q is outside %s%s/", s, e.o.Prefix, b)}
	}
	head, tail, sep := strings.Cut(rest, "/")
	if !sep {
		return rest, nil
	}
	raw, err := hex.DecodeString(tail)
	if err != nil {
		return "", errForeign // kcloud writes a log key's tail in hex
	}
	return head + "\x00" + string(raw), nil
}

// i64 is an int64 as etcd's JSON carries it: a string.
type i64 int64

func (n i64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

func (n *i64) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*n = i64(v)
	return err
}
