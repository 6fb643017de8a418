//go:build !linux

package cli

// limitMemory does nothing here. Linux holds mmap to RLIMIT_AS; macOS
// does not, Windows has no such limit on a process of its own, and
// the BSDs' limits are not tested here.
// The heap watch (watchHeap) bounds a program that grows step by step;
// one step can still ask for what gojq allows it (a repeated string
// under 2 GiB) before the watch sees it (docs/security.md, rule 13).
func limitMemory(uint64) {}
