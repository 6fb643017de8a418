package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/i18n"
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
			What: disabledBy123456, Time: time.Now(), Language: lang})
		if c := count(n.Subject + "\n" + n.Body); c != 0 {
			t.Errorf("a %s notice holds %d six-digit numbers:\n%s", lang, c, n.Body)
		}
		s := smsNotice(account.Notice{To: "+821012345678", Phone: true, UserID: "654321", Event: account.EvMemberDisabled,
			What: disabledBy123456, Time: time.Now(), Language: lang})
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

// disabledBy123456 is what a notice says when an admin disabled the account.
var disabledBy123456 = fail.Message{Format: "your account was disabled; every session ended (by the admin %s)", Args: []any{"123456"}}

// TestKoreanNotice: a notice to a Korean account is in Korean from the
// catalogue, its values written as a Korean reader writes them; one to an
// English account is in English whatever the terminal.
func TestKoreanNotice(t *testing.T) {
	until := time.Date(2026, 12, 2, 10, 11, 0, 0, time.UTC)
	locked := fail.Message{Format: "your account was locked until %s after %d failed attempts in a row", Args: []any{until, 5}}
	n := noticeMessage(account.Notice{To: "a@example.com", UserID: "alice", What: locked, Time: until, Language: "ko"})
	for _, want := range []string{"kcloud 보안 알림: 계정이 잠겼습니다(잠금 해제: 2026년 12월 2일 19:11 KST). 연속 5번 실패했습니다",
		"alice 님, 안녕하세요.", "일시: 2026년 12월 2일 19:11 KST"} {
		if !strings.Contains(n.Subject+"\n"+n.Body, want) {
			t.Errorf("the Korean notice lacks %q:\n%s\n%s", want, n.Subject, n.Body)
		}
	}
	n = noticeMessage(account.Notice{To: "a@example.com", UserID: "alice", What: locked, Time: until, Language: "en"})
	if !strings.Contains(n.Body, "Your account was locked until") || !strings.Contains(n.Body, "Wednesday, 2 December 2026 at 10:11 UTC") || hangul.MatchString(n.Body) {
		t.Errorf("the English notice:\n%s", n.Body)
	}
	for d, want := range map[time.Duration]string{15 * time.Minute: "15분", 90 * time.Minute: "1시간 30분", 24 * time.Hour: "24시간", 45 * time.Second: "45초", 0: "0초", -time.Minute: "-1분"} {
		if got := (tr{i18n.For("ko")}).Duration(d); got != want {
			t.Errorf("Duration(%v) in Korean = %q, want %q", d, got, want)
		}
	}
}
