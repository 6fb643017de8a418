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
	for _, kind := range []contact.Kind{contact.Email, contact.Phone} {
		m := message(kind, "123456@example.com", "987654", 10*time.Minute)
		if n := count(m.Subject + "\n" + m.Body); n != 1 {
			t.Errorf("%s code message: %d six-digit numbers:\n%s", kind, n, m.Body)
		}
		r := recoverMessage(kind, "123456@example.com", "987654", 10*time.Minute)
		if n := count(r.Subject + "\n" + r.Body); n != 1 {
			t.Errorf("%s recovery message: %d six-digit numbers:\n%s", kind, n, r.Body)
		}
	}
	n := noticeMessage(account.Notice{To: "654321@example.com", UserID: "654321", Event: account.EvMemberDisabled,
		What: "your account was disabled (by the admin 123456)", Time: time.Now()})
	if c := count(n.Subject + "\n" + n.Body); c != 0 {
		t.Errorf("a notice holds %d six-digit numbers:\n%s", c, n.Body)
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
