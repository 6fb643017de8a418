package account

import (
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

// Notice is a security alert for the person an account belongs to, sent
// to its verified email address (security rule 10): what happened and
// when. It carries no code, secret or setup key.
type Notice struct {
	To     string // a verified email address, or phone number when Phone
	Phone  bool   // by SMS, to the verified phone
	UserID string
	Event  string // one of the Ev kinds
	What   string // for people, in English: "your password was changed"
	Time   time.Time
	// Language is the account's: the notice is worded in it.
	Language string
	// Key names the wording (the event, or a variant of it) and Args
	// fill it in, for a language other than English (cli/notice.go).
	Key  string
	Args []string
}

// Words is a notice's wording: Key and Args for every language, What in
// English.
type Words struct {
	Key, What string
	Args      []string
}

func say(key, what string, args ...string) Words { return Words{Key: key, What: what, Args: args} }

// NoticeKeys are the keys of every notice kcloud sends, for the test that
// each has its words in every language.
var NoticeKeys = []string{
	"password_disabled", "locked", "contact_verified", "member_password_reset", "member_disabled",
	"member_enabled", "member_admin", "member_not_admin", "member_deleted", "recovered_by_admin_code",
	"otp_registered_named", "otp_registered", "otp_deleted_last", "otp_deleted", "recovery_renewed",
	"recovery_used", "password_changed", "recovery_sent", "recovered", "recovered_with_code", "logout_all", "member_unlocked", "member_otp_reset",
}

// EvNoticeFailed records a security notice that could not be sent.
const EvNoticeFailed = "security_notice_failed"

// notice queues a security alert to the account's verified email, and to
// also, when that is another address (the email a verification replaced).
// Nothing is sent inside the transaction: finish sends once it commits.
func (u *Unlocked) notice(event string, w Words, also ...string) {
	to := []string{}
	if u.Account.Email != nil {
		to = append(to, u.Account.Email.Address)
	}
	for _, a := range also {
		if a != "" && (len(to) == 0 || a != to[0]) {
			to = append(to, a)
		}
	}
	for _, addr := range to {
		u.notices = append(u.notices, Notice{To: addr, UserID: u.Account.UserID, Event: event, What: w.What, Time: u.Now,
			Language: u.Account.language(), Key: w.Key, Args: w.Args})
	}
	if p := u.Account.Phone; p != nil {
		u.notices = append(u.notices, Notice{To: p.Address, Phone: true, UserID: u.Account.UserID, Event: event, What: w.What, Time: u.Now,
			Language: u.Account.language(), Key: w.Key, Args: w.Args})
	}
}

// sendNotices hands the committed change's notices to Notify. A notice
// that cannot be sent never undoes the change: it is logged in the
// activity and reported through Warn.
func (s *Service) sendNotices(notices []Notice) {
	if s.Notify == nil {
		return
	}
	for _, n := range notices {
		err := s.Notify(n)
		if err == nil {
			continue
		}
		if s.Warn != nil {
			s.Warn(fail.Errorf("the security notice (%s) could not be sent: %v", n.What, err))
		}
		s.Store.Update(func(tx *store.Tx) error {
			return logEvent(tx, n.UserID, Event{Time: s.now(), Event: EvNoticeFailed, Detail: n.Event + ": " + err.Error()})
		})
	}
}
