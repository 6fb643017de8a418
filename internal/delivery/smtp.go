package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/kcloud/kcloud/internal/perm"
)

// SMTP sends email to a submission server.
type SMTP struct {
	Host         string
	Port         int
	Username     string
	PasswordFile string // the password is read from here, never from argv
	TLS          string // starttls, tls or none
	From         string
	Now          func() time.Time
	Timeout      time.Duration
}

func (s *SMTP) Send(ctx context.Context, m Message) (Receipt, error) {
	fail := func(format string, args ...any) (Receipt, error) { return Receipt{}, failed("smtp", format, args...) }
	if s.Host == "" {
		return fail("delivery.email.smtp.host is not set")
	}
	// Refuse before connecting: the password must not cross a network in clear.
	if s.Username != "" && s.TLS == "none" && !loopback(s.Host) {
		return fail("refusing to send the password to %s over an unencrypted connection (delivery.email.smtp.tls is none)", s.Host)
	}
	if s.Timeout == 0 {
		s.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	tlsConf := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	var err error
	d := &net.Dialer{}
	if s.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fail("%v", err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// Cancelled (Ctrl-C): every read and write on the connection ends now.
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })()
	// A server's answers are a few lines; net/smtp reads a line whatever
	// its length, so a greeting with no line end would be read for ever
	// (security rule 13). The connection stops reading past a budget.
	conn = &boundedConn{Conn: conn, left: maxSMTPRead}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fail("%v", err)
	}
	defer c.Close()
	encrypted := s.TLS == "tls"
	if s.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fail("%s does not offer STARTTLS", addr)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fail("STARTTLS: %v", err)
		}
		encrypted = true
	}
	if s.Username != "" {
		if !encrypted && !loopback(s.Host) {
			return fail("refusing to send the password to %s over an unencrypted connection", s.Host)
		}
		pw, err := s.password()
		if err != nil {
			return fail("%w", err) // a refused file keeps its fix (perm.Problem)
		}
		if err := c.Auth(plainAuth{s.Username, pw, s.Host}); err != nil {
			return fail("AUTH: %v", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fail("MAIL FROM: %v", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fail("RCPT TO: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA: %v", err)
	}
	if _, err := w.Write(RFC5322(s.From, m, s.Now())); err != nil {
		return fail("DATA: %v", err)
	}
	if err := w.Close(); err != nil {
		return fail("DATA: %v", err)
	}
	c.Quit()
	return Receipt{Method: "smtp", Sent: true}, nil
}

func (s *SMTP) password() (string, error) {
	if s.PasswordFile == "" {
		return "", errors.New("delivery.email.smtp.username is set but delivery.email.smtp.password_file is not")
	}
	// Private, bounded, one line: as the etcd password file.
	return perm.ReadSecret(s.PasswordFile, 4096)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainAuth is AUTH PLAIN. net/smtp's PlainAuth would do, but it decides
// "encrypted" by itself; kcloud's rule (TLS, or loopback) is checked
// above, in one place.
type plainAuth struct{ user, pass, host string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// maxSMTPRead is the most a server may send in one delivery.
const maxSMTPRead = 1 << 20

var errSMTPTooMuch = errors.New("the server sent more than 1 MiB; an SMTP answer is a few lines")

// boundedConn reads at most left bytes.
type boundedConn struct {
	net.Conn
	left int64
}

func (c *boundedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errSMTPTooMuch
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}
