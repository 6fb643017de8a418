package boltcheck

import (
	"fmt"
	mathbits "math/bits"
	"slices"
)

// The freelist: what bbolt reads of it when it opens a file to write, and
// that none of the pages it names is in use.

// freelist checks the freelist page: every id it names is a page that
// no tree reaches.
func (v *walker) freelist(id uint64) error {
	p, err := v.page(id)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	if ne.Uint16(p[8:]) != freeFlag { // bbolt wants exactly this
		return fmt.Errorf("page %d should be the freelist", id)
	}
	start, count := pageHeader, uint64(ne.Uint16(p[10:]))
	if count == 0xffff {
		if len(p) < pageHeader+8 {
			return fmt.Errorf("freelist page %d is cut short", id)
		}
		count, start = ne.Uint64(p[pageHeader:]), pageHeader+8
	}
	if count > uint64(len(p)-start)/8 {
		return fmt.Errorf("freelist page %d counts %d pages, more than fit", id, count)
	}
	listed := make([]bool, v.hwm)
	for i := uint64(0); i < count; i++ {
		f := ne.Uint64(p[start+int(i)*8:])
		switch {
		case f < 2 || f >= v.hwm:
			return fmt.Errorf("the freelist names page %d, past the end", f)
		case v.seen[f]:
			return fmt.Errorf("the freelist names page %d, which is in use", f)
		case listed[f]: // bbolt would hand the page out twice
			return fmt.Errorf("the freelist names page %d twice", f)
		}
		listed[f] = true
	}
	return nil
}

// CheckOpen checks what bbolt reads when it opens the file in data to
// write: the meta pages and the freelist, whose count bbolt allocates
// before it reads an id, and which must name no live page, or the write
// would hand it out again and overwrite records nobody touched (live).
// The trees are checked along each operation's way (Path). A file
// without a freelist page is walked whole: bbolt then finds the free
// pages by walking every tree itself, in a goroutine of its own, where a
// damaged page would panic beyond any recover.
func CheckOpen(data []byte) error {
	v, m, err := newWalker(data)
	if err != nil {
		return err
	}
	if m.freelist == noFreelist {
		return v.tree(m.root)
	}
	if err := v.freelist(m.freelist); err != nil {
		return err
	}
	return v.live(m)
}

// live checks that no page the freelist names is in use, reading only
// the branch pages of each tree. The root tree is walked whole (it names
// the buckets); below it, a B+tree keeps its leaves at one depth, found
// down the leftmost way, so a branch's children at the last level are
// leaves, in use, their pages unread. A free page that is no page's id
// may still be a live page's overflow: only the nearest live page below
// it can cover it, and its header is read.
func (v *walker) live(m meta) error {
	free := v.listed(m.freelist)
	if len(free) == 0 {
		return nil
	}
	inUse := newPageSet(v.hwm) // page ids in use, overflow aside
	roots, err := v.rootTree(m.root, inUse.add)
	if err != nil {
		return err
	}
	// Below it, only the branch pages' child ids are read: the pages an
	// operation reads are checked whole on its way (Path).
	for _, root := range roots {
		depth, id := 0, root // down the leftmost way to a leaf
		for {
			p, err := v.peek(id)
			if err != nil {
				return err
			}
			if ne.Uint16(p[8:]) != branchFlag {
				break
			}
			if depth++; depth > 64 {
				return fmt.Errorf("the tree at page %d is more than 64 levels deep", root)
			}
			id = ne.Uint64(p[pageHeader+8:])
		}
		level := []uint64{root}
		for d := 0; d < depth; d++ {
			last := d == depth-1 // children are leaves: marked, not kept
			var next []uint64
			for _, id := range level {
				p, err := v.page(id)
				if err != nil {
					return err
				}
				count := int(ne.Uint16(p[10:]))
				if ne.Uint16(p[8:]) != branchFlag || count == 0 || pageHeader+count*elementSize > len(p) {
					return fmt.Errorf("page %d should be a branch page, at level %d of %d", id, d, depth)
				}
				inUse.add(id)
				for el := p[pageHeader : pageHeader+count*elementSize]; len(el) > 0; el = el[elementSize:] {
					child := ne.Uint64(el[8:16])
					switch {
					case !last:
						next = append(next, child)
					case child < 2 || child >= v.hwm:
						return fmt.Errorf("page %d is past the end (%d pages)", child, v.hwm)
					default:
						inUse.add(child)
					}
				}
			}
			level = next
		}
		if depth == 0 {
			inUse.add(root) // a tree of one leaf
		}
	}
	// In order, with the nearest page in use below each found by words.
	slices.Sort(free)
	l, from := uint64(0), uint64(2) // below from: swept
	for _, f := range free {
		if inUse.has(f) {
			return fmt.Errorf("the freelist names page %d, which is in use", f)
		}
		if n, ok := inUse.highest(from, f); ok {
			l = n
		}
		from = f
		if l == 0 {
			continue
		}
		h := v.data[l*v.ps:]
		if ne.Uint64(h) != l {
			return fmt.Errorf("page %d says it is page %d", l, ne.Uint64(h))
		}
		if l+uint64(ne.Uint32(h[12:])) >= f {
			return fmt.Errorf("the freelist names page %d, which page %d's overflow uses", f, l)
		}
	}
	return nil
}

// pageSet is a set of page ids, a bit each: at 100,000 accounts the
// liveness check marks 20,000 pages and looks below each free one, and
// a word holds 64 of them.
type pageSet []uint64

func newPageSet(pages uint64) pageSet { return make(pageSet, (pages+63)/64) }

func (s pageSet) add(id uint64)      { s[id>>6] |= 1 << (id & 63) }
func (s pageSet) has(id uint64) bool { return s[id>>6]&(1<<(id&63)) != 0 }

// highest returns the highest id in the set in [lo, hi), if any.
func (s pageSet) highest(lo, hi uint64) (uint64, bool) {
	for hi > lo {
		w := (hi - 1) / 64
		bits := s[w] & (^uint64(0) >> (63 - (hi-1)%64)) // ids below hi
		if base := w * 64; base < lo {
			bits &^= 1<<(lo-base) - 1 // ids from lo
		}
		if bits != 0 {
			return w*64 + uint64(63-mathbits.LeadingZeros64(bits)), true
		}
		hi = w * 64
	}
	return 0, false
}

// peek returns page id's first page after checking its header names it.
func (v *walker) peek(id uint64) ([]byte, error) {
	if id < 2 || id >= v.hwm {
		return nil, fmt.Errorf("page %d is past the end (%d pages)", id, v.hwm)
	}
	p := v.data[id*v.ps : (id+1)*v.ps]
	if got := ne.Uint64(p); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	return p, nil
}

// listed returns the ids the freelist page names (freelist checked them).
func (v *walker) listed(id uint64) []uint64 {
	p := v.data[id*v.ps:]
	start, count := pageHeader, uint64(ne.Uint16(p[10:]))
	if count == 0xffff {
		count, start = ne.Uint64(p[pageHeader:]), pageHeader+8
	}
	ids := make([]uint64, count)
	for i := range ids {
		ids[i] = ne.Uint64(p[start+i*8:])
	}
	return ids
}
