package account

import (
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/store"
)

func errNotAdmin(id string) *fail.Error {
	return fail.Mark(fail.Other, ErrNotAdmin, "%s is not an admin of the organization", id)
}

// RequireAdmin is for callers that check before asking for a password;
// the page checks again inside its transaction. The error names the
// organization's admins (their User IDs, at most shownAdmins), whom the
// person can ask.
func (v *Visit) RequireAdmin() error {
	if v.who.Admin {
		return nil
	}
	err := errNotAdmin(v.who.UserID)
	var admins []string
	more := 0
	// What cannot be read leaves the error as it is: it is not the page's.
	_ = v.s.Store.View(func(tx *store.Tx) error {
		admins, more = nil, 0
		return eachAccount(tx, func(a *Account) {
			switch {
			case !a.Admin || a.Disabled:
			case len(admins) < shownAdmins:
				admins = append(admins, a.UserID)
			default:
				more++
			}
		})
	})
	switch {
	case len(admins) == 0:
		return err
	case more > 0:
		return err.WithHint("ask an admin of the organization: %s, or one of %s", strings.Join(admins, ", "), fail.Plural(more, "%d other", "%d others"))
	}
	return err.WithHint("ask an admin of the organization: %s", strings.Join(admins, ", "))
}

// shownAdmins is how many admins a non-admin's error names.
const shownAdmins = 5
