package cli

import (
	"strings"
	"syscall"
	"testing"
)

// TestJQOneStepBounded: one step of gojq that asks for a gigabyte at
// once (a repeated string, an array grown to an index) is stopped by the
// --jq process's memory limit before it has it, where the heap watch
// would see it only after (issue 24, finding 2). The largest process
// this test binary waited for stays far below what the step asked.
func TestJQOneStepBounded(t *testing.T) {
	initStore(t)
	defer func(h uint64) { jqHeapLimit = h }(jqHeapLimit)
	jqHeapLimit = 32 << 20
	for _, prog := range []string{`"x" * 1e9 | length`, `null | setpath([400000000]; 1) | length`} {
		code, out, errOut := kc(t, "", "whoami", "-o", "json", "--jq", prog)
		if code != ExitFailure || out != "" || !strings.Contains(errOut, "used more than 32 MiB of memory") {
			t.Errorf("--jq %q: exit %d, %q: %s", prog, code, out, errOut)
		}
	}
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &u); err != nil {
		t.Fatal(err)
	}
	if u.Maxrss > 512<<10 { // KiB
		t.Errorf("a --jq process reached %d MiB", u.Maxrss>>10)
	}
}
