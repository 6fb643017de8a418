package passkey_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kcloud/kcloud/internal/passkey/passkeytest"
)

// dialAs connects to addr (127.0.0.1:PORT) from a socket that belongs to
// uid: as root, the socket is made on a thread whose filesystem uid is
// uid, which is the owner /proc/net/tcp names.
func dialAs(t *testing.T, uid int, port int) net.Conn {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Setfsuid(uid)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Setfsuid(os.Geteuid())
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "socket")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAnotherUsersConnectionGetsNothing: a local user who read the
// address from ps connects and is closed unanswered; the path is not
// used up, and the person's browser still finishes the ceremony.
func TestAnotherUsersConnectionGetsNothing(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("making a socket of another user needs root (CI runs as root)")
	}
	addr, done := ceremony(t, time.Minute)
	u, _ := url.Parse(addr)
	_, ps, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(ps)

	c := dialAs(t, 65534, port)
	defer c.Close()
	req, _ := http.NewRequest(http.MethodGet, addr, nil)
	if err := req.Write(c); err != nil {
		t.Logf("write: %v (closed at once)", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(c), req); err == nil {
		t.Fatalf("another user's connection was answered: %s", resp.Status)
	}

	// The same request from this user's own socket is answered.
	own := dialAs(t, os.Getuid(), port)
	own.Close()
	p, err := passkeytest.Load(addr)
	if err != nil {
		t.Fatalf("after another user's try, the page: %v", err)
	}
	p.Post([]byte(`{"error":"NotAllowedError"}`), "")
	<-done
}
