//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The 32 writers, as a user meets them: 32 separate kcloud processes
// started together against one account, the figure the slowest one's wall
// time from the common start; bbolt and etcd in the same run, the order
// alternating round by round, so that neither always runs on a machine
// the other just warmed or loaded.

const writers = 32

// wave starts c writers times at once and returns the wall time from the
// first start to the last exit. Every one must succeed.
func wave(c cmd) time.Duration {
	xs := make([]*exec.Cmd, writers)
	for i := range xs {
		xs[i] = c.command()
	}
	start := time.Now()
	for _, x := range xs {
		check(x.Start())
	}
	for _, x := range xs {
		if err := x.Wait(); err != nil {
			fail("%s: one of %d writers: %v", c.name, writers, err)
		}
	}
	return time.Since(start)
}

// spread is a figure's median and range.
func spread(d []time.Duration) string {
	return fmt.Sprintf("%s (range %s to %s)", ms(median(d)), ms(slices.Min(d)), ms(slices.Max(d)))
}

// writerFigures runs rounds waves on each backend (etcd where endpoint is
// not "") and prints them with their spread, and the ratio etcd / bbolt
// of each round.
func writerFigures(dir, kcloud, endpoint string, rounds int) {
	bb := newStore(dir, kcloud, "writers-bbolt", 1)
	backends := []cmd{bb.cmd("bbolt", "account", "set", "--name", "Bench User", "--password-stdin")}
	if endpoint != "" {
		e := newEtcdHome(dir, kcloud, "writers-etcd", endpoint)
		backends = append(backends, e.cmd("etcd (one local member)", "account", "set", "--name", "Bench User", "--password-stdin"))
	}
	alone := make([][]time.Duration, len(backends))
	worst := make([][]time.Duration, len(backends))
	var ratios []float64
	var requests []float64 // etcd's, per wave
	for _, c := range backends {
		c.run() // warm the page cache and the store
	}
	for r := range rounds {
		order := []int{0, 1}[:len(backends)]
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			alone[i] = append(alone[i], timeIt(backends[i].run))
			before := etcdRequests(endpoint)
			worst[i] = append(worst[i], wave(backends[i]))
			if i == 1 {
				requests = append(requests, etcdRequests(endpoint)-before)
			}
		}
		if len(backends) == 2 {
			ratios = append(ratios, float64(worst[1][r])/float64(worst[0][r]))
		}
	}
	for i, c := range backends {
		fmt.Printf("%-52s %s\n", "account set alone, "+c.name, spread(alone[i]))
		fmt.Printf("%-52s %s\n", fmt.Sprintf("%d processes at once, %s, slowest", writers, c.name), spread(worst[i]))
	}
	if len(backends) < 2 {
		fmt.Println("(no etcd on PATH: the etcd contention figures are skipped)")
		return
	}
	slices.Sort(requests)
	fmt.Printf("%-52s %.0f (range %.0f to %.0f; %.1f a writer)\n", "etcd requests a wave of 32",
		requests[len(requests)/2], requests[0], requests[len(requests)-1], requests[len(requests)/2]/writers)
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	verdict := "met"
	if med > 1.5 {
		verdict = "MISSED"
	}
	fmt.Printf("%-52s %.2fx (range %.2fx to %.2fx, %d rounds; target <= 1.5x: %s)\n",
		"slowest of 32: etcd / bbolt, per round", med, ratios[0], ratios[len(ratios)-1], rounds, verdict)
}

// etcdRequests is how many reads and transactions the etcd server has
// served (its metrics' mvcc range and txn totals).
func etcdRequests(endpoint string) float64 {
	if endpoint == "" {
		return 0
	}
	r, err := http.Get(endpoint + "/metrics")
	check(err)
	defer r.Body.Close()
	var n float64
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if ok && (name == "etcd_mvcc_range_total" || name == "etcd_mvcc_txn_total") {
			f, err := strconv.ParseFloat(v, 64)
			check(err)
			n += f
		}
	}
	return n
}
