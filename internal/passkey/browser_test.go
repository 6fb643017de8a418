package passkey_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/kcloud/kcloud/internal/auth"
	"github.com/kcloud/kcloud/internal/passkey"
)

// TestChromium runs the page's own script in a real browser: headless
// Chromium with the DevTools protocol's virtual authenticator (a CTAP2
// authenticator with a resident key and user verification), through a
// registration and a login that verifies the person. CI installs
// Debian's chromium and sets KCLOUD_REQUIRE_CHROMIUM=1, so that there the
// test fails rather than skips.
func TestChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("KCLOUD_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("no chromium on PATH, and KCLOUD_REQUIRE_CHROMIUM=1")
		}
		t.Skip("no chromium on PATH: install Debian's chromium package to run the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
	}
	if os.Getuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Debian's chromium runs headless as root only so
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	f := false
	if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{EnableUI: &f}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	}); err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}

	// The browser visits each address the ceremony gives, and the test
	// reads what the page said at the end.
	visit := func() (passkey.Ceremony, func() string) {
		said := make(chan string, 1)
		c := passkey.Ceremony{Timeout: time.Minute, Ready: func(addr string) {
			go func() {
				if err := chromedp.Do(ctx, chromedp.Navigate(addr)); err != nil {
					said <- "navigate: " + err.Error()
					return
				}
				s, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const s = document.getElementById("say").textContent; return s.startsWith("Done") || s.startsWith("kcloud refused") ? s : null })()`))
				if err != nil {
					s = "poll: " + err.Error()
				}
				said <- s
			}()
		}}
		return c, func() string { return <-said }
	}

	c, said := visit()
	k, err := passkey.Register(ctx, c, alice, nil)
	if err != nil {
		t.Fatalf("register in chromium: %v (the page: %s)", err, said())
	}
	if s := said(); !strings.HasPrefix(s, "Done") {
		t.Fatalf("after the registration the page says %q", s)
	}
	if !k.UserVerified || len(k.ID) == 0 {
		t.Fatalf("registered %+v", k)
	}

	// A login that requires user verification: the passkey alone.
	c, said = visit()
	as, err := passkey.Assert(ctx, c, &alice, []auth.PasskeyKey{k}, true)
	if err != nil {
		t.Fatalf("login in chromium: %v (the page: %s)", err, said())
	}
	said()
	use, err := as.Verify(alice.Handle, []auth.PasskeyKey{k})
	if err != nil || !use.UserVerified {
		t.Fatalf("the login's answer: %+v, %v", use, err)
	}

	// A discoverable login: no User ID, the user handle names the account.
	c, said = visit()
	as, err = passkey.Assert(ctx, c, nil, nil, true)
	if err != nil {
		t.Fatalf("discoverable login in chromium: %v (the page: %s)", err, said())
	}
	said()
	if string(as.Handle()) != string(alice.Handle) {
		t.Fatalf("the discoverable answer names %q", as.Handle())
	}
	if _, err := as.Verify(alice.Handle, []auth.PasskeyKey{k}); err != nil {
		t.Fatal(err)
	}
}
