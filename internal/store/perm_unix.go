//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kcloud/kcloud/internal/fail"
)

// checkPerm refuses a store that someone other than its owner could
// write: through the file's own mode, its owner, or a directory where
// anyone could replace it (security rule 9).
func checkPerm(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // Create makes it 0600
	}
	if err != nil {
		return fail.Wrap(fail.Other, err, "store")
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fail.Otherf("refusing the store %s: other users can write it (mode %04o)", path, fi.Mode().Perm()).
			WithHint("chmod 600 %s", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fail.Otherf("refusing the store %s: it belongs to another user (uid %d)", path, st.Uid)
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return fail.Wrap(fail.Other, err, "store")
	}
	if di.Mode().Perm()&0o022 != 0 && di.Mode()&os.ModeSticky == 0 {
		return fail.Otherf("refusing the store %s: other users can write its directory (mode %04o)", path, di.Mode().Perm()).
			WithHint("chmod 700 %s", dir)
	}
	return nil
}
