package sync

import (
	"testing"
)

func TestCommitLogValidity(t *testing.T) {
	l := newCommitLog(8)
	msgs := newReadSet(ReadSet{Tables: []string{"messages"}})
	users := newReadSet(ReadSet{Tables: []string{"users"}})
	all := newReadSet(ReadSet{All: true})
	none := newReadSet(ReadSet{})
	l.add(10, []string{"messages"}, false, nil)
	l.add(20, []string{"users", "channels"}, false, nil)
	l.add(30, nil, false, nil)

	for _, tc := range []struct {
		name  string
		reads *readSet
		ts    int64
		upTo  int64
		want  bool
	}{
		{"before the write", msgs, 5, 10, false},
		{"after the write", msgs, 10, 30, true},
		{"other table", users, 10, 19, true},
		{"second table of a commit", users, 10, 20, false},
		{"all reads anything", all, 20, 30, false},
		{"nothing read", none, 0, 30, true},
		{"same ts", msgs, 5, 5, true},
	} {
		if got := l.valid(tc.ts, 0, tc.reads, tc.upTo); got != tc.want {
			t.Errorf("%s: valid(%d..%d) = %v", tc.name, tc.ts, tc.upTo, got)
		}
	}
	if l.valid(30, 1, none, 30) {
		t.Error("a result from another epoch is valid")
	}
	l.bumpEpoch()
	if l.valid(30, 0, none, 30) || !l.valid(30, 1, none, 30) {
		t.Error("bumpEpoch did not invalidate older results")
	}

	// A late report lands after everything known.
	l.add(25, []string{"messages"}, false, nil)
	if st := l.state(); st.known != 31 {
		t.Errorf("late commit: known = %d, want 31", st.known)
	}
	if l.valid(30, 1, msgs, 31) {
		t.Error("a late commit did not invalidate a result computed before it was reported")
	}

	// Trimming: results older than the kept window cannot be validated.
	for ts := int64(100); ts < 120; ts++ {
		l.add(ts, []string{"other"}, false, nil)
	}
	if len(l.records) > 8 {
		t.Errorf("log keeps %d records", len(l.records))
	}
	if l.valid(31, 1, msgs, 119) {
		t.Error("a result older than the log's floor counts as valid")
	}
	if !l.valid(115, 1, msgs, 119) {
		t.Error("a recent result is not valid")
	}
}

func TestCacheKeyIsUnambiguous(t *testing.T) {
	j := "j"
	reqs := []Request{
		{Path: "a:b", Args: []byte(`{}`)},
		{Path: "a:b", Args: []byte(`{"x":1}`)},
		{Path: "a:b", Args: []byte(`{}`), Identity: Identity("u")},
		{Path: "a:b", Args: []byte(`{}`), ComponentPath: "c"},
		{Path: "a:b", Args: []byte(`{}`), Journal: &j},
		{Path: "a:bc", Args: []byte(`{}`)},
		{Path: "a:b", ComponentPath: "c", Args: []byte(`{}`), Identity: Identity("")},
	}
	seen := map[string]int{}
	for i, r := range reqs {
		k := cacheKey(&r)
		if prev, ok := seen[k]; ok {
			t.Errorf("requests %d and %d share a cache key", prev, i)
		}
		seen[k] = i
	}
}

func TestCommitLogPreciseOverlap(t *testing.T) {
	l := newCommitLog(100)
	// The detail is the set of channels written; a query reads one channel.
	channel := func(name string) *readSet {
		return newReadSet(ReadSet{Tables: []string{"messages"}, Overlaps: func(d any) bool {
			return d.(map[string]bool)[name]
		}})
	}
	l.add(10, []string{"messages"}, false, map[string]bool{"general": true})
	if !l.valid(5, 0, channel("random"), 10) {
		t.Error("a write to another channel invalidated the query")
	}
	if l.valid(5, 0, channel("general"), 10) {
		t.Error("a write to the channel read did not invalidate the query")
	}
	// Without detail, or without Overlaps, table level applies.
	l.add(20, []string{"messages"}, false, nil)
	if l.valid(15, 0, channel("random"), 20) {
		t.Error("a commit without detail did not invalidate")
	}
	if l.valid(5, 0, newReadSet(ReadSet{Tables: []string{"messages"}}), 10) {
		t.Error("a read set without Overlaps was narrowed")
	}
	// A broken Overlaps means re-run, not a crash.
	l.add(30, []string{"messages"}, false, "not a map")
	if l.valid(25, 0, channel("random"), 30) {
		t.Error("a panicking Overlaps did not count as an overlap")
	}
}
