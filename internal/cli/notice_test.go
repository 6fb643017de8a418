package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
)

// TestMessagesHoldOneSixDigitNumber: a code message's subject and body
// hold the code as their only six-digit number, and a notice holds none,
// whatever the User ID, the admin's ID or the address (issue 24,
// finding 3). The address stays as it is in the To header, where it
// must be.
func TestMessagesHoldOneSixDigitNumber(t *testing.T) {
	count := func(s string) int { return len(sixDigits.FindAllString(s, -1)) }
	for _, lang := range []string{"en", "ko"} {
		for _, kind := range []contact.Kind{contact.Email, contact.Phone} {
			m := message(lang, kind, "123456@example.com", "987654", 10*time.Minute)
			if n := count(m.Subject + "\n" + m.Body); n != 1 {
				t.Errorf("%s %s code message: %d six-digit numbers:\n%s", lang, kind, n, m.Body)
			}
			r := recoverMessage(lang, kind, "123456@example.com", "987654", 10*time.Minute)
			if n := count(r.Subject + "\n" + r.Body); n != 1 {
				t.Errorf("%s %s recovery message: %d six-digit numbers:\n%s", lang, kind, n, r.Body)
			}
		}
		n := noticeMessage(account.Notice{To: "654321@example.com", UserID: "654321", Event: account.EvMemberDisabled,
			What: "your account was disabled (by the admin 123456)", Time: time.Now(),
			Language: lang, Key: "member_disabled", Args: []string{"123456"}})
		if c := count(n.Subject + "\n" + n.Body); c != 0 {
			t.Errorf("a %s notice holds %d six-digit numbers:\n%s", lang, c, n.Body)
		}
		s := smsNotice(account.Notice{To: "+821012345678", Phone: true, UserID: "654321", Event: account.EvMemberDisabled,
			What: "your account was disabled (by the admin 123456)", Time: time.Now(),
			Language: lang, Key: "member_disabled", Args: []string{"123456"}})
		if c := count(s.Body); c != 0 {
			t.Errorf("a %s SMS notice holds %d six-digit numbers:\n%s", lang, c, s.Body)
		}
	}
	if got := unlikeCode("a123456b 1234567 12345 654321"); got != "a123 456b 1234567 12345 654 321" {
		t.Errorf("unlikeCode = %q", got)
	}
}

// TestNoticeBySMS: a security notice goes to the verified phone as well
// as the verified email (rule 10; NIST SP 800-63B-4 4.6), saying what to
// do if it was not the person.
func TestNoticeBySMS(t *testing.T) {
	initStore(t)
	pw := testPassword + "\n"
	mustKC(t, pw, "contact", "verify", "phone", "010-1234-5678", "--send-only", "--password-stdin")
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(newestOutboxSMS(t))
	mustKC(t, pw, "contact", "verify", "phone", "010-1234-5678", "--code", code, "--password-stdin")
	mustKC(t, pw+"a brand new pass phrase\n", "account", "password", "--password-stdin")
	sms := newestOutboxSMS(t)
	if !strings.Contains(sms, "[kcloud] alice: your password was changed. Not you?") || sixDigits.MatchString(sms) {
		t.Fatalf("the SMS notice:\n%s", sms)
	}
}

// TestKoreanWords: every notice kcloud sends has its Korean words, filled
// from its arguments (a test fails when one lacks them); times and
// durations are as a Korean reader writes them.
func TestKoreanWords(t *testing.T) {
	args := []string{"2026-12-02T10:11:00Z", "5", "c", "d"}
	for _, key := range account.NoticeKeys {
		f, ok := koNotices[key]
		if !ok {
			t.Errorf("the notice %q has no Korean words", key)
			continue
		}
		if w := f(args); w == "" || strings.ContainsAny(w, "%{}") || !regexp.MustCompile(`\p{Hangul}`).MatchString(w) {
			t.Errorf("%s: %q", key, w)
		}
	}
	if len(koNotices) != len(account.NoticeKeys) {
		t.Errorf("%d Korean notices for %d keys: one is not sent", len(koNotices), len(account.NoticeKeys))
	}
	if w, _ := koWhat(account.Notice{Key: "locked", Args: args}); !strings.Contains(w, "2026년 12월 2일 19:11 KST") {
		t.Errorf("locked: %q", w)
	}
	if _, ok := koWhat(account.Notice{Key: "locked"}); ok {
		t.Error("a notice short of its arguments was worded in Korean; it falls back to English")
	}
	for d, want := range map[time.Duration]string{15 * time.Minute: "15분", 90 * time.Minute: "1시간 30분", 24 * time.Hour: "24시간", 45 * time.Second: "45초", 0: "0초", -time.Minute: "-1분"} {
		if got := koDuration(d); got != want {
			t.Errorf("koDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
