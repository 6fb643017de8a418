package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"testing"
)

// What the tests that craft damage or pick a page know of bbolt's file
// format: a page's 16-byte header (id, flags, count, overflow), 16-byte
// elements, the meta page's fields. The checker's own reading is
// internal/boltcheck; this is a test's reference, kept to what the tests
// here need.

var ne = binary.NativeEndian

const (
	pageHeader = 16
	noFreelist = ^uint64(0)
)

type meta struct {
	pageSize                 uint32
	root, freelist, pgid, tx uint64
}

// activeMeta reads the meta page bbolt uses: of pages 0 and 1, the one
// with the later transaction.
func activeMeta(b []byte) (meta, error) {
	read := func(off int) meta {
		p := b[off:]
		return meta{pageSize: ne.Uint32(p[24:]), root: ne.Uint64(p[32:]), freelist: ne.Uint64(p[48:]),
			pgid: ne.Uint64(p[56:]), tx: ne.Uint64(p[64:])}
	}
	if len(b) < 4096 || ne.Uint32(b[pageHeader:]) != 0xED0CDAED {
		return meta{}, fmt.Errorf("not a bbolt file")
	}
	m0 := read(0)
	if m1 := read(int(m0.pageSize)); m1.tx > m0.tx {
		return m1, nil
	}
	return m0, nil
}

// resum sets the checksum of the meta page p after a change to it.
func resum(p []byte) {
	h := fnv.New64a()
	h.Write(p[pageHeader : pageHeader+56])
	ne.PutUint64(p[pageHeader+56:], h.Sum64())
}

// leaf is a leaf page of a bucket's tree.
type leaf struct {
	id, pages uint64 // its id; with its overflow, how many pages
	keys      []string
	first     bool // its parent's first child
	depth     int  // 1 for a root
}

// leaves returns the leaves of bucket b's tree in the file in data, in
// key order.
func leaves(t testing.TB, data []byte, b Bucket) []leaf {
	t.Helper()
	m, err := activeMeta(data)
	if err != nil {
		t.Fatal(err)
	}
	ps := uint64(m.pageSize)
	page := func(id uint64) []byte { return data[id*ps:] }
	// element i of page p: for a leaf, its key and value.
	entry := func(p []byte, i int) (key, val []byte) {
		e := p[pageHeader+16*i:]
		pos, ksize, vsize := ne.Uint32(e[4:]), ne.Uint32(e[8:]), ne.Uint32(e[12:])
		return e[pos : pos+ksize], e[pos+ksize : pos+ksize+vsize]
	}
	root := uint64(0)
	for i, p := 0, page(m.root); i < int(ne.Uint16(p[10:])); i++ { // the buckets' names
		if k, v := entry(p, i); string(k) == string(b) {
			root = ne.Uint64(v)
		}
	}
	if root == 0 {
		t.Fatalf("bucket %s has no tree of its own", b)
	}
	var out []leaf
	var walk func(id uint64, first bool, depth int)
	walk = func(id uint64, first bool, depth int) {
		p := page(id)
		count := int(ne.Uint16(p[10:]))
		if ne.Uint16(p[8:]) == 0x01 { // a branch
			for i := range count {
				walk(ne.Uint64(p[pageHeader+16*i+8:]), i == 0, depth+1)
			}
			return
		}
		l := leaf{id: id, pages: 1 + uint64(ne.Uint32(p[12:])), first: first, depth: depth}
		for i := range count {
			k, _ := entry(p, i)
			l.keys = append(l.keys, string(k))
		}
		out = append(out, l)
	}
	walk(root, true, 1)
	return out
}

// leafOf is the leaf of bucket b that holds key.
func leafOf(t testing.TB, data []byte, b Bucket, key string) leaf {
	t.Helper()
	for _, l := range leaves(t, data, b) {
		for _, k := range l.keys {
			if k == key {
				return l
			}
		}
	}
	t.Fatalf("no leaf of bucket %s holds %s", b, key)
	return leaf{}
}
