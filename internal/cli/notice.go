package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/text"
)

// noticeTimeout bounds the sending of one security notice: the change is
// made already, and the command should not hang on a mail server.
const noticeTimeout = 20 * time.Second

// notifier sends security notices by the configured email delivery
// (notify.security_alerts).
func notifier(cfg *config.Config, now func() time.Time) func(account.Notice) error {
	return func(n account.Notice) error {
		ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
		defer cancel()
		_, err := newSender(cfg, contact.Email, now).Send(ctx, noticeMessage(n))
		return err
	}
}

// noticeMessage is a security notice: what happened, when, on which
// machine, and what to do if it was not the person. No code, secret or
// setup key is in it; no six-digit number either, so nothing in it reads
// as a code.
func noticeMessage(n account.Notice) delivery.Message {
	host, err := os.Hostname()
	if err != nil || !text.Safe(host) || host == "" {
		host = "an unnamed machine"
	}
	when := n.Time.UTC().Format("Monday, 2 January 2006 at 15:04 UTC")
	body := fmt.Sprintf(`Hello %s,

%s.

When:    %s
Where:   kcloud on %s

If this was you, there is nothing to do.

If it was not you, someone may know your password: log in and change it now
(kcloud account password), check what was done (kcloud account activity),
and tell your organization's admin.

This is a security notice from kcloud; it holds no code and asks for
nothing. kcloud never asks for your password by email.
`, n.UserID, upperFirst(n.What), when, host)
	return delivery.Message{To: n.To, Subject: "kcloud security notice: " + n.What, Body: body}
}
