package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
)

func newContactCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contact",
		Short: "Verify a contact email address or mobile phone number",
	}
	o := &verifyOptions{deps: f.deps()}
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
		Example: `  kcloud contact verify email alice@example.com
  kcloud contact verify phone 010-1234-5678
  kcloud contact verify email alice@example.com --send-only
  kcloud contact verify email alice@example.com --code 123456`,
		Args: exactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"email\t" + msg("an email address"), "phone\t" + msg("a mobile phone number")}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.kind, o.address = args[0], args[1]
			return runCmd(f, o, verifyRun)
		},
	}
	verify.Flags().StringVar(&o.code, "code", "", "check this `code`, sent earlier; send nothing")
	verify.Flags().BoolVar(&o.sendOnly, "send-only", false, "send a code and exit")
	cmd.AddCommand(verify)
	return cmd
}

type verifyOptions struct {
	deps
	kind, address string
	code          string
	sendOnly      bool
}

func verifyRun(o *verifyOptions) error {
	f, io := &o.deps, o.IO
	kindArg, addr := o.kind, o.address
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
		if _, err = contact.ParseCode(o.code); err != nil {
			return fail.Usagef("--code: %v", err)
		}
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	v, acc, _, err := f.session()
	if err != nil {
		return err
	}
	if o.code == "" && !o.sendOnly && !io.PasswordStdin && !io.CanPrompt() {
		return io.missing("the code", word("send with --send-only, then check with --code CODE"))
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	typed := o.code
	if typed == "" {
		sender := newSender(cfg, kind, f.Now)
		var receipt delivery.Receipt
		ctx, stop := interruptible()
		sent, err := v.SendCode(pr, t, func(code string, ttl time.Duration) error {
			var err error
			receipt, err = sender.Send(ctx, message(acc.Language, kind, t.Address, code, ttl))
			if err != nil && ctx.Err() != nil {
				return context.Cause(ctx) // Ctrl-C: the command's signal exit, not a delivery failure
			}
			return err
		})
		stop()
		if fail.KindOf(err) == fail.Interrupted {
			f.sayAlways("Cancelled: the code was not delivered and is void.")
		}
		if err != nil {
			return err
		}
		if receipt.Sent {
			f.sayAlways("Sent a code to %s by %s. It expires in %s, at %s.", t.Masked, receipt.Method, f.tr().Duration(sent.TTL), f.tr().Time(&sent.ExpiresAt))
		} else {
			f.sayAlways("Nothing was sent: delivery.%s.method is outbox. The message with the code is in:", deliveryKey(kind))
			f.sayPath(receipt.File)
			f.sayAlways("The code expires in %s, at %s.", f.tr().Duration(sent.TTL), f.tr().Time(&sent.ExpiresAt))
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
		if typed == "" {
			if typed, err = io.Code("the code", "Code: ", "--code"); err != nil {
				return err
			}
		}
		var c *account.Contact
		code, err := contact.ParseCode(typed)
		if err != nil {
			err = fail.Usagef("%v", err)
		} else {
			c, err = v.CheckCode(pr, t, code)
		}
		if fail.KindOf(err) == fail.Usage || fail.KindOf(err) == fail.Auth {
			// At a terminal, a mistyped or wrong code is asked again
			// while the code is still good.
			if o.code == "" && !io.PasswordStdin && !errors.Is(err, account.ErrCodeVoid) {
				f.sayAlways("%s", errorLine(err, f.tr()))
				typed = ""
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

// errorLine is err and its hint on one line, in w's language.
func errorLine(err error, w tr) string {
	if h := hint(err, w); h != "" {
		return w.say(err) + " (" + h + ")"
	}
	return w.say(err)
}

func deliveryKey(k contact.Kind) string {
	if k == contact.Email {
		return "email"
	}
	return "sms"
}

// message is the text of a verification message: the code is the only
// six-digit number in it.
func message(lang string, kind contact.Kind, to, code string, ttl time.Duration) delivery.Message {
	w := tr{i18n.For(lang)}
	if kind == contact.Phone {
		return delivery.Message{To: to, Body: w.F("[kcloud] Your verification code is %s. It expires in %s.", code, ttl)}
	}
	return delivery.Message{To: to, Subject: w.T("Your kcloud verification code"),
		Body: w.F("Your kcloud verification code is %s.\n\nIt expires in %s. If you did not ask for it, you can ignore this message.\n", code, ttl)}
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

// interruptible returns a context that Ctrl-C (or SIGTERM, SIGHUP)
// cancels, with the signal's interruption as its cause, for work that
// waits on the network: delivery stops at once, and the command exits
// 128+N as at a prompt. stop ends the watch.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			n := 2
			if sig, ok := s.(syscall.Signal); ok {
				n = int(sig)
			}
			cancel(fail.InterruptedBy(n))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}
