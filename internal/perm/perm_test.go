//go:build unix

package perm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJudgedWhereSymlinksResolve: a store reached through a symlink in a
// safe directory is judged by the directory it lies in (security rule 9;
// finding 6).
func TestJudgedWhereSymlinksResolve(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777) // past the umask
	file := filepath.Join(open, "kcloud.db")
	os.WriteFile(file, nil, 0o600)
	safe := t.TempDir()
	link := filepath.Join(safe, "kcloud.db")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	err := Check(link, true)
	var p *Problem
	if !errors.As(err, &p) || !errors.Is(err, ErrOthersWrite) || !p.Dir || p.Fix != "chmod 700 "+open {
		t.Fatalf("a store linked into a 0777 directory: %v; want its directory refused", err)
	}
	os.Chmod(open, 0o700)
	if err := Check(link, true); err != nil {
		t.Fatalf("the same store made safe: %v", err)
	}
	os.Chmod(file, 0o640)
	if err := Check(link, true); !errors.Is(err, ErrOthersRead) {
		t.Fatalf("a store others can read, through a link: %v; want ErrOthersRead", err)
	}
	if err := Check(link, false); err != nil {
		t.Fatalf("a config others can read is fine: %v", err)
	}
	// A file not there yet is judged by the directory it would go in.
	os.Chmod(open, 0o777)
	if err := Check(filepath.Join(open, "new.db"), true); !errors.Is(err, ErrOthersWrite) {
		t.Fatalf("a new store in a 0777 directory: %v", err)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	if pw, err := ReadSecret(write("ok", "s3cret pass\n", 0o600), 4096); err != nil || pw != "s3cret pass" {
		t.Fatalf("a private one-line file: %q %v", pw, err)
	}
	var p *Problem
	if _, err := ReadSecret(write("loose", "s3cret\n", 0o644), 4096); !errors.As(err, &p) || !errors.Is(err, ErrOthersRead) {
		t.Fatalf("a file others can read: %v", err)
	}
	for name, body := range map[string]string{"two": "a\nb\n", "empty": "\n", "big": strings.Repeat("x", 5000)} {
		if _, err := ReadSecret(write(name, body, 0o600), 4096); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
