package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// testDeps is what a command's options hold, built by a test without a
// Factory: an account service on a store in memory, the output format
// given, and In as standard input (--password-stdin).
type testDeps struct {
	deps
	out, errOut *bytes.Buffer
}

func newTestDeps(svc *account.Service, format, in string) *testDeps {
	io, out, errOut := Test(in)
	io.PasswordStdin = true
	cfg := &config.Config{Output: format}
	return &testDeps{deps: deps{
		IO:      io,
		Now:     svc.Now,
		Config:  func() (*config.Config, error) { return cfg, nil },
		Store:   func() (*store.Store, error) { return svc.Store, nil },
		Service: func() (*account.Service, error) { return svc, nil },
	}, out: out, errOut: errOut}
}

// TestRunFunctions runs commands' run functions on options a test made,
// as the gh shape lets (no Factory, no flags, no configuration file, no
// bbolt): init, login, whoami, account set and show, logout, each on the
// memory store the one before wrote.
func TestRunFunctions(t *testing.T) {
	svc := &account.Service{Store: store.New(store.NewMemory()), Now: time.Now, Params: secret.Minimum, Issuer: "KakaoCloud"}
	d := func(format, in string) *testDeps { return newTestDeps(svc, format, in) }

	in := d("json", testPassword+"\n")
	given := map[string]bool{"org-name": true, "user-id": true, "name": true}
	if err := initRun(&initOptions{deps: in.deps, orgName: "Acme", profile: account.Profile{UserID: "alice", Name: "Alice"}, flagSet: func(f string) bool { return given[f] }}); err != nil {
		t.Fatalf("init: %v\n%s", err, in.errOut)
	}
	lo := d("json", testPassword+"\n")
	if err := loginRun(&loginOptions{deps: lo.deps, userID: "alice"}); err != nil || !strings.Contains(lo.out.String(), `"user_id": "alice"`) {
		t.Fatalf("login: %v\n%s%s", err, lo.out, lo.errOut)
	}
	who := d("text", "")
	if err := whoamiRun(&whoamiOptions{deps: who.deps}); err != nil || !strings.Contains(who.out.String(), "alice") {
		t.Fatalf("whoami: %v\n%s", err, who.out)
	}
	set := d("json", testPassword+"\n")
	name := "Alice Kim"
	if err := accountSetRun(&setOptions{deps: set.deps, name: name, changed: func(f string) bool { return f == "name" }}); err != nil {
		t.Fatalf("account set: %v\n%s", err, set.errOut)
	}
	show := d("json", testPassword+"\n")
	if err := accountShowRun(&accountShowOptions{deps: show.deps}); err != nil {
		t.Fatalf("account show: %v", err)
	}
	var page struct {
		Name   string `json:"name"`
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(show.out.Bytes(), &page); err != nil || page.Name != name || page.UserID != "alice" {
		t.Fatalf("account show after set: %+v, %v\n%s", page, err, show.out)
	}
	wrong := d("json", "not the password\n")
	if err := accountShowRun(&accountShowOptions{deps: wrong.deps}); exitCode(err) != ExitAuth || wrong.out.Len() != 0 {
		t.Fatalf("account show with a wrong password: %v (exit %d), stdout %q", err, exitCode(err), wrong.out)
	}
	out := d("text", "")
	if err := logoutRun(&logoutOptions{deps: out.deps}); err != nil {
		t.Fatal(err)
	}
	after := d("text", "")
	if err := whoamiRun(&whoamiOptions{deps: after.deps}); exitCode(err) != ExitLoginRequired {
		t.Fatalf("whoami after logout: %v, want exit %d", err, ExitLoginRequired)
	}
}
