//go:build unix

// Command bench measures kcloud against its floor and prints ratios from
// one run. See docs/performance.md for the targets and the last results.
//
//	go run ./bench            # about two minutes
//	go run ./bench -n 41 -accounts 100000
//	go run ./bench -keep      # leaves its binaries and stores, to profile
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
	"syscall"
	"time"

	"github.com/kcloud/kcloud/internal/secret"
)

const password = "correct horse battery"

var (
	runs     = flag.Int("n", 31, "runs of each measurement")
	accounts = flag.Int("accounts", 100_000, "accounts in the large store")
	keep     = flag.Bool("keep", false, "keep the binaries and stores, for profiling, and say where")
)

func main() {
	flag.Parse()
	dir, err := os.MkdirTemp("", "kcloud-bench")
	check(err)
	if *keep {
		defer fmt.Printf("\nkept: %s (HOME=%s/large for the large store)\n", dir, dir)
	} else {
		defer os.RemoveAll(dir)
	}

	kcloud := filepath.Join(dir, "kcloud")
	minimal := filepath.Join(dir, "minimal")
	argonOnce := filepath.Join(dir, "argon2once")
	build(kcloud, "./cmd/kcloud")
	check(os.WriteFile(filepath.Join(dir, "minimal.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"{}\\n\") }\n"), 0o644))
	build(minimal, filepath.Join(dir, "minimal.go"))
	build(argonOnce, "./bench/argon2once")
	maxrss = filepath.Join(dir, "maxrss")
	build(maxrss, "./bench/maxrss")
	// The floors: kcloud whole with a main that does nothing; its packages'
	// initialisers alone (the linker drops the code nothing calls); and the
	// same with what kcloud chose not to link.
	whole := buildMain(dir, "whole", `if len(os.Args) > 1<<20 { os.Exit(cli.Main(os.Args)) }`, "os", "github.com/kcloud/kcloud/internal/cli")
	inits := buildMain(dir, "inits", "", "_ github.com/kcloud/kcloud/internal/cli")
	grpc := buildMain(dir, "grpc", "", "_ github.com/kcloud/kcloud/internal/cli", "_ go.etcd.io/etcd/client/v3")
	zxcvbn := buildMain(dir, "zxcvbn", "", "_ github.com/kcloud/kcloud/internal/cli", "_ github.com/trustelem/zxcvbn")
	// A binary as the linker left it starts slower than the same bytes
	// copied to a new file (page-cache state): compare copies only.
	for _, b := range []string{kcloud, minimal, argonOnce, whole, inits, grpc, zxcvbn} {
		fresh(b)
	}

	fmt.Printf("kcloud benchmark, %s, %s/%s, %d CPUs, median of %d runs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *runs)
	fmt.Printf("binaries: go build -trimpath -ldflags='-s -w', CGO_ENABLED=0, each then copied to a new file\n\n")

	small := newStore(dir, kcloud, "small", 10)
	large := newStore(dir, kcloud, "large", *accounts)

	// Start-up, in five rounds: the range says how far one figure can be
	// trusted. Everything is measured against the minimal program of the
	// same round.
	base := cmd{"minimal Go program", minimal, nil, ""}
	rounds := map[string][]float64{}
	var m []time.Duration
	for range 5 {
		m = measure(base, small.cmd("whoami", "whoami", "-o", "json"), small.cmd("--version", "--version"),
			cmd{"whole", whole, nil, ""}, cmd{"inits", inits, nil, ""}, cmd{"grpc", grpc, nil, ""}, cmd{"zxcvbn", zxcvbn, nil, ""})
		for i, name := range []string{"whoami", "version", "whole", "inits", "grpc", "zxcvbn"} {
			rounds[name] = append(rounds[name], float64(m[i+1])/float64(m[0]))
		}
	}
	row("start-up: whoami -o json / minimal program", m[1], m[0], 2.0)
	fmt.Printf("%-52s %.2fx to %.2fx over 5 rounds\n", "", slices.Min(rounds["whoami"]), slices.Max(rounds["whoami"]))
	for _, r := range []struct{ name, label string }{
		{"version", "kcloud --version (the command tree, no store)"},
		{"whole", "kcloud whole, main does nothing: the floor"},
		{"inits", "kcloud's packages' initialisers only"},
		{"grpc", "... with etcd's gRPC client linked (not chosen)"},
		{"zxcvbn", "... with zxcvbn linked (not chosen)"},
	} {
		fmt.Printf("%-52s %.2fx to %.2fx the minimal program\n", r.label, slices.Min(rounds[r.name]), slices.Max(rounds[r.name]))
	}
	faults := func(c cmd) int64 {
		var n []int64
		for range 11 {
			n = append(n, c.minorFaults())
		}
		slices.Sort(n)
		return n[len(n)/2]
	}
	fmt.Printf("%-52s %d, --version %d, the floor %d, the minimal program %d\n", "page faults (minor): whoami",
		faults(small.cmd("whoami", "whoami", "-o", "json")), faults(small.cmd("--version", "--version")),
		faults(cmd{"whole", whole, nil, ""}), faults(base))
	initCosts(small)
	initOf("package initialisation with etcd's gRPC client linked", os.Environ(), grpc)
	initOf("package initialisation with zxcvbn linked", os.Environ(), zxcvbn)

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
	// Refused before the password (no session here): Argon2id's memory
	// must not have been touched yet.
	refused := &home{home: filepath.Join(dir, "small"), kcloud: kcloud}
	refused.exec("", "logout")
	var rss []int64
	for range 5 {
		rss = append(rss, refused.maxRSS(password+"\n", "account", "show", "--password-stdin"))
	}
	small.exec(password+"\n", "login", "--password-stdin")
	fmt.Printf("%-52s %6.1f MB to %.1f MB peak RSS (target < 16 MB)\n", "account show refused before the password",
		float64(slices.Min(rss))/1024, float64(slices.Max(rss))/1024)

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
		// Three rounds: less Argon2id, a password command's ratio is of
		// two small differences, and moves with Argon2id's own noise.
		var ratios []float64
		var added []time.Duration
		for range 3 {
			m = measure(small.cmd(c.name, c.args...), large.cmd(c.name, c.args...))
			ratios = append(ratios, float64(m[1]-c.less)/float64(m[0]-c.less))
			added = append(added, m[1]-m[0])
		}
		row(fmt.Sprintf("scale: %s, %d / 10 accounts", c.name, *accounts), m[1]-c.less, m[0]-c.less, 1.2)
		fmt.Printf("%-52s %.2fx to %.2fx over 3 rounds; %d accounts add %s to %s\n", "", slices.Min(ratios), slices.Max(ratios),
			*accounts, ms(slices.Min(added)), ms(slices.Max(added)))
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

// maxrss is bench/maxrss, built.
var maxrss string

// maxRSS runs kcloud, which must fail, and returns its peak resident
// memory in KiB.
func (s *home) maxRSS(stdin string, args ...string) int64 {
	c := exec.Command(maxrss, append([]string{s.kcloud}, args...)...)
	c.Env, c.Stdin = s.env(), strings.NewReader(stdin)
	out, err := c.Output()
	check(err)
	var kib int64
	var code int
	if _, err := fmt.Sscan(string(out), &kib, &code); err != nil || code == 0 {
		fail("kcloud %s: %q; it was to be refused", strings.Join(args, " "), out)
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
}

func (s *home) cmd(name string, args ...string) cmd {
	return cmd{name, s.kcloud, args, s.home}
}

// command is c to run: in its home, the password on standard input.
func (c cmd) command() *exec.Cmd {
	x := exec.Command(c.path, c.args...)
	if c.home != "" {
		x.Env = (&home{home: c.home}).env()
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

// buildMain builds a program whose main is body, with imports (each "path"
// or "_ path"), inside the module so that it may import kcloud's internal
// packages.
func buildMain(dir, name, body string, imports ...string) string {
	src, err := os.MkdirTemp(".", "_bench-"+name)
	check(err)
	defer os.RemoveAll(src)
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, imp := range imports {
		path, blank := strings.CutPrefix(imp, "_ ")
		if blank {
			fmt.Fprintf(&b, "\t_ %q\n", path)
		} else {
			fmt.Fprintf(&b, "\t%q\n", path)
		}
	}
	fmt.Fprintf(&b, ")\n\nfunc main() {\n%s\n}\n", body)
	check(os.WriteFile(filepath.Join(src, "main.go"), []byte(b.String()), 0o644))
	out := filepath.Join(dir, name)
	build(out, "./"+filepath.Base(src))
	return out
}

// initCosts prints what package initialisation costs whoami, by module
// (the standard library as one), the median of n runs with
// GODEBUG=inittrace=1: every dependency's share of every start.
func initCosts(s *home) {
	byPkg := map[string][]float64{}
	allocs := map[string]float64{}
	for range max(5, *runs/3) {
		c := exec.Command(s.kcloud, "whoami", "-o", "json")
		c.Env = append(s.env(), "GODEBUG=inittrace=1")
		var errOut bytes.Buffer
		c.Stderr = &errOut
		check(c.Run())
		clear(allocs) // the same every run: the last run's
		for pkg, t := range parseInit(errOut.String(), allocs) {
			byPkg[pkg] = append(byPkg[pkg], t)
		}
	}
	byMod, std := map[string]float64{}, map[string]float64{}
	total := 0.0
	for pkg, ts := range byPkg {
		t := medianF(ts)
		mod := initModule(pkg)
		if mod == "standard library" {
			std[pkg] = t
		}
		if pkg == "internal/godebug" {
			mod = "internal/godebug (set, to measure: grows with GODEBUG)"
		}
		byMod[mod] += t
		total += t
	}
	type kv struct {
		mod string
		ms  float64
	}
	var list []kv
	for k, v := range byMod {
		list = append(list, kv{k, v})
	}
	slices.SortFunc(list, func(a, b kv) int { return cmp.Compare(b.ms, a.ms) })
	fmt.Printf("%-52s %9.2f ms (median of each package over %d runs)\n", "package initialisation of whoami, all packages", total, max(5, *runs/3))
	for _, e := range list {
		fmt.Printf("  %-50s %9.3f ms %7.0f KB\n", e.mod, e.ms, allocs[e.mod]/1024)
		if e.mod != "standard library" {
			continue
		}
		var pkgs []kv
		for k, v := range std {
			if k != "internal/godebug" {
				pkgs = append(pkgs, kv{k, v})
			}
		}
		slices.SortFunc(pkgs, func(a, b kv) int { return cmp.Compare(b.ms, a.ms) })
		for _, p := range pkgs[:min(5, len(pkgs))] {
			fmt.Printf("    %-48s %9.3f ms\n", p.mod, p.ms)
		}
	}
}

// initOf prints the package initialisation of a program.
func initOf(label string, env []string, path string, args ...string) {
	var ts []float64
	for range 5 {
		c := exec.Command(path, args...)
		c.Env = append(env, "GODEBUG=inittrace=1")
		var errOut bytes.Buffer
		c.Stderr = &errOut
		check(c.Run())
		total := 0.0
		for _, t := range parseInit(errOut.String(), map[string]float64{}) {
			total += t
		}
		ts = append(ts, total)
	}
	fmt.Printf("%-52s %9.2f ms\n", label, medianF(ts))
}

// parseInit reads GODEBUG=inittrace=1 lines ("init PKG @T ms, D ms clock,
// B bytes, A allocs"): each package's time; bytes are added to allocs by
// module.
func parseInit(trace string, allocs map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(trace, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || f[0] != "init" {
			continue
		}
		var d, b float64
		fmt.Sscan(f[4], &d)
		fmt.Sscan(f[7], &b)
		out[f[1]] = d
		allocs[initModule(f[1])] += b
	}
	return out
}

// initModule names a package's module, "standard library" for Go's own.
func initModule(pkg string) string {
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return "standard library"
	}
	if strings.HasPrefix(pkg, "github.com/kcloud/kcloud/") {
		return "kcloud"
	}
	return module(pkg)
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
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
