package store

import (
	"bytes"
	"sort"
)

// KeyRange is a range [Lo, Hi) of index keys of one table's index. Nil Lo
// means from the start, nil Hi means to the end.
type KeyRange struct {
	Table string
	Index string
	Lo    []byte
	Hi    []byte
}

// Contains reports whether key lies in the range.
func (r KeyRange) Contains(key []byte) bool {
	if r.Lo != nil && bytes.Compare(key, r.Lo) < 0 {
		return false
	}
	return r.Hi == nil || bytes.Compare(key, r.Hi) < 0
}

// ReadSet is what a transaction read: index ranges (document reads by id are
// ranges of the by_id index).
type ReadSet struct {
	Ranges []KeyRange
}

func (r *ReadSet) add(kr KeyRange) { r.Ranges = append(r.Ranges, kr) }

// Tables lists the tables read, sorted.
func (r ReadSet) Tables() []string {
	set := map[string]bool{}
	for _, kr := range r.Ranges {
		set[kr.Table] = true
	}
	return sortedSet(set)
}

// DocWrite is one written document: for each index of its table, the keys
// the document had before and after the write.
type DocWrite struct {
	Table string
	ID    string
	Keys  map[string][][]byte
}

// WriteSet is what a transaction wrote.
type WriteSet struct {
	Docs []DocWrite
}

func (w *WriteSet) add(d DocWrite) { w.Docs = append(w.Docs, d) }

// Tables lists the tables written, sorted.
func (w WriteSet) Tables() []string {
	set := map[string]bool{}
	for _, d := range w.Docs {
		set[d.Table] = true
	}
	return sortedSet(set)
}

// Empty reports whether nothing was written.
func (w WriteSet) Empty() bool { return len(w.Docs) == 0 }

// Overlaps reports whether any write touches any range that r read: a read
// result computed from r may be stale after w commits.
func (r ReadSet) Overlaps(w WriteSet) bool {
	for _, kr := range r.Ranges {
		for _, d := range w.Docs {
			if d.Table != kr.Table {
				continue
			}
			for _, key := range d.Keys[kr.Index] {
				if kr.Contains(key) {
					return true
				}
			}
		}
	}
	return false
}

// Reads returns the ranges read so far.
func (t *Tx) Reads() ReadSet { return ReadSet{Ranges: append([]KeyRange(nil), t.reads.Ranges...)} }

// Writes returns the documents written so far.
func (t *Tx) Writes() WriteSet { return WriteSet{Docs: append([]DocWrite(nil), t.writeSet.Docs...)} }

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
