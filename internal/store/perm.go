package store

import (
	"errors"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/perm"
)

// checkPerm refuses a store that someone other than its owner could read
// or write: through the file's mode, its owner, or a directory where
// anyone could replace it (security rule 9).
func checkPerm(path string) error {
	err := perm.Check(path, true)
	var p *perm.Problem
	if errors.As(err, &p) {
		return fail.Mark(fail.Other, unsafePerm{p}, "refusing the store %s: %v", path, p)
	}
	if err != nil {
		return fail.Wrap(fail.Other, err, "store %s", path)
	}
	return nil
}

// unsafePerm is a permission problem of the store: errors.Is finds ErrUnsafe,
// errors.As the problem with its fix.
type unsafePerm struct{ p *perm.Problem }

func (u unsafePerm) Error() string   { return u.p.Error() }
func (u unsafePerm) Unwrap() []error { return []error{ErrUnsafe, u.p} }
