package account

import (
	"fmt"
	"time"

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
	What   string // for people: "your password was changed"
	Time   time.Time
}

// EvNoticeFailed records a security notice that could not be sent.
const EvNoticeFailed = "security_notice_failed"

// notice queues a security alert to the account's verified email, and to
// also, when that is another address (the email a verification replaced).
// Nothing is sent inside the transaction: finish sends once it commits.
func (u *Unlocked) notice(event, what string, also ...string) {
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
		u.notices = append(u.notices, Notice{To: addr, UserID: u.Account.UserID, Event: event, What: what, Time: u.Now})
	}
	if p := u.Account.Phone; p != nil {
		u.notices = append(u.notices, Notice{To: p.Address, Phone: true, UserID: u.Account.UserID, Event: event, What: what, Time: u.Now})
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
			s.Warn(fmt.Sprintf("the security notice (%s) could not be sent: %v", n.What, err))
		}
		s.Store.Update(func(tx *store.Tx) error {
			return logEvent(tx, n.UserID, Event{Time: s.now(), Event: EvNoticeFailed, Detail: n.Event + ": " + err.Error()})
		})
	}
}
