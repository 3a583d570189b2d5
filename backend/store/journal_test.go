package store

import (
	"fmt"
	"testing"
)

// A subscription re-runs its paginated query with the journal of the last
// run: the page keeps its end, so an insert inside it grows the page and
// a later page is not disturbed.
func TestPageJournalPinsTheEnd(t *testing.T) {
	s := openTest(t)
	seed(t, s) // messages n = 0..9
	page := func(tx *Tx) []any {
		t.Helper()
		res := sys(t, tx, "1.0/queryPage", `{"query":`+scan("desc")+`,"cursor":null,"pageSize":3}`).(map[string]any)
		docs := res["page"].([]any)
		ns := make([]any, len(docs))
		for i, d := range docs {
			ns[i] = d.(map[string]any)["n"]
		}
		return ns
	}

	r := begin(t, s, false)
	if got := fmt.Sprint(page(r)); got != "[9 8 7]" {
		t.Fatalf("first run: %s", got)
	}
	j := r.Journal()
	r.Rollback()
	if j == nil || *j == "" {
		t.Fatal("a paginated query left no journal")
	}

	tx := begin(t, s, true)
	insert(t, tx, "messages", `{"author":"c","channel":"x","n":10,"body":"late"}`)
	commit(t, tx)

	r = begin(t, s, false)
	r.SetJournal(*j)
	if got := fmt.Sprint(page(r)); got != "[10 9 8 7]" {
		t.Errorf("re-run with the journal: %s, want the page to grow to [10 9 8 7]", got)
	}
	if j2 := r.Journal(); j2 == nil || *j2 != *j {
		t.Errorf("journal changed on re-run: %v vs %s", j2, *j)
	}
	r.Rollback()

	// Without the journal the page shifts.
	r = begin(t, s, false)
	if got := fmt.Sprint(page(r)); got != "[10 9 8]" {
		t.Errorf("fresh run: %s", got)
	}
	r.Rollback()

	// A journal that does not fit the query is ignored, not an error.
	r = begin(t, s, false)
	r.SetJournal("garbage")
	if got := fmt.Sprint(page(r)); got != "[10 9 8]" {
		t.Errorf("run with a foreign journal: %s", got)
	}
	r.Rollback()

	// Queries that do not paginate leave no journal.
	r = begin(t, s, false)
	collect(t, r, scan(""))
	if r.Journal() != nil {
		t.Errorf("journal without pagination: %q", *r.Journal())
	}
	r.Rollback()
}
