package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

const chatSchema = `{"tables":[{"tableName":"messages","indexes":[{"indexDescriptor":"by_author","fields":["author"]},{"indexDescriptor":"by_channel_n","fields":["channel","n"]}],"stagedDbIndexes":[],"searchIndexes":[{"indexDescriptor":"search_body","searchField":"body","filterFields":["channel"]}],"stagedSearchIndexes":[],"vectorIndexes":[],"stagedVectorIndexes":[],"documentType":{"type":"any"}}],"schemaValidation":true}`

// seed inserts messages n=0..9 with authors a/b alternating and channels.
func seed(t testing.TB, s *Store) {
	t.Helper()
	if err := s.ApplySchema([]byte(chatSchema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	for i := 0; i < 10; i++ {
		author := []string{"a", "b"}[i%2]
		extra := ""
		if i == 3 {
			extra = `,"opt":true`
		}
		insert(t, tx, "messages", fmt.Sprintf(`{"author":%q,"channel":%q,"n":%d,"body":"hello world %d"%s}`, author, []string{"x", "y", "z"}[i%3], i, i, extra))
	}
	commit(t, tx)
}

func scan(order string, ops ...string) string {
	o := "null"
	if order != "" {
		o = `"` + order + `"`
	}
	return fmt.Sprintf(`{"source":{"type":"FullTableScan","tableName":"messages","order":%s},"operators":[%s]}`, o, join(ops))
}

func join(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func indexQuery(index, order string, ranges ...string) string {
	o := "null"
	if order != "" {
		o = `"` + order + `"`
	}
	return fmt.Sprintf(`{"source":{"type":"IndexRange","indexName":"messages.%s","range":[%s],"order":%s},"operators":[]}`, index, join(ranges), o)
}

func rng(typ, field, value string) string {
	return fmt.Sprintf(`{"type":%q,"fieldPath":%q,"value":%s}`, typ, field, value)
}

func ns(docs []map[string]any) []float64 {
	out := []float64{}
	for _, d := range docs {
		out = append(out, d["n"].(float64))
	}
	return out
}

func fl(xs ...float64) []float64 { return append([]float64{}, xs...) }

func TestFullTableScanOrderAndLimit(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	tx := begin(t, s, false)
	if got := ns(collect(t, tx, scan(""))); !reflect.DeepEqual(got, fl(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)) {
		t.Errorf("asc scan %v", got)
	}
	if got := ns(collect(t, tx, scan("desc", `{"limit":3}`))); !reflect.DeepEqual(got, fl(9, 8, 7)) {
		t.Errorf("desc limit %v", got)
	}
	// A limit before a filter limits what the filter sees.
	f := `{"filter":{"$eq":[{"$field":"author"},{"$literal":"a"}]}}`
	if got := ns(collect(t, tx, scan("", `{"limit":3}`, f))); !reflect.DeepEqual(got, fl(0, 2)) {
		t.Errorf("limit then filter %v", got)
	}
	if got := ns(collect(t, tx, scan("", f, `{"limit":3}`))); !reflect.DeepEqual(got, fl(0, 2, 4)) {
		t.Errorf("filter then limit %v", got)
	}
	if got := collect(t, tx, `{"source":{"type":"FullTableScan","tableName":"nothing","order":null},"operators":[]}`); len(got) != 0 {
		t.Errorf("missing table gave %v", got)
	}
	// queryCleanup frees a stream.
	r := sys(t, tx, "1.0/queryStream", `{"query":`+scan("")+`}`).(map[string]any)
	qid, _ := json.Marshal(r["queryId"])
	if sys(t, tx, "1.0/queryCleanup", `{"queryId":`+string(qid)+`}`) != true {
		t.Error("cleanup of a live query returned false")
	}
	if sys(t, tx, "1.0/queryCleanup", `{"queryId":`+string(qid)+`}`) != false {
		t.Error("second cleanup returned true")
	}
	sysErr(t, tx, "1.0/queryStreamNext", `{"queryId":`+string(qid)+`}`, "QueryNotFound", "")
}

func TestFilters(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	tx := begin(t, s, false)
	lit := func(v string) string { return `{"$literal":` + v + `}` }
	fld := func(f string) string { return `{"$field":"` + f + `"}` }
	bin := func(op, l, r string) string { return `{"` + op + `":[` + l + `,` + r + `]}` }
	filt := func(e string) []float64 { return ns(collect(t, tx, scan("", `{"filter":`+e+`}`))) }
	cases := []struct {
		name string
		e    string
		want []float64
	}{
		{"eq", bin("$eq", fld("n"), lit("3")), fl(3)},
		{"neq", bin("$neq", fld("author"), lit(`"a"`)), fl(1, 3, 5, 7, 9)},
		{"lt", bin("$lt", fld("n"), lit("2")), fl(0, 1)},
		{"lte", bin("$lte", fld("n"), lit("2")), fl(0, 1, 2)},
		{"gt", bin("$gt", fld("n"), lit("7")), fl(8, 9)},
		{"gte", bin("$gte", fld("n"), lit("7")), fl(7, 8, 9)},
		{"add", bin("$eq", bin("$add", fld("n"), lit("1")), lit("5")), fl(4)},
		{"sub", bin("$eq", bin("$sub", fld("n"), lit("1")), lit("5")), fl(6)},
		{"mul", bin("$eq", bin("$mul", fld("n"), lit("2")), lit("8")), fl(4)},
		{"div", bin("$eq", bin("$div", fld("n"), lit("2")), lit("4.5")), fl(9)},
		{"mod", bin("$eq", bin("$mod", fld("n"), lit("4")), lit("1")), fl(1, 5, 9)},
		{"neg", bin("$eq", `{"$neg":`+fld("n")+`}`, lit("-2")), fl(2)},
		{"and", `{"$and":[` + bin("$gt", fld("n"), lit("2")) + `,` + bin("$lt", fld("n"), lit("5")) + `]}`, fl(3, 4)},
		{"or", `{"$or":[` + bin("$eq", fld("n"), lit("0")) + `,` + bin("$eq", fld("n"), lit("9")) + `]}`, fl(0, 9)},
		{"not", `{"$not":` + bin("$lt", fld("n"), lit("8")) + `}`, fl(8, 9)},
		{"missing eq undefined", bin("$eq", fld("opt"), lit(`{"$undefined":null}`)), fl(0, 1, 2, 4, 5, 6, 7, 8, 9)},
		{"present neq undefined", bin("$neq", fld("opt"), lit(`{"$undefined":null}`)), fl(3)},
		{"missing below null", bin("$lt", fld("opt"), lit("null")), fl(0, 1, 2, 4, 5, 6, 7, 8, 9)},
		{"two missing fields equal", bin("$eq", fld("nope"), fld("nada")), fl(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"non-boolean result filters out", fld("author"), fl()},
		{"literal true", lit("true"), fl(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"int64 vs float never equal", bin("$eq", fld("n"), lit(`{"$integer":"AwAAAAAAAAA="}`)), fl()},
		{"int64 sorts below floats", bin("$lt", lit(`{"$integer":"AwAAAAAAAAA="}`), fld("n")), fl(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"nested path", bin("$eq", fld("body.x"), lit(`{"$undefined":null}`)), fl(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
	}
	for _, c := range cases {
		if got := filt(c.e); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
	evalErr := func(e, want string) {
		t.Helper()
		r := sys(t, tx, "1.0/queryStream", `{"query":`+scan("", `{"filter":`+e+`}`)+`}`).(map[string]any)
		qid, _ := json.Marshal(r["queryId"])
		sysErr(t, tx, "1.0/queryStreamNext", `{"queryId":`+string(qid)+`}`, "EvalError", want)
	}
	evalErr(bin("$add", fld("n"), lit(`{"$integer":"AQAAAAAAAAA="}`)), "arithmetic needs")
	evalErr(bin("$add", fld("author"), lit("1")), "arithmetic needs")
	evalErr(bin("$div", lit(`{"$integer":"AQAAAAAAAAA="}`), lit(`{"$integer":"AAAAAAAAAAA="}`)), "division by zero")
	evalErr(bin("$add", lit(`{"$integer":"/////////38="}`), lit(`{"$integer":"AQAAAAAAAAA="}`)), "overflow")
	evalErr(`{"$and":[`+lit("1")+`]}`, "booleans")
	evalErr(`{"$not":`+lit(`"x"`)+`}`, "boolean")
	evalErr(`{"$neg":`+lit(`"x"`)+`}`, "number")
	// Malformed expressions fail at queryStream.
	for _, bad := range []string{`{"$bogus":1}`, `{"$eq":[1]}`, `{"$field":3}`, `{"$literal":{"$set":[]}}`, `{}`} {
		sysErr(t, tx, "1.0/queryStream", `{"query":`+scan("", `{"filter":`+bad+`}`)+`}`, "InvalidFilter", "")
	}
	sysErr(t, tx, "1.0/queryStream", `{"query":`+scan("", `{"limit":-1}`)+`}`, "InvalidQuery", "limit")
	sysErr(t, tx, "1.0/queryStream", `{"query":`+scan("sideways")+`}`, "InvalidQuery", "order")
	sysErr(t, tx, "1.0/queryStream", `{"query":{"source":{"type":"Nope"},"operators":[]}}`, "InvalidQuery", "source")
}

func TestIndexRanges(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	tx := begin(t, s, false)
	q := func(index, order string, ranges ...string) []float64 {
		t.Helper()
		return ns(collect(t, tx, indexQuery(index, order, ranges...)))
	}
	cases := []struct {
		name string
		got  []float64
		want []float64
	}{
		{"eq", q("by_author", "", rng("Eq", "author", `"b"`)), fl(1, 3, 5, 7, 9)},
		{"eq desc", q("by_author", "desc", rng("Eq", "author", `"b"`)), fl(9, 7, 5, 3, 1)},
		{"no range orders by field then creation", q("by_author", ""), fl(0, 2, 4, 6, 8, 1, 3, 5, 7, 9)},
		{"gt", q("by_author", "", rng("Gt", "author", `"a"`)), fl(1, 3, 5, 7, 9)},
		{"gte", q("by_author", "", rng("Gte", "author", `"a"`)), fl(0, 2, 4, 6, 8, 1, 3, 5, 7, 9)},
		{"lt", q("by_author", "", rng("Lt", "author", `"b"`)), fl(0, 2, 4, 6, 8)},
		{"lte", q("by_author", "", rng("Lte", "author", `"a"`)), fl(0, 2, 4, 6, 8)},
		{"eq+gt", q("by_channel_n", "", rng("Eq", "channel", `"x"`), rng("Gt", "n", "0")), fl(3, 6, 9)},
		{"eq+gte+lt", q("by_channel_n", "", rng("Eq", "channel", `"x"`), rng("Gte", "n", "3"), rng("Lt", "n", "9")), fl(3, 6)},
		{"eq+lte desc", q("by_channel_n", "desc", rng("Eq", "channel", `"y"`), rng("Lte", "n", "7")), fl(7, 4, 1)},
		{"eq eq", q("by_channel_n", "", rng("Eq", "channel", `"z"`), rng("Eq", "n", "5")), fl(5)},
		{"eq missing value", q("by_author", "", rng("Eq", "author", `{"$undefined":null}`)), fl()},
		{"empty range", q("by_channel_n", "", rng("Eq", "channel", `"x"`), rng("Gt", "n", "5"), rng("Lt", "n", "6")), fl()},
		{"creation time index", q("by_creation_time", "desc"), fl(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{"implicit _creationTime", q("by_author", "", rng("Eq", "author", `"a"`), rng("Gt", "_creationTime", "0")), fl(0, 2, 4, 6, 8)},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v want %v", c.name, c.got, c.want)
		}
	}
	all := collect(t, tx, scan(""))
	id := all[4]["_id"].(string)
	if got := ns(collect(t, tx, indexQuery("by_id", "", rng("Eq", "_id", `"`+id+`"`)))); !reflect.DeepEqual(got, fl(4)) {
		t.Errorf("by_id: %v", got)
	}
	ct, _ := json.Marshal(all[7]["_creationTime"])
	if got := ns(collect(t, tx, indexQuery("by_creation_time", "", rng("Gte", "_creationTime", string(ct))))); !reflect.DeepEqual(got, fl(7, 8, 9)) {
		t.Errorf("by_creation_time range: %v", got)
	}

	bad := []struct {
		index, code, want string
		ranges            []string
	}{
		{"by_author", "FieldNotInIndex", `"body" is not a field`, []string{rng("Eq", "body", `"x"`)}},
		{"by_channel_n", "InvalidIndexRange", "skips", []string{rng("Eq", "n", "1")}},
		{"by_channel_n", "InvalidIndexRange", "after a range bound", []string{rng("Gt", "channel", `"x"`), rng("Eq", "n", "1")}},
		{"by_channel_n", "InvalidIndexRange", "right after the equalities", []string{rng("Gt", "n", "1")}},
		{"by_channel_n", "AlreadyDefinedBound", "lower bound", []string{rng("Gt", "channel", `"a"`), rng("Gte", "channel", `"b"`)}},
		{"by_channel_n", "AlreadyDefinedBound", "upper bound", []string{rng("Lt", "channel", `"a"`), rng("Lte", "channel", `"b"`)}},
		{"by_channel_n", "BoundsOnMultipleFields", "both", []string{rng("Gt", "channel", `"a"`), rng("Lt", "n", "3")}},
		{"by_channel_n", "InvalidIndexRange", "type", []string{rng("Between", "channel", `"a"`)}},
		{"by_nothing", "IndexNotFound", "messages.by_nothing", nil},
		{"search_body", "IndexNotFound", "search index", nil},
	}
	for _, b := range bad {
		sysErr(t, tx, "1.0/queryStream", `{"query":`+indexQuery(b.index, "", b.ranges...)+`}`, b.code, b.want)
	}
	sysErr(t, tx, "1.0/queryStream", `{"query":{"source":{"type":"IndexRange","indexName":"noDot","range":[],"order":null},"operators":[]}}`, "IndexNotFound", "")
	// A table without a schema knows only the built-in indexes; a table that
	// does not exist yet can be queried through a declared index.
	w := begin(t, s, true)
	insert(t, w, "loose", `{"a":1}`)
	sysErr(t, w, "1.0/queryStream", `{"query":{"source":{"type":"IndexRange","indexName":"loose.by_a","range":[],"order":null},"operators":[]}}`, "IndexNotFound", "loose.by_a")
	w.Rollback()
}

func TestEqualityIsExact(t *testing.T) {
	s := openTest(t)
	if err := s.ApplySchema([]byte(chatSchema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	for _, a := range []string{"a", "a\\u0000", "a\\u0000b", "ab", ""} {
		insert(t, tx, "messages", `{"author":"`+a+`"}`)
	}
	for _, a := range []string{"a", "a\\u0000", "ab", ""} {
		got := field(collect(t, tx, indexQuery("by_author", "", rng("Eq", "author", `"`+a+`"`))), "author")
		if len(got) != 1 {
			t.Errorf("Eq %q matched %q", a, got)
		}
	}
	got := field(collect(t, tx, indexQuery("by_author", "", rng("Gt", "author", `"a"`), rng("Lt", "author", `"ab"`))), "author")
	if len(got) != 2 {
		t.Errorf("a < author < ab matched %q", got)
	}
}

func TestIndexOnFreshTable(t *testing.T) {
	s := openTest(t)
	if err := s.ApplySchema([]byte(chatSchema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	if got := collect(t, tx, indexQuery("by_author", "", rng("Eq", "author", `"a"`))); len(got) != 0 {
		t.Fatalf("empty table query: %v", got)
	}
	sysErr(t, tx, "1.0/queryStream", `{"query":{"source":{"type":"IndexRange","indexName":"ghosts.by_x","range":[],"order":null},"operators":[]}}`, "IndexNotFound", "")
	if got := collect(t, tx, `{"source":{"type":"IndexRange","indexName":"ghosts.by_creation_time","range":[],"order":null},"operators":[]}`); len(got) != 0 {
		t.Fatal("by_creation_time of missing table not empty")
	}
}

func TestSearch(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	tx := begin(t, s, false)
	q := `{"source":{"type":"Search","indexName":"messages.search_body","filters":[{"type":"Search","fieldPath":"body","value":"hello 3"},{"type":"Eq","fieldPath":"channel","value":"x"}]},"operators":[]}`
	// Any term matches; the document with both ranks first, the rest in
	// creation order (equal scores).
	if got := ns(collect(t, tx, q)); !reflect.DeepEqual(got, fl(3, 0, 6, 9)) {
		t.Errorf("search: %v", got)
	}
	q = `{"source":{"type":"Search","indexName":"messages.search_body","filters":[{"type":"Search","fieldPath":"body","value":"wor"}]},"operators":[{"limit":2}]}`
	if got := ns(collect(t, tx, q)); len(got) != 2 {
		t.Errorf("prefix search with limit: %v", got)
	}
}

func TestQueryPage(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	page := func(query, cursor, endCursor string, size int) map[string]any {
		t.Helper()
		return queryPage(t, s, query, cursor, endCursor, size)
	}
	docsOf := func(p map[string]any) []float64 {
		var out []float64
		for _, d := range p["page"].([]any) {
			out = append(out, d.(map[string]any)["n"].(float64))
		}
		return out
	}
	for _, order := range []string{"", "desc"} {
		q := scan(order, `{"filter":{"$neq":[{"$field":"n"},{"$literal":5}]}}`)
		var all []float64
		cursor := ""
		for i := 0; ; i++ {
			p := page(q, cursor, "", 4)
			all = append(all, docsOf(p)...)
			if p["splitCursor"] != nil || p["pageStatus"] != nil {
				t.Fatalf("page fields: %v", p)
			}
			if p["isDone"].(bool) {
				break
			}
			cursor = p["continueCursor"].(string)
			if i > 5 {
				t.Fatal("pagination does not end")
			}
		}
		want := fl(0, 1, 2, 3, 4, 6, 7, 8, 9)
		if order == "desc" {
			want = fl(9, 8, 7, 6, 4, 3, 2, 1, 0)
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("order %q: pages gave %v want %v", order, all, want)
		}
	}
	// An end cursor fixes the page: new documents inside it appear, pageSize is ignored.
	q := indexQuery("by_author", "", rng("Eq", "author", `"a"`))
	first := page(q, "", "", 2)
	if got := docsOf(first); !reflect.DeepEqual(got, fl(0, 2)) {
		t.Fatalf("first page %v", got)
	}
	end := first["continueCursor"].(string)
	again := page(q, "", end, 1)
	if got := docsOf(again); !reflect.DeepEqual(got, fl(0, 2)) || again["continueCursor"] != end || again["isDone"] != false {
		t.Fatalf("page with end cursor %v", again)
	}
	rest := page(q, end, "", 10)
	if got := docsOf(rest); !reflect.DeepEqual(got, fl(4, 6, 8)) || rest["isDone"] != true {
		t.Fatalf("rest %v", rest)
	}
	if p := page(q, rest["continueCursor"].(string), "", 10); len(p["page"].([]any)) != 0 || p["isDone"] != true {
		t.Fatalf("page after the end: %v", p)
	}

	tx := begin(t, s, false)
	sysErr(t, tx, "1.0/queryPage", `{"query":`+q+`,"cursor":null,"pageSize":0}`, "NoDocumentsForPagination", "")
	tx.Rollback()
	tx = begin(t, s, false)
	sysErr(t, tx, "1.0/queryPage", `{"query":`+q+`,"cursor":"bogus","pageSize":3}`, "InvalidCursor", "")
	tx.Rollback()
	tx = begin(t, s, false)
	// A cursor from another index is rejected.
	sysErr(t, tx, "1.0/queryPage", `{"query":`+scan("")+`,"cursor":"`+end+`","pageSize":3}`, "InvalidCursor", "")
	tx.Rollback()
	tx = begin(t, s, false)
	sys(t, tx, "1.0/queryPage", `{"query":`+q+`,"cursor":null,"pageSize":3}`)
	sysErr(t, tx, "1.0/queryPage", `{"query":`+q+`,"cursor":null,"pageSize":3}`, "MultiplePaginatedDatabaseQueries", "single paginated query")
	tx.Rollback()
	// maximumRowsRead ends a page early without losing documents.
	tx = begin(t, s, false)
	p := sys(t, tx, "1.0/queryPage", `{"query":`+scan("")+`,"cursor":null,"pageSize":10,"maximumRowsRead":3}`).(map[string]any)
	tx.Rollback()
	if got := docsOf(p); !reflect.DeepEqual(got, fl(0, 1, 2)) || p["isDone"] != false {
		t.Fatalf("maximumRowsRead page %v", p)
	}
	if got := docsOf(page(scan(""), p["continueCursor"].(string), "", 3)); !reflect.DeepEqual(got, fl(3, 4, 5)) {
		t.Fatalf("after maximumRowsRead %v", got)
	}
}

func TestReadLimit(t *testing.T) {
	s, err := OpenWith(t.TempDir(), Options{MaxDocsRead: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx := begin(t, s, true)
	for i := 0; i < 8; i++ {
		insert(t, tx, "t", `{}`)
	}
	r := sys(t, tx, "1.0/queryStream", `{"query":{"source":{"type":"FullTableScan","tableName":"t","order":null},"operators":[]}}`).(map[string]any)
	qid, _ := json.Marshal(r["queryId"])
	for i := 0; i < 5; i++ {
		sys(t, tx, "1.0/queryStreamNext", `{"queryId":`+string(qid)+`}`)
	}
	sysErr(t, tx, "1.0/queryStreamNext", `{"queryId":`+string(qid)+`}`, "TooManyReads", "Too many documents read")
}

func TestVectorSearch(t *testing.T) {
	s := openTest(t)
	schema := `{"tables":[{"tableName":"docs","indexes":[],"searchIndexes":[],"vectorIndexes":[{"indexDescriptor":"by_emb","vectorField":"emb","dimensions":2,"filterFields":["kind"]}]}],"schemaValidation":true}`
	if err := s.ApplySchema([]byte(schema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	east := insert(t, tx, "docs", `{"emb":[1,0],"kind":"a"}`)
	north := insert(t, tx, "docs", `{"emb":[0,1],"kind":"b"}`)
	ne := insert(t, tx, "docs", `{"emb":[1,1],"kind":"a"}`)
	insert(t, tx, "docs", `{"kind":"a"}`)
	commit(t, tx)
	r := begin(t, s, false)
	res := sys(t, r, "1.0/actions/vectorSearch", `{"query":{"indexName":"docs.by_emb","vector":[1,0.1],"limit":2,"expressions":null}}`).(map[string]any)["results"].([]any)
	if len(res) != 2 || res[0].(map[string]any)["_id"] != east || res[1].(map[string]any)["_id"] != ne {
		t.Fatalf("results %v", res)
	}
	res = sys(t, r, "1.0/actions/vectorSearch", `{"query":{"indexName":"docs.by_emb","vector":[1,0],"expressions":{"$eq":[{"$field":"kind"},{"$literal":"b"}]}}}`).(map[string]any)["results"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["_id"] != north {
		t.Fatalf("filtered results %v", res)
	}
	sysErr(t, r, "1.0/actions/vectorSearch", `{"query":{"indexName":"docs.by_emb","vector":[1,0,0]}}`, "InvalidArgument", "dimensions")
	sysErr(t, r, "1.0/actions/vectorSearch", `{"query":{"indexName":"docs.nope","vector":[1,0]}}`, "IndexNotFound", "")
	sysErr(t, r, "1.0/actions/vectorSearch", `{"query":{"indexName":"docs.by_emb","vector":[1,0],"limit":0}}`, "InvalidArgument", "limit")
}

func TestPaginationPerFunctionFrame(t *testing.T) {
	s := openTest(t)
	seed(t, s)
	tx := begin(t, s, true)
	q := `{"query":` + scan("") + `,"cursor":null,"pageSize":2}`
	sys(t, tx, "1.0/queryPage", q)
	leave := tx.EnterFunction()
	sys(t, tx, "1.0/queryPage", q) // a nested function may paginate once
	sysErr(t, tx, "1.0/queryPage", q, "MultiplePaginatedDatabaseQueries", "")
	leave()
	sysErr(t, tx, "1.0/queryPage", q, "MultiplePaginatedDatabaseQueries", "")
	if m := tx.Metrics(); m.DocsRead == 0 || m.MaxDocsRead != defaultMaxDocsRead {
		t.Fatalf("metrics %+v", m)
	}
}

// Query results pass the stored document text through; it must be exactly
// what re-encoding the document gives (as db.get returns it).
func TestStreamedDocumentsAreCanonical(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "odd", `{"big":{"$integer":"AQAAAAAAAIA="},"nan":{"$float":"AAAAAAAA+H8="},"neg0":{"$float":"AAAAAAAAAIA="},`+
		`"b":{"$bytes":"AAEC"},"s":"<tag> & \"quote\" \u00e9 \ud83d\ude00 \u2028","f":0.1,"e":1e+300,"n":[null,true,{"z":1,"a":[]}]}`)
	commit(t, tx)
	r := begin(t, s, false)
	defer r.Rollback()
	want, err := r.Syscall("1.0/get", []byte(`{"id":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Syscall("1.0/queryStream", []byte(`{"query":{"source":{"type":"FullTableScan","tableName":"odd","order":null},"operators":[]},"version":"1.48.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	var q struct{ QueryID int }
	if err := json.Unmarshal(out, &q); err != nil {
		t.Fatal(err)
	}
	got, err := r.Syscall("1.0/queryStreamNext", []byte(`{"queryId":`+strconv.Itoa(q.QueryID)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"done":false,"value":`+string(want)+`}` {
		t.Fatalf("streamed %s\nget      %s", got, want)
	}
}

// queryPage runs one 1.0/queryPage in a read transaction of its own; an
// empty cursor or endCursor is sent as null.
func queryPage(t *testing.T, s *Store, query, cursor, endCursor string, size int) map[string]any {
	t.Helper()
	tx := begin(t, s, false)
	defer tx.Rollback()
	c, e := "null", "null"
	if cursor != "" {
		c = `"` + cursor + `"`
	}
	if endCursor != "" {
		e = `"` + endCursor + `"`
	}
	return sys(t, tx, "1.0/queryPage", fmt.Sprintf(`{"query":%s,"cursor":%s,"endCursor":%s,"pageSize":%d,"version":"1.48.0"}`, query, c, e, size)).(map[string]any)
}
