package store

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// A process need not walk the whole file before it reads or writes a few
// records: bbolt reads only the pages on the way to them. pathCheck
// checks the meta pages and the root tree (the buckets' names: one page)
// at open, and then, before each operation, the pages bbolt will visit
// for it, found as bbolt finds them: a cursor that mirrors bbolt's own
// (cursor.go: search, nsearch, first, last, next, prev) moves over the
// checked pages a step ahead of bbolt's. A delete checks, besides its
// way down, the neighbours at each level that bbolt's rebalance may merge
// with at commit (node.go: rebalance). Whoever reads or writes little
// pays little; at 100,000 accounts the whole walk is 23 ms.
//
// What a write no longer sees is damage in pages it does not touch; a
// read that reaches them reports it, and `store check` walks everything.
// What stays out of reach of a crafted file: every page bbolt reads in
// this process is checked first, and a cursor that would go round in
// circles (a page below itself, a loop of empty pages) is stopped by its
// mirror before bbolt takes the same turn.
type pathCheck struct {
	data []byte
	m    meta
	// ok marks the pages checked: the header names the page, its
	// overflow stays in the file, its elements in the page.
	ok []bool
	// trimmed marks the leaves this transaction deleted from (an inline
	// bucket's as 0). There bbolt's node may hold fewer keys than the
	// page, or none, and its cursor may pass the mirror: a cursor that
	// comes to such a leaf stops with errTrimmed.
	trimmed map[uint64]bool
}

// errTrimmed: a scan's mirror came to a leaf this transaction deleted
// from. The scan walks the whole file instead.
var errTrimmed = errors.New("a leaf this transaction deleted from")

// newPathCheck checks the meta pages and the root tree of the file in
// data.
func newPathCheck(data []byte) (*pathCheck, error) {
	v, m, err := newWalker(data)
	if err != nil {
		return nil, err
	}
	c := &pathCheck{data: data, m: m, ok: make([]bool, m.pgid)}
	// The root tree whole, without the buckets below it: version() may
	// list its entries (tx.ForEach), and a commit rewrites it.
	if _, err := v.rootTree(m.root, func(id uint64) { c.ok[id] = true }); err != nil {
		return nil, err
	}
	if checkHooks.start != nil {
		checkHooks.start(c)
	}
	return c, nil
}

// load checks page id, once a transaction, and returns its bytes and
// those of its overflow pages.
func (c *pathCheck) load(id uint64) ([]byte, error) {
	ps := uint64(c.m.pageSize)
	if id < 2 || id >= c.m.pgid {
		return nil, fmt.Errorf("page %d is past the end (%d pages)", id, c.m.pgid)
	}
	h := c.data[id*ps:]
	if got := ne.Uint64(h); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	over := uint64(ne.Uint32(h[12:]))
	if id+over >= c.m.pgid {
		return nil, fmt.Errorf("page %d runs %d pages past the end", id, id+over-c.m.pgid+1)
	}
	p := c.data[id*ps : (id+over+1)*ps]
	if !c.ok[id] {
		if _, err := elements(id, p, len(p)); err != nil {
			return nil, err
		}
		if err := fits(id, p, ps); err != nil {
			return nil, err
		}
		c.ok[id] = true
		if checkHooks.page != nil {
			checkHooks.page(c, id)
		}
	}
	return p, nil
}

// checkHooks, set by tests alone, are told of each new pathCheck, once
// it has checked the root tree, of each page it checks after that, and
// of a walk of the whole file.
var checkHooks struct {
	start func(c *pathCheck)
	page  func(c *pathCheck, id uint64)
	whole func(c *pathCheck) // the whole file walked
}

// cursor is a cursor on bucket b's tree, or nil when bbolt finds no such
// bucket (the caller says so).
func (c *pathCheck) cursor(b Bucket) (*cursor, error) {
	k := &cursor{c: c, root: c.m.root}
	val, flags, found, err := k.get([]byte(b))
	if err != nil || !found || flags&bucketEntry == 0 {
		return nil, err
	}
	if len(val) < bucketSize {
		return nil, fmt.Errorf("bucket %q has an entry of %d bytes", b, len(val))
	}
	k = &cursor{c: c, root: ne.Uint64(val), records: true}
	if k.root == 0 { // an inline bucket: its one leaf is in the entry
		k.inline = val[bucketSize:]
		if len(k.inline) < pageHeader || ne.Uint16(k.inline[8:])&leafFlag == 0 {
			return nil, fmt.Errorf("bucket %q is a damaged inline bucket", b)
		}
		if _, err := elements(0, k.inline, len(k.inline)); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// get checks the pages bbolt visits to read key in bucket b.
func (c *pathCheck) get(b Bucket, key string) error {
	k, err := c.cursor(b)
	if err != nil || k == nil {
		return err
	}
	_, _, _, err = k.get([]byte(key))
	return err
}

// del checks the pages bbolt visits to delete key in bucket b: its way
// down, and at each level the neighbours on either side, which the
// commit's rebalance reads when it merges a page grown too small.
func (c *pathCheck) del(b Bucket, key string) error {
	k, err := c.cursor(b)
	if err != nil || k == nil {
		return err
	}
	if err := k.search([]byte(key)); err != nil {
		return err
	}
	if c.trimmed == nil {
		c.trimmed = map[uint64]bool{}
	}
	c.trimmed[k.top().id] = true
	for _, r := range k.stack {
		if r.leaf() {
			continue
		}
		for _, i := range []int{r.index - 1, r.index + 1} {
			if i >= 0 && i < r.count() {
				if _, err := c.load(r.child(i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cursor mirrors bbolt's Cursor (cursor.go) over the file's pages,
// checking each page as it enters it. Moved a step before bbolt's, it
// has checked every page bbolt's is about to read.
type cursor struct {
	c      *pathCheck
	root   uint64
	inline []byte // the leaf of an inline bucket (root 0)
	stack  []ref
	steps  int
	scan   bool // a scan's mirror: stops at a trimmed leaf
	// records: the tree is a bucket of kcloud's, whose leaves hold
	// records, never buckets (bbolt would refuse to write the key).
	records bool
}

// ref is a page on the cursor's stack and the element it points at.
type ref struct {
	id    uint64
	p     []byte
	index int
}

func (r *ref) count() int         { return int(ne.Uint16(r.p[10:])) }
func (r *ref) leaf() bool         { return ne.Uint16(r.p[8:])&leafFlag != 0 }
func (r *ref) child(i int) uint64 { return ne.Uint64(r.p[pageHeader+i*elementSize+8:]) }

// key is element i's key; the page's elements are checked.
func (r *ref) key(i int) []byte {
	e := pageHeader + i*elementSize
	if r.leaf() {
		pos, ksize := int(ne.Uint32(r.p[e+4:])), int(ne.Uint32(r.p[e+8:]))
		return r.p[e+pos : e+pos+ksize]
	}
	pos, ksize := int(ne.Uint32(r.p[e:])), int(ne.Uint32(r.p[e+4:]))
	return r.p[e+pos : e+pos+ksize]
}

// push enters page id below the stack's top, with its element index.
func (k *cursor) push(id uint64, index func(r *ref) int) error {
	// A walk of the whole tree enters each page about once; a cursor
	// that enters more than twice as many pages as the file has goes
	// round in circles (bbolt's Last can, over empty pages).
	if k.steps++; k.steps > 2*len(k.c.ok)+64 {
		return fmt.Errorf("the tree leads a cursor round in circles")
	}
	r := ref{id: id}
	if k.root == 0 {
		if id != 0 {
			return fmt.Errorf("an inline bucket points to page %d", id)
		}
		r.p = k.inline
	} else {
		for _, s := range k.stack {
			if s.id == id { // bbolt would descend for ever
				return fmt.Errorf("page %d is below itself", id)
			}
		}
		var err error
		if r.p, err = k.c.load(id); err != nil {
			return err
		}
	}
	// A leaf's keys in order: bbolt's node for it in a write holds its
	// keys and the ones this transaction added, in order, so its cursor
	// never runs ahead of this one (it has as many elements or more to
	// pass in each leaf); unsorted, the two searches could part ways.
	// Where this transaction deleted, the node may hold fewer.
	if k.scan && r.leaf() && k.c.trimmed[id] {
		return errTrimmed
	}
	if r.leaf() {
		for i := 1; i < r.count(); i++ {
			if bytes.Compare(r.key(i-1), r.key(i)) != -1 {
				return fmt.Errorf("page %d: element %d is out of order", id, i)
			}
		}
		for i := 0; k.records && i < r.count(); i++ {
			if ne.Uint32(r.p[pageHeader+i*elementSize:])&bucketEntry != 0 {
				return fmt.Errorf("page %d: element %d is a bucket among records", id, i)
			}
		}
	}
	r.index = index(&r)
	k.stack = append(k.stack, r)
	return nil
}

func (k *cursor) top() *ref { return &k.stack[len(k.stack)-1] }

func zero(*ref) int        { return 0 }
func lastIndex(r *ref) int { return r.count() - 1 }

// search is bbolt's search: down from the root to the leaf where key is
// or would be.
func (k *cursor) search(key []byte) error {
	k.stack = k.stack[:0]
	id := k.root
	for {
		if err := k.push(id, zero); err != nil {
			return err
		}
		r := k.top()
		if r.leaf() { // nsearch
			r.index = sort.Search(r.count(), func(i int) bool { return bytes.Compare(r.key(i), key) != -1 })
			return nil
		}
		exact := false // searchPage
		i := sort.Search(r.count(), func(i int) bool {
			c := bytes.Compare(r.key(i), key)
			if c == 0 {
				exact = true
			}
			return c != -1
		})
		if !exact && i > 0 {
			i--
		}
		r.index, id = i, r.child(i)
	}
}

// get checks the way to key, as bbolt's Get takes it, and returns the
// element there when its key is key.
func (k *cursor) get(key []byte) (val []byte, flags uint32, found bool, err error) {
	if err := k.search(key); err != nil {
		return nil, 0, false, err
	}
	r := k.top()
	if r.index >= r.count() || !bytes.Equal(r.key(r.index), key) {
		return nil, 0, false, nil
	}
	e := pageHeader + r.index*elementSize
	pos, ksize, vsize := int(ne.Uint32(r.p[e+4:])), int(ne.Uint32(r.p[e+8:])), int(ne.Uint32(r.p[e+12:]))
	return r.p[e+pos+ksize : e+pos+ksize+vsize], ne.Uint32(r.p[e:]), true, nil
}

// Seek is bbolt's Seek.
func (k *cursor) Seek(key []byte) error {
	if err := k.search(key); err != nil {
		return err
	}
	if r := k.top(); r.index >= r.count() {
		return k.Next()
	}
	return nil
}

// First is bbolt's first.
func (k *cursor) First() error {
	k.stack = k.stack[:0]
	if err := k.push(k.root, zero); err != nil {
		return err
	}
	if err := k.down(zero); err != nil {
		return err
	}
	if k.top().count() == 0 {
		return k.Next()
	}
	return nil
}

// Last is bbolt's Last.
func (k *cursor) Last() error {
	k.stack = k.stack[:0]
	if err := k.push(k.root, lastIndex); err != nil {
		return err
	}
	if err := k.down(lastIndex); err != nil {
		return err
	}
	for len(k.stack) > 1 && k.top().count() == 0 {
		if err := k.Prev(); err != nil {
			return err
		}
	}
	return nil
}

// down follows the top's element to a leaf, entering each page at the
// index given: bbolt's goToFirstElementOnTheStack and last.
func (k *cursor) down(index func(*ref) int) error {
	for !k.top().leaf() {
		r := k.top()
		if err := k.push(r.child(r.index), index); err != nil {
			return err
		}
	}
	return nil
}

// Next is bbolt's next.
func (k *cursor) Next() error {
	for {
		i := len(k.stack) - 1
		for ; i >= 0; i-- {
			if e := &k.stack[i]; e.index < e.count()-1 {
				e.index++
				break
			}
		}
		if i == -1 {
			return nil
		}
		k.stack = k.stack[:i+1]
		if err := k.down(zero); err != nil {
			return err
		}
		if k.top().count() != 0 {
			return nil
		}
	}
}

// Prev is bbolt's prev.
func (k *cursor) Prev() error {
	for i := len(k.stack) - 1; i >= 0; i-- {
		if e := &k.stack[i]; e.index > 0 {
			e.index--
			break
		}
		if len(k.stack) == 1 {
			return k.First()
		}
		k.stack = k.stack[:i]
	}
	if len(k.stack) == 0 {
		return nil
	}
	return k.down(lastIndex)
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
