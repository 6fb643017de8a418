package term

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// Ticket names where this process runs, as sudo's tty tickets do: its
// controlling terminal, its session, and when that session's leader
// started (so that a session ID used again is another). Processes started
// from one shell share it; a copy of the session file used from another
// terminal, another login or another machine does not. It is a hash of
// those, or "" where /proc cannot be read (not Linux): kcloud then grants
// no grace.
func Ticket() string {
	f, ok := procStat("self")
	if !ok {
		return ""
	}
	// After the command's name: state ppid pgrp session tty_nr ...
	sid, tty := f[3], f[4]
	// The leader's start time, where this PID namespace sees the leader
	// (a session begun outside it, as in some containers, reads as 0).
	started := ""
	if leader, ok := procStat(sid); ok {
		started = leader[19]
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte("kcloud ticket\x00" + host + "\x00" + tty + "\x00" + sid + "\x00" + started))
	return hex.EncodeToString(sum[:16])
}

// procStat is the fields of /proc/PID/stat after the command's name (the
// process's state first), which may itself hold spaces and parentheses.
func procStat(pid string) ([]string, bool) {
	if _, err := strconv.Atoi(pid); err != nil && pid != "self" {
		return nil, false
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, false
	}
	return f, true
}
