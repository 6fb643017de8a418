package cli

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// limitMemory limits the address space this process may add to what it
// has mapped now to n bytes (RLIMIT_AS): past it, Go's runtime cannot
// map a heap arena and stops the process ("out of memory"), however
// large the one step that asked, before the memory is touched. A limit
// already lower stays. (RLIMIT_DATA, tried first, let Go's runtime map
// the heap a piece at a time up to the limit and then fault in its
// collector, a second later.)
func limitMemory(n uint64) {
	now, ok := addressSpace()
	if !ok {
		return
	}
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_AS, &l) != nil {
		return
	}
	l.Cur = min(l.Cur, l.Max, now+n)
	unix.Setrlimit(unix.RLIMIT_AS, &l)
}

// addressSpace is the size of this process's mappings, VmSize in
// /proc/self/status.
func addressSpace() (uint64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	_, rest, ok := bytes.Cut(status, []byte("\nVmSize:"))
	if !ok {
		return 0, false
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
	return kb << 10, err == nil
}
