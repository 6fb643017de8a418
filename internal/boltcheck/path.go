package boltcheck

import (
	"errors"
	"fmt"
)

// A process need not walk the whole file before it reads or writes a few
// records: bbolt reads only the pages on the way to them. A Path checks
// the meta pages and the root tree (the buckets' names: one page) when it
// is made, and then, before each operation, the pages bbolt will visit
// for it, found as bbolt finds them: a cursor that mirrors bbolt's own
// (cursor.go: search, nsearch, first, last, next, prev) moves over the
// checked pages a step ahead of bbolt's. A delete checks, besides its
// way down, the neighbours at each level that bbolt's rebalance may merge
// with at commit (node.go: rebalance). Whoever reads or writes little
// pays little; at 100,000 accounts the whole walk is 23 ms.
//
// What a write no longer sees is damage in pages it does not touch; a
// read that reaches them reports it, and Check walks everything. What
// stays out of reach of a crafted file: every page bbolt reads in the
// transaction is checked first, and a cursor that would go round in
// circles (a page below itself, a loop of empty pages) is stopped by its
// mirror before bbolt takes the same turn.
//
// A Path lives as long as one transaction: what it checked is what the
// file held when the transaction began.
type Path struct {
	data []byte
	m    meta
	// ok marks the pages checked: the header names the page, its
	// overflow stays in the file, its elements in the page.
	ok []bool
	// trimmed marks the leaves this transaction deleted from (an inline
	// bucket's as 0). There bbolt's node may hold fewer keys than the
	// page, or none, and its cursor may pass the mirror: a cursor that
	// comes to such a leaf stops with ErrTrimmed.
	trimmed map[uint64]bool
}

// ErrTrimmed: a scan's mirror came to a leaf this transaction deleted
// from, where it can no longer follow bbolt's cursor. The caller walks
// the whole file instead (CheckAll).
var ErrTrimmed = errors.New("a leaf this transaction deleted from")

// NewPath checks the meta pages and the root tree of the bbolt file in
// data, and returns the checks of the way of each operation on it.
func NewPath(data []byte) (*Path, error) {
	v, m, err := newWalker(data)
	if err != nil {
		return nil, err
	}
	c := &Path{data: data, m: m, ok: make([]bool, m.pgid)}
	// The root tree whole, without the buckets below it: a transaction
	// may list its entries (tx.ForEach), and a commit rewrites it.
	if _, err := v.rootTree(m.root, func(id uint64) { c.ok[id] = true }); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckAll walks every page of the file, as Check does: for what
// follows no one way (a copy of a whole bucket, a scan past a trimmed
// leaf, zeroing the free pages).
func (c *Path) CheckAll() error { return Check(c.data) }

// Get checks the pages bbolt visits to read key in bucket b, or to write
// it (a put goes the same way down).
func (c *Path) Get(b, key string) error {
	k, err := c.cursor(b)
	if err != nil || k == nil {
		return err
	}
	_, _, _, err = k.get([]byte(key))
	return err
}

// Delete checks the pages bbolt visits to delete key in bucket b: its way
// down, and at each level the neighbours on either side, which the
// commit's rebalance reads when it merges a page grown too small.
func (c *Path) Delete(b, key string) error {
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

// Scan returns a cursor on bucket b to move, each step, before bbolt's
// cursor makes the same: it checks the pages bbolt's is about to read.
// It is nil when bbolt finds no such bucket (bbolt says so). At a leaf
// this transaction deleted from, it stops with ErrTrimmed.
func (c *Path) Scan(b string) (*Cursor, error) {
	k, err := c.cursor(b)
	if k != nil {
		k.scan = true
	}
	return k, err
}

// load checks page id, once a transaction, and returns its bytes and
// those of its overflow pages.
func (c *Path) load(id uint64) ([]byte, error) {
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
	}
	return p, nil
}

// cursor is a cursor on bucket b's tree, or nil when bbolt finds no such
// bucket.
func (c *Path) cursor(b string) (*Cursor, error) {
	k := &Cursor{c: c, root: c.m.root}
	val, flags, found, err := k.get([]byte(b))
	if err != nil || !found || flags&bucketEntry == 0 {
		return nil, err
	}
	if len(val) < bucketSize {
		return nil, fmt.Errorf("bucket %q has an entry of %d bytes", b, len(val))
	}
	k = &Cursor{c: c, root: ne.Uint64(val), records: true}
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
