package config

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

// check refuses an etcd configuration kcloud could not use safely: an
// endpoint that is not a plain URL, plain http to a host that is not
// loopback (the directory holds password verifiers), a user without a
// password file, half a client certificate.
func (e *Etcd) check(bad func(key, format string, args ...any) error) error {
	if len(e.Endpoints) == 0 {
		return bad("store.etcd.endpoints", "is empty; store.backend etcd needs at least one, such as https://etcd1.example.com:2379")
	}
	if len(e.Endpoints) > 64 {
		return bad("store.etcd.endpoints", "has %d endpoints; at most 64", len(e.Endpoints))
	}
	for _, ep := range e.Endpoints {
		if err := checkEndpoint(ep); err != nil {
			return bad("store.etcd.endpoints", "%v", err)
		}
	}
	if err := text.CheckConfigured(e.Prefix, 256); err != nil {
		return bad("store.etcd.prefix", "%v", err)
	}
	if !strings.HasSuffix(e.Prefix, "/") {
		e.Prefix += "/"
	}
	switch {
	case e.Username != "" && e.PasswordFile == "":
		return bad("store.etcd.password_file", "is not set, but store.etcd.username is")
	case e.Username == "" && e.PasswordFile != "":
		return bad("store.etcd.username", "is not set, but store.etcd.password_file is")
	case (e.CertFile == "") != (e.KeyFile == ""):
		return bad("store.etcd.cert_file", "and store.etcd.key_file go together")
	case e.DialTimeout <= 0:
		return bad("store.etcd.dial_timeout", "must be a positive duration such as 5s")
	case e.RequestTimeout <= 0:
		return bad("store.etcd.request_timeout", "must be a positive duration such as 10s")
	}
	if e.Username != "" {
		if err := text.CheckConfigured(e.Username, 128); err != nil {
			return bad("store.etcd.username", "%v", err)
		}
	}
	return nil
}

// checkEndpoint accepts https://host:port, and http://host:port only when
// host is loopback.
func checkEndpoint(ep string) error {
	if err := text.CheckConfigured(ep, 512); err != nil {
		return err
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fail.Errorf("%q is not a URL such as https://etcd1.example.com:2379", ep)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fail.Errorf("%q: an endpoint is a scheme, a host and a port, nothing more", ep)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !Loopback(u.Hostname()) {
			return fail.Errorf("%q: plain http only to loopback; use https", ep)
		}
	default:
		return fail.Errorf("%q: the scheme must be https (or http to loopback)", ep)
	}
	if u.Port() == "" {
		return fail.Errorf("%q has no port (etcd's is usually 2379)", ep)
	}
	return nil
}

// checkWebhookURL refuses a webhook that would carry codes and its
// headers (an API key) across the network in the clear: https, or http
// to loopback, as the etcd endpoints. The URL itself is not quoted: its
// path or query may hold a token.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("is not a URL such as https://sms.example.com/send")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if Loopback(u.Hostname()) {
			return nil
		}
		return fail.Errorf("sends codes and headers in the clear to %s: use https (plain http only to loopback)", u.Host)
	}
	return errors.New("must be https (or http to loopback)")
}

// Loopback reports whether host names this machine without a lookup:
// "localhost" or a loopback address.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
