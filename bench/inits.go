//go:build unix

package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// What package initialisation costs, from GODEBUG=inittrace=1.

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
