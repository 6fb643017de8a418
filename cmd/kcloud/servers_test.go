package main

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kcloud/kcloud/internal/testnet"
)

// testCert makes a CA and a certificate for 127.0.0.1 and localhost
// signed by it, and leaves the CA in $WORK/ca.pem for SSL_CERT_FILE.
func testCert(ts *testscript.TestScript) tls.Certificate {
	certs, err := testnet.NewCerts(ts.MkAbs("."))
	ts.Check(err)
	return certs.Server
}

type smtpBackend struct {
	dir    string
	refuse bool
	user   string
	pass   string
	mu     sync.Mutex
	n      int
}

type smtpSession struct {
	be     *smtpBackend
	conn   *smtp.Conn
	to     string
	authed bool
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{be: b, conn: c}, nil
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.be.user || pass != s.be.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.user != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.be.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	}
	s.to = to
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.be.mu.Lock()
	s.be.n++
	n := s.be.n
	s.be.mu.Unlock()
	meta := fmt.Sprintf("tls=%v auth=%v rcpt=%s\n", isTLS, s.authed, s.to)
	os.WriteFile(filepath.Join(s.be.dir, fmt.Sprintf("%03d.meta", n)), []byte(meta), 0o644)
	return os.WriteFile(filepath.Join(s.be.dir, fmt.Sprintf("%03d.eml", n)), data, 0o644)
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// smtpserver [-tls] [-refuse] [-auth USER PASS]: a real SMTP server on
// loopback (STARTTLS offered with a test certificate; implicit TLS with
// -tls). It stores each message in $WORK/mail and sets SMTP_PORT and
// SSL_CERT_FILE.
func cmdSMTPServer(ts *testscript.TestScript, neg bool, args []string) {
	be := &smtpBackend{dir: ts.MkAbs("mail")}
	implicit := false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-tls":
			implicit = true
		case "-refuse":
			be.refuse = true
		case "-auth":
			be.user, be.pass = args[i+1], args[i+2]
			i += 2
		default:
			ts.Fatalf("usage: smtpserver [-tls] [-refuse] [-auth USER PASS]")
		}
	}
	ts.Check(os.MkdirAll(be.dir, 0o755))
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // kcloud's own rule is under test, not the server's
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{testCert(ts)}}
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	ts.Check(err)
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("SMTP_PORT", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	ts.Setenv("SSL_CERT_FILE", ts.MkAbs("ca.pem"))
}

// httpserver STATUS: a real HTTP server on loopback that answers every
// request with STATUS and stores each in $WORK/http/NNN.json as
// {"method", "path", "headers", "body"}. It sets HTTP_URL.
func cmdHTTPServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpserver STATUS")
	}
	status, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := ts.MkAbs("http")
	ts.Check(os.MkdirAll(dir, 0o755))
	var mu sync.Mutex
	n := 0
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		name := filepath.Join(dir, fmt.Sprintf("%03d.json", n))
		mu.Unlock()
		rec, _ := json.MarshalIndent(map[string]any{"method": r.Method, "path": r.URL.Path, "headers": r.Header, "body": string(body)}, "", "  ")
		os.WriteFile(name, rec, 0o644)
		w.WriteHeader(status)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("HTTP_URL", "http://"+l.Addr().String())
}

var sixDigits = regexp.MustCompile(`(^|[^0-9])([0-9]{6})([^0-9]|$)`)

// capture VAR REGEXP DIR: set VAR to the first group of REGEXP's one
// match in the newest message in DIR (a reset code in a mail), which is
// copied to $WORK/message for grep.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture VAR REGEXP DIR")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	data := newestMessage(ts, args[2])
	m := re.FindAllSubmatch(data, -1)
	if len(m) != 1 || len(m[0]) < 2 {
		ts.Fatalf("the newest message in %s matches %q %d times, want once with a group:\n%s", args[2], args[1], len(m), data)
	}
	ts.Check(os.WriteFile(ts.MkAbs("message"), data, 0o644))
	ts.Setenv(args[0], string(m[0][1]))
}

// newestMessage is the newest file in DIR but the outbox's .meta files.
func newestMessage(ts *testscript.TestScript, dir string) []byte {
	entries, err := os.ReadDir(ts.MkAbs(dir))
	ts.Check(err)
	var newest os.FileInfo
	for _, e := range entries {
		fi, err := e.Info()
		ts.Check(err)
		if filepath.Ext(e.Name()) != ".meta" && (newest == nil || fi.ModTime().After(newest.ModTime())) {
			newest = fi
		}
	}
	if newest == nil {
		ts.Fatalf("no message in %s", dir)
	}
	data, err := os.ReadFile(filepath.Join(ts.MkAbs(dir), newest.Name()))
	ts.Check(err)
	return data
}

// code VAR DIR: the newest file in DIR holds exactly one six-digit
// number; set VAR to it, as a person reading the message would. The
// message is copied to $WORK/message for grep.
func cmdCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: code VAR DIR")
	}
	data := newestMessage(ts, args[1])
	m := sixDigits.FindAllSubmatch(data, -1)
	if len(m) != 1 {
		ts.Fatalf("the newest message in %s holds %d six-digit numbers, want 1:\n%s", args[1], len(m), data)
	}
	ts.Check(os.WriteFile(ts.MkAbs("message"), data, 0o644))
	ts.Setenv(args[0], string(m[0][2]))
}

// mimedecode FILE: the email in FILE as a person's mail program shows it,
// on stdout: its Subject decoded (RFC 2047) and its body decoded by its
// Content-Transfer-Encoding, in its charset (UTF-8 only).
func cmdMIMEDecode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mimedecode FILE")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	m, err := mail.ReadMessage(f)
	ts.Check(err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	ts.Check(err)
	if _, params, err := mime.ParseMediaType(m.Header.Get("Content-Type")); err != nil || !strings.EqualFold(params["charset"], "utf-8") {
		ts.Fatalf("Content-Type %q: not text in UTF-8", m.Header.Get("Content-Type"))
	}
	var body io.Reader = m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	ts.Check(err)
	if !utf8.Valid(text) {
		ts.Fatalf("the body is not UTF-8")
	}
	ts.Stdout().Write([]byte("Subject: " + subject + "\n\n" + strings.ReplaceAll(string(text), "\r\n", "\n")))
}
