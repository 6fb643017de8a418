// Package boltcheck reads the pages of a bbolt file as bbolt will read
// them, before bbolt does, and reports what bbolt must not be trusted
// with. bbolt maps the file and believes it: a damaged page makes it
// fault, panic, recurse until the stack overflows, or allocate without
// bound. Security rule 11 says no bytes in a store make kcloud crash,
// loop or exhaust memory: the store calls this package before bbolt
// reads (Check, CheckOpen, Path), and nothing else in kcloud knows the
// file's layout.
//
// Every error is damage: its text says what and where, in English (it
// is what `kcloud store check` reports).
package boltcheck

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
)

// Check walks the bbolt file in data, as bbolt would read it, and
// reports the first thing bbolt must not be trusted with: a page id past
// the file's high-water mark, a page reached twice (a cycle would recurse
// until the stack overflows, which no recover catches), an overflow
// count or an element past its page, a freelist that names live pages.
// bbolt itself trusts all of these: it faults, panics, or loops and
// allocates without bound (its freelist frees "overflow" pages one by
// one). Every loop here is bounded by the file's size, and a page is
// visited once, so the walk costs one pass over the reachable pages.
//
// The layout is bbolt's (go.etcd.io/bbolt/internal/common): a 16-byte
// page header (id, flags, count, overflow), 16-byte branch and leaf
// elements whose pos is relative to the element, meta pages 0 and 1.
func Check(data []byte) error {
	v, m, err := newWalker(data)
	if err != nil {
		return err
	}
	if err := v.tree(m.root); err != nil {
		return err
	}
	if m.freelist != noFreelist {
		return v.freelist(m.freelist)
	}
	return nil
}

const (
	pageHeader  = 16
	elementSize = 16
	bucketSize  = 16 // root pgid, sequence
	branchFlag  = 0x01
	leafFlag    = 0x02
	metaFlag    = 0x04
	freeFlag    = 0x10
	bucketEntry = 0x01
	noFreelist  = ^uint64(0)
	bboltMagic  = 0xED0CDAED
)

var ne = binary.NativeEndian

type meta struct {
	pageSize                 uint32
	root, freelist, pgid, tx uint64
}

// activeMeta reads meta pages 0 and 1 and returns the valid one with the
// later transaction, as bbolt chooses. Page 1 sits one page in: its size
// comes from page 0, or, when page 0 is damaged, from the sizes bbolt
// uses.
func activeMeta(data []byte) (meta, error) {
	m0, ok0 := readMeta(data, 0)
	sizes := []int{4096, 8192, 16384, 65536}
	if ok0 {
		sizes = []int{int(m0.pageSize)}
	}
	var m1 meta
	ok1 := false
	for _, ps := range sizes {
		if m1, ok1 = readMeta(data, ps); ok1 {
			break
		}
	}
	switch {
	case ok0 && ok1 && m1.tx > m0.tx, !ok0 && ok1:
		return m1, nil
	case ok0:
		return m0, nil
	}
	return meta{}, fmt.Errorf("neither meta page is valid")
}

func readMeta(data []byte, off int) (meta, bool) {
	const body = pageHeader + 56 // magic .. txid
	if off < 0 || off+body+8 > len(data) {
		return meta{}, false
	}
	p := data[off:]
	if ne.Uint16(p[8:])&metaFlag == 0 || ne.Uint32(p[16:]) != bboltMagic {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(p[pageHeader:body])
	if h.Sum64() != ne.Uint64(p[body:]) {
		return meta{}, false
	}
	m := meta{pageSize: ne.Uint32(p[24:]), root: ne.Uint64(p[32:]), freelist: ne.Uint64(p[48:]),
		pgid: ne.Uint64(p[56:]), tx: ne.Uint64(p[64:])}
	if m.pageSize < 512 || m.pageSize > 1<<20 || m.pgid < 2 {
		return meta{}, false
	}
	return m, true
}

type walker struct {
	data    []byte
	ps, hwm uint64
	seen    []bool
}

// newWalker reads the active meta page of the file in data and returns
// a walker of its pages, once the pages it counts are known to be in the
// file (before any table is sized by that count).
func newWalker(data []byte) (*walker, meta, error) {
	m, err := activeMeta(data)
	if err != nil {
		return nil, m, err
	}
	if m.pgid > uint64(len(data))/uint64(m.pageSize) {
		return nil, m, fmt.Errorf("the file has %d bytes; its meta page counts %d pages of %d", len(data), m.pgid, m.pageSize)
	}
	v := &walker{data: data, ps: uint64(m.pageSize), hwm: m.pgid, seen: make([]bool, m.pgid)}
	v.seen[0], v.seen[1] = true, true
	return v, m, nil
}

// rootTree checks every page of the root tree (the buckets' names) and
// returns the roots of the buckets' own trees; mark is told of each page.
func (v *walker) rootTree(root uint64, mark func(id uint64)) ([]uint64, error) {
	return v.walk(root, false, mark)
}

// tree checks every page of the B+tree whose root is page root, and of
// the buckets it holds.
func (v *walker) tree(root uint64) error {
	_, err := v.walk(root, true, func(uint64) {})
	return err
}

// walk checks each page of the tree at root, without recursion, marking
// it. A leaf's buckets are walked too (into) or their roots returned.
func (v *walker) walk(root uint64, into bool, mark func(id uint64)) ([]uint64, error) {
	var roots []uint64
	stack := []uint64{root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, err := v.page(id)
		if err != nil {
			return nil, err
		}
		more, err := elements(id, p, len(p))
		if err == nil {
			err = fits(id, p, v.ps)
		}
		if err != nil {
			return nil, err
		}
		mark(id)
		if into || ne.Uint16(p[8:]) == branchFlag {
			stack = append(stack, more...)
		} else {
			roots = append(roots, more...)
		}
	}
	return roots, nil
}

// page returns the bytes of page id and its overflow pages, marking them
// seen, after checking its header.
func (v *walker) page(id uint64) ([]byte, error) {
	if id < 2 || id >= v.hwm {
		return nil, fmt.Errorf("page %d is past the end (%d pages)", id, v.hwm)
	}
	h := v.data[id*v.ps:]
	if got := ne.Uint64(h); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	over := uint64(ne.Uint32(h[12:]))
	if id+over >= v.hwm {
		return nil, fmt.Errorf("page %d runs %d pages past the end", id, id+over-v.hwm+1)
	}
	for i := id; i <= id+over; i++ {
		if v.seen[i] {
			return nil, fmt.Errorf("page %d is reached twice", i)
		}
		v.seen[i] = true
	}
	return v.data[id*v.ps : (id+over+1)*v.ps], nil
}

// elements checks the elements of the page p (n bytes of it are the
// page's own) and returns the pages they point to: a branch's children,
// and the roots of the buckets a leaf holds.
func elements(id uint64, p []byte, n int) ([]uint64, error) {
	flags, count := ne.Uint16(p[8:]), int(ne.Uint16(p[10:]))
	// The type is checked whatever the count: a page of no elements must
	// still be a leaf (an empty bucket), never a branch or anything else.
	switch {
	case flags != branchFlag && flags != leafFlag: // bbolt's FastCheck
		return nil, fmt.Errorf("page %d has type %#x, neither branch nor leaf", id, flags)
	case flags == branchFlag && count == 0:
		return nil, fmt.Errorf("page %d is a branch page of no elements", id)
	}
	if pageHeader+count*elementSize > n {
		return nil, fmt.Errorf("page %d has %d elements, more than fit", id, count)
	}
	var out []uint64
	for i := 0; i < count; i++ {
		e := pageHeader + i*elementSize
		switch {
		case flags&branchFlag != 0:
			pos, ksize := int(ne.Uint32(p[e:])), int(ne.Uint32(p[e+4:]))
			if e+pos+ksize > n || e+pos+ksize < e {
				return nil, fmt.Errorf("page %d: element %d's key is past the page", id, i)
			}
			out = append(out, ne.Uint64(p[e+8:]))
		case flags&leafFlag != 0:
			ef, pos, ksize, vsize := ne.Uint32(p[e:]), int(ne.Uint32(p[e+4:])), int(ne.Uint32(p[e+8:])), int(ne.Uint32(p[e+12:]))
			end := e + pos + ksize + vsize
			if end > n || end < e || pos < 0 || ksize < 0 || vsize < 0 {
				return nil, fmt.Errorf("page %d: element %d is past the page", id, i)
			}
			if ef&bucketEntry == 0 {
				continue
			}
			val := p[e+pos+ksize : end]
			if len(val) < bucketSize {
				return nil, fmt.Errorf("page %d: element %d is a bucket of %d bytes", id, i, len(val))
			}
			if root := ne.Uint64(val); root != 0 {
				out = append(out, root)
				continue
			}
			// An inline bucket: a leaf page inside the value.
			inline := val[bucketSize:]
			if len(inline) < pageHeader || ne.Uint16(inline[8:])&leafFlag == 0 {
				return nil, fmt.Errorf("page %d: element %d is a damaged inline bucket", id, i)
			}
			more, err := elements(id, inline, len(inline))
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		default:
			return nil, fmt.Errorf("page %d has type %#x, neither branch nor leaf", id, flags)
		}
	}
	return out, nil
}

// fits checks that page id, p with its overflow pages, has the overflow
// bbolt gave it: the pages its elements fill, which bbolt packs after
// the element table (node.go: size, write), rounded up (node.spill), or
// one more where the size is a whole number of pages (older bbolt
// rounded down and added one). Freeing the page, a commit frees as many
// pages as the header counts: too many, and live pages would be handed
// out again.
func fits(id uint64, p []byte, ps uint64) error {
	size := uint64(pageHeader)
	if count := int(ne.Uint16(p[10:])); count > 0 {
		// The last element's key and value end the page's data.
		e := pageHeader + (count-1)*elementSize
		if ne.Uint16(p[8:]) == branchFlag {
			size = uint64(e) + uint64(ne.Uint32(p[e:])) + uint64(ne.Uint32(p[e+4:]))
		} else {
			size = uint64(e) + uint64(ne.Uint32(p[e+4:])) + uint64(ne.Uint32(p[e+8:])) + uint64(ne.Uint32(p[e+12:]))
		}
	}
	pages, need := uint64(len(p))/ps, (size+ps-1)/ps
	if pages != need && !(size%ps == 0 && pages == need+1) {
		return fmt.Errorf("page %d spans %d pages; its elements fill %d", id, pages, need)
	}
	return nil
}

// Magic reports whether either meta page, where bbolt looks for them
// (the second at this system's page size or the usual 4 KiB), carries
// bbolt's magic number: a file without it is not a damaged store but no
// bbolt file at all.
func Magic(data []byte) bool {
	for _, off := range []int{0, 4096, os.Getpagesize()} {
		if len(data) >= off+pageHeader+4 && ne.Uint32(data[off+pageHeader:]) == bboltMagic {
			return true
		}
	}
	return false
}
