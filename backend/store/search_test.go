package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func searchQuery(text string, eq ...string) string {
	filters := []string{fmt.Sprintf(`{"type":"Search","fieldPath":"body","value":%q}`, text)}
	for _, e := range eq {
		filters = append(filters, e)
	}
	return `{"source":{"type":"Search","indexName":"messages.search_body","filters":[` + strings.Join(filters, ",") + `]},"operators":[]}`
}

// seedBodies inserts one message per body, n = its position.
func seedBodies(t *testing.T, s *Store, bodies ...string) {
	t.Helper()
	if err := s.ApplySchema([]byte(chatSchema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	for i, b := range bodies {
		insert(t, tx, "messages", fmt.Sprintf(`{"author":"a","channel":"x","n":%d,"body":%q}`, i, b))
	}
	commit(t, tx)
}

func TestSearchRanking(t *testing.T) {
	s := openTest(t)
	seedBodies(t, s,
		"the fox jumped over the lazy dog and ran far away", // 0
		"fox fox fox",         // 1: the term three times, short
		"a quick brown fox",   // 2: both terms
		"nothing to see here", // 3: no match
		"quickly now",         // 4: prefix of the last term only
	)
	tx := begin(t, s, false)
	defer tx.Rollback()
	if got := ns(collect(t, tx, searchQuery("fox"))); !reflect.DeepEqual(got, fl(1, 2, 0)) {
		t.Errorf("fox: %v, want more occurrences and shorter bodies first", got)
	}
	// Documents with either term match; one with both ranks first. Only
	// the last term matches as a prefix.
	if got := ns(collect(t, tx, searchQuery("fox quick"))); len(got) != 4 || got[0] != 2 {
		t.Errorf("fox quick: %v", got)
	}
	if got := ns(collect(t, tx, searchQuery("quick fox"))); len(got) != 3 || got[0] != 2 {
		t.Errorf("quick fox (quick is not a prefix term here): %v", got)
	}
	if got := ns(collect(t, tx, searchQuery("zebra"))); len(got) != 0 {
		t.Errorf("zebra: %v", got)
	}
	if got := ns(collect(t, tx, searchQuery("  "))); len(got) != 0 {
		t.Errorf("blank search: %v", got)
	}
	if got := ns(collect(t, tx, searchQuery("fox", `{"type":"Eq","fieldPath":"channel","value":"y"}`))); len(got) != 0 {
		t.Errorf("fox in channel y: %v", got)
	}
}

// Search results page with cursors in rank order, and an end cursor
// bounds a page.
func TestSearchPagination(t *testing.T) {
	s := openTest(t)
	var bodies []string
	for i := 0; i < 7; i++ {
		bodies = append(bodies, strings.Repeat("word ", 7-i)+"tail") // earlier = more occurrences
	}
	seedBodies(t, s, bodies...)
	page := func(cursor, endCursor string, size int) ([]float64, bool, string) {
		t.Helper()
		res := queryPage(t, s, searchQuery("word"), cursor, endCursor, size)
		var got []float64
		for _, d := range res["page"].([]any) {
			got = append(got, d.(map[string]any)["n"].(float64))
		}
		return got, res["isDone"].(bool), res["continueCursor"].(string)
	}
	var all []float64
	cursor := ""
	var cursors []string
	for i := 0; i < 10; i++ {
		got, done, next := page(cursor, "", 3)
		all = append(all, got...)
		cursors = append(cursors, next)
		if done {
			break
		}
		cursor = next
	}
	if !reflect.DeepEqual(all, fl(0, 1, 2, 3, 4, 5, 6)) || len(cursors) != 3 {
		t.Fatalf("pages: %v over %d pages", all, len(cursors))
	}
	// The first two pages again, as one page bounded by an end cursor.
	if got, _, next := page("", cursors[1], 1); !reflect.DeepEqual(got, fl(0, 1, 2, 3, 4, 5)) || next != cursors[1] {
		t.Errorf("bounded page: %v", got)
	}
}
