package term

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const uri = "otpauth://totp/KakaoCloud:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KakaoCloud&algorithm=SHA1&digits=6&period=30"

// palette is what a terminal shows for the xterm-256 indexes used.
var palette = map[int]color.Gray{16: {0}, 231: {255}}

// screenImage renders terminal output to pixels as a terminal would: each
// cell 8x16 pixels; a space shows its background, "▀" its foreground on
// the upper half and its background on the lower.
func screenImage(t *testing.T, out string) image.Image {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	const cw, ch = 8, 16
	var rows [][][2]color.Gray
	for _, line := range lines {
		var cells [][2]color.Gray
		fg, bg := -1, -1
		for i := 0; i < len(line); {
			if line[i] == 0x1b {
				end := strings.IndexByte(line[i:], 'm')
				if !strings.HasPrefix(line[i:], "\x1b[") || end < 0 {
					t.Fatalf("an escape that is not SGR at %q", line[i:])
				}
				params := strings.Split(line[i+2:i+end], ";")
				for j := 0; j < len(params); j++ {
					switch p := params[j]; {
					case p == "0" || p == "":
						fg, bg = -1, -1
					case (p == "38" || p == "48") && j+2 < len(params) && params[j+1] == "5":
						n, _ := strconv.Atoi(params[j+2])
						if p == "38" {
							fg = n
						} else {
							bg = n
						}
						j += 2
					default:
						t.Fatalf("unexpected SGR parameter %q", p)
					}
				}
				i += end + 1
				continue
			}
			look := func(n int) color.Gray {
				c, ok := palette[n]
				if !ok {
					t.Fatalf("a cell without an explicit colour (index %d): it would follow the theme", n)
				}
				return c
			}
			switch {
			case line[i] == ' ':
				cells = append(cells, [2]color.Gray{look(bg), look(bg)})
				i++
			case strings.HasPrefix(line[i:], "▀"):
				cells = append(cells, [2]color.Gray{look(fg), look(bg)})
				i += len("▀")
			default:
				t.Fatalf("unexpected character %q", line[i:i+1])
			}
		}
		rows = append(rows, cells)
	}
	img := image.NewGray(image.Rect(0, 0, len(rows[0])*cw, len(rows)*ch))
	for y, cells := range rows {
		if len(cells) != len(rows[0]) {
			t.Fatalf("line %d has %d cells, the first %d", y, len(cells), len(rows[0]))
		}
		for x, c := range cells {
			for py := 0; py < ch; py++ {
				for px := 0; px < cw; px++ {
					img.SetGray(x*cw+px, y*ch+py, c[py*2/ch])
				}
			}
		}
	}
	return img
}

func decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func invert(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.SetGray(x, y, color.Gray{255 - color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y})
		}
	}
	return out
}

// TestQRScans draws the code as a person sees it and decodes it with an
// independent decoder: full and half blocks, normal and inverted.
func TestQRScans(t *testing.T) {
	q, err := EncodeQR(uri)
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []QRStyle{QRFull, QRHalf} {
		for _, inverted := range []bool{false, true} {
			t.Run(fmt.Sprintf("style%d/inverted=%v", style, inverted), func(t *testing.T) {
				var buf bytes.Buffer
				if err := q.Draw(&buf, style, inverted); err != nil {
					t.Fatal(err)
				}
				img := screenImage(t, buf.String())
				if cols := img.Bounds().Dx() / 8; cols != q.Width(style) {
					t.Fatalf("the code is %d columns wide; Width says %d", cols, q.Width(style))
				}
				if inverted {
					if _, err := decode(img); err == nil {
						t.Fatal("the inverted code reads as a normal one: the colours were not swapped")
					}
					img = invert(img) // as a scanner that reads inverted codes does
				}
				got, err := decode(img)
				if err != nil {
					t.Fatalf("decoding the terminal picture: %v", err)
				}
				if got != uri {
					t.Fatalf("decoded %q, want %q", got, uri)
				}
			})
		}
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
	if got, err := decode(img); err != nil || got != uri {
		t.Fatalf("decoding the PNG: %q, %v", got, err)
	}
}

func TestQRTooLong(t *testing.T) {
	if _, err := EncodeQR(strings.Repeat("x", 5000)); err != ErrQRTooLong {
		t.Fatalf("EncodeQR of 5000 bytes: %v", err)
	}
}
