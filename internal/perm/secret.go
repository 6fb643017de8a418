package perm

import (
	"io"
	"os"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
)

// ReadSecret reads a password kept in a file (the SMTP server's, the etcd
// user's): the file must pass Check as private, hold at most limit bytes
// (security rule 13), and hold one line, whose end is not part of it. A
// refused file is a *Problem.
func ReadSecret(path string, limit int64) (string, error) {
	if err := Check(path, true); err != nil {
		return "", fail.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > limit {
		return "", fail.Errorf("%s is larger than %d bytes", path, limit)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return "", fail.Errorf("%s must hold the password on one line", path)
	}
	return s, nil
}
