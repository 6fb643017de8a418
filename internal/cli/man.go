package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/config"
)

// exitCodes are the contract's exit codes with their meaning: for the
// manual pages and kcloud help exit-codes.
var exitCodes = [][2]string{
	{"0", "success"},
	{"1", "any other failure (a damaged store names the file and points to kcloud store check)"},
	{"2", "usage error or invalid input: an unknown command or flag, a malformed email or phone number, missing input with no terminal"},
	{"3", "authentication failed: a wrong password, OTP code, recovery code, reset code or verification code"},
	{"4", "locked out or rate-limited (a lockout, a disabled account or password, the resend wait, a code void after too many tries); the message says until when"},
	{"5", "login required: no session, it has expired or was ended, or the organization requires an OTP first"},
	{"6", "the store is busy or unreachable: another kcloud held it past store.lock_timeout, or the etcd cluster did not answer in time"},
	{"130", "interrupted (Ctrl-C); the terminal is left as it was found"},
	{"128+N", "ended by signal N at a prompt (SIGHUP 129, SIGQUIT 131, SIGTERM 143)"},
}

// environment is every variable kcloud reads, with what it does, in
// English.
func environment() [][2]string { return environmentIn(tr{}) }

// environmentIn is environment in w's language.
func environmentIn(w tr) [][2]string {
	env := [][2]string{
		{"KCLOUD_CONFIG", w.T("the configuration file, in place of $XDG_CONFIG_HOME/kcloud/config.yaml (--config)")},
		{"KCLOUD_NO_INPUT", w.T("1: never prompt; a missing input is an error (--no-input)")},
		{envAccessKey, w.T("an access key's token: the commands a key may run use it in place of a session and a password (it wins over the session); kcloud removes it from the environment of every program it starts")},
		{envAccessKeyFile, w.T("a file holding an access key's token, refused if other users can read it or own it; not with KCLOUD_ACCESS_KEY")},
	}
	keys := make([]string, 0, len(config.Defaults()))
	for k := range config.Defaults() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, [2]string{config.EnvName(k), keyEntry(w, k)})
	}
	return append(env,
		[2]string{"LC_ALL, LC_MESSAGES, LANG", w.T("with ui.language auto, the first of them set picks the language: Korean (ko, ko_KR.UTF-8) or English (anything else)")},
		[2]string{"NO_COLOR", w.T("when set, the QR code is not drawn unless --qr asks for it, and then without colour")},
		[2]string{"TERM", w.T("dumb: no escape sequence is written")},
		[2]string{"HOME", w.T("where the XDG directories are when they are not set")},
		[2]string{"XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME", w.T("where kcloud's files live (default ~/.config, ~/.local/share, ~/.local/state)")},
	)
}

// topicLong is the long text of the help topic named name, in w's
// language: built when shown, as the rows are translated one by one.
func topicLong(name string, w tr) string {
	if name == "exit-codes" {
		rows := make([][2]string, len(exitCodes))
		for i, e := range exitCodes {
			rows[i] = [2]string{e[0], w.T(e[1])}
		}
		return w.T("kcloud's exit codes, for scripts:") + "\n\n" + topicList(rows)
	}
	return w.T("The environment variables kcloud reads:") + "\n\n" + topicList(environmentIn(w))
}

// topicList lays out a help topic's rows: the name, and its meaning
// wrapped under it (an exit code's starts on the code's line).
func topicList(rows [][2]string) string {
	var b strings.Builder
	for _, r := range rows {
		lines := wrapColumn([]string{r[1]}, 70)
		if len(r[0]) <= 6 { // an exit code: on the line of its meaning
			b.WriteString("  " + r[0] + strings.Repeat(" ", 8-len(r[0])) + lines[0] + "\n")
			lines = lines[1:]
		} else {
			b.WriteString("  " + r[0] + "\n")
		}
		for _, line := range lines {
			b.WriteString("          " + line + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// helpTopics are kcloud help exit-codes and kcloud help environment.
func helpTopics() []*cobra.Command {
	topic := map[string]string{"topic": "yes"}
	return []*cobra.Command{
		{Use: "exit-codes", Short: "What kcloud's exit codes mean", Long: topicLong("exit-codes", tr{}), Annotations: topic,
			Example: "  kcloud help exit-codes\n  kcloud whoami >/dev/null 2>&1; [ $? -eq 5 ] && kcloud login"},
		{Use: "environment", Short: "Every environment variable kcloud reads", Long: topicLong("environment", tr{}), Annotations: topic,
			Example: "  kcloud help environment\n  KCLOUD_OUTPUT=json kcloud whoami"},
	}
}

// ManSections is the part every manual page shares, in roff: EXIT STATUS
// (the contract's codes), ENVIRONMENT and FILES. tools/gendocs puts it
// in each page.
func ManSections() string {
	var b strings.Builder
	item := func(tag, text string) {
		b.WriteString(".TP\n" + tag + "\n" + text + "\n")
	}
	b.WriteString(".SH EXIT STATUS\n")
	for _, e := range exitCodes {
		item(".B "+e[0], e[1])
	}
	b.WriteString(".SH ENVIRONMENT\n")
	for _, e := range environment() {
		item(".B "+e[0], e[1])
	}
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
