package cli

import (
	"slices"
	"strings"

	"github.com/kcloud/kcloud/internal/config"
)

// ManSections is the part every manual page shares, in roff: EXIT STATUS
// (the contract's codes), ENVIRONMENT and FILES. tools/gendocs puts it
// in each page.
func ManSections() string {
	var b strings.Builder
	item := func(tag, text string) {
		b.WriteString(".TP\n" + tag + "\n" + text + "\n")
	}
	b.WriteString(".SH EXIT STATUS\n")
	for _, e := range [][2]string{
		{"0", "success"},
		{"1", "any other failure (a damaged store names the file and points to kcloud store check)"},
		{"2", "usage error or invalid input: an unknown command or flag, a malformed email or phone number, missing input with no terminal"},
		{"3", "authentication failed: a wrong password, OTP code, recovery code or verification code"},
		{"4", "locked out or rate-limited; the message says until when"},
		{"5", "login required: no session, or it has expired"},
		{"6", "the store is busy or unreachable: another kcloud held it past store.lock_timeout, or the etcd cluster did not answer in time"},
		{"130", "interrupted (Ctrl-C); the terminal is left as it was found"},
		{"128+N", "ended by signal N at a prompt (SIGHUP 129, SIGQUIT 131, SIGTERM 143)"},
	} {
		item(".B "+e[0], e[1])
	}
	b.WriteString(".SH ENVIRONMENT\n")
	item(".B KCLOUD_CONFIG", "the configuration file, in place of $XDG_CONFIG_HOME/kcloud/config.yaml (--config)")
	item(".B KCLOUD_NO_INPUT", "1: never prompt; a missing input is an error (--no-input)")
	keys := make([]string, 0, len(config.Defaults()))
	for k := range config.Defaults() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		item(".B "+config.EnvName(k), "sets the configuration key "+k+" (flag, then environment, then file, then default)")
	}
	item(".B NO_COLOR", "when set, the QR code is not drawn unless --qr asks for it")
	item(".B TERM", "dumb: no escape sequence is written")
	item(".B XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME", "where the files below live (default ~/.config, ~/.local/share, ~/.local/state)")
	b.WriteString(".SH FILES\n")
	for _, f := range [][2]string{
		{"$XDG_CONFIG_HOME/kcloud/config.yaml", "the configuration; refused if another user owns it or can write it"},
		{"$XDG_DATA_HOME/kcloud/kcloud.db", "the store (store.path): a bbolt file, 0600 in a 0700 directory"},
		{"$XDG_STATE_HOME/kcloud/session.db", "this machine's session when the store is on etcd (session.path)"},
		{"$XDG_STATE_HOME/kcloud/outbox/", "messages with codes, when delivery is outbox (delivery.outbox.dir)"},
	} {
		item(".I "+f[0], f[1])
	}
	return strings.ReplaceAll(b.String(), "-", "\\-")
}
