//go:build unix

package main

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Building the binaries compared, and what their sizes are made of.

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
