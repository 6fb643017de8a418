package cli

import (
	"context"
	"os"
	"regexp"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/i18n"
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
		if n.Phone {
			_, err := newSender(cfg, contact.Phone, now).Send(ctx, smsNotice(n))
			return err
		}
		_, err := newSender(cfg, contact.Email, now).Send(ctx, noticeMessage(n))
		return err
	}
}

// noticeMessage is a security notice, in the account's language: what
// happened, when, on which machine, and what to do if it was not the
// person. No code, secret or setup key is in it; no six-digit number
// either, so nothing in it reads as a code.
func noticeMessage(n account.Notice) delivery.Message {
	w := tr{i18n.For(n.Language)}
	host, err := os.Hostname()
	if err != nil || !text.Safe(host) || host == "" {
		host = w.T("an unnamed machine")
	}
	what := unlikeCode(n.What.In(w))
	said := upperFirst(what)
	if next, ok := noticeNext[n.Event]; ok {
		said += ".\n\n" + w.T(next)
	}
	if n.Held > 0 {
		said += ".\n\n" + w.N("%d more alert of this kind was held back since %s (kcloud sends one every 10 minutes at most); kcloud account activity lists every event",
			"%d more alerts of this kind were held back since %s (kcloud sends one every 10 minutes at most); kcloud account activity lists every event",
			n.Held, n.Held, noticeTime(n.HeldSince))
	}
	body := w.F(`Hello %s,

%s.

When:    %s
Where:   kcloud on %s

If this was you, there is nothing to do.

If it was not you, someone may know your password: log in and change it now
(kcloud account password), check what was done (kcloud account activity),
and tell your organization's admin.

This is a security notice from kcloud; it holds no code and asks for
nothing. kcloud never asks for your password by email.
`, unlikeCode(n.UserID), said, noticeTime(n.Time), unlikeCode(host))
	return delivery.Message{To: n.To, Subject: w.F("kcloud security notice: %s", what), Body: body}
}

// noticeNext is what to do after an event that leaves the person unable to
// log in as before: the domain says what happened, the command line which
// command helps.
var noticeNext = map[string]string{
	account.EvPWDisabled:     msg("Set a new one with kcloud account recover, or ask an admin for a reset"),
	account.EvMemberOTPReset: msg("Register one again with kcloud otp register or kcloud passkey register"),
	account.EvMemberPWReset:  msg("Set a new password with kcloud account recover --reset-code and the code from your admin"),
}

// noticeTime is when a notice's event happened, as a message argument:
// "Monday, 2 January 2006 at 15:04 UTC", or in Korean "2026년 12월 2일
// 19:11 KST".
type noticeTime time.Time

// smsNotice is a security notice by SMS: what happened, and what to do if
// it was not the person, in one short text.
func smsNotice(n account.Notice) delivery.Message {
	w := tr{i18n.For(n.Language)}
	what := n.What.In(w)
	if next, ok := noticeNext[n.Event]; ok {
		what += ". " + w.T(next)
	}
	return delivery.Message{To: n.To, Body: w.F("[kcloud] %s: %s. Not you? Change your password (kcloud account password) and tell your admin.",
		unlikeCode(n.UserID), unlikeCode(what))}
}

// sixDigits is a run of exactly six digits: what reads as a code.
var sixDigits = regexp.MustCompile(`(^|[^0-9])([0-9]{6})([^0-9]|$)`)

// unlikeCode writes a run of exactly six digits in a name, a User ID or
// a machine's name as two groups of three ("654 321"), so that no number
// in a message can be taken for a code: a code message holds the code as
// its only six-digit number, and a notice holds none (the contract).
func unlikeCode(s string) string {
	for {
		m := sixDigits.FindStringSubmatchIndex(s)
		if m == nil {
			return s
		}
		i := m[4] // the run
		s = s[:i+3] + " " + s[i+3:]
	}
}
