package cli

import "golang.org/x/sys/unix"

// limitMemory limits the writable memory this process may map to n
// bytes (RLIMIT_DATA, which Linux holds mmap to): past it, Go's
// runtime stops the process ("out of memory"), however large the one
// step that asked. A limit already lower stays.
func limitMemory(n uint64) {
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_DATA, &l) != nil {
		return
	}
	l.Cur = min(l.Cur, l.Max, n)
	unix.Setrlimit(unix.RLIMIT_DATA, &l)
}
