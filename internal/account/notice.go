package account

import (
	"time"

	"github.com/kcloud/kcloud/internal/contact"
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
	// What happened, for people: "your password was changed", kept as a
	// format and its arguments, said in Language by the command line.
	What fail.Message
	Time time.Time
	// Language is the account's: the notice is worded in it.
	Language string
}

// say is what a notice says, in English, with its arguments as values
// (a time stays a time.Time, to be said in the account's language).
func say(format string, args ...any) fail.Message { return fail.Message{Format: format, Args: args} }

// kindWord names a kind of contact in a notice.
func kindWord(k contact.Kind) fail.Message {
	if k == contact.Phone {
		return fail.Message{Format: "phone"}
	}
	return fail.Message{Format: "email"}
}

// EvNoticeFailed records a security notice that could not be sent.
const EvNoticeFailed = "security_notice_failed"

// notice queues a security alert to the account's verified email, and to
// also, when that is another address (the email a verification replaced).
// Nothing is sent inside the transaction: finish sends once it commits.
func (u *Unlocked) notice(event string, what fail.Message, also ...string) {
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
		u.notices = append(u.notices, Notice{To: addr, UserID: u.Account.UserID, Event: event, What: what, Time: u.Now,
			Language: u.Account.language()})
	}
	if p := u.Account.Phone; p != nil {
		u.notices = append(u.notices, Notice{To: p.Address, Phone: true, UserID: u.Account.UserID, Event: event, What: what, Time: u.Now,
			Language: u.Account.language()})
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
