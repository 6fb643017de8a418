//go:build linux

package main

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tour records everything a full tour shows: the argv of every run and
// everything written to stdout and stderr.
type tour struct {
	t      *testing.T
	env    []string
	argvs  []string
	output bytes.Buffer
	seen   []string // outbox files already read
}

func (tr *tour) run(stdin string, args ...string) string {
	tr.t.Helper()
	tr.argvs = append(tr.argvs, strings.Join(args, " "))
	c := exec.Command(kcloudBin(tr.t), args...)
	c.Env, c.Stdin = tr.env, strings.NewReader(stdin)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	tr.output.Write(out.Bytes())
	if err != nil {
		tr.t.Fatalf("kcloud %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// verify sends a code and types it as the second line of stdin, read off
// the outbox the way a person reads the message.
func (tr *tour) verify(kind, addr, pw string) string {
	tr.t.Helper()
	args := []string{"contact", "verify", kind, addr, "--password-stdin"}
	tr.argvs = append(tr.argvs, strings.Join(args, " "))
	c := exec.Command(kcloudBin(tr.t), args...)
	c.Env = tr.env
	in, _ := c.StdinPipe()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		tr.t.Fatal(err)
	}
	io.WriteString(in, pw+"\n")
	outbox := filepath.Join(strings.TrimPrefix(tr.env[0], "HOME="), ".local/state/kcloud/outbox")
	var code string
	for deadline := time.Now().Add(waitLimit); code == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		entries, _ := os.ReadDir(outbox)
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(outbox, e.Name()))
			if strings.Contains(strings.Join(tr.seen, " "), e.Name()) {
				continue
			}
			if m := regexp.MustCompile(`code is (\d{6})`).FindSubmatch(data); m != nil {
				code = string(m[1])
				tr.seen = append(tr.seen, e.Name())
			}
		}
	}
	if code == "" {
		tr.t.Fatalf("no code arrived for %s", addr)
	}
	io.WriteString(in, code+"\n")
	in.Close()
	err := c.Wait()
	tr.output.Write(out.Bytes())
	if err != nil {
		tr.t.Fatalf("contact verify %s: %v\n%s", addr, err, out.String())
	}
	return code
}

// TestNoSecretLeaks: after a whole tour, neither the store file, nor
// anything kcloud printed, nor any argv holds a password, the TOTP secret
// (bytes or Base32), a recovery code or a verification code. What is
// shown on purpose is left out of the scan: the setup key and the
// recovery codes on the terminal during registration (shown once, by
// design), and the outbox, which holds the messages.
func TestNoSecretLeaks(t *testing.T) {
	tr := &tour{t: t, env: newHome(t)}
	pw2 := "a second passphrase"
	tr.run(password+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	tr.run(password+"\n", "login", "--password-stdin")

	// OTP registration at a terminal: the setup key is read off the screen.
	s := start(t, tr.env, "otp", "register", "--qr", "none")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Code: ")
	key := regexp.MustCompile(`Setup key: ((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})`).FindStringSubmatch(s.screen())
	if key == nil {
		t.Fatalf("no setup key:\n%s", s.screen())
	}
	code, _ := totpCode(key[1], 0)
	s.typeLine(code)
	if c := s.wait(); c != 0 {
		t.Fatalf("otp register: exit %d\n%s", c, s.screen())
	}
	s.expect("Keep these recovery codes")
	recovery := s.expectAll(recoveryCode, 10)
	tr.argvs = append(tr.argvs, "otp register --qr none")

	// Log in again with the next code, typed as the second line of stdin.
	tr.run("", "logout")
	next, _ := totpCode(key[1], 1)
	tr.run(password+"\n"+next+"\n", "login", "--password-stdin")
	emailCode := tr.verify("email", "alice@example.com", password)
	phoneCode := tr.verify("phone", "010-1234-5678", password)
	tr.run(password+"\n"+pw2+"\n", "account", "password", "--password-stdin")
	tr.run(pw2+"\n"+recovery[0][1]+"\n", "otp", "delete", "--password-stdin")
	page := tr.run(pw2+"\n", "account", "show", "--password-stdin", "-o", "json")
	if !strings.Contains(page, `"registered": false`) || !strings.Contains(page, `"number": "+821012345678"`) {
		t.Fatalf("the tour did not end where it should:\n%s", page)
	}

	storeFile, err := os.ReadFile(storePath(tr.env))
	if err != nil {
		t.Fatal(err)
	}
	b32 := strings.ReplaceAll(key[1], " ", "")
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	secrets := map[string][]byte{
		"the first password":            []byte(password),
		"the second password":           []byte(pw2),
		"the TOTP secret's bytes":       raw,
		"the TOTP secret in Base32":     []byte(b32),
		"the TOTP secret in lower case": []byte(strings.ToLower(b32)),
		"the email verification code":   []byte(emailCode),
		"the phone verification code":   []byte(phoneCode),
	}
	for i, rc := range recovery {
		secrets[fmt.Sprintf("recovery code %d", i)] = []byte(rc[1])
		secrets[fmt.Sprintf("recovery code %d without dashes", i)] = []byte(strings.ReplaceAll(rc[1], "-", ""))
	}
	places := map[string][]byte{
		"the store file":        storeFile,
		"kcloud's output":       tr.output.Bytes(),
		"the argv of every run": []byte(strings.Join(tr.argvs, "\n")),
	}
	for place, hay := range places {
		for what, needle := range secrets {
			if bytes.Contains(hay, needle) {
				t.Errorf("%s holds %s", place, what)
			}
		}
	}
	// The scan saw something: the store holds the account, the output the page.
	if !bytes.Contains(storeFile, []byte("alice")) || tr.output.Len() == 0 || len(tr.argvs) < 8 {
		t.Fatal("the scan had nothing to look at")
	}
}
