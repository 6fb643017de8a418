//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/store"
)

// How the lists grow: member list over 1,000, 4,000 and 10,000 members,
// and account activity --type --limit 0 over 100, 400 and 1,000 events,
// on bbolt and on etcd (the same records, imported): time and peak memory
// at each size, and the cost of each item between sizes. Work that grows
// linearly costs the same per item from the small size to the middle one
// as from the middle to the large; a fixed part (start-up, Argon2id) is
// not in those slopes.

// fillEvents appends n events to id's activity, every fifth a failed
// password (what --type password_failed picks), a minute apart.
func fillEvents(path, id string, n int) {
	s := store.Open(path, store.Options{LockTimeout: time.Minute})
	at := time.Now().UTC().Add(-time.Duration(n) * time.Minute)
	check(s.Update(func(tx *store.Tx) error {
		for i := range n {
			e := account.Event{Time: at.Add(time.Duration(i) * time.Minute), Event: account.EvProfileChanged, Detail: "by bench"}
			if i%5 == 0 {
				e.Event, e.Detail = account.EvPasswordFailed, "account show"
			}
			if err := tx.Append(store.Activity, id, e); err != nil {
				return err
			}
		}
		return nil
	}))
}

type scaleCase struct {
	name        string
	sizes       [3]int
	args        func() []string
	whatGrows   string
	bbolt, etcd [3]*home
}

func scaleFigures(dir, kcloud, endpoint string) {
	cases := []*scaleCase{
		{name: "member list", sizes: [3]int{1_000, 4_000, 10_000}, whatGrows: "members",
			args: func() []string { return []string{"member", "list", "--password-stdin", "-o", "json"} }},
		{name: "account activity --type", sizes: [3]int{100, 400, 1_000}, whatGrows: "events",
			args: func() []string {
				return []string{"account", "activity", "--type", "password_failed", "--limit", "0", "--password-stdin", "-o", "json"}
			}},
	}
	for _, c := range cases {
		for i, n := range c.sizes {
			name := fmt.Sprintf("scale-%s-%d", c.whatGrows, n)
			members := 1
			if c.whatGrows == "members" {
				members = n
			}
			b := newStore(dir, kcloud, name, members)
			if c.whatGrows == "events" {
				fillEvents(filepath.Join(b.home, ".local/share/kcloud/kcloud.db"), "user0", n)
			}
			c.bbolt[i] = b
			if endpoint == "" {
				continue
			}
			backup := filepath.Join(dir, name+".backup")
			b.exec(password+"\n", "store", "backup", backup)
			e := etcdMachine(dir, kcloud, name+"-etcd", endpoint)
			e.exec("", "store", "import", backup)
			e.exec(password+"\n", "login", "--user-id", "user0", "--password-stdin")
			c.etcd[i] = e
		}
	}
	for _, c := range cases {
		for _, backend := range []struct {
			name  string
			homes [3]*home
		}{{"bbolt", c.bbolt}, {"etcd", c.etcd}} {
			if backend.homes[0] == nil {
				fmt.Printf("(no etcd on PATH: %s on etcd is skipped)\n", c.name)
				continue
			}
			var cmds []cmd
			var rss [3]int64
			for i, h := range backend.homes {
				cmds = append(cmds, h.cmd(c.name, c.args()...))
				rss[i] = h.peakRSS(password+"\n", c.args()...)
			}
			t := measure(cmds...)
			slope := func(a, b int) float64 { // µs an item
				return float64(t[b]-t[a]) / float64(time.Microsecond) / float64(c.sizes[b]-c.sizes[a])
			}
			kib := func(a, b int) float64 { return float64(rss[b]-rss[a]) / float64(c.sizes[b]-c.sizes[a]) }
			fmt.Printf("scale: %s, %s, %d / %d / %d %s\n", c.name, backend.name, c.sizes[0], c.sizes[1], c.sizes[2], c.whatGrows)
			fmt.Printf("  time %s / %s / %s; %.1f then %.1f µs an item\n", ms(t[0]), ms(t[1]), ms(t[2]), slope(0, 1), slope(1, 2))
			fmt.Printf("  peak memory %d / %d / %d KiB; %.2f then %.2f KiB an item\n", rss[0], rss[1], rss[2], kib(0, 1), kib(1, 2))
		}
	}
}
