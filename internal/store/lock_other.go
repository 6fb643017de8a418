//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package store

import (
	"os"
	"time"
)

// hookLocks says that openLocked holds the file's lock when it returns.
const hookLocks = false

// openLocked leaves the lock to bbolt where flock is not what bbolt uses
// (Windows, Solaris, illumos, AIX): it retries every 50 ms.
func openLocked(time.Duration, func()) func(string, int, os.FileMode) (*os.File, error) {
	return os.OpenFile
}
