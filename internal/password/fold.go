package password

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// fold is the form a password is compared in with the lists and with the
// words of its owner (NIST SP 800-63B-4 3.1.1.2 asks for NFC before
// anything is compared; a guesser's rules go further): compatibility
// forms made plain (NFKC: fullwidth ｐ is p), combining marks dropped (an
// underline under each letter), lower case, the Cyrillic and Greek
// letters that look Latin made Latin (раssword), and the common digit
// and symbol stand-ins read as the letters they stand for (kw0nj1h00n).
// The stand-in of 1 is i; fold1 reads it as l.
func fold(s string) string { return foldWith(s, 'i') }

func fold1(s string) string { return foldWith(s, 'l') }

func foldWith(s string, one rune) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
			continue
		}
		r = unicode.ToLower(r)
		if l, ok := pairOf(lookalikes, r); ok {
			r = l
		}
		if r == '1' {
			r = one
		} else if l, ok := pairOf(standIns, r); ok {
			r = l
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// famousExamples are passwords printed as examples where everyone has read
// them (a comic's passphrase, a chat log's password), in bare folded form:
// no breach list ranks them high, and every guesser tries them first.
var famousExamples = []string{
	"correcthorsebatterystaple", "troubadore", "tr0ub4dor&3", "hunter", "trustno",
	"iloveyou", "letmein", "opensesame", "swordfish", "hellokitty", "thequickbrownfoxjumpsoverthelazydog",
}

// famous reports whether one of the folded forms is a famous example.
func famous(forms []string) bool {
	for _, f := range forms {
		b := bare(f)
		for _, e := range famousExamples {
			if b == bare(fold(e)) || strings.TrimRight(b, "0123456789") == e {
				return true
			}
		}
	}
	return false
}

// bare is s without what separates letters: k.w.o.n.j.i.h.o.o.n is
// kwonjihoon.
func bare(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// lookalikes pairs the Cyrillic and Greek lower-case letters that a
// reader takes for Latin ones (Unicode's confusables, the common few)
// with those letters; standIns, the digits and symbols written for
// letters. Strings, not maps: nothing to build when kcloud starts.
const (
	lookalikes = "аaвbеeёeкkмmнhоoрpсcтtуyхxіiїiјjѕsԁdԛqԝwһhӏlαaβbεeηnιiκkνvοoρpτtυuχxωwɡgıiȷj"
	standIns   = "0o3e4a5s7t8b9g@a$s!i|l+t"
)

// pairOf looks r up in a table of pairs.
func pairOf(table string, r rune) (rune, bool) {
	rs := []rune(table)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] == r {
			return rs[i+1], true
		}
	}
	return r, false
}
