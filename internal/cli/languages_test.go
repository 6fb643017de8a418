package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/i18n"
	"github.com/kcloud/kcloud/internal/text"
)

// TestJSONSameInEveryLanguage: what scripts read does not change with the
// language (the contract): every -o json command here prints the same
// document under ui.language en and ko, times included.
func TestJSONSameInEveryLanguage(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	for _, args := range [][]string{
		{"whoami"},
		{"account", "show", "--password-stdin"},
		{"account", "activity", "--password-stdin", "-n", "3"},
		{"org", "show"},
		{"member", "list", "--password-stdin"},
		{"member", "show", "alice", "--password-stdin"},
		{"otp", "list", "--password-stdin"},
		{"version"},
	} {
		var docs [2]string
		for i, lang := range []string{"en", "ko"} {
			t.Setenv("KCLOUD_UI_LANGUAGE", lang)
			docs[i] = mustKC(t, pw, append(args, "-o", "json")...)
		}
		if docs[0] != docs[1] {
			t.Errorf("kcloud %s -o json differs by language:\n%s\n%s", strings.Join(args, " "), docs[0], docs[1])
		}
	}
}

// TestAccountPageInKorean: under ko the account page has the console's
// Korean labels, and its values line up by display width (a Hangul
// syllable is two columns).
func TestAccountPageInKorean(t *testing.T) {
	initStore(t)
	t.Setenv("KCLOUD_UI_LANGUAGE", "ko")
	page := mustKC(t, testPassword+"\n", "account", "show", "--password-stdin")
	for _, want := range []string{"기본 정보", "사용자 ID", "사용자 UUID", "이름", "닉네임", "등록 일시", "최근 로그인",
		"연락처 및 인증 정보", "연락처 이메일", "휴대폰 번호", "2단계 인증", "조직 정보", "조직 이름", "조직 ID", "KST"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	// In each section, the values start at one display column.
	row := regexp.MustCompile(`^(  \S+(?: \S+)*?  +)\S`)
	var cols []int
	for _, l := range strings.Split(page, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			cols = append(cols, text.Width(m[1]))
			continue
		}
		for _, c := range cols[min(1, len(cols)):] {
			if c != cols[0] {
				t.Fatalf("a section's values start at columns %v:\n%s", cols, page)
			}
		}
		cols = nil
	}
}

// TestCatalogHoldsEveryMessageUsed: every message the command layer says
// through the catalogue (tr's T and F, with a literal) has its Korean
// translation: a message added in English alone fails here.
func TestCatalogHoldsEveryMessageUsed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\.(?:T|F)\("((?:[^"\\]|\\.)*)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			if i18n.For("ko").T(m[1]) == m[1] {
				t.Errorf("%s: %q has no Korean translation in internal/i18n/ko.po", f, m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("found %d messages said through the catalogue; the pattern no longer matches the code", n)
	}
}
