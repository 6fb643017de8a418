package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"

	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/perm"
	"github.com/kcloud/kcloud/internal/store"
)

// openEtcd returns the etcd backend the configuration describes. The
// password comes from a file only other users cannot read; it never
// passes through argv or the environment.
func openEtcd(cfg *config.Config) (*store.Etcd, error) {
	e := cfg.Store.Etcd
	o := store.EtcdOptions{
		Endpoints:      e.Endpoints,
		Prefix:         e.Prefix,
		Username:       e.Username,
		DialTimeout:    e.DialTimeout,
		RequestTimeout: e.RequestTimeout,
	}
	if e.PasswordFile != "" {
		pw, err := readSecretFile("store.etcd.password_file", e.PasswordFile)
		if err != nil {
			return nil, err
		}
		o.Password = pw
	}
	if e.CAFile != "" || e.CertFile != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if e.CAFile != "" {
			pem, err := readFile("store.etcd.ca_file", e.CAFile, 1<<20)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fail.Usagef("configuration: store.etcd.ca_file: %s holds no PEM certificate", e.CAFile)
			}
		}
		if e.CertFile != "" {
			if err := checkPrivate("store.etcd.key_file", e.KeyFile); err != nil {
				return nil, err
			}
			// Read whole, each bounded (security rule 13): a cert_file of
			// /dev/zero would be read for ever by tls.LoadX509KeyPair.
			certPEM, err := readFile("store.etcd.cert_file", e.CertFile, 1<<20)
			if err != nil {
				return nil, err
			}
			keyPEM, err := readFile("store.etcd.key_file", e.KeyFile, 1<<20)
			if err != nil {
				return nil, err
			}
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			clear(keyPEM)
			if err != nil {
				return nil, fail.Usagef("configuration: store.etcd.cert_file and key_file: %v", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		o.TLS = tc
	}
	return store.OpenEtcd(o), nil
}

// readSecretFile reads a one-line secret from a file that only its owner
// can read.
func readSecretFile(key, path string) (string, error) {
	pw, err := perm.ReadSecret(path, 4096)
	var p *perm.Problem
	if errors.As(err, &p) {
		return "", checkPrivate(key, path)
	}
	if err != nil {
		return "", fail.Usagef("configuration: %s: %v", key, err)
	}
	return pw, nil
}

func checkPrivate(key, path string) error {
	err := perm.Check(path, true)
	var p *perm.Problem
	if errors.As(err, &p) {
		e := fail.Wrap(fail.Other, p, "refusing %s %s", key, path)
		if p.Fix != "" {
			e = e.WithHint("%s", p.Fix)
		}
		return e
	}
	return nil
}

// readFile reads at most limit bytes of path (security rule 13).
func readFile(key, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fail.Usagef("configuration: %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fail.Usagef("configuration: %s: %v", key, err)
	}
	if int64(len(b)) > limit {
		return nil, fail.Usagef("configuration: %s: %s is larger than %d bytes", key, path, limit)
	}
	return b, nil
}
