package cli

import (
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
)

// userFlag is --user USER on access-key list|disable|delete, session
// list|end and account activity: an admin's page on a member's account.
// Pages that change something take the admin's second factor, as member
// actions do.
type userFlag struct {
	user string
	sf   secondFactorFlags
}

func (u *userFlag) add(cmd *cobra.Command, change bool) {
	cmd.Flags().StringVar(&u.user, "user", "", "an admin: the member's `USER` ID, whose account this is about")
	if change && cmd.Flags().Lookup("otp") == nil {
		u.sf.add(cmd)
	}
}

// visit is the session's page, on the member's account where --user
// names one.
func (u *userFlag) visit(f *deps) (*account.Visit, *account.Who, error) {
	v, who, _, err := f.session()
	if err != nil {
		return nil, nil, err
	}
	v, err = v.For(u.user)
	return v, who, err
}

// open is openPage on the member's account where --user names one.
func openPageFor[T any](f *deps, u *userFlag, run func(v *account.Visit, pr *account.Proof) (T, error)) (T, error) {
	v, _, err := u.visit(f)
	if err != nil {
		var zero T
		return zero, err
	}
	return withProof(f, v, func(pr *account.Proof) (T, error) { return run(v, pr) })
}

// prove is the admin's proof for a page of v that changes something: the
// password, then the second factor where the page on a member's account
// takes one (the flags' form was checked by given before).
func (u *userFlag) prove(f *deps, v *account.Visit) (*account.Proof, error) {
	given, err := u.sf.given()
	if err != nil {
		return nil, err
	}
	pr, err := f.prove(v)
	if err != nil {
		return nil, err
	}
	if v.MemberStepUp() {
		if err := f.stepUp(pr, given); err != nil {
			return nil, err
		}
	}
	return pr, nil
}
