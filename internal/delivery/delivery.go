// Package delivery sends verification messages: to an outbox directory
// (nothing leaves the machine), by SMTP or a sendmail-like command for
// email, by an HTTP webhook or a command for SMS. Every sender is one
// small interface; a failure says which method failed and why.
package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
)

// Message is one message to one address.
type Message struct {
	To      string // an email address, or a number in E.164
	Subject string // email only
	Body    string
}

// Receipt says what became of a message.
type Receipt struct {
	Method string // outbox, smtp, command, webhook
	Sent   bool   // false for the outbox: nothing left the machine
	File   string // the outbox file
}

// Sender delivers messages one way.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Error is a failed delivery.
type Error struct {
	Method string
	Err    error
}

func (e *Error) Error() string { return e.Message().In(fail.English) }
func (e *Error) Message() fail.Message {
	return fail.Message{Format: "delivery by %s failed: %v", Args: []any{e.Method, e.Err}}
}
func (e *Error) Unwrap() error { return e.Err }

func failed(method string, format string, args ...any) error {
	return &Error{Method: method, Err: fail.Errorf(format, args...)}
}

// Outbox writes each message as a file, mode 0600: ".eml" (a whole RFC
// 5322 message) for email, ".txt" for SMS.
type Outbox struct {
	Dir   string
	Email bool
	From  string // for the email headers
	Now   func() time.Time
}

func (o *Outbox) Send(_ context.Context, m Message) (Receipt, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return Receipt{}, failed("outbox", "%v", err)
	}
	ext, data := ".txt", []byte("To: "+m.To+"\n\n"+m.Body)
	if o.Email {
		ext, data = ".eml", RFC5322(o.From, m, o.Now())
	}
	name := filepath.Join(o.Dir, o.Now().UTC().Format("20060102T150405Z")+"-"+token(8)+ext)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Receipt{}, failed("outbox", "%v", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return Receipt{}, failed("outbox", "%v", err)
	}
	return Receipt{Method: "outbox", File: name}, nil
}

// token returns n random letters: names and message IDs with no digits,
// so the code stays the only six-digit number in a message.
func token(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// RFC5322 formats an email: Date, Message-ID, a plain-text body with
// CRLF line ends.
func RFC5322(from string, m Message, now time.Time) []byte {
	domain := "localhost"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = strings.TrimSuffix(from[at+1:], ">")
	}
	var b bytes.Buffer
	// Header values come from validated addresses; a line end in one
	// would start a header of its own (a Bcc:), so it is never written.
	h := func(k, v string) {
		b.WriteString(k + ": " + strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, v) + "\r\n")
	}
	h("From", from)
	h("To", m.To)
	h("Subject", mime.BEncoding.Encode("utf-8", m.Subject)) // RFC 2047 where it is not ASCII
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+token(24)+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.TrimRight(m.Body, "\n")+"\n", "\n", "\r\n"))
	return b.Bytes()
}
