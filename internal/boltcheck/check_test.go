package boltcheck

import "testing"

// TestPageSetHighest holds the liveness check's word-at-a-time search
// to a plain loop, at every bound around word edges.
func TestPageSetHighest(t *testing.T) {
	const n = 200
	for _, marked := range [][]uint64{nil, {2}, {63}, {64}, {2, 63, 64, 65, 127, 128, 190, 199}} {
		s := newPageSet(n)
		in := make([]bool, n)
		for _, id := range marked {
			s.add(id)
			in[id] = true
		}
		for lo := uint64(0); lo <= n; lo++ {
			for hi := lo; hi <= n; hi++ {
				want, wantOK := uint64(0), false
				for id := lo; id < hi; id++ {
					if in[id] {
						want, wantOK = id, true
					}
				}
				if got, ok := s.highest(lo, hi); got != want || ok != wantOK {
					t.Fatalf("marked %v: highest(%d, %d) = %d, %v; want %d, %v", marked, lo, hi, got, ok, want, wantOK)
				}
			}
		}
	}
}
