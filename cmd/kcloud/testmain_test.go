package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

// TestMain runs the tests, then removes the kcloud binary they built and
// the shared etcd's files: a test run leaves nothing in TMPDIR.
func TestMain(m *testing.M) {
	code := etcdtest.Main(m)
	if binPath != "" {
		if err := os.RemoveAll(filepath.Dir(binPath)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
