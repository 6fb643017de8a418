package cli

import (
	"fmt"
	"strings"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
)

// keyHelp is what each configuration key does, for `help environment` and
// the manual pages: its variable's entry says it, the default, and the
// flag that sets it, if one does. The security policy's keys are said by
// the policy's own table (account.PolicyHelp). TestEveryKeyHasHelp keeps
// it whole.
var keyHelp = map[string]struct{ meaning, flag string }{
	"store.backend":                     {msg("the store: bbolt (a local file) or etcd (an organization's directory on an etcd cluster)"), ""},
	"store.path":                        {msg("the bbolt store file"), "--store"},
	"store.lock_timeout":                {msg("how long to wait for another kcloud holding the store; past it, exit 6"), ""},
	"store.etcd.endpoints":              {msg("the etcd members, https://host:port, comma-separated"), ""},
	"store.etcd.prefix":                 {msg("the prefix of every key kcloud writes on etcd"), ""},
	"store.etcd.username":               {msg("the etcd user; none means the cluster has no auth"), ""},
	"store.etcd.password_file":          {msg("a file holding the etcd password, readable by no one else"), ""},
	"store.etcd.ca_file":                {msg("the PEM CA of the etcd members' certificates; none: the system's roots"), ""},
	"store.etcd.cert_file":              {msg("a client certificate for etcd"), ""},
	"store.etcd.key_file":               {msg("the client certificate's key"), ""},
	"store.etcd.dial_timeout":           {msg("each connection to an etcd member"), ""},
	"store.etcd.request_timeout":        {msg("a whole etcd transaction, retries included; past it, exit 6"), ""},
	"session.path":                      {msg("with etcd, where this machine keeps its session"), ""},
	"output":                            {msg("text, json or yaml"), "-o"},
	"otp.issuer":                        {msg("the issuer an authenticator app shows"), ""},
	"passkey.timeout":                   {msg("how long a passkey ceremony waits for the browser (30s to 10m)"), ""},
	"ui.language":                       {msg("the language of text for people: auto, en or ko"), "--ui-language"},
	"security.argon2.memory":            {msg("Argon2id memory in KiB, not below 19456"), ""},
	"security.argon2.time":              {msg("Argon2id passes, not below 2"), ""},
	"security.argon2.threads":           {msg("Argon2id lanes, not below 1"), ""},
	"delivery.email.method":             {msg("how email goes out: outbox, smtp or command"), ""},
	"delivery.email.from":               {msg("the sender address of email"), ""},
	"delivery.email.smtp.host":          {msg("the SMTP submission server"), ""},
	"delivery.email.smtp.port":          {msg("the SMTP server's port"), ""},
	"delivery.email.smtp.username":      {msg("the SMTP AUTH user; none means no AUTH"), ""},
	"delivery.email.smtp.password_file": {msg("a file holding the SMTP password, readable by no one else"), ""},
	"delivery.email.smtp.tls":           {msg("starttls, tls or none (none only to loopback with AUTH)"), ""},
	"delivery.email.command":            {msg("a program that gets each whole email on stdin"), ""},
	"delivery.sms.method":               {msg("how SMS goes out: outbox, webhook or command"), ""},
	"delivery.sms.webhook.url":          {msg("where to POST each SMS as JSON"), ""},
	"delivery.sms.webhook.headers":      {msg("headers for the SMS webhook, a JSON object"), ""},
	"delivery.sms.command":              {msg("a program that gets each SMS on stdin, the number in KCLOUD_SMS_TO"), ""},
	"delivery.outbox.dir":               {msg("where outbox delivery writes messages (0600 files)"), ""},
	"notify.security_alerts":            {msg("send security alerts to the verified email and phone: true or false"), ""},
}

// keyDefault is key's default as the help says it: paths by their XDG
// variable, so that the manual pages are the same on every machine.
func keyDefault(w tr, key string) string {
	switch key {
	case "store.path":
		return "$XDG_DATA_HOME/kcloud/kcloud.db"
	case "session.path":
		return "$XDG_STATE_HOME/kcloud/session.db"
	case "delivery.outbox.dir":
		return "$XDG_STATE_HOME/kcloud/outbox"
	}
	switch v := config.Defaults()[key].(type) {
	case string:
		if v != "" {
			return v
		}
	case []string:
		if len(v) > 0 {
			return strings.Join(v, " ")
		}
	case map[string]string:
	default:
		return fmt.Sprint(v)
	}
	return w.T("none")
}

// keyEntry is the help of key's variable in w's language.
func keyEntry(w tr, key string) string {
	h := keyHelp[key]
	if h.meaning == "" {
		h.meaning = account.PolicyHelp(key)
	}
	s := w.T(h.meaning) + "; " + w.F("default %s", keyDefault(w, key))
	if h.flag != "" {
		s += "; " + w.F("the flag %s wins over it", h.flag)
	}
	return s
}
