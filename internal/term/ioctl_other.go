//go:build aix || linux || solaris || zos

package term

import "golang.org/x/sys/unix"

// The termios requests, as golang.org/x/term picks them for these systems.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
