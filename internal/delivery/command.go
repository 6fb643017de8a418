package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/perm"
)

// Command runs a program with the message on stdin: for email, the whole
// RFC 5322 message (sendmail -t, msmtp -t); for SMS, the text, with the
// number in KCLOUD_SMS_TO.
type Command struct {
	Argv  []string
	Email bool
	From  string
	Now   func() time.Time
}

func (c *Command) Send(ctx context.Context, m Message) (Receipt, error) {
	if len(c.Argv) == 0 {
		return Receipt{}, failed("command", "no command is configured")
	}
	// The program gets the code: judge it as the configuration file that
	// names it is judged (security rule 9), where PATH finds it.
	path, err := exec.LookPath(c.Argv[0])
	if err != nil {
		return Receipt{}, failed("command", "%v", err)
	}
	if err := perm.Check(path, false); err != nil {
		return Receipt{}, failed("command", "refusing to run %s, which would get the code: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, c.Argv[1:]...)
	cmd.Env = os.Environ()
	if c.Email {
		cmd.Stdin = bytes.NewReader(RFC5322(c.From, m, c.Now()))
	} else {
		cmd.Stdin = strings.NewReader(m.Body)
		cmd.Env = append(cmd.Env, "KCLOUD_SMS_TO="+m.To)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg != "" {
			return Receipt{}, failed("command", "%s: %v: %s", c.Argv[0], err, msg)
		}
		return Receipt{}, failed("command", "%s: %v", c.Argv[0], err)
	}
	return Receipt{Method: "command", Sent: true}, nil
}

// Webhook POSTs {"to": ..., "message": ...} as JSON; any answer but 2xx
// is a failed delivery.
type Webhook struct {
	URL     string
	Headers map[string]string
	Timeout time.Duration
}

func (w *Webhook) Send(ctx context.Context, m Message) (Receipt, error) {
	if w.URL == "" {
		return Receipt{}, failed("webhook", "delivery.sms.webhook.url is not set")
	}
	body, _ := json.Marshal(map[string]string{"to": m.To, "message": m.Body})
	if w.Timeout == 0 {
		w.Timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, failed("webhook", "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kcloud")
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	resp, err := webhookClient.Do(req)
	if err != nil {
		// A *url.Error names the URL, which may carry a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fail.Errorf("%s %s: %w", ue.Op, redact(w.URL), ue.Err)
		}
		return Receipt{}, failed("webhook", "%v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Receipt{}, failed("webhook", "%s answered %s", redact(w.URL), resp.Status)
	}
	return Receipt{Method: "webhook", Sent: true}, nil
}

// webhookClient follows no redirect: a 3xx is a failed delivery, so the
// code and the configured headers (an API key) go to the configured URL
// and nowhere else (security rule 12).
var webhookClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// redact keeps only a URL's scheme and host: its user info, path, query
// and fragment may each hold a token (a Slack-style webhook keeps it in
// the path).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	out := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}
