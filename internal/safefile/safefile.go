// Package safefile replaces files whole: a reader sees the old file or
// the new one, never a part, and a new file is private (mode 0600) from
// its first byte.
package safefile

import (
	"os"
	"path/filepath"
)

// Replace has fill write the new content to a temporary name beside path
// (fill may create that file or write to it: it exists, empty, mode
// 0600), syncs it, and renames it over path. On any failure path is left
// as it was and the temporary file is removed.
func Replace(path string, fill func(tmp string) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this finds nothing
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fill(tmp)
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// WriteFile replaces path with data, as Replace does.
func WriteFile(path string, data []byte) error {
	return Replace(path, func(tmp string) error { return os.WriteFile(tmp, data, 0o600) })
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
