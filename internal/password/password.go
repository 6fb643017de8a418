// Package password owns the rules for a new password beyond its length
// (security rule 1; NIST SP 800-63B 3.1.1.2): it refuses one that is
// commonly used or known breached, one a guesser would find in few
// attempts, and one that contains who it belongs to.
//
// The lists are zxcvbn's (common passwords, English words, names),
// embedded compressed and read only when a password is checked: a command
// that sets no password pays nothing. The estimate follows zxcvbn's way,
// simplified: the password is split into the pieces a guesser would try
// (list words, also in l33t spelling or reversed; keyboard runs;
// sequences; repeats; years; digits), each piece's guesses are counted,
// and the cheapest split wins. TestAgreesWithZxcvbn compares it with
// zxcvbn itself.
package password

//go:generate go run gen.go

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kcloud/kcloud/internal/fail"
)

// MinGuesses is the least a new password must take a guesser: 10^8,
// zxcvbn's score 3, out of reach online and slow offline behind Argon2id.
const MinGuesses = 1e8

// Weak is a refused password, with the reason.
type Weak struct {
	Reason fail.Message
}

func (w *Weak) Error() string         { return w.Reason.In(fail.English) }
func (w *Weak) Message() fail.Message { return w.Reason }

func weak(format string, args ...any) *Weak { return &Weak{fail.Message{Format: format, Args: args}} }

// Check refuses pw if it is common, guessable, or contains one of
// personal (the User ID, the name, the organization's name). Each is
// compared as written and folded (fold: compatibility forms, marks, case,
// look-alike letters, stand-in digits), and without separators, so that
// ｐａｓｓｗｏｒｄ, раssword, kw0nj1h00n and k.w.o.n.j.i.h.o.o.n are
// what they look like.
func Check(pw string, personal ...string) error {
	lower := strings.ToLower(pw)
	forms := []string{lower, fold(pw), fold1(pw)}
	for _, f := range forms[1:] {
		forms = append(forms, bare(f))
	}
	for _, p := range personal {
		p = strings.ToLower(strings.TrimSpace(p))
		words := []string{p}
		if f := bare(fold(p)); f != p {
			words = append(words, f)
		}
		for _, part := range strings.FieldsFunc(p, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if utf8.RuneCountInString(part) >= 4 {
				words = append(words, part, bare(fold(part)))
			}
		}
		for i, w := range words {
			if i > 0 && utf8.RuneCountInString(w) < 4 || utf8.RuneCountInString(w) < 3 {
				continue
			}
			for _, f := range forms {
				if strings.Contains(f, w) {
					return weak("the password contains %q, which anyone in the organization can see", shown(p, w, i))
				}
			}
		}
	}
	if rank, ok := load().rank("passwords", lower); ok {
		return weak("the password is the %s most common one in breaches", fail.Ordinal(rank))
	}
	if famous(forms) {
		return weak("the password is a famous example, printed where everyone who guesses passwords has read it")
	}
	for _, f := range forms[1:] {
		if rank, ok := load().rank("passwords", f); ok {
			return weak("the password is the %s most common one in breaches, written another way", fail.Ordinal(rank))
		}
	}
	g := Guesses(pw)
	for _, f := range forms[1:3] {
		if f != lower {
			g = math.Min(g, Guesses(f))
		}
	}
	if g < MinGuesses {
		return weak("the password could be guessed in about %s tries", fail.Rough(g))
	}
	return nil
}

// shown is the word of the owner's that a password contained, as the
// owner would recognise it.
func shown(p, w string, i int) string {
	if i == 0 || strings.Contains(p, w) {
		return w
	}
	return p
}

// lists are the ranked word lists, read once.
type lists struct {
	ranks map[string]map[string]int // list -> word -> rank (1 = most common)
}

var (
	once   sync.Once
	loaded *lists
	//go:embed lists.gz
	listsGz []byte
)

func load() *lists {
	once.Do(func() {
		loaded = &lists{ranks: map[string]map[string]int{}}
		zr, err := gzip.NewReader(bytes.NewReader(listsGz))
		if err != nil {
			panic("password: the embedded lists are damaged: " + err.Error())
		}
		sc := bufio.NewScanner(zr)
		var cur map[string]int
		for sc.Scan() {
			w := sc.Text()
			switch {
			case cur == nil:
				cur = map[string]int{}
				loaded.ranks[w] = cur
			case w == "":
				cur = nil
			default:
				if _, dup := cur[w]; !dup {
					cur[w] = len(cur) + 1
				}
			}
		}
	})
	return loaded
}

func (l *lists) rank(list, w string) (int, bool) {
	r, ok := l.ranks[list][w]
	return r, ok
}

// bestRank is w's lowest rank in any list.
func (l *lists) bestRank(w string) (int, bool) {
	best, found := 0, false
	for _, m := range l.ranks {
		if r, ok := m[w]; ok && (!found || r < best) {
			best, found = r, true
		}
	}
	return best, found
}

// maxPiece is the longest piece Guesses scores as one: longer than any
// word of the lists (23) and any keyboard run or sequence. It bounds the
// work to n x maxPiece pieces for a password of n runes (rule 13): a
// 1,024-byte password is judged in milliseconds, where every split took
// 15 seconds. A run of one character, which may be any length, is scored
// whole besides; and the whole password as a repeated block.
const maxPiece = 32

// Guesses estimates how many tries a guesser who knows how people choose
// passwords needs for pw.
func Guesses(pw string) float64 {
	runes := []rune(pw)
	n := len(runes)
	if n == 0 {
		return 1
	}
	l := load()
	// best[i] is the fewest guesses for runes[:i]; pieces counts its
	// pieces: a guesser must also guess how many there are. run is where
	// the run of one character that ends at i began.
	best := make([]float64, n+1)
	pieces := make([]int, n+1)
	best[0] = 1
	run := 0
	for end := 1; end <= n; end++ {
		best[end] = math.Inf(1)
		if runes[end-1] != runes[run] {
			run = end - 1
		}
		try := func(start int, g float64) {
			if total := best[start] * g; total < best[end] {
				best[end], pieces[end] = total, pieces[start]+1
			}
		}
		for start := max(0, end-maxPiece); start < end; start++ {
			try(start, pieceGuesses(l, runes[start:end]))
		}
		if end-run > maxPiece {
			try(run, bruteForce(runes[run:run+1])*float64(end-run))
		}
	}
	// As zxcvbn: a split into k pieces is one of about k! orders.
	g := best[n] * factorial(pieces[n])
	if p := period(runes); p < n {
		g = math.Min(g, Guesses(string(runes[:p]))*float64(n/p))
	}
	return g
}

// period is the length of the shortest block that runes repeat whole
// (abcabcabc: 3), or len(runes): the prefix function of KMP, linear.
func period(r []rune) int {
	n := len(r)
	pi := make([]int, n)
	for i := 1; i < n; i++ {
		k := pi[i-1]
		for k > 0 && r[i] != r[k] {
			k = pi[k-1]
		}
		if r[i] == r[k] {
			k++
		}
		pi[i] = k
	}
	if p := n - pi[n-1]; p < n && n%p == 0 {
		return p
	}
	return n
}

// pieceGuesses is the fewest guesses for one piece of a password.
func pieceGuesses(l *lists, r []rune) float64 {
	s := string(r)
	g := bruteForce(r)
	if len(r) == 1 {
		return g
	}
	lower := strings.ToLower(s)
	// Upper case costs a little: all, the first, or anywhere.
	caps := 1.0
	if lower != s {
		switch {
		case strings.ToUpper(s) == s, unicode.IsUpper(r[0]) && strings.ToLower(s[1:]) == s[1:]:
			caps = 2
		default:
			caps = math.Pow(2, float64(countUpper(r)))
		}
	}
	for _, w := range []string{lower, reverse(lower)} {
		if rank, ok := l.bestRank(w); ok {
			f := float64(rank) * caps
			if w != lower {
				f *= 2
			}
			g = math.Min(g, f)
		}
	}
	if plain, subs := unleet(lower); subs > 0 {
		if rank, ok := l.bestRank(plain); ok {
			g = math.Min(g, float64(rank)*caps*math.Pow(2, float64(subs)))
		}
	}
	if len(r) >= 3 {
		if isRepeat(r) {
			g = math.Min(g, bruteForce(r[:1])*float64(len(r)))
		}
		if isSequence(r) {
			g = math.Min(g, 26*float64(len(r))*2)
		}
		if isKeyboardRun(lower) {
			g = math.Min(g, 50*float64(len(r))*caps)
		}
	}
	if len(r) == 4 && isYear(s) {
		g = math.Min(g, 120)
	}
	// A block said twice (abcabc, 123123): the block, twice.
	if half := len(r) / 2; len(r)%2 == 0 && half >= 2 && string(r[:half]) == string(r[half:]) {
		g = math.Min(g, pieceGuesses(l, r[:half])*2)
	}
	return math.Max(g, 1)
}

// bruteForce is the tries for r with no pattern: each character drawn
// from the set it belongs to.
func bruteForce(r []rune) float64 {
	g := 1.0
	for _, c := range r {
		switch {
		case c >= '0' && c <= '9':
			g *= 10
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			g *= 26
		case c < 0x80:
			g *= 33
		default:
			g *= 100
		}
	}
	return g
}

func countUpper(r []rune) int {
	n := 0
	for _, c := range r {
		if unicode.IsUpper(c) {
			n++
		}
	}
	return n
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// leet are the substitutions people make, each read as the letter it
// stands for.
var leet = map[rune]rune{'4': 'a', '@': 'a', '8': 'b', '(': 'c', '3': 'e', '6': 'g', '1': 'i', '!': 'i', '|': 'l', '0': 'o', '$': 's', '5': 's', '+': 't', '7': 't', '2': 'z'}

func unleet(s string) (string, int) {
	n := 0
	out := strings.Map(func(r rune) rune {
		if l, ok := leet[r]; ok {
			n++
			return l
		}
		return r
	}, s)
	return out, n
}

func isRepeat(r []rune) bool {
	for _, c := range r[1:] {
		if c != r[0] {
			return false
		}
	}
	return true
}

// isSequence: each character one after (or before) the last: abcd, 4321.
func isSequence(r []rune) bool {
	d := r[1] - r[0]
	if d != 1 && d != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != d {
			return false
		}
	}
	return true
}

// rows are keyboard rows as people run along them.
var rows = []string{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "qazwsxedcrfvtgbyhnujmikolp"}

func isKeyboardRun(s string) bool {
	for _, row := range rows {
		if strings.Contains(row, s) || strings.Contains(reverse(row), s) {
			return true
		}
	}
	return false
}

func isYear(s string) bool {
	return (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20")) && strings.Trim(s, "0123456789") == ""
}

func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}
