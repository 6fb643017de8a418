//go:build aix || linux || solaris

package term

import (
	"os"

	"golang.org/x/sys/unix"
)

// The termios requests, as golang.org/x/term picks them for these systems.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)

// flushInput discards input received but not read, as tcflush(TCIFLUSH).
// On Linux that includes bytes the line discipline has not processed yet.
func flushInput(f *os.File) error {
	return unix.IoctlSetInt(int(f.Fd()), unix.TCFLSH, unix.TCIFLUSH)
}
