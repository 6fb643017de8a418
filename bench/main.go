// Command bench measures kcloud against its floor and prints ratios from
// one run. See docs/performance.md for the targets and the last results.
//
//	go run ./bench            # about two minutes
//	go run ./bench -n 41 -accounts 100000
//
// Each figure is the median of n runs of a whole process, the runs of the
// things compared interleaved so that a noisy machine hurts both alike.
package main

import (
	"bytes"
	"cmp"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kcloud/kcloud/internal/secret"
)

const password = "correct horse battery"

var (
	runs     = flag.Int("n", 31, "runs of each measurement")
	accounts = flag.Int("accounts", 100_000, "accounts in the large store")
)

func main() {
	flag.Parse()
	dir, err := os.MkdirTemp("", "kcloud-bench")
	check(err)
	defer os.RemoveAll(dir)

	kcloud := filepath.Join(dir, "kcloud")
	minimal := filepath.Join(dir, "minimal")
	argonOnce := filepath.Join(dir, "argon2once")
	build(kcloud, "./cmd/kcloud")
	check(os.WriteFile(filepath.Join(dir, "minimal.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"{}\\n\") }\n"), 0o644))
	build(minimal, filepath.Join(dir, "minimal.go"))
	build(argonOnce, "./bench/argon2once")
	empty := filepath.Join(dir, "empty")
	buildEmpty(empty)
	// A binary as the linker left it starts slower than the same bytes
	// copied to a new file (page-cache state): compare copies only.
	for _, b := range []string{kcloud, minimal, argonOnce, empty} {
		fresh(b)
	}

	fmt.Printf("kcloud benchmark, %s, %s/%s, %d CPUs, median of %d runs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *runs)
	fmt.Printf("binaries: go build -trimpath -ldflags='-s -w', CGO_ENABLED=0, each then copied to a new file\n\n")

	small := newStore(dir, kcloud, "small", 10)
	large := newStore(dir, kcloud, "large", *accounts)

	// Start-up, in five rounds: the range says how far one figure can be trusted.
	var ratios []float64
	var m []time.Duration
	for range 5 {
		m = measure(
			cmd{"minimal Go program", minimal, nil, ""},
			small.cmd("kcloud whoami -o json", "whoami", "-o", "json"),
		)
		ratios = append(ratios, float64(m[1])/float64(m[0]))
	}
	row("start-up: whoami -o json / minimal program", m[1], m[0], 2.0)
	fmt.Printf("%-52s %.2fx to %.2fx over 5 rounds\n", "", slices.Min(ratios), slices.Max(ratios))
	m = measure(cmd{"minimal Go program", minimal, nil, ""}, cmd{"kcloud's packages, empty main", empty, nil, ""})
	fmt.Printf("%-52s %9s   %.2fx the minimal program: the floor\n", "kcloud's packages linked, main does nothing", ms(m[1]), float64(m[1])/float64(m[0]))
	initCosts(small)

	// Password commands: the Argon2id call beside account show.
	argon := argon2Median()
	m = measure(
		small.cmd("kcloud account show -o json", "account", "show", "-o", "json", "--password-stdin"),
		cmd{"Argon2id alone in a fresh process", argonOnce, nil, ""},
		cmd{"minimal Go program", minimal, nil, ""},
	)
	fmt.Printf("%-52s %9s\n", "Argon2id (m=19456 KiB, t=2, p=1), warm, in process", ms(argon))
	fmt.Printf("%-52s %9s\n", "a program that only runs Argon2id once", ms(m[1]))
	fmt.Printf("%-52s %9s   beyond that program: %s (target <= 5 ms)\n", "account show -o json, whole process", ms(m[0]), ms(m[0]-m[1]))
	fmt.Printf("%-52s %9s   beyond the minimal program + warm Argon2id: %s\n", "", "", ms(m[0]-m[2]-argon))

	// Scale: 10 accounts against many.
	fmt.Println()
	for _, c := range []struct {
		name string
		args []string
		less time.Duration
	}{
		{"whoami", []string{"whoami", "-o", "json"}, 0},
		{"login (less Argon2id)", []string{"login", "--password-stdin", "-o", "json"}, argon},
		{"account show (less Argon2id)", []string{"account", "show", "--password-stdin", "-o", "json"}, argon},
	} {
		m := measure(small.cmd(c.name, c.args...), large.cmd(c.name, c.args...))
		row(fmt.Sprintf("scale: %s, %d / 10 accounts", c.name, *accounts), m[1]-c.less, m[0]-c.less, 1.2)
	}
	fmt.Printf("%-52s %9d bytes (%d bytes per account)\n", "store with "+fmt.Sprint(*accounts)+" accounts", large.size(), large.size()/int64(*accounts))

	// Contention: 8 at once against 8 in a row.
	fmt.Println()
	show := small.cmd("account show", "account", "show", "-o", "json", "--password-stdin")
	var conc, seq []time.Duration
	for i := 0; i < max(5, *runs/4); i++ {
		conc = append(conc, timeIt(func() { parallel(8, show.run) }))
		seq = append(seq, timeIt(func() {
			for range 8 {
				show.run()
			}
		}))
	}
	fmt.Printf("%-52s %9s\n", "8 concurrent account show, all succeeded, total", ms(median(conc)))
	fmt.Printf("%-52s %9s   ratio %.2f\n", "8 sequential account show, total", ms(median(seq)), float64(median(conc))/float64(median(seq)))

	// 32 writers at once: each must succeed; the slowest against one
	// alone. The store's lock is handed over by the kernel (a blocking
	// flock), not found by bbolt's 50 ms retries.
	set := small.cmd("account set", "account", "set", "--name", "Bench User", "--password-stdin")
	var single, slowest []time.Duration
	for i := 0; i < max(3, *runs/8); i++ {
		single = append(single, timeIt(set.run))
		var mu sync.Mutex
		var worst time.Duration
		parallel(32, func() {
			d := timeIt(set.run)
			mu.Lock()
			worst = max(worst, d)
			mu.Unlock()
		})
		slowest = append(slowest, worst)
	}
	fmt.Printf("%-52s %9s\n", "account set alone", ms(median(single)))
	fmt.Printf("%-52s %9s   %.1fx one alone (range %s to %s)\n", "32 concurrent account set, all succeeded, slowest",
		ms(median(slowest)), float64(median(slowest))/float64(median(single)), ms(slices.Min(slowest)), ms(slices.Max(slowest)))

	// Size.
	fmt.Println()
	sizes(dir)
}

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

func (s *home) size() int64 {
	fi, err := os.Stat(filepath.Join(s.home, ".local/share/kcloud/kcloud.db"))
	check(err)
	return fi.Size()
}

type cmd struct {
	name, path string
	args       []string
	home       string
}

func (s *home) cmd(name string, args ...string) cmd {
	return cmd{name, s.kcloud, args, s.home}
}

func (c cmd) run() {
	x := exec.Command(c.path, c.args...)
	if c.home != "" {
		x.Env = (&home{home: c.home}).env()
	}
	x.Stdin = strings.NewReader(password + "\n")
	var out bytes.Buffer
	x.Stdout, x.Stderr = &out, &out
	if err := x.Run(); err != nil {
		fail("%s: %v\n%s", c.name, err, out.String())
	}
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

// buildEmpty builds a program that links every package kcloud does and
// does nothing: what start-up costs before kcloud's own work.
func buildEmpty(out string) {
	src, err := os.MkdirTemp(".", "_bench-empty")
	check(err)
	defer os.RemoveAll(src)
	check(os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport _ \"github.com/kcloud/kcloud/internal/cli\"\n\nfunc main() {}\n"), 0o644))
	build(out, "./"+filepath.Base(src))
}

// initCosts prints the package initialisers of whoami that take longest
// (GODEBUG=inittrace=1), and their total.
func initCosts(s *home) {
	c := exec.Command(s.kcloud, "whoami", "-o", "json")
	c.Env = append(s.env(), "GODEBUG=inittrace=1")
	var errOut bytes.Buffer
	c.Stderr = &errOut
	check(c.Run())
	type pkg struct {
		name string
		ms   float64
	}
	var pkgs []pkg
	total := 0.0
	for _, line := range strings.Split(errOut.String(), "\n") {
		// init PKG @T ms, D ms clock, B bytes, A allocs
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "init" {
			continue
		}
		var d float64
		fmt.Sscan(f[4], &d)
		pkgs = append(pkgs, pkg{f[1], d})
		total += d
	}
	slices.SortFunc(pkgs, func(a, b pkg) int { return cmp.Compare(b.ms, a.ms) })
	fmt.Printf("%-52s %9.2f ms\n", "package initialisation of whoami, all packages", total)
	for _, p := range pkgs[:min(6, len(pkgs))] {
		fmt.Printf("  %-50s %9.2f ms\n", p.name, p.ms)
	}
}

// fresh replaces the file at path by a copy of itself.
func fresh(path string) {
	data, err := os.ReadFile(path)
	check(err)
	check(os.Remove(path))
	check(os.WriteFile(path, data, 0o755))
}

// build builds as the release does: static, trimmed, stripped.
func build(out, pkg string) {
	c := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	c.Stderr = os.Stderr
	check(c.Run())
}

// sizes reports the stripped binary and what the largest dependencies
// add to it, by the symbol sizes of the unstripped one.
func sizes(dir string) {
	fi, err := os.Stat(filepath.Join(dir, "kcloud"))
	check(err)
	fmt.Printf("%-52s %9.2f MiB\n", "stripped binary (-s -w -trimpath, CGO off)", float64(fi.Size())/(1<<20))
	full := filepath.Join(dir, "kcloud-symbols")
	c := exec.Command("go", "build", "-trimpath", "-o", full, "./cmd/kcloud")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	check(c.Run())
	// Symbols in sections the file holds (not zero-filled BSS), by owner.
	ef, err := elf.Open(full)
	check(err)
	defer ef.Close()
	syms, err := ef.Symbols()
	check(err)
	bytesBy := map[string]int64{}
	for _, sym := range syms {
		if int(sym.Section) <= 0 || int(sym.Section) >= len(ef.Sections) || ef.Sections[sym.Section].Type == elf.SHT_NOBITS {
			continue
		}
		bytesBy[module(sym.Name)] += int64(sym.Size)
	}
	type kv struct {
		k string
		v int64
	}
	var list []kv
	for k, v := range bytesBy {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	fmt.Println("largest contributors (symbol bytes, by module or standard package):")
	for _, e := range list[:min(14, len(list))] {
		fmt.Printf("  %-50s %8.0f KiB\n", e.k, float64(e.v)/1024)
	}
}

// module names a symbol's owner: a module path for dependencies, the
// top-level package for the standard library.
func module(sym string) string {
	for _, p := range []string{"type:", "go:itab.*", "go:itab.", "*"} {
		sym = strings.TrimPrefix(sym, p)
	}
	// The package path ends at the first '.' after the last '/'.
	slash := strings.LastIndex(sym, "/")
	if dot := strings.IndexByte(sym[slash+1:], '.'); dot >= 0 {
		sym = sym[:slash+1+dot]
	}
	parts := strings.Split(sym, "/")
	if !strings.Contains(parts[0], ".") {
		return "std " + parts[0]
	}
	n := 3 // host/owner/repo
	switch parts[0] {
	case "go.etcd.io", "rsc.io":
		n = 2
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
