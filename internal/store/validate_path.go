package store

import (
	"bytes"
	"fmt"
	"sort"
)

// A read-only process need not walk the whole file: bbolt reads only the
// pages on the way to the keys it is asked for. pathCheck walks the meta
// pages and the root tree (the buckets' names: one page) at open, then,
// before each Get, exactly the pages bbolt's cursor will visit for that
// bucket and key, with bbolt's own search (cursor.go: search, searchPage,
// nsearch). A scan, or a write, still walks the whole file first. Whoever
// reads little pays little; at 100,000 accounts the whole walk is 23 ms.
type pathCheck struct {
	data []byte
	m    meta
}

// newPathCheck checks the meta pages and the root tree of the file in
// data.
func newPathCheck(data []byte) (*pathCheck, error) {
	m, err := activeMeta(data)
	if err != nil {
		return nil, err
	}
	if m.pgid*uint64(m.pageSize) > uint64(len(data)) {
		return nil, fmt.Errorf("the file has %d bytes; its meta page counts %d pages of %d", len(data), m.pgid, m.pageSize)
	}
	c := &pathCheck{data: data, m: m}
	// The root tree whole, without the buckets below it: version() may
	// list its entries (tx.ForEach).
	v := c.walker()
	stack := []uint64{m.root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, err := v.page(id)
		if err != nil {
			return nil, err
		}
		if _, err := v.elements(id, p, len(p)); err != nil {
			return nil, err
		}
		if ne.Uint16(p[8:]) == branchFlag {
			for i := 0; i < int(ne.Uint16(p[10:])); i++ {
				stack = append(stack, ne.Uint64(p[pageHeader+i*elementSize+8:]))
			}
		}
	}
	return c, nil
}

func (c *pathCheck) walker() *walker {
	v := &walker{data: c.data, ps: uint64(c.m.pageSize), hwm: c.m.pgid, seen: make([]bool, c.m.pgid)}
	v.seen[0], v.seen[1] = true, true
	return v
}

// bucket checks the way to bucket b's entry in the root tree and returns
// where its tree starts: a page, or an inline page in the entry.
func (c *pathCheck) bucket(v *walker, b Bucket) (root uint64, inline []byte, err error) {
	val, flags, found, err := v.descend(c.m.root, nil, []byte(b))
	if err != nil || !found || flags&bucketEntry == 0 {
		return 0, nil, err // bbolt finds no bucket: the caller says so
	}
	if len(val) < bucketSize {
		return 0, nil, fmt.Errorf("bucket %q has an entry of %d bytes", b, len(val))
	}
	if root = ne.Uint64(val); root == 0 {
		inline = val[bucketSize:]
	}
	return root, inline, nil
}

// get checks the pages bbolt visits to read key in bucket b.
func (c *pathCheck) get(b Bucket, key string) error {
	v := c.walker()
	root, inline, err := c.bucket(v, b)
	if err != nil || (root == 0 && inline == nil) {
		return err
	}
	_, _, _, err = v.descend(root, inline, []byte(key))
	return err
}

// descend follows bbolt's cursor from the tree at root (or the inline
// page, when root is 0) to the leaf element for key, checking each page
// as the whole walk does, each page once. It returns the element's value
// and flags when its key is key.
func (v *walker) descend(root uint64, inline []byte, key []byte) (val []byte, flags uint32, found bool, err error) {
	id := root
	for {
		var p []byte
		if root == 0 {
			if len(inline) < pageHeader {
				return nil, 0, false, fmt.Errorf("an inline bucket of %d bytes", len(inline))
			}
			p = inline
		} else if p, err = v.page(id); err != nil {
			return nil, 0, false, err
		}
		if _, err := v.elements(id, p, len(p)); err != nil {
			return nil, 0, false, err
		}
		count := int(ne.Uint16(p[10:]))
		elemKey := func(i int) []byte {
			e := pageHeader + i*elementSize
			if ne.Uint16(p[8:]) == branchFlag {
				pos, ksize := int(ne.Uint32(p[e:])), int(ne.Uint32(p[e+4:]))
				return p[e+pos : e+pos+ksize]
			}
			pos, ksize := int(ne.Uint32(p[e+4:])), int(ne.Uint32(p[e+8:]))
			return p[e+pos : e+pos+ksize]
		}
		switch ne.Uint16(p[8:]) {
		case leafFlag: // nsearch
			i := sort.Search(count, func(i int) bool { return bytes.Compare(elemKey(i), key) != -1 })
			if i >= count || !bytes.Equal(elemKey(i), key) {
				return nil, 0, false, nil
			}
			e := pageHeader + i*elementSize
			pos, ksize, vsize := int(ne.Uint32(p[e+4:])), int(ne.Uint32(p[e+8:])), int(ne.Uint32(p[e+12:]))
			return p[e+pos+ksize : e+pos+ksize+vsize], ne.Uint32(p[e:]), true, nil
		case branchFlag: // searchPage
			if root == 0 {
				return nil, 0, false, fmt.Errorf("an inline bucket holds a branch page")
			}
			exact := false
			i := sort.Search(count, func(i int) bool {
				r := bytes.Compare(elemKey(i), key)
				if r == 0 {
					exact = true
				}
				return r != -1
			})
			if !exact && i > 0 {
				i--
			}
			id = ne.Uint64(p[pageHeader+i*elementSize+8:])
		default:
			return nil, 0, false, fmt.Errorf("page %d has type %#x, neither branch nor leaf", id, ne.Uint16(p[8:]))
		}
	}
}

// pathCheckOf checks the meta pages and the root tree of the file's bytes
// in data.
func pathCheckOf(data []byte) (*pathCheck, error) {
	var c *pathCheck
	err := guard(func() (err error) {
		c, err = newPathCheck(data)
		return err
	})
	if err != nil {
		return nil, damage("%v", err)
	}
	return c, nil
}
