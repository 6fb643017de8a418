package term

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/termtest"
)

const uri = "otpauth://totp/KakaoCloud:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KakaoCloud&algorithm=SHA1&digits=6&period=30"

// hardURI is a code zxing's detector misreads when drawn pixel-perfect on
// a dark screen (found by drawing 2,000 random secrets; about 1 in 500
// is like it): the pty tests failed by chance on such secrets.
// termtest.DecodeQR then reads the cut-out code module by module.
const hardURI = "otpauth://totp/KakaoCloud:alice?secret=Q7R774UJVFV6LPVC3LMC2YZY5W4DBZO5&issuer=KakaoCloud"

// TestQRScans draws the code as a terminal shows it (through a VT
// emulator), paints the screen on a dark and on a light theme, and decodes
// it with an independent reader: full and half blocks, normal and
// inverted, quiet zones of 4 and 2 modules, with text beside the code.
func TestQRScans(t *testing.T) {
	for _, uri := range []string{uri, hardURI} {
		testQRScans(t, uri)
	}
}

func testQRScans(t *testing.T, uri string) {
	q, err := EncodeQR(uri)
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []QRStyle{QRFull, QRHalf} {
		for _, quiet := range []int{4, 2} {
			for _, inverted := range []bool{false, true} {
				for _, plain := range []bool{false, true} {
					for _, th := range []termtest.Theme{termtest.Dark, termtest.Light} {
						d := Drawing{Style: style, Quiet: quiet, Invert: inverted, Plain: plain}
						t.Run(fmt.Sprintf("%+v/%s", d, th.Name), func(t *testing.T) {
							testQRScan(t, q, d, th, uri)
						})
					}
				}
			}
		}
	}
}

// testQRScan draws q as d on th and reads it back. Drawn plain, the
// terminal's own colours decide: dark modules in the foreground read
// inverted on a dark theme.
func testQRScan(t *testing.T, q *QR, d Drawing, th termtest.Theme, uri string) {
	var buf bytes.Buffer
	beside := []string{"Step 1. Install an app.", "", "Step 2. Scan this code."}
	if err := q.Draw(&buf, d, beside); err != nil {
		t.Fatal(err)
	}
	cols, lines := q.Size(d.Style, d.Quiet)
	if n := strings.Count(buf.String(), "\n"); n != lines {
		t.Fatalf("the code took %d lines; Size says %d", n, lines)
	}
	if d.Plain && strings.Contains(buf.String(), "\x1b") {
		t.Fatalf("a plain code holds an escape sequence:\n%q", buf.String())
	}
	vt := termtest.Screen(buf.Bytes(), cols+40, lines+1, false)
	if !strings.Contains(termtest.Text(vt), "Step 2. Scan this code.") {
		t.Fatalf("the text beside the code is not on the screen:\n%s", termtest.Text(vt))
	}
	img := termtest.Picture(vt, th)
	inverted := d.Invert
	if d.Plain && th.Name == termtest.Dark.Name {
		inverted = !inverted
	}
	if inverted {
		if _, err := termtest.DecodeQR(img, false); err == nil {
			t.Fatal("the inverted code reads as a normal one: the colours were not swapped")
		}
	}
	got, err := termtest.DecodeQR(img, inverted)
	if err != nil {
		t.Fatalf("decoding the terminal picture: %v", err)
	}
	if got != uri {
		t.Fatalf("decoded %q, want %q", got, uri)
	}
}

func TestQRPNG(t *testing.T) {
	q, _ := EncodeQR(uri)
	path := filepath.Join(t.TempDir(), "otp.png")
	if err := q.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode())
	}
	f, _ := os.Open(path)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := termtest.DecodeQR(img, false); err != nil || got != uri {
		t.Fatalf("decoding the PNG: %q, %v", got, err)
	}
}

func TestQRTooLong(t *testing.T) {
	if _, err := EncodeQR(strings.Repeat("x", 5000)); err != ErrQRTooLong {
		t.Fatalf("EncodeQR of 5000 bytes: %v", err)
	}
}
