package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPassword = "a long pass phrase"

// home gives the test a fresh HOME and XDG directories, as a new user has.
func home(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	t.Setenv("HOME", h)
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "KCLOUD_CONFIG",
		"KCLOUD_STORE_PATH", "KCLOUD_OUTPUT", "KCLOUD_NO_INPUT", "KCLOUD_UI_LANGUAGE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("LC_ALL", "C") // English, whatever the machine's locale: a test that wants Korean says so
	return h
}

// kc runs kcloud in-process with stdin and returns its exit code, stdout
// and stderr.
func kc(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	io, out, errOut := Test(stdin)
	code := run(io, args)
	return code, out.String(), errOut.String()
}

// mustKC runs kcloud and fails the test unless it exits 0.
func mustKC(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := kc(t, stdin, args...)
	if code != 0 {
		t.Fatalf("kcloud %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// initStore makes a store with alice logged in, and returns its path.
func initStore(t *testing.T) string {
	t.Helper()
	h := home(t)
	mustKC(t, testPassword+"\n", "init", "--org-name", "Acme", "--user-id", "alice", "--name", "Alice", "--password-stdin")
	mustKC(t, testPassword+"\n", "login", "--password-stdin")
	return filepath.Join(h, ".local", "share", "kcloud", "kcloud.db")
}
