// Package phone reads mobile phone numbers into E.164 by libphonenumber's
// rules, from tables generated at build time (rules.go, by gen.go) rather
// than by linking libphonenumber's Go port, which decodes all its metadata
// at start-up. A national number without '+' is read as Korean.
//
// Only numbers that can be mobile numbers are accepted: a number that can
// receive the verification code by SMS.
package phone

//go:generate go run gen.go

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultRegion is the region of a number written without '+'.
const DefaultRegion = "KR"

type desc struct {
	pattern string
	lengths []int
}

type numberFormat struct {
	pattern, format, leading string
}

type region struct {
	id              string
	code            int
	leading         string // leading digits that pick this region among those sharing a code
	prefix          string // national prefix for parsing, a pattern
	prefixRule      string // how to rewrite what prefix matched
	idd             string // the international dialling prefix ("00" and others in Korea)
	general, mobile desc
	fixed           desc
	others          []desc // premium rate, toll free, shared cost, VoIP, ...
	formats         []numberFormat
}

// Number is a phone number in E.164.
type Number struct {
	E164     string // +821012345678
	national string // 1012345678
	region   *region
}

// Errors a person can act on.
var (
	ErrSyntax    = errors.New("a phone number has digits, optionally a leading + and the country code, and spaces, dashes, dots or parentheses between")
	ErrUnknownCC = errors.New("no country has that calling code")
	ErrInvalid   = errors.New("not a valid mobile phone number")
)

var (
	reMu    sync.Mutex
	reCache = map[string]*regexp.Regexp{}
)

// re compiles a pattern once, anchored as libphonenumber anchors it.
func re(pattern string) *regexp.Regexp {
	reMu.Lock()
	defer reMu.Unlock()
	r := reCache[pattern]
	if r == nil {
		r = regexp.MustCompile(pattern)
		reCache[pattern] = r
	}
	return r
}

func fullMatch(pattern, s string) bool {
	return pattern != "" && re("^(?:"+pattern+")$").MatchString(s)
}

func (d desc) matches(national string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, len(national)) {
		return false
	}
	return fullMatch(d.pattern, national)
}

func regionsFor(code int) []*region {
	var out []*region
	for i := range regions {
		if regions[i].code == code {
			out = append(out, &regions[i])
		}
	}
	return out
}

func regionByID(id string) *region {
	for i := range regions {
		if regions[i].id == id {
			return &regions[i]
		}
	}
	return nil
}

// Parse reads a number as a person writes it: "+82 10-1234-5678",
// "010-1234-5678" (Korean), "(010) 1234 5678".
func Parse(s string) (Number, error) {
	// Spaces around the number go; any other white space, a tab or a line
	// end, is a control character and refused with the rest below, as
	// libphonenumber refuses it after the number.
	s = strings.Trim(s, " \u00a0")
	intl := strings.HasPrefix(s, "+")
	if intl {
		s = s[1:]
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune(" -.()", r):
		default:
			return Number{}, ErrSyntax
		}
	}
	d := digits.String()
	if len(d) < 2 || len(d) > 17 {
		return Number{}, ErrSyntax
	}
	if !intl {
		r := regionByID(DefaultRegion)
		// A number dialled from Korea to abroad: "001 1 415 555 2671".
		m := re("^(?:" + r.idd + ")").FindStringIndex(d)
		if m == nil || len(d) <= m[1] || d[m[1]] == '0' {
			return finish([]*region{r}, r.code, stripPrefix(r, d))
		}
		d = d[m[1]:]
	}
	if d[0] == '0' {
		return Number{}, ErrUnknownCC // no calling code starts with 0
	}
	for n := 1; n <= 3 && n < len(d); n++ {
		code := mustAtoi(d[:n])
		if rs := regionsFor(code); len(rs) > 0 {
			return finish(rs, code, stripPrefix(rs[0], d[n:]))
		}
	}
	return Number{}, ErrUnknownCC
}

// stripPrefix removes a national prefix ("0" in Korea), as libphonenumber
// does, but only when what is left can still be a number of the region.
func stripPrefix(r *region, national string) string {
	if r.prefix == "" {
		return national
	}
	m := re("^(?:" + r.prefix + ")").FindStringSubmatchIndex(national)
	if m == nil {
		return national
	}
	rest := national[m[1]:]
	if last := m[len(m)-2]; r.prefixRule != "" && len(m) > 2 && last >= 0 {
		// The rule rewrites what the prefix matched, with its groups ($1).
		rest = string(re("^(?:"+r.prefix+")").ExpandString(nil, r.prefixRule, national, m)) + rest
	}
	if fullMatch(r.general.pattern, national) && !fullMatch(r.general.pattern, rest) {
		return national
	}
	return rest
}

// finish picks the region among those sharing the code, as libphonenumber
// does, and requires a mobile number there.
func finish(rs []*region, code int, national string) (Number, error) {
	var chosen *region
	for _, r := range rs {
		if r.leading != "" {
			if re("^(?:" + r.leading + ")").MatchString(national) {
				chosen = r
				break
			}
			continue
		}
		if r.hasType(national) {
			chosen = r
			break
		}
	}
	if chosen == nil || !chosen.isMobile(national) {
		return Number{}, ErrInvalid
	}
	return Number{E164: "+" + strconv.Itoa(code) + national, national: national, region: chosen}, nil
}

// hasType reports whether national is a number of any type in r.
func (r *region) hasType(national string) bool {
	if !r.general.matches(national) {
		return false
	}
	if r.fixed.matches(national) || r.mobile.matches(national) {
		return true
	}
	return slices.ContainsFunc(r.others, func(d desc) bool { return d.matches(national) })
}

// isMobile reports whether national can be a mobile number in r, typed as
// libphonenumber types it: the other types are tried first.
func (r *region) isMobile(national string) bool {
	if !r.general.matches(national) || slices.ContainsFunc(r.others, func(d desc) bool { return d.matches(national) }) {
		return false
	}
	return r.mobile.matches(national)
}

func (n Number) format() string {
	for _, f := range n.region.formats {
		if f.leading != "" && !re("^(?:"+f.leading+")").MatchString(n.national) {
			continue
		}
		p := re("^(?:" + f.pattern + ")$")
		if m := p.FindStringSubmatchIndex(n.national); m != nil {
			return string(p.ExpandString(nil, f.format, n.national, m))
		}
	}
	return n.national
}

// Masked shows the number with all but its first and last groups hidden:
// "+82 10-****-5678".
func (n Number) Masked() string {
	f := n.format()
	groups := strings.FieldsFunc(f, func(r rune) bool { return r < '0' || r > '9' })
	if len(groups) < 3 {
		// One or two groups: keep the first two and last four digits.
		d := n.national
		if len(d) <= 6 {
			return "+" + strconv.Itoa(n.region.code) + " " + strings.Repeat("*", len(d))
		}
		return "+" + strconv.Itoa(n.region.code) + " " + d[:2] + strings.Repeat("*", len(d)-6) + d[len(d)-4:]
	}
	var b strings.Builder
	g := 0
	inGroup := false
	for _, r := range f {
		isDigit := r >= '0' && r <= '9'
		if isDigit && !inGroup {
			g++
		}
		inGroup = isDigit
		if isDigit && g > 1 && g < len(groups) {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
	}
	return "+" + strconv.Itoa(n.region.code) + " " + b.String()
}

// mustAtoi reads digits the caller has checked.
func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
