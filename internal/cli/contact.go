package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/fail"
)

func newContactCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contact",
		Short: "Verify a contact email address or mobile phone number",
	}
	var o verifyOptions
	verify := &cobra.Command{
		Use:   "verify email|phone ADDRESS",
		Short: "Send a code to ADDRESS, check it, and save ADDRESS as verified",
		Long: `Send a 6-digit code to ADDRESS (by email, or by SMS to a mobile number), ask
for it, and save ADDRESS as the account's verified contact once the code
matches. The old contact stays until then.

A national number without + is read as Korean: 010-1234-5678 is
+821012345678.

--send-only sends and exits; --code CODE checks a code sent earlier and sends
nothing. With delivery.*.method outbox (the default), nothing is sent: the
message is written to a file in delivery.outbox.dir, and kcloud says where.`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"email\tan email address", "phone\ta mobile phone number"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.f = f
			return verifyRun(&o, args[0], args[1])
		},
	}
	verify.Flags().StringVar(&o.code, "code", "", "check this `code`, sent earlier; send nothing")
	verify.Flags().BoolVar(&o.sendOnly, "send-only", false, "send a code and exit")
	cmd.AddCommand(verify)
	return cmd
}

type verifyOptions struct {
	f        *Factory
	code     string
	sendOnly bool
}

func verifyRun(o *verifyOptions, kindArg, addr string) error {
	f, io := o.f, o.f.IO
	kind, err := contact.ParseKind(kindArg)
	if err != nil {
		return fail.Usagef("%v", err)
	}
	t, err := contact.Parse(kind, addr)
	if err != nil {
		return fail.Usagef("%v", err)
	}
	if o.code != "" && o.sendOnly {
		return fail.Usagef("give --code or --send-only, not both")
	}
	if o.code != "" {
		if o.code, err = contact.CheckCode(o.code); err != nil {
			return fail.Usagef("--code: %v", err)
		}
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	svc, acc, _, err := f.session()
	if err != nil {
		return err
	}
	if o.code == "" && !o.sendOnly && !io.PasswordStdin && !io.CanPrompt() {
		return io.missing("the code", "send with --send-only, then check with --code CODE")
	}
	pw, err := f.password(acc)
	if err != nil {
		return err
	}
	code := o.code
	if code == "" {
		sender := newSender(cfg, kind, f.Now)
		var receipt delivery.Receipt
		sent, err := svc.SendCode(acc, pw, t, func(code string, ttl time.Duration) error {
			var err error
			receipt, err = sender.Send(context.Background(), message(kind, t.Address, code, ttl))
			return err
		})
		if err != nil {
			return err
		}
		if receipt.Sent {
			f.sayAlways("Sent a code to %s by %s. It expires in %s, at %s.", t.Masked, receipt.Method, words(sent.TTL), fmtTime(&sent.ExpiresAt))
		} else {
			f.sayAlways("Nothing was sent: delivery.%s.method is outbox. The message with the code is in %s.", deliveryKey(kind), receipt.File)
			f.sayAlways("The code expires in %s, at %s.", words(sent.TTL), fmtTime(&sent.ExpiresAt))
		}
		if o.sendOnly {
			return f.print(struct {
				Kind      string  `json:"kind"`
				Address   string  `json:"address"`
				Masked    string  `json:"masked"`
				Method    string  `json:"method"`
				Sent      bool    `json:"sent"`
				File      *string `json:"file"`
				ExpiresAt Time    `json:"expires_at"`
			}{string(kind), t.Address, t.Masked, receipt.Method, receipt.Sent, stringOrNil(receipt.File), Time(sent.ExpiresAt)}, func(*table) {})
		}
	}
	for {
		if code == "" {
			if code, err = io.Code("the code", "Code: ", "--code"); err != nil {
				return err
			}
		}
		c, err := svc.CheckCode(acc, pw, t, code)
		if fail.KindOf(err) == fail.Usage || fail.KindOf(err) == fail.Auth {
			// At a terminal, a mistyped or wrong code is asked again
			// while the code is still good.
			if o.code == "" && !io.PasswordStdin && !errors.Is(err, account.ErrCodeVoid) {
				f.sayAlways("%s", errorLine(err))
				code = ""
				continue
			}
		}
		if err != nil {
			return err
		}
		f.say("Verified %s.", c.Address)
		return f.print(struct {
			Kind       string `json:"kind"`
			Address    string `json:"address"`
			VerifiedAt Time   `json:"verified_at"`
		}{string(kind), c.Address, Time(c.VerifiedAt)}, func(*table) {})
	}
}

func errorLine(err error) string {
	if h := hint(err); h != "" {
		return err.Error() + " (" + h + ")"
	}
	return err.Error()
}

func deliveryKey(k contact.Kind) string {
	if k == contact.Email {
		return "email"
	}
	return "sms"
}

// message is the text of a verification message: the code is the only
// six-digit number in it.
func message(kind contact.Kind, to, code string, ttl time.Duration) delivery.Message {
	if kind == contact.Phone {
		return delivery.Message{To: to, Body: fmt.Sprintf("[kcloud] Your verification code is %s. It expires in %s.", code, words(ttl))}
	}
	return delivery.Message{To: to, Subject: "Your kcloud verification code",
		Body: fmt.Sprintf("Your kcloud verification code is %s.\n\nIt expires in %s. If you did not ask for it, you can ignore this message.\n", code, words(ttl))}
}

// words says a duration without long digit runs: "10 minutes".
func words(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return plural(int(d.Round(time.Second)/time.Second), "second")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func newSender(cfg *config.Config, kind contact.Kind, now func() time.Time) delivery.Sender {
	d := cfg.Delivery
	if kind == contact.Email {
		switch d.Email.Method {
		case "smtp":
			s := d.Email.SMTP
			return &delivery.SMTP{Host: s.Host, Port: s.Port, Username: s.Username, PasswordFile: s.PasswordFile, TLS: s.TLS, From: d.Email.From, Now: now}
		case "command":
			return &delivery.Command{Argv: d.Email.Command, Email: true, From: d.Email.From, Now: now}
		}
		return &delivery.Outbox{Dir: d.Outbox.Dir, Email: true, From: d.Email.From, Now: now}
	}
	switch d.SMS.Method {
	case "webhook":
		return &delivery.Webhook{URL: d.SMS.Webhook.URL, Headers: d.SMS.Webhook.Headers}
	case "command":
		return &delivery.Command{Argv: d.SMS.Command, Now: now}
	}
	return &delivery.Outbox{Dir: d.Outbox.Dir, Now: now}
}
