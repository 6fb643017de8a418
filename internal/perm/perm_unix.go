//go:build unix

package perm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kcloud/kcloud/internal/fail"
)

// Check judges the file at path and its directory, after resolving
// symlinks. A missing file is fine (nil): whoever creates it sets its
// mode. private also refuses a file others can read, or one root owns;
// a file that is not private may belong to root, who can change anything
// anyway.
func Check(path string, private bool) error {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Judge the directory it would be created in.
		dir, derr := filepath.EvalSymlinks(filepath.Dir(path))
		if derr != nil {
			return nil
		}
		return checkDir(dir, filepath.Join(dir, filepath.Base(path)), private)
	}
	if err != nil {
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	mode := fi.Mode().Perm()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && (private || st.Uid != 0) {
		return &Problem{Path: real, Err: ErrOwner, Why: fail.Message{Format: "uid %d", Args: []any{st.Uid}}}
	}
	fix := "chmod go-w " + real
	if private {
		fix = "chmod 600 " + real
	}
	if mode&0o022 != 0 {
		return &Problem{Path: real, Err: ErrOthersWrite, Why: fail.Message{Format: "mode %04o", Args: []any{mode}}, Fix: fix}
	}
	if private && mode&0o044 != 0 {
		return &Problem{Path: real, Err: ErrOthersRead, Why: fail.Message{Format: "mode %04o", Args: []any{mode}}, Fix: fix}
	}
	return checkDir(filepath.Dir(real), real, private)
}

// checkDir refuses a directory where others could replace file: one they
// can write without the sticky bit, or one another user owns.
func checkDir(dir, file string, private bool) error {
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	mode := di.Mode()
	if mode.Perm()&0o022 != 0 && mode&os.ModeSticky == 0 {
		fix := "chmod go-w " + dir
		if private {
			fix = "chmod 700 " + dir
		}
		return &Problem{Path: file, Err: ErrOthersWrite, Dir: true, Why: fail.Message{Format: "mode %04o", Args: []any{mode.Perm()}}, Fix: fix}
	}
	if st, ok := di.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return &Problem{Path: file, Err: ErrOwner, Dir: true, Why: fail.Message{Format: "%s belongs to uid %d", Args: []any{dir, st.Uid}}}
	}
	return nil
}
