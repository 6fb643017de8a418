package boltcheck

import (
	"bytes"
	"fmt"
	"sort"
)

// Cursor mirrors bbolt's Cursor (cursor.go) over the file's pages,
// checking each page as it enters it. Moved a step before bbolt's, it
// has checked every page bbolt's is about to read.
type Cursor struct {
	c      *Path
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
func (k *Cursor) push(id uint64, index func(r *ref) int) error {
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
		return ErrTrimmed
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

func (k *Cursor) top() *ref { return &k.stack[len(k.stack)-1] }

func zero(*ref) int        { return 0 }
func lastIndex(r *ref) int { return r.count() - 1 }

// search is bbolt's search: down from the root to the leaf where key is
// or would be.
func (k *Cursor) search(key []byte) error {
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
func (k *Cursor) get(key []byte) (val []byte, flags uint32, found bool, err error) {
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
func (k *Cursor) Seek(key []byte) error {
	if err := k.search(key); err != nil {
		return err
	}
	if r := k.top(); r.index >= r.count() {
		return k.Next()
	}
	return nil
}

// First is bbolt's first.
func (k *Cursor) First() error {
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
func (k *Cursor) Last() error {
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
func (k *Cursor) down(index func(*ref) int) error {
	for !k.top().leaf() {
		r := k.top()
		if err := k.push(r.child(r.index), index); err != nil {
			return err
		}
	}
	return nil
}

// Next is bbolt's next.
func (k *Cursor) Next() error {
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
func (k *Cursor) Prev() error {
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
