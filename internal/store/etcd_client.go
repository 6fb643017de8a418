package store

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// gateway speaks etcd's v3 API as JSON over HTTP (the grpc-gateway every
// etcd since 3.4 serves at /v3/ on its client URLs). kcloud does not link
// the official gRPC client: its package initialisation would double the
// start-up of every command, on every machine, including those on the
// local store (docs/performance.md).
type gateway struct {
	endpoints []string
	client    *http.Client
	username  string
	password  string

	mu    sync.Mutex
	cur   int    // the endpoint tried first
	token string // the auth token, once authenticated
}

// maxResponse bounds what kcloud reads of one answer, and maxRecord one
// record in it (security rule 13). kcloud's records are a few KiB; a
// range is read 8 keys a page; an answer's JSON carries them in base64
// and is decoded into a few copies, so 16 MiB of answer is about 60 MiB
// of memory at most (64 MiB took login past 1 GiB).
const (
	maxResponse = 16 << 20
	maxRecord   = 1 << 20
)

func newGateway(o EtcdOptions) *gateway {
	dialer := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy the environment names
		DialContext:         dialer.DialContext,
		TLSClientConfig:     o.TLS,
		TLSHandshakeTimeout: o.DialTimeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	if o.TLS == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &gateway{
		endpoints: o.Endpoints,
		username:  o.Username,
		password:  o.Password,
		client: &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// rpcError is an answer from etcd that is not success: a gRPC status code
// and etcd's message.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Err     string `json:"error"` // etcd 3.4's gateway
	status  int
}

func (e *rpcError) Error() string {
	m := e.Message
	if m == "" {
		m = e.Err
	}
	if m == "" {
		m = fmt.Sprintf("HTTP %d", e.status)
	}
	return m
}

// gRPC status codes etcd answers with.
const (
	codeCanceled         = 1
	codeUnknown          = 2
	codeInvalidArgument  = 3
	codeDeadlineExceeded = 4
	codeNotFound         = 5
	codePermissionDenied = 7
	codeOutOfRange       = 11
	codeUnavailable      = 14
	codeUnauthenticated  = 16
)

// transportError: no answer came from an endpoint (refused, reset, timed
// out). A request that was sent may still have been applied.
type transportError struct {
	endpoint string
	err      error
}

func (e *transportError) Error() string { return e.endpoint + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// tlsError: the endpoint answered, but TLS failed: its certificate is not
// trusted, or it refused ours. Trying again will not mend it.
type tlsError struct {
	endpoint string
	err      error
}

func (e *tlsError) Error() string { return e.endpoint + ": " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

func tlsFailure(err error) bool {
	var (
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record)
}

// retryable reports whether another endpoint, or the same one later, may
// answer err differently: the endpoint was not reached, or the cluster
// was between leaders.
func retryable(err error) bool {
	var t *transportError
	if errors.As(err, &t) {
		return true
	}
	var r *rpcError
	if errors.As(err, &r) {
		switch r.Code {
		case codeUnavailable, codeDeadlineExceeded, codeUnknown, codeCanceled:
			return true
		}
		return r.status >= 500 && r.Code == 0
	}
	return false
}

// post sends one request to the current endpoint. A transport failure
// moves the current endpoint on, so that the caller's next try goes to
// the next one.
func (g *gateway) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	g.mu.Lock()
	i, token := g.cur, g.token
	g.mu.Unlock()
	ep := strings.TrimSuffix(g.endpoints[i], "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" && path != "/v3/auth/authenticate" {
		req.Header.Set("Authorization", token)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		g.next(i)
		if tlsFailure(err) {
			return &tlsError{endpoint: ep, err: unwrapURL(err)}
		}
		return &transportError{endpoint: ep, err: unwrapURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		g.next(i)
		return &transportError{endpoint: ep, err: err}
	}
	if len(data) > maxResponse {
		return fail.Errorf("%s: an answer of more than %d MiB", ep, maxResponse>>20)
	}
	if resp.StatusCode != http.StatusOK {
		r := &rpcError{status: resp.StatusCode}
		if json.Unmarshal(data, r) != nil || (r.Message == "" && r.Err == "") {
			r.Message = fmt.Sprintf("HTTP %s from %s", resp.Status, ep)
		}
		if retryable(r) {
			g.next(i)
		}
		return r
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fail.Errorf("%s: an answer that is not etcd's: %v", ep, err)
	}
	return nil
}

// next moves past endpoint i, unless another caller already did.
func (g *gateway) next(i int) {
	g.mu.Lock()
	if g.cur == i {
		g.cur = (i + 1) % len(g.endpoints)
	}
	g.mu.Unlock()
}

// unwrapURL drops net/http's "Post URL:" wrapping; the endpoint is named
// once by the caller.
func unwrapURL(err error) error {
	var u interface{ Unwrap() error }
	if errors.As(err, &u) {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// call posts a request, authenticating first when a user is configured
// and again when the token has expired. Failures that another endpoint or
// a moment may mend are retried until ctx ends, when idempotent is set
// (reads, lease grants); a transaction is sent once, and its caller
// decides.
func (g *gateway) call(ctx context.Context, path string, in, out any, idempotent bool) error {
	backoff := 10 * time.Millisecond
	tried := 0
	for {
		err := g.authenticate(ctx, false)
		if err == nil {
			err = g.post(ctx, path, in, out)
		}
		var r *rpcError
		if errors.As(err, &r) && r.Code == codeUnauthenticated && g.username != "" {
			if err = g.authenticate(ctx, true); err == nil {
				err = g.post(ctx, path, in, out)
			}
		}
		if err == nil || !idempotent || !retryable(err) {
			return err
		}
		if tried++; tried%len(g.endpoints) == 0 {
			// Every endpoint failed once: give the cluster a moment.
			if !sleep(ctx, backoff) {
				return err
			}
			backoff = min(2*backoff, 500*time.Millisecond)
		}
		if ctx.Err() != nil {
			return err
		}
	}
}

// authenticate gets a token for the configured user, once, or again when
// renew is set.
func (g *gateway) authenticate(ctx context.Context, renew bool) error {
	if g.username == "" {
		return nil
	}
	g.mu.Lock()
	have := g.token != ""
	g.mu.Unlock()
	if have && !renew {
		return nil
	}
	var out struct {
		Token string `json:"token"`
	}
	in := map[string]string{"name": g.username, "password": g.password}
	for {
		err := g.post(ctx, "/v3/auth/authenticate", in, &out)
		if err == nil {
			break
		}
		var r *rpcError
		if errors.As(err, &r) && r.Code == codeInvalidArgument {
			return &authError{user: g.username, err: r}
		}
		if !retryable(err) || !sleep(ctx, 50*time.Millisecond) {
			return err
		}
	}
	g.mu.Lock()
	g.token = out.Token
	g.mu.Unlock()
	return nil
}

// authError: the cluster refused the configured etcd user's password.
type authError struct {
	user string
	err  error
}

func (e *authError) Error() string {
	return fmt.Sprintf("the etcd cluster refused the user %q: %v", e.user, e.err)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
