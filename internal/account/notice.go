package account

import (
	"slices"
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
	// Held is how many alerts of this kind were not sent since HeldSince,
	// the last one that was: at most one goes out every AlertEvery.
	Held      int
	HeldSince time.Time
	// refused, when set, says why To was not sent to: the address read
	// from the store is not a valid one (rule 12: on etcd a person's own
	// role may write their record).
	refused error
}

// storedContact reads an address or number from the store as contact
// rules read a typed one, and refuses one that is not already in the form
// a verification saved: whatever wrote the record, a message is built
// only for one valid address (security rule 12).
func storedContact(kind contact.Kind, stored string) (contact.Target, error) {
	t, err := contact.Parse(kind, stored)
	if err == nil && t.Address != stored {
		err = fail.Errorf("the stored %s is not in the form kcloud saves", kindWord(kind))
	}
	return t, err
}

// AlertEvery is the least time between two security alerts of one kind
// to one account: a burst of events (a script gone wrong, a stolen key's
// writes) sends one alert, and the next says how many it held back. The
// activity log keeps every event.
const AlertEvery = 10 * time.Minute

// alertSent is when an account was last sent an alert of one kind, and
// how many of that kind were held back since.
type alertSent struct {
	At   time.Time `json:"at"`
	Held int       `json:"held,omitempty"`
}

// throttle says whether an alert of event goes out to a at now; if so,
// how many of its kind were held back since the last one, and when that
// was. a is changed: its record must be written.
func (a *Account) throttle(event string, now time.Time) (send bool, held int, since time.Time) {
	last := a.Alerts[event]
	if last != nil && now.Sub(last.At) < AlertEvery && !now.Before(last.At) {
		last.Held++
		return false, 0, time.Time{}
	}
	if a.Alerts == nil {
		a.Alerts = map[string]*alertSent{}
	}
	if last != nil {
		held, since = last.Held, last.At
	}
	a.Alerts[event] = &alertSent{At: now}
	return true, held, since
}

// noticesTo makes the notice n for each of a's verified contacts (its
// email, the addresses also names, its phone), each validated again;
// none when an alert of its kind went out less than AlertEvery ago.
func noticesTo(a *Account, n Notice, also ...string) []Notice {
	var out []Notice
	if a.Email == nil && a.Phone == nil && !slices.ContainsFunc(also, func(x string) bool { return x != "" }) {
		return nil // nobody to tell
	}
	send, held, since := a.throttle(n.Event, n.Time)
	if !send {
		return nil
	}
	n.Held, n.HeldSince = held, since
	add := func(kind contact.Kind, addr string) {
		n := n
		n.Phone = kind == contact.Phone
		t, err := storedContact(kind, addr)
		n.To, n.refused = t.Address, err
		out = append(out, n)
	}
	seen := ""
	if a.Email != nil {
		seen = a.Email.Address
		add(contact.Email, a.Email.Address)
	}
	for _, x := range also {
		if x != "" && x != seen {
			add(contact.Email, x)
		}
	}
	if a.Phone != nil {
		add(contact.Phone, a.Phone.Address)
	}
	return out
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
	a := u.Account
	u.notices = append(u.notices, noticesTo(a, Notice{UserID: a.UserID, Event: event, What: what, Time: u.Now, Language: a.language()}, also...)...)
}

// sendNotices hands the committed change's notices to Notify. A notice
// that cannot be sent never undoes the change: it is logged in the
// activity and reported through Warn.
func (s *Service) sendNotices(notices []Notice) {
	if s.Notify == nil {
		return
	}
	for _, n := range notices {
		err := n.refused
		if err == nil {
			err = s.Notify(n)
		}
		if err == nil {
			continue
		}
		if s.Warn != nil {
			s.Warn(fail.Errorf("the security notice (%s) could not be sent: %v", n.What, err))
		}
		s.Store.Update(func(tx *store.Tx) error {
			return logEvent(tx, n.UserID, Event{Time: s.now(), Host: s.Host, Event: EvNoticeFailed, Detail: n.Event + ": " + err.Error()})
		})
	}
}
