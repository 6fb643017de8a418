//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package store

import (
	"os"
	"time"

	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"
)

// hookLocks says that openLocked holds the file's lock when it returns.
const hookLocks = true

// openLocked is bbolt's OpenFile: it opens the store and takes the lock
// bbolt is about to take (shared to read, exclusive to write) on the
// same file, so that bbolt's own try succeeds at once. The difference is
// the wait: bbolt retries every 50 ms, so a writer behind others waits
// in steps of 50 ms whatever the work takes; here the kernel hands the
// lock over the moment it is free (a blocking flock), and the timeout
// still holds. The file is opened with open(2) itself: os.OpenFile
// would try, and fail, to register a regular file with the network
// poller, four system calls for nothing on every transaction.
func openLocked(timeout time.Duration, waiting func()) func(string, int, os.FileMode) (*os.File, error) {
	return func(path string, flag int, mode os.FileMode) (*os.File, error) {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, uint32(mode.Perm()))
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		f := os.NewFile(uintptr(fd), path)
		how := unix.LOCK_SH
		if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
			how = unix.LOCK_EX
		}
		if err := waitLock(f, how, timeout, waiting); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
}

func waitLock(f *os.File, how int, timeout time.Duration, waiting func()) error {
	fd := int(f.Fd())
	err := unix.Flock(fd, how|unix.LOCK_NB)
	if err != unix.EWOULDBLOCK || timeout <= time.Millisecond {
		if err == unix.EWOULDBLOCK {
			return berrors.ErrTimeout
		}
		return err
	}
	// Another process holds it: wait in the kernel. On timeout the
	// waiter is left behind; the file is closed, so the lock it gets in
	// the end goes with its last reference, and the process is about to
	// report "busy" anyway.
	got := make(chan error, 1)
	go func() {
		for {
			err := unix.Flock(fd, how)
			if err != unix.EINTR {
				got <- err
				return
			}
		}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	if waiting != nil && timeout > time.Second {
		w := time.AfterFunc(time.Second, waiting)
		defer w.Stop()
	}
	select {
	case err := <-got:
		return err
	case <-t.C:
		return berrors.ErrTimeout
	}
}
