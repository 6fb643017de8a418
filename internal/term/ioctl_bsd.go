//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package term

import (
	"os"

	"golang.org/x/sys/unix"
)

const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
)

// flushInput discards input received but not read, as tcflush(TCIFLUSH):
// TIOCFLUSH with FREAD (1 in <sys/fcntl.h>).
func flushInput(f *os.File) error {
	const fread = 0x1
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.TIOCFLUSH, fread)
}
