//go:build !unix

package store

import (
	"io"
	"os"
)

// mapFile reads the file for the page checker where mapping it is not Unix's.
func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	data := make([]byte, size)
	_, err := io.ReadFull(f, data)
	return data, func() {}, err
}
