//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kcloud/kcloud/internal/secret"
)

// Running kcloud in a HOME of its own, and timing whole processes.

type home struct {
	home, kcloud string
}

func newStore(dir, kcloud, name string, n int) *home {
	s := &home{home: filepath.Join(dir, name), kcloud: kcloud}
	s.exec(password+"\n", "init", "--org-name", "Bench", "--user-id", "user0", "--name", "User Zero", "--password-stdin")
	if n > 1 {
		check(fill(filepath.Join(s.home, ".local/share/kcloud/kcloud.db"), n-1))
	}
	s.exec(password+"\n", "login", "--password-stdin")
	return s
}

func (s *home) env() []string {
	return append(os.Environ(), "HOME="+s.home, "XDG_CONFIG_HOME=", "XDG_DATA_HOME=", "XDG_STATE_HOME=",
		"KCLOUD_SECURITY_LOCKOUT_THRESHOLD=1000000")
}

func (s *home) exec(stdin string, args ...string) {
	c := exec.Command(s.kcloud, args...)
	c.Env, c.Stdin = s.env(), strings.NewReader(stdin)
	if out, err := c.CombinedOutput(); err != nil {
		fail("kcloud %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// maxrss is bench/maxrss, built.
var maxrss string

// maxRSS runs kcloud, which must fail, and returns its peak resident
// memory in KiB.
func (s *home) maxRSS(stdin string, args ...string) int64 { return s.rss(false, stdin, args...) }

// peakRSS runs kcloud, which must succeed, and returns its peak resident
// memory in KiB.
func (s *home) peakRSS(stdin string, args ...string) int64 { return s.rss(true, stdin, args...) }

func (s *home) rss(succeed bool, stdin string, args ...string) int64 {
	c := exec.Command(maxrss, append([]string{s.kcloud}, args...)...)
	c.Env, c.Stdin = s.env(), strings.NewReader(stdin)
	out, err := c.Output()
	check(err)
	var kib int64
	var code int
	if _, err := fmt.Sscan(string(out), &kib, &code); err != nil || (code == 0) != succeed {
		fail("kcloud %s: %q (exit %d; it was to %s)", strings.Join(args, " "), out, code, map[bool]string{true: "succeed", false: "be refused"}[succeed])
	}
	return kib
}

func (s *home) size() int64 {
	fi, err := os.Stat(filepath.Join(s.home, ".local/share/kcloud/kcloud.db"))
	check(err)
	return fi.Size()
}

type cmd struct {
	name, path string
	args       []string
	home       string
	lang       string // ui.language, where it matters
}

func (s *home) cmd(name string, args ...string) cmd {
	return cmd{name, s.kcloud, args, s.home, ""}
}

// command is c to run: in its home, the password on standard input.
func (c cmd) command() *exec.Cmd {
	x := exec.Command(c.path, c.args...)
	if c.home != "" {
		x.Env = (&home{home: c.home}).env()
	}
	if c.lang != "" {
		x.Env = append(x.Env, "KCLOUD_UI_LANGUAGE="+c.lang)
	}
	x.Stdin = strings.NewReader(password + "\n")
	return x
}

func (c cmd) run() {
	x := c.command()
	var out bytes.Buffer
	x.Stdout, x.Stderr = &out, &out
	if err := x.Run(); err != nil {
		fail("%s: %v\n%s", c.name, err, out.String())
	}
}

// minorFaults runs c once and returns the page faults it took (the
// kernel counts them per process, from its exec).
func (c cmd) minorFaults() int64 {
	x := c.command()
	check(x.Run())
	return x.ProcessState.SysUsage().(*syscall.Rusage).Minflt
}

// measure runs each command *runs times, interleaved, and returns the
// medians in order.
func measure(cmds ...cmd) []time.Duration {
	times := make([][]time.Duration, len(cmds))
	for _, c := range cmds {
		c.run() // warm the page cache
	}
	for range *runs {
		for i, c := range cmds {
			times[i] = append(times[i], timeIt(c.run))
		}
	}
	out := make([]time.Duration, len(cmds))
	for i := range times {
		out[i] = median(times[i])
	}
	return out
}

func argon2Median() time.Duration {
	h, _, err := secret.NewHash([]byte(password), secret.Minimum)
	check(err)
	var t []time.Duration
	for range *runs {
		t = append(t, timeIt(func() { h.Verify([]byte(password)) }))
	}
	return median(t)
}

func parallel(n int, f func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(f)
	}
	wg.Wait()
}

func row(name string, got, base time.Duration, target float64) {
	r := float64(got) / float64(base)
	verdict := "met"
	if r > target {
		verdict = "MISSED"
	}
	fmt.Printf("%-52s %9s / %9s = %.2fx (target <= %.1fx: %s)\n", name, ms(got), ms(base), r, target, verdict)
}

func timeIt(f func()) time.Duration {
	t := time.Now()
	f()
	return time.Since(t)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
