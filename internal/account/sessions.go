package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
	"github.com/kcloud/kcloud/internal/store"
)

// Session records (contract, "Sessions"; rule 15). Every session is a
// record in the account's record in the directory, whatever the
// backend: its ID (short, not secret), a hash of its token, when it
// began, was last used (to the minute) and ends, where (the host), how
// (the methods of its login) and by what (kcloud's version). The machine
// keeps only the token, in its session file. A token opens a session
// only where its record is: not in another organization's store, not for
// a new account of the same User ID, not once logout, session end, a
// password change or an admin removed the record. What a session may do
// (require_otp, a short password, its expiry and idle time) is worked out
// from the account and the policy at every use, never read from it.

// SessionRecord is one session of an account, as the directory keeps it.
type SessionRecord struct {
	ID         string    `json:"id"`
	Hash       []byte    `json:"hash"` // of the token: sessionHash
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Host       string    `json:"host,omitempty"`
	Method     string    `json:"method"`
	Client     string    `json:"client,omitempty"`
	// PasswordAt is when a password was last typed on the session (its
	// login, or a page), kept while security.reauth_grace is set: the
	// grace is counted from it (grace.go).
	PasswordAt *time.Time `json:"password_at,omitempty"`
	// Ticket is where that password was typed (Service.Ticket): the
	// grace holds only there, not for a copy of the session file used
	// from another terminal or login.
	Ticket string `json:"ticket,omitempty"`
}

// MaxSessions is how many sessions an account has: a new login ends the
// one used least recently.
const MaxSessions = 100

// ErrSessionUnknown: the token names no session of the account here.
var ErrSessionUnknown = errors.New("no such session")

func sessionHash(accountUUID, token string) []byte {
	h := sha256.Sum256([]byte("kcloud session\x00" + accountUUID + "\x00" + token))
	return h[:]
}

// newSessionToken is a token of 256 random bits and an ID of 40.
func newSessionToken() (token, id string) {
	b := make([]byte, 32)
	rand.Read(b)
	i := make([]byte, 5)
	rand.Read(i)
	return base64.RawURLEncoding.EncodeToString(b), strings.ToLower(base32.StdEncoding.EncodeToString(i))
}

// sessionOrNil is session for an account that may be gone.
func (a *Account) sessionOrNil(token string) *SessionRecord {
	if a == nil {
		return nil
	}
	return a.session(token)
}

// sessionID is the ID of sess's record in a, "" if it has none.
func sessionID(a *Account, sess *Session) string {
	if r := a.sessionOrNil(sess.Token); r != nil {
		return r.ID
	}
	return ""
}

// session finds the record the token opens.
func (a *Account) session(token string) *SessionRecord {
	h := sessionHash(a.UUID, token)
	for _, r := range a.Sessions {
		if secret.Equal(r.Hash, h) {
			return r
		}
	}
	return nil
}

// live says whether r still opens pages under p at now: before its end,
// within session.ttl of its start, and, with session.idle_ttl, used
// recently enough. open says which of them failed.
func live(r *SessionRecord, p Policy, now time.Time) bool {
	return now.Before(r.ExpiresAt) && now.Before(r.CreatedAt.Add(p.SessionTTL)) &&
		(p.IdleTTL <= 0 || now.Before(r.LastUsedAt.Add(p.IdleTTL)))
}

// addSession adds r, dropping the records of sessions that have ended
// and then, past MaxSessions, the ones used least recently.
func (a *Account) addSession(p Policy, now time.Time, r *SessionRecord) {
	a.Sessions = slices.DeleteFunc(a.Sessions, func(s *SessionRecord) bool { return !live(s, p, now) })
	for len(a.Sessions) >= MaxSessions {
		old := 0
		for i, s := range a.Sessions {
			if s.LastUsedAt.Before(a.Sessions[old].LastUsedAt) {
				old = i
			}
		}
		a.Sessions = slices.Delete(a.Sessions, old, old+1)
	}
	a.Sessions = append(a.Sessions, r)
}

// dropSessions removes every session record but the one token opens
// ("" keeps none).
func (a *Account) dropSessions(keep string) {
	var k *SessionRecord
	if keep != "" {
		k = a.session(keep)
	}
	a.Sessions = slices.DeleteFunc(a.Sessions, func(r *SessionRecord) bool { return r != k })
}

// open checks sess, this machine's session, against a, the account as
// the directory holds it now: its record must be there, and within the
// policy's session.ttl and idle time. A session from before records has
// no token: it names a User ID and a count anyone can write in a file of
// their own, so it opens nothing (rule 15), and the person logs in again.
func (a *Account) open(sess *Session, p Policy, now time.Time) (*SessionRecord, error) {
	if err := a.holds(sess); err != nil {
		return nil, err
	}
	if sess.Token == "" {
		return nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session of %s is from a kcloud that kept no session records: log in again", a.UserID)
	}
	r := a.session(sess.Token)
	switch {
	case r == nil:
		return nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session was ended (logout, session end, a password change or an admin), or is not of this store")
	case !now.Before(r.ExpiresAt):
		return nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session of %s ended at %s", a.UserID, r.ExpiresAt)
	case p.IdleTTL > 0 && !now.Before(r.LastUsedAt.Add(p.IdleTTL)):
		return nil, fail.Mark(fail.LoginRequired, ErrSessionEnded, "the session of %s ended at %s, unused for %s (session.idle_ttl)", a.UserID, r.LastUsedAt.Add(p.IdleTTL), p.IdleTTL)
	}
	return r, nil
}

// touch writes the session's last use, to the minute, at most once a
// minute: a command a second writes once a minute.
func (s *Service) touch(userID, token string) error {
	return s.Store.Update(func(tx *store.Tx) error {
		a, err := getAccount(tx, userID)
		if err != nil || a == nil {
			return err
		}
		r := a.session(token)
		if r == nil {
			return nil
		}
		r.LastUsedAt = s.now().Truncate(time.Minute)
		return putAccount(tx, a)
	})
}

func stale(r *SessionRecord, now time.Time) bool {
	return r != nil && now.Sub(r.LastUsedAt) >= time.Minute
}

// SessionView is a session as session list shows it.
type SessionView struct {
	ID, Host, Method, Client         string
	Current                          bool
	CreatedAt, LastUsedAt, ExpiresAt time.Time
}

// Sessions settles the proof and lists the account's sessions, on every
// machine, the one used most recently first.
func (v *Visit) Sessions(pr *Proof) ([]SessionView, error) {
	var out []SessionView
	err := pr.settle(v, attempt{what: "session list", readOnly: true, grace: true, snapshot: v.user == "", keys: ScopeRead, change: func(u *Unlocked) error {
		acc, err := u.subject(v.user)
		if err == nil {
			out = sessionViews(acc, u.token, u.Policy, u.Now)
		}
		return err
	}})
	return out, err
}

func sessionViews(a *Account, token string, p Policy, now time.Time) []SessionView {
	cur := a.session(token)
	out := []SessionView{}
	for _, r := range a.Sessions {
		if !live(r, p, now) {
			continue // ended: it opens nothing, and the next login drops it
		}
		end := r.ExpiresAt
		if e := r.CreatedAt.Add(p.SessionTTL); e.Before(end) {
			end = e
		}
		out = append(out, SessionView{r.ID, r.Host, r.Method, r.Client, token != "" && r == cur, r.CreatedAt, r.LastUsedAt, end})
	}
	slices.SortStableFunc(out, func(x, y SessionView) int { return y.LastUsedAt.Compare(x.LastUsedAt) })
	return out
}

// CheckSessions tells, before anyone types, whether the account has a
// session of each ID.
func (v *Visit) CheckSessions(ids []string) error {
	a := v.subjectRec()
	for _, id := range ids {
		if !slices.ContainsFunc(a.Sessions, func(r *SessionRecord) bool { return r.ID == id }) {
			return fail.Mark(fail.Usage, ErrSessionUnknown, "%s has no session %q", a.UserID, id)
		}
	}
	return nil
}

// Which sessions EndSessions ends beside the ones named.
const (
	EndNamed  = ""       // the sessions named
	EndOthers = "others" // every session but this machine's
	EndAll    = "all"    // every session (an admin, on a member's account)
)

// EndSessions settles the proof and ends the sessions ids, or those
// which says: their records go, so their tokens open nothing, on every
// machine, at once. On a member's account it takes the step-up of member
// actions. It returns how many ended.
func (v *Visit) EndSessions(pr *Proof, ids []string, which string) (int, error) {
	s := v.s
	n := 0
	err := pr.settle(v, attempt{what: "session end", factor: v.MemberStepUp(), change: func(u *Unlocked) error {
		n = 0
		token := u.token
		return u.onSubject(v.user, func(u *Unlocked) (string, string, error) {
			a := u.Account
			cur := a.sessionOrNil(token)
			before := len(a.Sessions)
			a.Sessions = slices.DeleteFunc(a.Sessions, func(r *SessionRecord) bool {
				switch which {
				case EndOthers:
					return r != cur
				case EndAll:
					return true
				}
				return slices.Contains(ids, r.ID)
			})
			n = before - len(a.Sessions)
			if n == 0 {
				return "", "", nil
			}
			if cur != nil && !slices.Contains(a.Sessions, cur) {
				id := a.UserID
				u.after = append(u.after, func() error { return s.endSession(id) })
			}
			u.notice(EvSessionsEnded, say("%d of your sessions were ended", n))
			detail := map[string]string{EndOthers: "every other session", EndAll: "every session"}[which]
			if which == EndNamed {
				detail = strings.Join(ids, ", ")
			}
			return EvSessionsEnded, detail, u.Log(EvSessionsEnded, detail)
		})
	}})
	return n, err
}

// EvSessionsEnded records sessions ended by session end.
const EvSessionsEnded = "sessions_ended"
