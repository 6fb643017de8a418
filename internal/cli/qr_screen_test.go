package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/otp"
	"github.com/kcloud/kcloud/internal/termtest"
)

// TestRegisterScreenFits (issue 25, item 1; issue 27): for every User ID
// up to 64 characters, email-shaped as KakaoCloud's are, in English and in
// Korean, the registration screen at 80x24 and larger holds at once the whole QR code, the steps, the
// setup key and the prompt's line, and the code, painted on a dark and on
// a light theme, decodes to an otpauth URI that names the issuer and
// holds the secret.
func TestRegisterScreenFits(t *testing.T) {
	secret := make([]byte, 20)
	for i := range secret {
		secret[i] = byte(i*37 + 11)
	}
	key := otp.SetupKey(secret)
	for _, lang := range []string{"en", "ko"} {
		cfg := &config.Config{}
		cfg.UI.Language = lang
		for _, size := range [][2]int{{80, 24}, {100, 30}} {
			for n := 1; n <= 64; n++ {
				id := strings.Repeat("a", n)
				if n > 12 {
					id = strings.Repeat("a", n-12) + "@example.com"
				}
				t.Run(fmt.Sprintf("%s/%dx%d/%d", lang, size[0], size[1], n), func(t *testing.T) {
					term := &script{t: t, cols: size[0], lines: size[1]}
					streams, _, _ := Test("")
					streams.SetTerminal(term, true)
					streams.Term = "xterm-256color"
					o := &registerOptions{deps: deps{IO: streams, Config: func() (*config.Config, error) { return cfg, nil }}, qr: "auto"}
					if err := o.show(&account.Pending{Secret: secret}, id, "KakaoCloud", true); err != nil {
						t.Fatal(err)
					}
					term.out.WriteString("Code: ")
					// The screen as it is when the prompt is written: the
					// last lines of the output, the prompt on the last.
					vt := termtest.Screen(term.out.Bytes(), size[0], size[1], false)
					text := termtest.Text(vt)
					step1, step3 := map[string][2]string{"en": {"Step 1.", "Step 3."}, "ko": {"1단계.", "3단계."}}[lang][0], map[string][2]string{"en": {"Step 1.", "Step 3."}, "ko": {"1단계.", "3단계."}}[lang][1]
					if !strings.Contains(term.out.String(), step1) || !strings.Contains(text, step3) || !strings.Contains(text, "Code: ") {
						t.Fatalf("the steps or the prompt are off the screen:\n%s", text)
					}
					if got := termtest.SetupKey(text); got != strings.ReplaceAll(key, " ", "") {
						t.Fatalf("the setup key on the screen reads %q, want %q:\n%s", got, key, text)
					}
					for _, th := range []termtest.Theme{termtest.Dark, termtest.Light} {
						uri, err := termtest.DecodeQR(termtest.Picture(vt, th), false)
						if err != nil || !strings.HasPrefix(uri, "otpauth://totp/KakaoCloud:"+id+"?secret="+otp.Encode(secret)) {
							t.Fatalf("%s theme: decoded %q, %v\n%s", th.Name, uri, err, text)
						}
					}
				})
			}
		}
	}
}
