//go:build unix

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the file read-only for the page checker: the pages are read where
// they lie, without a copy of a file that may be large.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	if size == 0 {
		return nil, func() {}, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { unix.Munmap(data) }, nil
}
