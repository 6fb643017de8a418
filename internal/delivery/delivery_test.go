package delivery

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var now = func() time.Time { return time.Date(2026, 11, 27, 10, 11, 12, 0, time.UTC) }

func TestRFC5322(t *testing.T) {
	m := RFC5322("accounts@kcloud.example", Message{To: "alice@example.com", Subject: "Your code", Body: "Your code is 123456.\n\nBye.\n"}, now())
	s := string(m)
	for _, want := range []string{
		"From: accounts@kcloud.example\r\n", "To: alice@example.com\r\n", "Subject: Your code\r\n",
		"Date: Fri, 27 Nov 2026 10:11:12 +0000\r\n", "MIME-Version: 1.0\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n", "\r\n\r\nYour code is 123456.\r\n\r\nBye.\r\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the message lacks %q:\n%s", want, s)
		}
	}
	if !regexp.MustCompile(`(?m)^Message-ID: <[a-z]{24}@kcloud\.example>\r$`).MatchString(s) {
		t.Errorf("Message-ID:\n%s", s)
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
		t.Error("a bare LF in the message")
	}
	if n := len(regexp.MustCompile(`(^|\D)\d{6}(\D|$)`).FindAllString(s, -1)); n != 1 {
		t.Errorf("%d six-digit numbers in the message; the code must be the only one", n)
	}
}

func TestOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	for _, email := range []bool{true, false} {
		r, err := (&Outbox{Dir: dir, Email: email, From: "k@localhost", Now: now}).Send(context.Background(), Message{To: "x", Body: "code 123456"})
		if err != nil || r.Sent || r.Method != "outbox" {
			t.Fatalf("Send = %+v, %v", r, err)
		}
		fi, _ := os.Stat(r.File)
		di, _ := os.Stat(dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Fatalf("modes %v in %v", fi.Mode(), di.Mode())
		}
		if ext := filepath.Ext(r.File); (ext == ".eml") != email {
			t.Fatalf("email=%v wrote %s", email, r.File)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://sms.example.com/send?token=s3cret":   "https://sms.example.com/…",
		"https://user:pass@sms.example.com/send#frag": "https://sms.example.com/…",
		"https://hooks.example.com/T0KEN/B0T":         "https://hooks.example.com/…",
		"http://127.0.0.1:8080":                       "http://127.0.0.1:8080",
		"::not a url":                                 "the configured URL",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandFailure(t *testing.T) {
	_, err := (&Command{Argv: []string{"sh", "-c", "echo broken >&2; exit 3"}, Now: now}).Send(context.Background(), Message{To: "+821012345678", Body: "x"})
	if err == nil || !strings.Contains(err.Error(), "delivery by command failed") || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("a failing command: %v", err)
	}
}

func TestSMTPRefusesPlainAuthBeforeConnecting(t *testing.T) {
	// 192.0.2.1 is unroutable: had kcloud dialled first, the error would
	// be the dial's, not the refusal.
	s := &SMTP{Host: "192.0.2.1", Port: 25, Username: "u", PasswordFile: "/nonexistent", TLS: "none", From: "a@b.c", Now: now, Timeout: time.Second}
	_, err := s.Send(context.Background(), Message{To: "x@y.z"})
	if err == nil || !strings.Contains(err.Error(), "refusing to send the password to 192.0.2.1 over an unencrypted connection") {
		t.Fatalf("plain AUTH to a remote host: %v", err)
	}
}

// TestWebhookFollowsNoRedirect: a 307 to another host is a failed
// delivery; neither the code nor the API key header reaches that host
// (security rule 12; finding 12).
func TestWebhookFollowsNoRedirect(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer first.Close()
	w := &Webhook{URL: first.URL + "/sms?api_key=s3cret", Headers: map[string]string{"X-Api-Key": "k3y"}}
	_, err := w.Send(context.Background(), Message{To: "+821012345678", Body: "code 123456"})
	if err == nil || !strings.Contains(err.Error(), "307") {
		t.Fatalf("a redirect: %v; want a failed delivery naming the 307", err)
	}
	if leaked.Load() != 0 {
		t.Fatal("the webhook followed the redirect to another host")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "k3y") {
		t.Fatalf("the error shows a secret: %v", err)
	}
}

// TestWebhookConnectionErrorRedacted: a refused connection names the host,
// not the token in the URL.
func TestWebhookConnectionErrorRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	_, err := (&Webhook{URL: url + "/sms?api_key=s3cret", Timeout: 5 * time.Second}).Send(context.Background(), Message{To: "+821012345678", Body: "x"})
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "/sms") {
		t.Fatalf("a connection error: %v; want one without the URL's path and token", err)
	}
}

// TestHeadersHaveNoLineBreaks: a line end in a header value cannot start
// a header of its own.
func TestHeadersHaveNoLineBreaks(t *testing.T) {
	msg := string(RFC5322("kcloud@example.com\r\nBcc: evil@example.com", Message{To: "a@example.com", Subject: "s", Body: "b"}, time.Unix(0, 0)))
	if strings.Contains(msg, "\r\nBcc:") {
		t.Fatalf("a header was injected:\n%s", msg)
	}
}

// TestCommandProgramJudged: a delivery program gets the code, so one that
// others can write, or that sits in a directory others can write, is not
// run (rule 9, as the configuration file that names it; issue 24,
// finding 3).
func TestCommandProgramJudged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "got")
	prog := filepath.Join(dir, "send")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\ncat > "+out+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	send := func() error {
		_, err := (&Command{Argv: []string{prog}, Now: time.Now}).Send(context.Background(), Message{To: "+821012345678", Body: "code 123456"})
		return err
	}
	for _, c := range []struct {
		file, dir os.FileMode
		ok        bool
	}{{0o777, 0o700, false}, {0o755, 0o777, false}, {0o755, 0o777 | os.ModeSticky, true}, {0o755, 0o755, true}} {
		os.Remove(out)
		if err := os.Chmod(prog, c.file); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, c.dir); err != nil {
			t.Fatal(err)
		}
		err := send()
		_, ran := os.Stat(out)
		if c.ok != (err == nil) || c.ok != (ran == nil) {
			t.Errorf("program %04o in a %04o directory: %v (ran: %v)", c.file, c.dir, err, ran == nil)
		}
		if err != nil && !strings.Contains(err.Error(), "refusing to run "+prog) {
			t.Errorf("the refusal does not name the program: %v", err)
		}
	}
}

// TestSMTPAnswerBounded: a server whose greeting never ends a line is read
// no further than maxSMTPRead (issue 24, finding 2: past 512 MiB).
func TestSMTPAnswerBounded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("220 "))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 64 { // 4 MiB, never a line end
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	s := &SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "a@example.com", Now: now, Timeout: 10 * time.Second}
	_, err = s.Send(context.Background(), Message{To: "b@example.com", Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "more than 1 MiB") {
		t.Fatalf("an endless greeting: %v", err)
	}
}
