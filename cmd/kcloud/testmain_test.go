package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/passkey/passkeytest"
)

// TestMain runs the tests, then removes the kcloud binary they built and
// the shared etcd's files: a test run leaves nothing in TMPDIR.
func TestMain(m *testing.M) {
	if file := os.Getenv("KCLOUD_SOFTKEY"); file != "" && len(os.Args) == 2 {
		// This binary is the browser kcloud opened ($BROWSER): a
		// software authenticator answers the page (passkeys.txtar).
		os.Exit(passkeytest.Main(file, os.Getenv("KCLOUD_SOFTKEY_MODE"), os.Args[1]))
	}
	code := etcdtest.Main(m)
	if binPath != "" {
		if err := os.RemoveAll(filepath.Dir(binPath)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
