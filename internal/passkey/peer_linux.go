package passkey

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// peerIsOurs says whether the other end of c, a loopback connection,
// is a socket of this process's user: its line in /proc/net/tcp (or
// tcp6) is the one whose local address is c's remote one and whose
// remote address is c's local one, and names its owner's uid.
func peerIsOurs(c net.Conn) bool {
	l, ok1 := c.LocalAddr().(*net.TCPAddr)
	r, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return false
	}
	file := "/proc/net/tcp"
	if l.IP.To4() == nil {
		file = "/proc/net/tcp6"
	}
	uid, ok := socketOwner(file, procAddr(r), procAddr(l))
	return ok && uid == os.Getuid()
}

// procAddr writes a as /proc/net/tcp does: each 32-bit word of the
// address in the machine's byte order, in hex, then the port.
func procAddr(a *net.TCPAddr) string {
	ip := a.IP.To4()
	if ip == nil {
		ip = a.IP.To16()
	}
	var b strings.Builder
	for i := 0; i+4 <= len(ip); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(ip[i:i+4]))
	}
	fmt.Fprintf(&b, ":%04X", a.Port)
	return b.String()
}

// socketOwner finds the line of local and remote in file and returns
// its uid.
func socketOwner(file, local, remote string) (int, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 || fl[1] != local || fl[2] != remote {
			continue
		}
		uid, err := strconv.Atoi(fl[7])
		return uid, err == nil
	}
	return 0, false
}
