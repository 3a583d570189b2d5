package store

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"sync"

	"github.com/convex-go/convex/backend/values"
)

// Search pagination pins a ranking snapshot.
//
// BM25 scores depend on the whole corpus (document count, average length,
// how many documents hold each term), so any write moves every score, and a
// cursor holding a bare score would skip or repeat results. The first page
// of a paginated search therefore takes a snapshot: the corpus statistics,
// the newest creation time in the table, and the ranked documents with
// their scores. Every cursor of that pagination carries the snapshot's
// header (statistics, newest creation time, checksum of the ranking), and
// later pages rank against it:
//
//   - a document of the snapshot keeps its snapshot rank, whatever its text
//     is now (it is still left out while it no longer matches or is gone);
//   - a document created after the snapshot comes after every snapshot
//     document, in creation order;
//   - a document that existed but was not ranked by the snapshot (it did not
//     match then, or fell past the result limit) is left out.
//
// Every rank key is then fixed for the whole pagination, so no page repeats
// a document and none skips a snapshot document that still matches.
//
// The ranked list lives in a small per-store cache, not in the cursor. When
// it is gone (restart, eviction) a page ranks documents of the snapshot's
// time by scoring their current text against the cursor's frozen
// statistics: exact for documents whose text did not change, which is all
// that inserts and deletes can disturb.

// Rank key regions: snapshot documents first, newer ones after them.
const (
	rankSnapshot byte = 0
	rankNewer    byte = 1
)

// searchStats are the corpus statistics BM25 needs.
type searchStats struct {
	docs, totalLen int
	df             []int // documents holding each query term
}

// score is the BM25 score of a document with term counts tf and length
// tokens.
func (st *searchStats) score(tf []int, length int) float64 {
	const k1, b = 1.2, 0.75
	avgLen := float64(st.totalLen) / float64(max(st.docs, 1))
	score := 0.0
	for j, n := range tf {
		if n == 0 {
			continue
		}
		df := float64(st.df[j])
		idf := math.Log(1 + (float64(st.docs)-df+0.5)/(df+0.5))
		norm := k1 * (1 - b + b*float64(length)/math.Max(avgLen, 1))
		score += idf * float64(n) * (k1 + 1) / (float64(n) + norm)
	}
	return score
}

// searchSnapshot is the part of a ranking snapshot a cursor carries.
type searchSnapshot struct {
	spec        uint64 // hash of the search (field, terms, filters)
	sum         uint64 // checksum of the ranked list; names it in the cache
	maxCreation float64
	stats       searchStats
}

func (s *searchSnapshot) same(o *searchSnapshot) bool {
	return s.spec == o.spec && s.sum == o.sum
}

const searchCursorTag = 's'

// append writes the snapshot header: tag, spec, sum, newest creation
// time, document count, total length, then the per-term counts.
func (s *searchSnapshot) append(buf []byte) []byte {
	buf = append(buf, searchCursorTag)
	buf = binary.BigEndian.AppendUint64(buf, s.spec)
	buf = binary.BigEndian.AppendUint64(buf, s.sum)
	buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(s.maxCreation))
	buf = binary.AppendUvarint(buf, uint64(s.stats.docs))
	buf = binary.AppendUvarint(buf, uint64(s.stats.totalLen))
	buf = binary.AppendUvarint(buf, uint64(len(s.stats.df)))
	for _, n := range s.stats.df {
		buf = binary.AppendUvarint(buf, uint64(n))
	}
	return buf
}

// terms are the search's query terms, as matched and scored.
func (s *searchSpec) terms() []string {
	terms := tokenize(s.text)
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	return terms
}

// hash identifies the search, so a cursor of one search is refused by
// another on the same table.
func (s *searchSpec) hash(terms []string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s.field))
	for _, w := range terms {
		h.Write([]byte{0})
		h.Write([]byte(w))
	}
	for _, f := range s.filters {
		h.Write([]byte{1})
		h.Write([]byte(f.FieldPath))
		h.Write([]byte{0})
		h.Write(values.IndexKey(f.Value))
	}
	return h.Sum64()
}

// splitCursorKey separates a decoded cursor key into the ranking snapshot
// and the scan position. Keys of index scans, and the empty key, carry no
// snapshot.
func (q *compiledQuery) splitCursorKey(key []byte) (*searchSnapshot, []byte, error) {
	if q.search == nil || key == nil {
		return nil, key, nil
	}
	terms := q.search.terms()
	bad := userErrorf("InvalidCursor", "Invalid pagination cursor: it does not come from this search. Cursors are only valid for the query that produced them.")
	if len(key) < 25 || key[0] != searchCursorTag {
		return nil, nil, bad
	}
	s := &searchSnapshot{
		spec:        binary.BigEndian.Uint64(key[1:]),
		sum:         binary.BigEndian.Uint64(key[9:]),
		maxCreation: math.Float64frombits(binary.BigEndian.Uint64(key[17:])),
	}
	if s.spec != q.search.hash(terms) || math.IsNaN(s.maxCreation) {
		return nil, nil, bad
	}
	rest := key[25:]
	next := func(limit uint64) (int, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > limit {
			return 0, false
		}
		rest = rest[n:]
		return int(v), true
	}
	var ok1, ok2, ok3 bool
	var nTerms int
	s.stats.docs, ok1 = next(math.MaxInt32)
	s.stats.totalLen, ok2 = next(math.MaxInt64 >> 1)
	nTerms, ok3 = next(maxSearchTerms)
	if !ok1 || !ok2 || !ok3 || nTerms != len(terms) {
		return nil, nil, bad
	}
	s.stats.df = make([]int, nTerms)
	for i := range s.stats.df {
		n, ok := next(uint64(s.stats.docs))
		if !ok {
			return nil, nil, bad
		}
		s.stats.df[i] = n
	}
	if len(rest) > 0 && rest[0] != rankSnapshot && rest[0] != rankNewer {
		return nil, nil, bad
	}
	if len(rest) == 0 {
		rest = nil
	}
	return s, rest, nil
}

// joinCursorKey is the inverse of splitCursorKey.
func joinCursorKey(snap *searchSnapshot, pos []byte) []byte {
	if snap == nil {
		return pos
	}
	return append(snap.append(nil), pos...)
}

// rankKey orders search hits: region, then score descending (IndexKey
// orders numbers ascending, so the score is negated), then creation order.
func rankKey(region byte, score float64, base []byte) []byte {
	k := []byte{region}
	if region == rankSnapshot {
		k = append(k, values.IndexKey(-score)...)
	}
	return append(k, base...)
}

// searchSnapCache keeps the ranked lists of recent snapshots: per
// snapshot, the score of each ranked document by its creation-order key.
// It is bounded; an evicted snapshot degrades to scoring by the cursor's
// statistics.
type searchSnapCache struct {
	mu    sync.Mutex
	m     map[snapID]map[string]float64
	order []snapID // oldest first
}

type snapID struct {
	table     uint32
	spec, sum uint64
}

const searchSnapCacheSize = 64

func (c *searchSnapCache) get(id snapID) map[string]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *searchSnapCache) put(id snapID, ranked map[string]float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[snapID]map[string]float64{}
	}
	if _, ok := c.m[id]; ok {
		return
	}
	if len(c.order) >= searchSnapCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[id] = ranked
	c.order = append(c.order, id)
}

// reset forgets every snapshot (tests use it to act out a restart).
func (c *searchSnapCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.order = nil, nil
}

// snapshotSum checksums a ranking so equal sums name equal snapshots.
func snapshotSum(table uint32, snap *searchSnapshot, bases [][]byte, scores []float64) uint64 {
	h := fnv.New64a()
	h.Write(snap.append(nil))
	h.Write(binary.BigEndian.AppendUint32(nil, table))
	for i, b := range bases {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
		h.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(scores[i])))
	}
	return h.Sum64()
}

// endCursorFits reports whether cursor can end a page of q that starts
// from a position pinned to snap (nil: unpinned).
func (q *compiledQuery) endCursorFits(cursor string, indexID int64, snap *searchSnapshot) bool {
	_, key, err := decodeCursor(cursor, indexID)
	if err != nil {
		return false
	}
	end, _, err := q.splitCursorKey(key)
	if err != nil {
		return false
	}
	return end == nil || snap == nil || end.same(snap)
}
