// Package termtest shows tests what a person sees: it plays a program's
// terminal output through a VT emulator (vt10x) of a given size and
// paints the screen (the visible lines only, as a phone camera sees it,
// never the scrollback) on a dark or a light theme. Only tests import it.
package termtest

import (
	"image"
	"image/color"
	"strings"

	"github.com/hinshun/vt10x"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Theme is a terminal's default colours: what a cell without an explicit
// colour shows.
type Theme struct {
	Name   string
	FG, BG color.RGBA
}

// The themes people use.
var (
	Dark  = Theme{"dark", color.RGBA{0xd0, 0xd0, 0xd0, 0xff}, color.RGBA{0x1e, 0x1e, 0x1e, 0xff}}
	Light = Theme{"light", color.RGBA{0x20, 0x20, 0x20, 0xff}, color.RGBA{0xfa, 0xfa, 0xfa, 0xff}}
)

// Screen plays out through a terminal of cols x rows and returns it.
// out is what the program wrote; bare line feeds are taken as a terminal
// line discipline passes them on (as CR LF) unless raw is set.
func Screen(out []byte, cols, rows int, raw bool) vt10x.Terminal {
	vt := vt10x.New(vt10x.WithSize(cols, rows))
	s := string(out)
	if !raw {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	}
	vt.Write([]byte(s))
	return vt
}

// Text returns the screen's characters, a line each, without colours.
func Text(vt vt10x.Terminal) string { return vt.String() } // String locks

// Picture paints the screen: each cell 8x16 pixels; "▀" shows its
// foreground above and its background below, "▄" the other way round,
// "█" its foreground, anything else its background (text is too thin to
// matter to a QR reader).
func Picture(vt vt10x.Terminal, th Theme) image.Image {
	vt.Lock()
	defer vt.Unlock()
	cols, rows := vt.Size()
	const cw, ch = 8, 16
	img := image.NewRGBA(image.Rect(0, 0, cols*cw, rows*ch))
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			g := vt.Cell(x, y)
			fg, bg := rgb(g.FG, th), rgb(g.BG, th)
			if g.Mode&1 != 0 { // reverse video
				fg, bg = bg, fg
			}
			top, bottom := bg, bg
			switch g.Char {
			case '▀':
				top = fg
			case '▄':
				bottom = fg
			case '█':
				top, bottom = fg, fg
			}
			for py := 0; py < ch; py++ {
				c := top
				if py >= ch/2 {
					c = bottom
				}
				for px := 0; px < cw; px++ {
					img.Set(x*cw+px, y*ch+py, c)
				}
			}
		}
	}
	return img
}

// rgb is the colour an xterm shows for c.
func rgb(c vt10x.Color, th Theme) color.RGBA {
	switch {
	case c == vt10x.DefaultFG:
		return th.FG
	case c == vt10x.DefaultBG:
		return th.BG
	case c < 16:
		ansi := [16][3]uint8{{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
			{127, 127, 127}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255}}[c]
		return color.RGBA{ansi[0], ansi[1], ansi[2], 0xff}
	case c < 232:
		level := [6]uint8{0, 95, 135, 175, 215, 255}
		i := int(c) - 16
		return color.RGBA{level[i/36], level[i/6%6], level[i%6], 0xff}
	case c < 256:
		v := uint8(8 + 10*(int(c)-232))
		return color.RGBA{v, v, v, 0xff}
	}
	return th.FG
}

// DecodeQR reads a QR code from img with zxing's reader, as a phone's
// scanner would: dark modules on light, or light on dark when inverted
// is set (as readers that try both do).
func DecodeQR(img image.Image, inverted bool) (string, error) {
	if inverted {
		img = invert(img)
	}
	text, err := decode(img, false)
	if err == nil {
		return text, nil
	}
	// zxing's detector estimates the code's size from its finder
	// patterns, and for a few codes drawn pixel-perfect it lands between
	// two versions ("dimension = 35"). Cut the code and its quiet zone
	// out of the screen, and read it as a pure code: module by module.
	if crop := cropToCode(img); crop != nil {
		if text, perr := decode(crop, true); perr == nil {
			return text, nil
		}
	}
	return "", err
}

func decode(img image.Image, pure bool) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	if pure {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// cropToCode returns the part of a screen picture that is not the
// terminal's background (taken from the bottom right corner, past the
// prompt, which the QR code never reaches): the code with its quiet zone.
// Text is drawn as background in these pictures.
func cropToCode(img image.Image) image.Image {
	b := img.Bounds()
	bg := img.At(b.Max.X-1, b.Max.Y-1)
	same := func(c color.Color) bool {
		r1, g1, b1, _ := c.RGBA()
		r2, g2, b2, _ := bg.RGBA()
		return r1 == r2 && g1 == g2 && b1 == b2
	}
	box := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !same(img.At(x, y)) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		return nil
	}
	out := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
	for y := 0; y < box.Dy(); y++ {
		for x := 0; x < box.Dx(); x++ {
			out.Set(x, y, img.At(box.Min.X+x, box.Min.Y+y))
		}
	}
	return out
}

func invert(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out.Set(x, y, color.RGBA{255 - uint8(r>>8), 255 - uint8(g>>8), 255 - uint8(bl>>8), 0xff})
		}
	}
	return out
}

// SetupKey reads the setup key off a screen as a person would: the groups
// of four after the last "Setup key:" (설정 키: in Korean), on its line or
// on the lines under it (beside a tall code); "" when there is none.
func SetupKey(screen string) string {
	i := max(strings.LastIndex(screen, "Setup key:"), strings.LastIndex(screen, "설정 키:"))
	if i < 0 {
		return ""
	}
	var key strings.Builder
	for _, w := range strings.Fields(screen[i:])[2:] { // past the label's two words
		if len(w) == 4 && strings.Trim(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == "" {
			key.WriteString(w)
			if key.Len() == 32 {
				break
			}
		}
	}
	return key.String()
}
