package store

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// searchPage reads one page of the search for text in a fresh read
// transaction and returns the n of each document.
func searchPage(t *testing.T, s *Store, text, cursor, endCursor string, size int) (got []float64, done bool, cont string) {
	t.Helper()
	res := queryPage(t, s, searchQuery(text), cursor, endCursor, size)
	got = []float64{}
	for _, d := range res["page"].([]any) {
		got = append(got, d.(map[string]any)["n"].(float64))
	}
	return got, res["isDone"].(bool), res["continueCursor"].(string)
}

// ids maps each message's n to its id.
func ids(t *testing.T, s *Store) map[float64]string {
	t.Helper()
	tx := begin(t, s, false)
	defer tx.Rollback()
	out := map[float64]string{}
	for _, d := range collect(t, tx, scan("")) {
		out[d["n"].(float64)] = d["_id"].(string)
	}
	return out
}

// write runs fn in a committed write transaction.
func write(t *testing.T, s *Store, fn func(tx *Tx)) {
	t.Helper()
	tx := begin(t, s, true)
	fn(tx)
	commit(t, tx)
}

func setBody(t *testing.T, tx *Tx, id, body string) {
	t.Helper()
	sys(t, tx, "1.0/shallowMerge", fmt.Sprintf(`{"id":%q,"value":{"body":%q}}`, id, body))
}

func remove(t *testing.T, tx *Tx, id string) {
	t.Helper()
	sys(t, tx, "1.0/remove", fmt.Sprintf(`{"id":%q,"table":"messages"}`, id))
}

// rankedBodies are eight matches of "word" in a strict rank order, n = 0
// best: more occurrences first, then shorter bodies.
func rankedBodies() []string {
	var out []string
	for i := 0; i < 8; i++ {
		out = append(out, strings.Repeat("word ", 8-i)+"tail")
	}
	return out
}

// Inserts between pages that rank above, below and level with the
// documents already paged change every BM25 score. The pages still return
// every original document once, in the first page's order, and the new
// documents after them in creation order.
func TestSearchPagesAcrossInserts(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	p1, _, c1 := searchPage(t, s, "word", "", "", 3)
	if !reflect.DeepEqual(p1, fl(0, 1, 2)) {
		t.Fatalf("page 1: %v", p1)
	}
	write(t, s, func(tx *Tx) {
		// Many documents with the term lower its weight, so every score
		// drops: a bare score cursor would return n=2 again.
		insert(t, tx, "messages", `{"channel":"x","n":100,"body":"word word word word word word word word word word"}`) // above all
		insert(t, tx, "messages", `{"channel":"x","n":101,"body":"word at the very end of a long sentence about nothing much"}`)
		insert(t, tx, "messages", `{"channel":"x","n":102,"body":"`+rankedBodies()[2]+`"}`) // level with the cursor
		insert(t, tx, "messages", `{"channel":"x","n":103,"body":"`+rankedBodies()[4]+`"}`) // level with a later one
		insert(t, tx, "messages", `{"channel":"x","n":104,"body":"nothing to see"}`)        // no match
	})
	p2, done, c2 := searchPage(t, s, "word", c1, "", 3)
	if done || !reflect.DeepEqual(p2, fl(3, 4, 5)) {
		t.Fatalf("page 2 after inserts: %v (done %v)", p2, done)
	}
	write(t, s, func(tx *Tx) {
		insert(t, tx, "messages", `{"channel":"x","n":105,"body":"word"}`)
	})
	var rest []float64
	cursor := c2
	for i := 0; i < 10; i++ {
		p, done, next := searchPage(t, s, "word", cursor, "", 3)
		rest = append(rest, p...)
		if done {
			break
		}
		cursor = next
	}
	if want := fl(6, 7, 100, 101, 102, 103, 105); !reflect.DeepEqual(rest, want) {
		t.Errorf("later pages: %v, want %v", rest, want)
	}
	// A fresh search ranks everything again, the new documents included.
	if p, _, _ := searchPage(t, s, "word", "", "", 2); !reflect.DeepEqual(p, fl(100, 0)) {
		t.Errorf("fresh first page: %v", p)
	}
}

// Deleted documents drop out of later pages without moving the others.
func TestSearchPagesAcrossDeletes(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	id := ids(t, s)
	p1, _, c1 := searchPage(t, s, "word", "", "", 3)
	write(t, s, func(tx *Tx) {
		remove(t, tx, id[1]) // returned already
		remove(t, tx, id[4]) // not yet
		remove(t, tx, id[7]) // the last one
	})
	p2, _, c2 := searchPage(t, s, "word", c1, "", 3)
	p3, done, _ := searchPage(t, s, "word", c2, "", 3)
	if !reflect.DeepEqual(p1, fl(0, 1, 2)) || !reflect.DeepEqual(p2, fl(3, 5, 6)) || len(p3) != 0 || !done {
		t.Errorf("pages %v %v %v (done %v)", p1, p2, p3, done)
	}
}

// A document whose text changes keeps its place in the pagination: one
// moved to the top is not skipped, one moved to the bottom is not
// repeated, and one that no longer matches is left out.
func TestSearchPagesAcrossUpdates(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	id := ids(t, s)
	p1, _, c1 := searchPage(t, s, "word", "", "", 3)
	write(t, s, func(tx *Tx) {
		setBody(t, tx, id[6], "word word word word word word word word word word word") // would rank first
		setBody(t, tx, id[0], "word and many more words after it in a long body")       // would rank last
		setBody(t, tx, id[4], "no match any more")
		setBody(t, tx, id[1], "word word word word word word word word word word word word")
	})
	var rest []float64
	var docs []map[string]any
	cursor := c1
	for i := 0; i < 10; i++ {
		res := queryPage(t, s, searchQuery("word"), cursor, "", 2)
		for _, d := range res["page"].([]any) {
			docs = append(docs, d.(map[string]any))
			rest = append(rest, d.(map[string]any)["n"].(float64))
		}
		if res["isDone"].(bool) {
			break
		}
		cursor = res["continueCursor"].(string)
	}
	if !reflect.DeepEqual(p1, fl(0, 1, 2)) || !reflect.DeepEqual(rest, fl(3, 5, 6, 7)) {
		t.Fatalf("pages %v then %v, want [0 1 2] then [3 5 6 7]", p1, rest)
	}
	// Pages return the documents as they are now.
	if b := docs[2]["body"]; !strings.HasPrefix(b.(string), "word word word word word word word word word word word") {
		t.Errorf("n=6 came back with body %q", b)
	}
}

// Without the ranked list (a restart, or the cache evicted it), pages fall
// back to scoring with the cursor's frozen statistics, which still keeps
// every unchanged document in place across inserts and deletes.
func TestSearchPagesWithoutCachedRanking(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	id := ids(t, s)
	p1, _, c1 := searchPage(t, s, "word", "", "", 3)
	s.searchSnaps.reset()
	write(t, s, func(tx *Tx) {
		insert(t, tx, "messages", `{"channel":"x","n":100,"body":"word word word word word word word word word word"}`)
		insert(t, tx, "messages", `{"channel":"x","n":101,"body":"word at the very end of a long sentence about nothing"}`)
		remove(t, tx, id[1])
		remove(t, tx, id[5])
	})
	p2, _, c2 := searchPage(t, s, "word", c1, "", 3)
	s.searchSnaps.reset()
	p3, done, _ := searchPage(t, s, "word", c2, "", 5)
	if !reflect.DeepEqual(p1, fl(0, 1, 2)) || !reflect.DeepEqual(p2, fl(3, 4, 6)) || !reflect.DeepEqual(p3, fl(7, 100, 101)) || !done {
		t.Errorf("pages %v %v %v (done %v)", p1, p2, p3, done)
	}
}

// A subscription re-runs its first page with the journal: the page keeps
// its documents and its end while new documents wait at the end of the
// pagination, so the next page neither overlaps nor leaves a gap.
func TestSearchPageJournal(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	q := `{"query":` + searchQuery("word") + `,"cursor":null,"pageSize":3}`
	run := func(journal string) ([]float64, string, *string) {
		t.Helper()
		tx := begin(t, s, false)
		defer tx.Rollback()
		if journal != "" {
			tx.SetJournal(journal)
		}
		res := sys(t, tx, "1.0/queryPage", q).(map[string]any)
		got := []float64{}
		for _, d := range res["page"].([]any) {
			got = append(got, d.(map[string]any)["n"].(float64))
		}
		return got, res["continueCursor"].(string), tx.Journal()
	}
	p1, c1, j := run("")
	if !reflect.DeepEqual(p1, fl(0, 1, 2)) || j == nil || *j != c1 {
		t.Fatalf("first run: %v, journal %v", p1, j)
	}
	write(t, s, func(tx *Tx) {
		insert(t, tx, "messages", `{"channel":"x","n":100,"body":"word word word word word word word word word word"}`)
	})
	again, c1b, j2 := run(*j)
	if !reflect.DeepEqual(again, p1) || c1b != c1 || j2 == nil || *j2 != *j {
		t.Errorf("re-run with the journal: %v (cursor kept %v)", again, c1b == c1)
	}
	p2, _, _ := searchPage(t, s, "word", c1, "", 3)
	if !reflect.DeepEqual(p2, fl(3, 4, 5)) {
		t.Errorf("page 2: %v", p2)
	}
	// Unpinned, the first page ranks afresh.
	if fresh, _, _ := run(""); !reflect.DeepEqual(fresh, fl(100, 0, 1)) {
		t.Errorf("fresh run: %v", fresh)
	}
	// A journal pinned to another ranking of the search than the cursor
	// is ignored: the page is unpinned, not refused.
	_, cFresh, _ := run("")
	tx := begin(t, s, false)
	defer tx.Rollback()
	tx.SetJournal(*j)
	res := sys(t, tx, "1.0/queryPage", `{"query":`+searchQuery("word")+`,"cursor":"`+cFresh+`","pageSize":3}`).(map[string]any)
	if n := len(res["page"].([]any)); n != 3 || res["continueCursor"] == *j {
		t.Errorf("a page with a journal from another pagination: %d documents, cursor %v", n, res["continueCursor"])
	}
}

// Cursors are checked: one from another search, a damaged one, or an end
// cursor from another pagination of the same search is refused.
func TestSearchCursorRefused(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s, rankedBodies()...)
	_, _, c1 := searchPage(t, s, "word", "", "", 3)
	write(t, s, func(tx *Tx) { insert(t, tx, "messages", `{"channel":"x","n":100,"body":"word"}`) })
	_, _, other := searchPage(t, s, "word", "", "", 3) // another ranking
	_, _, tailCursor := searchPage(t, s, "tail", "", "", 3)

	pageErr := func(text, cursor, end string) {
		t.Helper()
		tx := begin(t, s, false)
		defer tx.Rollback()
		e := "null"
		if end != "" {
			e = `"` + end + `"`
		}
		sysErr(t, tx, "1.0/queryPage", fmt.Sprintf(`{"query":%s,"cursor":"%s","endCursor":%s,"pageSize":3}`, searchQuery(text), cursor, e), "InvalidCursor", "cursor")
	}
	pageErr("word", tailCursor, "")
	pageErr("tail", c1, "")
	pageErr("word", c1[:12], "")
	pageErr("word", c1, other)
	// Damaged headers: a wrong tag, a term count that does not fit the
	// search, a document frequency above the document count, a position
	// in no region.
	end, key, err := decodeCursor(c1, s.mustIndexID(t, "messages", "by_creation_time"))
	if err != nil || end {
		t.Fatalf("decode own cursor: %v", err)
	}
	q, _ := begin(t, s, false).compileQuery([]byte(searchQuery("word")))
	snap, pos, err := q.splitCursorKey(key)
	if err != nil || snap == nil || len(pos) == 0 {
		t.Fatalf("split own cursor: %v %v %v", snap, pos, err)
	}
	recode := func(k []byte) string {
		return encodeCursor(s.mustIndexID(t, "messages", "by_creation_time"), false, k)
	}
	wrongTag := append([]byte{'x'}, key[1:]...)
	pageErr("word", recode(wrongTag), "")
	twoTerms := *snap
	twoTerms.stats.df = []int{1, 1}
	pageErr("word", recode(joinCursorKey(&twoTerms, pos)), "")
	tooMany := *snap
	tooMany.stats.df = []int{tooMany.stats.docs + 1}
	pageErr("word", recode(joinCursorKey(&tooMany, pos)), "")
	pageErr("word", recode(joinCursorKey(snap, append([]byte{7}, pos[1:]...))), "")
	pageErr("word", recode(key[:20]), "")
	// A filter change makes another search too.
	tx := begin(t, s, false)
	defer tx.Rollback()
	sysErr(t, tx, "1.0/queryPage", fmt.Sprintf(`{"query":%s,"cursor":%q,"pageSize":3}`,
		searchQuery("word", `{"type":"Eq","fieldPath":"channel","value":"x"}`), c1), "InvalidCursor", "cursor")
}

// mustIndexID is the id of a table's index.
func (s *Store) mustIndexID(t *testing.T, table, index string) int64 {
	t.Helper()
	tx := begin(t, s, false)
	defer tx.Rollback()
	ti, err := tx.tableByName(table)
	if err != nil || ti == nil || ti.indexes[index] == nil {
		t.Fatalf("index %s.%s: %v", table, index, err)
	}
	return ti.indexes[index].id
}

// Random writes between random-sized pages: no page repeats a document,
// every document that matched when the first page was read and matched
// all along is returned, and every returned document matches.
func TestSearchPaginationRandomWrites(t *testing.T) {
	vocab := []string{"alpha", "beta", "gamma", "alphabet", "delta"}
	for seed := int64(1); seed <= 25; seed++ {
		for _, mode := range []string{"cached", "evicted"} {
			t.Run(fmt.Sprintf("%s/%d", mode, seed), func(t *testing.T) {
				randomPagination(t, rand.New(rand.NewSource(seed)), vocab, mode == "evicted")
			})
		}
	}
}

func randomPagination(t *testing.T, r *rand.Rand, vocab []string, evict bool) {
	s := openTest(t)
	if err := s.ApplySchema([]byte(chatSchema)); err != nil {
		t.Fatal(err)
	}
	const query = "alpha gamma"
	matches := func(body string) bool {
		for _, tok := range tokenize(body) {
			if tok == "alpha" || strings.HasPrefix(tok, "gamma") {
				return true
			}
		}
		return false
	}
	body := func() string {
		n := 1 + r.Intn(6)
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.Intn(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	type doc struct {
		id     string
		body   string
		stable bool // matched at the first page and all along since
	}
	docs := map[float64]*doc{}
	next := 0.0
	add := func(tx *Tx) {
		b := body()
		id := insert(t, tx, "messages", fmt.Sprintf(`{"channel":"x","n":%v,"body":%q}`, next, b))
		docs[next] = &doc{id: id, body: b}
		next++
	}
	write(t, s, func(tx *Tx) {
		for i := 0; i < 20+r.Intn(20); i++ {
			add(tx)
		}
	})
	for _, d := range docs {
		d.stable = matches(d.body)
	}
	live := func() []float64 {
		var out []float64
		for n := range docs {
			out = append(out, n)
		}
		sort.Float64s(out)
		return out
	}
	seen := map[float64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		got, done, cont := searchPage(t, s, query, cursor, "", 1+r.Intn(5))
		for _, n := range got {
			if seen[n] {
				t.Fatalf("page %d repeats n=%v", pages, n)
			}
			seen[n] = true
			if d := docs[n]; d == nil || !matches(d.body) {
				t.Fatalf("page %d returned n=%v, which is gone or does not match", pages, n)
			}
		}
		if done {
			break
		}
		cursor = cont
		if evict {
			s.searchSnaps.reset()
		}
		write(t, s, func(tx *Tx) {
			for i := r.Intn(4); i > 0; i-- {
				ns := live()
				switch op := r.Intn(4); {
				case op == 0 || len(ns) == 0:
					add(tx)
				case op == 1:
					n := ns[r.Intn(len(ns))]
					remove(t, tx, docs[n].id)
					delete(docs, n)
				case op == 2 && !evict:
					// New text; without the ranked list only unchanged
					// documents are promised their place.
					d := docs[ns[r.Intn(len(ns))]]
					d.body = body()
					setBody(t, tx, d.id, d.body)
					d.stable = d.stable && matches(d.body)
				default:
					d := docs[ns[r.Intn(len(ns))]]
					sys(t, tx, "1.0/shallowMerge", fmt.Sprintf(`{"id":%q,"value":{"author":"z"}}`, d.id))
				}
			}
		})
	}
	for n, d := range docs {
		if d.stable && !seen[n] {
			t.Errorf("n=%v (%q) matched all along but was never returned", n, d.body)
		}
	}
}
