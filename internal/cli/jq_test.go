package cli

import (
	"os"
	"testing"
)

// TestMain lets the test binary be the --jq process, as kcloud's binary
// is (writeJQ runs os.Executable with jqChildArg).
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == jqChildArg {
		os.Exit(runJQChild(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
