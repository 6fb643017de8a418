package passkey_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/passkey"
	"github.com/kcloud/kcloud/internal/passkey/passkeytest"
)

// The ceremonies through the real loopback server, with the software
// authenticator as the browser. Each attack has its own test, and each
// fails without the check it is named for.

var alice = passkey.User{Handle: []byte("6f1e2a4c-0000-4000-8000-00000000a11c"), Name: "alice", DisplayName: "Alice"}

// browse returns a Ceremony whose browser is fn, run with the address.
func browse(t *testing.T, fn func(addr string)) passkey.Ceremony {
	t.Helper()
	return passkey.Ceremony{Timeout: 30 * time.Second, Ready: func(addr string) { go fn(addr) }}
}

func register(t *testing.T, a *passkeytest.Authenticator) auth.PasskeyKey {
	t.Helper()
	k, err := passkey.Register(context.Background(), browse(t, func(addr string) { a.Browse(addr) }), alice, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return k
}

func assert(t *testing.T, a *passkeytest.Authenticator, keys []auth.PasskeyKey, uv bool) (auth.Assertion, error) {
	t.Helper()
	return passkey.Assert(context.Background(), browse(t, func(addr string) { a.Browse(addr) }), &alice, keys, uv)
}

func TestRegisterAndLogin(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	if !bytes.Equal(k.ID, a.CredID) || !k.UserVerified || len(k.PublicKey) == 0 || k.SignCount != 0 {
		t.Fatalf("registered %+v", k)
	}
	if !bytes.Equal(a.Handle, alice.Handle) {
		t.Fatalf("the passkey was made for the handle %q, not the account's UUID", a.Handle)
	}
	as, err := assert(t, a, []auth.PasskeyKey{k}, true)
	if err != nil {
		t.Fatal(err)
	}
	use, err := as.Verify(alice.Handle, []auth.PasskeyKey{k})
	if err != nil {
		t.Fatal(err)
	}
	if !use.UserVerified || use.Cloned || use.SignCount != 1 || !bytes.Equal(use.ID, a.CredID) {
		t.Fatalf("use %+v", use)
	}
}

func isAuth(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v (kind %v), want an auth error saying %q", err, fail.KindOf(err), want)
	}
}

func TestPageOfAnotherOriginIsRefused(t *testing.T) {
	a := passkeytest.New()
	a.Origin = "http://localhost.evil.example:8080"
	_, err := passkey.Register(context.Background(), browse(t, func(addr string) { a.Browse(addr) }), alice, nil)
	isAuth(t, err, "origin")

	// The same at login: an answer a hostile page relayed.
	good := passkeytest.New()
	k := register(t, good)
	good.Origin = "https://kcloud.example"
	as, err := assert(t, good, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.Verify(alice.Handle, []auth.PasskeyKey{k})
	isAuth(t, err, "origin")
}

func TestWrongRPIDHashIsRefused(t *testing.T) {
	a := passkeytest.New()
	a.RPID = "kcloud.example"
	_, err := passkey.Register(context.Background(), browse(t, func(addr string) { a.Browse(addr) }), alice, nil)
	isAuth(t, err, "RP Hash")
}

func TestMissingUserPresenceIsRefused(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	a.NoUP = true
	as, err := assert(t, a, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.Verify(alice.Handle, []auth.PasskeyKey{k})
	isAuth(t, err, "presence")
}

func TestUserVerificationWhereAsked(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	a.NoUV = true
	as, err := assert(t, a, []auth.PasskeyKey{k}, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.Verify(alice.Handle, []auth.PasskeyKey{k})
	isAuth(t, err, "verif")
	// Preferred, not required: the answer holds, and says it did not verify.
	as, err = assert(t, a, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	use, err := as.Verify(alice.Handle, []auth.PasskeyKey{k})
	if err != nil || use.UserVerified {
		t.Fatalf("use %+v, %v", use, err)
	}
}

func TestSignCountGoingBackIsCloned(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	k.SignCount = 7
	a.SignCount = 3 // answers 4
	as, err := assert(t, a, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	use, err := as.Verify(alice.Handle, []auth.PasskeyKey{k})
	if err != nil || !use.Cloned {
		t.Fatalf("4 after 7: use %+v, %v; want Cloned", use, err)
	}
	// 0 after 0 is not a clone (synced passkeys send 0).
	k.SignCount, a.SignCount, a.Stuck = 0, 0, true
	as, _ = assert(t, a, []auth.PasskeyKey{k}, false)
	if use, err := as.Verify(alice.Handle, []auth.PasskeyKey{k}); err != nil || use.Cloned {
		t.Fatalf("0 after 0: use %+v, %v", use, err)
	}
}

func TestAnotherAccountsCredentialIsRefused(t *testing.T) {
	mine, theirs := passkeytest.New(), passkeytest.New()
	k := register(t, mine)
	kt := register(t, theirs)
	theirs.IgnoreAllow = true
	as, err := assert(t, theirs, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as.Verify(alice.Handle, []auth.PasskeyKey{k}); err == nil {
		t.Fatal("a credential the ceremony did not offer was taken")
	}
	// Verified against another account's handle, the same answer fails too.
	as, _ = assert(t, mine, []auth.PasskeyKey{k}, false)
	if _, err := as.Verify([]byte("another-uuid"), []auth.PasskeyKey{k, kt}); err == nil {
		t.Fatal("an answer of alice's ceremony verified for another account")
	}
}

// TestReplayedAnswerIsRefused posts an answer of one ceremony to the
// next: the challenge is another, so it fails (a stale challenge).
func TestReplayedAnswerIsRefused(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	if _, err := assert(t, a, []auth.PasskeyKey{k}, false); err != nil {
		t.Fatal(err)
	}
	old := a.Last
	as, err := passkey.Assert(context.Background(), browse(t, func(addr string) {
		p, err := passkeytest.Load(addr)
		if err == nil {
			p.Post(old, "")
		}
	}), &alice, []auth.PasskeyKey{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.Verify(alice.Handle, []auth.PasskeyKey{k})
	isAuth(t, err, "challenge")
}

// ceremony starts a login ceremony whose browser does nothing: the test
// makes the requests. It returns the address and the ceremony's end.
func ceremony(t *testing.T, timeout time.Duration) (string, chan error) {
	t.Helper()
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := passkey.Assert(context.Background(), passkey.Ceremony{Timeout: timeout, Ready: func(a string) { addrs <- a }}, nil, nil, false)
		done <- err
	}()
	select {
	case a := <-addrs:
		return a, done
	case err := <-done:
		t.Fatal(err)
	}
	return "", nil
}

func get(t *testing.T, addr, host string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, addr, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAnotherHostHeaderIsRefused(t *testing.T) {
	addr, done := ceremony(t, time.Minute)
	u, _ := url.Parse(addr)
	_, port, _ := net.SplitHostPort(u.Host)
	for _, h := range []string{"127.0.0.1:" + port, "[::1]:" + port, "evil.example:" + port, "localhost", "localhost:1"} {
		if got := get(t, addr, h); got != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", h, got)
		}
	}
	// The refused requests did not use the path up.
	p, err := passkeytest.Load(addr)
	if err != nil {
		t.Fatalf("after wrong hosts, the page: %v", err)
	}
	p.Post([]byte(`{"error":"NotAllowedError"}`), "")
	if err := <-done; !errors.Is(err, passkey.ErrCancelled) {
		t.Fatalf("ceremony: %v", err)
	}
}

func TestPathServesOnce(t *testing.T) {
	addr, done := ceremony(t, time.Minute)
	u, _ := url.Parse(addr)
	if got := get(t, "http://"+u.Host+"/", ""); got != http.StatusNotFound {
		t.Errorf("/: %d, want 404", got)
	}
	if got := get(t, "http://"+u.Host+u.Path+"x", ""); got != http.StatusNotFound {
		t.Errorf("another path: %d, want 404", got)
	}
	p, err := passkeytest.Load(addr)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, addr, ""); got != http.StatusNotFound {
		t.Errorf("a second GET of the path: %d, want 404", got)
	}
	if resp, err := p.Post([]byte(`{"error":"NotAllowedError"}`), ""); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("answer: %v %v", resp, err)
	}
	if err := <-done; fail.KindOf(err) != fail.Auth || !errors.Is(err, passkey.ErrCancelled) {
		t.Fatalf("a cancelled ceremony: %v, want exit 3", err)
	}
	// Nothing is served after the ceremony.
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(addr); err == nil {
		resp.Body.Close()
		t.Fatalf("after the ceremony, GET: %s", resp.Status)
	}
}

func TestAnswerNeedsCookieAndOrigin(t *testing.T) {
	a := passkeytest.New()
	k := register(t, a)
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		as, err := passkey.Assert(context.Background(), passkey.Ceremony{Timeout: time.Minute, Ready: func(s string) { addrs <- s }}, &alice, []auth.PasskeyKey{k}, false)
		if err == nil {
			_, err = as.Verify(alice.Handle, []auth.PasskeyKey{k})
		}
		done <- err
	}()
	addr := <-addrs
	p, err := passkeytest.Load(addr)
	if err != nil {
		t.Fatal(err)
	}
	body, err := a.Answer(p)
	if err != nil {
		t.Fatal(err)
	}
	post := func(origin string, cookie bool) int {
		req, _ := http.NewRequest(http.MethodPost, addr, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if origin != "-" {
			req.Header.Set("Origin", origin)
		}
		c := http.DefaultClient
		if cookie {
			c = p.Client
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name   string
		origin string
		cookie bool
	}{
		{"no cookie", p.Origin, false},
		{"no Origin", "-", true},
		{"a hostile page's Origin", "http://evil.example", true},
		{"another port's Origin", "http://localhost:1", true},
		{"the null Origin", "null", true},
	} {
		if got := post(tc.origin, tc.cookie); got != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, got)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("a refused request ended the ceremony: %v", err)
	default:
	}
	if got := post(p.Origin, true); got != http.StatusOK {
		t.Fatalf("the page's own answer: %d", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("the page's own answer: %v", err)
	}
}

func TestAnswerIsBounded(t *testing.T) {
	addr, done := ceremony(t, time.Minute)
	p, err := passkeytest.Load(addr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Post(bytes.Repeat([]byte("a"), passkey.MaxAnswer+1), "")
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("an answer over the bound: %v %v", resp, err)
	}
	p.Post([]byte(`{"error":"NotAllowedError"}`), "")
	<-done
}

func TestCeremonyTimesOut(t *testing.T) {
	_, done := ceremony(t, 300*time.Millisecond)
	err := <-done
	if !errors.Is(err, passkey.ErrTimeout) || fail.KindOf(err) != fail.Other {
		t.Fatalf("%v, want a timeout (exit 1)", err)
	}
}

func TestListensOnBothLoopbacks(t *testing.T) {
	addr, done := ceremony(t, time.Minute)
	u, _ := url.Parse(addr)
	_, port, _ := net.SplitHostPort(u.Host)
	for _, ip := range []string{"127.0.0.1", "::1"} {
		c, err := net.Dial("tcp", net.JoinHostPort(ip, port))
		if err != nil {
			t.Errorf("%s: %v", ip, err)
			continue
		}
		c.Close()
	}
	p, _ := passkeytest.Load(addr)
	p.Post([]byte(`{"error":"NotAllowedError"}`), "")
	<-done
}
