// Package perm judges whether a file is private enough to trust: the
// store, which holds password verifiers, and the configuration file, which
// names programs to run and where codes go (security rule 9).
//
// A path is judged where it resolves: a symlink into a directory others
// can write is no safer than the directory itself.
package perm

import (
	"errors"

	"github.com/kcloud/kcloud/internal/fail"
)

// Errors for callers to tell apart; the message says which file and why.
var (
	// ErrOthersWrite: another user can write the file or replace it.
	ErrOthersWrite = errors.New("other users can write it")
	// ErrOthersRead: another user can read the file.
	ErrOthersRead = errors.New("other users can read it")
	// ErrOwner: the file belongs to another user.
	ErrOwner = errors.New("it belongs to another user")
)

// Problem is why a file is refused, with the command that fixes it.
type Problem struct {
	Path string       // the resolved path
	Err  error        // ErrOthersWrite, ErrOthersRead or ErrOwner
	Dir  bool         // the problem is the file's directory
	Why  fail.Message // "mode 0644", "uid 1001"
	Fix  string       // "chmod 600 /x/kcloud.db", or "" when only its owner can
}

func (p *Problem) Error() string { return p.Message().In(fail.English) }

// Message is what is wrong, and why (the mode, the owner).
func (p *Problem) Message() fail.Message {
	what := fail.Message{Format: "it"}
	if p.Dir {
		what = fail.Message{Format: "its directory"}
	}
	m := fail.Message{Format: "%s belongs to another user (%s)", Args: []any{what, p.Why}}
	switch p.Err {
	case ErrOthersWrite:
		m.Format = "other users can write %s (%s)"
	case ErrOthersRead:
		m.Format = "other users can read %s (%s)"
	}
	return m
}
func (p *Problem) Unwrap() error { return p.Err }
