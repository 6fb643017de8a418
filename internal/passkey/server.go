package passkey

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// The loopback page (security rule 16). kcloud listens on 127.0.0.1 and
// ::1 at one port, so that "localhost" reaches it whichever address the
// browser tries first, and serves one page at a one-time path of 256
// random bits:
//
//   - only the Host localhost:PORT is answered (no other name, so a DNS
//     rebinding page gets nothing);
//   - on Linux, only connections whose other end belongs to this user
//     (peerIsOurs): another local user who reads the address from ps
//     gets nothing;
//   - the first GET of the path uses it up: it returns the page and sets
//     an HttpOnly SameSite=Strict cookie; a second GET is 404;
//   - the answer is a POST to the path carrying that cookie and Origin
//     http://localhost:PORT; another origin, no cookie, a wrong one, or a
//     body over MaxAnswer is refused and the ceremony goes on;
//   - the first answer with the cookie ends the ceremony, and nothing is
//     served after it.
//
// The page loads nothing from anywhere (Content-Security-Policy
// default-src 'none', its one script and style by nonce).

const cookieName = "kcloud_ceremony"

// answer is what the page posts: the credential, or the name of the
// error the browser gave (NotAllowedError: the person cancelled).
type answer struct {
	Credential json.RawMessage `json:"credential"`
	Error      string          `json:"error"`
}

type server struct {
	host, origin, path, cookie string
	page                       []byte
	csp                        string
	finish                     func([]byte) error

	mu     sync.Mutex
	served bool // the path is used up
	ended  bool
	done   chan error
}

// listenBoth listens on 127.0.0.1 and ::1 at one port.
func listenBoth() (v4, v6 net.Listener, err error) {
	for range 20 {
		if v4, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		port := v4.Addr().(*net.TCPAddr).Port
		if v6, err = net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
			return v4, v6, nil
		}
		v4.Close()
	}
	return nil, nil, err
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) } // escapes <, > and & for the page

// serve runs one ceremony of kind ("create" or "get"): build makes the
// options for the origin and the check of the answer.
func serve(ctx context.Context, c Ceremony, kind string, build func(origin string) ([]byte, func([]byte) error, error)) error {
	v4, v6, err := listenBoth()
	if err != nil {
		return fail.Errorf("cannot listen on localhost (127.0.0.1 and ::1 at one port) for the passkey page: %v", err)
	}
	port := v4.Addr().(*net.TCPAddr).Port
	s := &server{
		host:   "localhost:" + strconv.Itoa(port),
		path:   "/" + random(32),
		cookie: random(32),
		done:   make(chan error, 1),
	}
	s.origin = "http://" + s.host
	options, finish, err := build(s.origin)
	if err != nil {
		v4.Close()
		v6.Close()
		return fail.Errorf("cannot start the passkey ceremony: %v", err)
	}
	s.finish = finish
	nonce := random(18)
	s.csp = "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if s.page, err = page(kind, options, nonce, c.Page); err != nil {
		v4.Close()
		v6.Close()
		return err
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
	hs.SetKeepAlivesEnabled(false)
	go hs.Serve(sameUser{v4})
	go hs.Serve(sameUser{v6})
	defer hs.Close()

	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	if c.Ready != nil {
		c.Ready(s.origin + s.path)
	}
	select {
	case err := <-s.done:
		return err
	case <-timer.C:
		s.end()
		return fail.Mark(fail.Other, ErrTimeout, "no answer from the browser in %s (passkey.timeout): the passkey ceremony ended", timeout)
	case <-ctx.Done():
		s.end()
		return context.Cause(ctx)
	}
}

// end closes the ceremony: nothing is answered after it.
func (s *server) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Host != s.host {
		http.Error(w, "this page answers only "+s.host, http.StatusMisdirectedRequest)
		return
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended || subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(s.path)) != 1 {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		used := s.served
		s.served = true
		s.mu.Unlock()
		if used {
			http.NotFound(w, r)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.cookie, Path: s.path, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		h.Set("Content-Security-Policy", s.csp)
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.Write(s.page)
	case http.MethodPost:
		s.answer(w, r)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *server) answer(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(cookieName)
	switch {
	case r.Header.Get("Origin") != s.origin:
		http.Error(w, "wrong origin", http.StatusForbidden)
		return
	case err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(s.cookie)) != 1:
		http.Error(w, "this ceremony's page did not send this", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxAnswer))
	if err != nil {
		http.Error(w, "the answer is too long", http.StatusRequestEntityTooLarge)
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	s.ended = true
	s.mu.Unlock()
	var a answer
	err = json.Unmarshal(body, &a)
	switch {
	case err != nil:
		err = fail.Authf("the passkey page sent an answer kcloud cannot read: %v", err)
	case a.Error != "":
		err = fail.Mark(fail.Auth, ErrCancelled, "the browser ended the passkey ceremony (%s): it was cancelled, timed out, or no passkey of this account was there", errorName(a.Error))
	case len(a.Credential) == 0:
		err = fail.Authf("the passkey page sent no credential")
	default:
		err = s.finish(a.Credential)
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]bool{"ok": false})
	} else {
		json.NewEncoder(w).Encode(map[string]bool{"ok": true})
	}
	s.done <- err
}

// errorName keeps of a browser's error name only what a DOMException
// name can be, so that a page says nothing odd to the terminal.
func errorName(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return "error"
		}
	}
	return s
}

// sameUser refuses, at accept, connections from another user's socket.
type sameUser struct{ net.Listener }

func (l sameUser) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if peerIsOurs(c) {
			return c, nil
		}
		c.Close()
	}
}
