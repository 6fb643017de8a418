package secret

import "sync"

var (
	prefaultOnce sync.Once
	prefaulting  sync.WaitGroup
)

// Prefault readies, on another core, the memory an Argon2id call with p
// will use, so that the call does not pay for it. A fresh process pays a
// page fault for each 4 KiB of Argon2id's memory; on some machines that
// costs more than the hash itself (see docs/performance.md). Call it as
// early as a password is known to be coming, before prompting; Argon2id
// calls wait for it to finish.
func Prefault(p Params) {
	prefaultOnce.Do(func() {
		prefaulting.Add(1)
		go func() {
			defer prefaulting.Done()
			prefault(int(p.Memory) * 1024)
		}()
	})
}
