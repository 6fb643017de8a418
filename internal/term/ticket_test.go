//go:build linux

package term

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestTicket: processes of one login session share a ticket; a process
// in a session of its own (setsid, as a copy of the session file used
// from another login would run) has another.
func TestTicket(t *testing.T) {
	if os.Getenv("KCLOUD_TICKET_CHILD") == "1" {
		os.Stdout.WriteString(Ticket() + "\n")
		return
	}
	own := Ticket()
	if own == "" {
		t.Fatal("no ticket on Linux")
	}
	child := func(setsid bool) string {
		c := exec.Command(os.Args[0], "-test.run=^TestTicket$")
		c.Env = append(os.Environ(), "KCLOUD_TICKET_CHILD=1")
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
		out, err := c.Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(strings.Split(string(out), "\n")[0])
	}
	if got := child(false); got != own {
		t.Errorf("a child in the same session: %q, want %q", got, own)
	}
	if got := child(true); got == own || got == "" {
		t.Errorf("a child in a session of its own: %q, the same as the parent's", got)
	}
}
