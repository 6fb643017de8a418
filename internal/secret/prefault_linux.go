package secret

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// prefault touches n bytes of fresh heap, asking for transparent huge
// pages on them (a few faults of 2 MiB instead of thousands of 4 KiB),
// then frees them for Argon2id's own allocation to take. The region keeps
// its huge-page advice even if the runtime later returns it to the kernel.
func prefault(n int) {
	const huge = 2 << 20
	b := make([]byte, n+2*huge)
	p := uintptr(unsafe.Pointer(&b[0]))
	start := (p + huge - 1) &^ (huge - 1)
	end := (p + uintptr(len(b))) &^ (huge - 1)
	if end > start {
		unix.Madvise(b[start-p:end-p], unix.MADV_HUGEPAGE) // advice only: ignore failure
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}
