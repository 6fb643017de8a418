package main

// The registration of an authenticator at a real terminal: the QR code
// and the setup key on the screens people have, narrow and dumb terminals.

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/termtest"
)

// TestPTYRegister goes through the three steps at a terminal: the QR code
// is drawn, the setup key is read off the screen as a person would type
// it into an app, two wrong codes are forgiven, the third try registers.
func TestPTYRegister(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	s := startSized(t, env, 120, 60, "otp", "register")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Code: ")
	screen := s.screen()
	for _, want := range []string{"Step 1. Install an app", "Step 2. Scan this QR code", "\x1b[48;5;16m  \x1b[0m", "\x1b[48;5;231m  \x1b[0m"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the screen lacks %q:\n%s", want, screen)
		}
	}
	m := regexp.MustCompile(`Setup key: ((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no setup key on the screen:\n%s", screen)
	}
	s.expect("Code: ")
	s.typeLine("12345")
	s.expect("A code is the 6 digits the app shows.")
	old, _ := totpCode(m[1], -3)
	s.typeLine(old)
	s.expect("That code is not right (1 of 3 tries)")
	code, _ := totpCode(m[1], 0)
	s.typeLine(code)
	if c := s.wait(); c != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", c, s.screen())
	}
	s.expect("Keep these recovery codes somewhere safe")
	s.expectAll(recoveryCode, 10)
	if strings.Contains(s.screen(), "horse") {
		t.Fatal("the password appears on the terminal")
	}
	page := run(t, env, password+"\n", "account", "show", "--password-stdin", "-o", "json")
	if !strings.Contains(page, `"registered": true`) {
		t.Fatalf("after registering: %s", page)
	}
}

// TestPTYRegisterNarrow: a terminal too narrow for any QR code says so,
// and the setup key still works; Ctrl-C at the code cancels cleanly.
func TestPTYRegisterNarrow(t *testing.T) {
	env := newHome(t)
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	s := startSized(t, env, 32, 40, "otp", "register")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Code: ")
	if !regexp.MustCompile(`No QR code: the terminal is 32x40 and the code needs \d+x\d+`).MatchString(s.screen()) {
		t.Fatalf("no word about the narrow terminal:\n%s", s.screen())
	}
	if strings.Contains(s.screen(), "\x1b[48;5;") || strings.Contains(s.screen(), "\x1b[38;5;") {
		t.Fatal("a QR code was drawn in a terminal too narrow for it")
	}
	io.WriteString(s.ptmx, "\x03")
	if c := s.wait(); c != 130 {
		t.Fatalf("exit %d, want 130", c)
	}
	s.expect("Cancelled: no OTP was registered.")
	if !s.echo() {
		t.Fatal("echo is off after cancelling")
	}
}

// TestPTYRegisterScreens: at the terminal sizes people have, the moment
// kcloud asks for the code, the screen (the visible lines, not the
// scrollback) holds the whole QR code, the setup key and the prompt; the
// code decodes on a dark and on a light theme to the otpauth URI with the
// setup key's secret; the code computed from that key completes the
// registration; then the screen no longer shows the key (issue 10).
func TestPTYRegisterScreens(t *testing.T) {
	// KakaoCloud's User IDs are email addresses, up to 64 characters: one
	// of 40 keeps the issuer parameter, one of 64 leaves it out to fit.
	long := strings.Repeat("alexander.hamilton.", 3)[:52] + "@example.com"
	for _, tc := range []struct {
		cols, rows int
		id, want   string
		lang       string
	}{
		{80, 24, "alice", "otpauth://totp/KakaoCloud:alice?secret=%s&issuer=KakaoCloud", "en"},
		{100, 30, "alice", "otpauth://totp/KakaoCloud:alice?secret=%s&issuer=KakaoCloud", "en"},
		{120, 50, "alice", "otpauth://totp/KakaoCloud:alice?secret=%s&issuer=KakaoCloud", "en"},
		{80, 24, long[24:], "otpauth://totp/KakaoCloud:" + long[24:] + "?secret=%s&issuer=KakaoCloud", "en"},
		{80, 24, long, "otpauth://totp/KakaoCloud:" + long + "?secret=%s", "en"},
		{80, 24, long, "otpauth://totp/KakaoCloud:" + long + "?secret=%s", "ko"}, // the steps in Korean, two columns a syllable
	} {
		size := [2]int{tc.cols, tc.rows}
		t.Run(fmt.Sprintf("%s/%dx%d/%d", tc.lang, size[0], size[1], len(tc.id)), func(t *testing.T) {
			words := map[string]struct{ prompt, code, cleared string }{
				"en": {"Password for " + tc.id + ": ", "Code: ", "were cleared from the screen"},
				"ko": {tc.id + "의 비밀번호: ", "코드: ", "화면에서 지웠습니다"},
			}[tc.lang]
			env := newHome(t)
			env = append(env[:len(env):len(env)], "TERM=xterm-256color", "KCLOUD_UI_LANGUAGE="+tc.lang)
			run(t, env, password+"\n", "init", "--org-name", "Acme", "--user-id", tc.id, "--name", "Alice", "--password-stdin")
			run(t, env, password+"\n", "login", "--password-stdin")
			s := startSized(t, env, size[0], size[1], "otp", "register")
			s.expect(words.prompt)
			s.typeLine(password)
			s.expect(words.code)
			vt := termtest.Screen([]byte(s.screen()), size[0], size[1], true)
			text := termtest.Text(vt)
			key := termtest.SetupKey(text)
			if len(key) != 32 || !strings.Contains(text, words.code) {
				t.Fatalf("the screen lacks the setup key or the prompt:\n%s", text)
			}
			want := fmt.Sprintf(tc.want, key)
			for _, th := range []termtest.Theme{termtest.Dark, termtest.Light} {
				got, err := termtest.DecodeQR(termtest.Picture(vt, th), false)
				if err != nil || got != want {
					t.Fatalf("%s theme: decoded %q, %v from the screen; want %q\n%s", th.Name, got, err, want, text)
				}
			}
			code, _ := totpCode(key, 0)
			s.typeLine(code)
			// The recovery codes come last: wait for all of them, not
			// for the exit, which can come before the terminal has
			// shown what was written.
			s.expect(words.cleared)
			s.expectAll(recoveryCode, 10)
			if c := s.wait(); c != 0 {
				t.Fatalf("exit %d; the terminal showed:\n%s", c, s.screen())
			}
			after := termtest.Text(termtest.Screen([]byte(s.screen()), size[0], size[1], true))
			if termtest.SetupKey(after) != "" || !strings.Contains(after, words.cleared) {
				t.Fatalf("after registering, the screen still shows the setup key, or says nothing:\n%s", after)
			}
		})
	}
}

// TestPTYRegisterDumbTerminal: TERM=dumb gets no escape sequence at all,
// the setup key, and a word about --qr-png.
func TestPTYRegisterDumbTerminal(t *testing.T) {
	env := newHome(t)
	env = append(env[:len(env):len(env)], "TERM=dumb")
	initStore(t, env)
	run(t, env, password+"\n", "login", "--password-stdin")
	s := startSized(t, env, 80, 24, "otp", "register")
	s.expect("Password for alice: ")
	s.typeLine(password)
	s.expect("Code: ")
	if strings.Contains(s.screen(), "\x1b") || !strings.Contains(s.screen(), "--qr-png") || !strings.Contains(s.screen(), "Setup key: ") {
		t.Fatalf("a dumb terminal got escape sequences, or no setup key and --qr-png:\n%q", s.screen())
	}
	io.WriteString(s.ptmx, "\x03")
	s.wait()
}
