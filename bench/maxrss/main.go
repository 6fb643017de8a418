//go:build unix

// Command maxrss runs a command and prints its peak resident memory in
// KiB. The bench needs it in between: a child of the bench itself would
// report the bench's own peak, for Go starts children with vfork, sharing
// the parent's memory until exec, and Linux counts that memory as the
// child's. This program is small, so its children's figures are theirs.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	c := exec.Command(os.Args[1], os.Args[2:]...)
	c.Stdin, c.Stderr = os.Stdin, os.Stderr
	err := c.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(1)
	}
	fmt.Println(c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, c.ProcessState.ExitCode())
}
