package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/convex-go/convex/backend/values"
)

func TestInsertGetPatchReplaceRemove(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "messages", `{"author":"ann","body":"hi","n":{"$integer":"AQAAAAAAAAA="}}`)
	num, _, err := values.DecodeID(id)
	if err != nil || num != FirstUserTable {
		t.Fatalf("id %s: table %d, %v", id, num, err)
	}
	doc := get(t, tx, id)
	if doc["author"] != "ann" || doc["_id"] != id {
		t.Fatalf("get: %v", doc)
	}
	ct, ok := doc["_creationTime"].(float64)
	if !ok || ct < 1e12 {
		t.Fatalf("_creationTime %v", doc["_creationTime"])
	}
	if n, _ := doc["n"].(map[string]any); n["$integer"] != "AQAAAAAAAAA=" {
		t.Fatalf("int64 field not kept: %v", doc["n"])
	}
	// Patch: set, remove with $undefined, keep others.
	sys(t, tx, "1.0/shallowMerge", `{"id":"`+id+`","value":{"body":"edited","n":{"$undefined":null}}}`)
	doc = get(t, tx, id)
	if doc["body"] != "edited" || doc["author"] != "ann" || doc["n"] != nil || doc["_creationTime"] != ct {
		t.Fatalf("after patch: %v", doc)
	}
	if _, has := doc["n"]; has {
		t.Fatal("patch did not remove n")
	}
	// Replace keeps system fields.
	sys(t, tx, "1.0/replace", `{"id":"`+id+`","value":{"only":true}}`)
	doc = get(t, tx, id)
	if len(doc) != 3 || doc["only"] != true || doc["_id"] != id || doc["_creationTime"] != ct {
		t.Fatalf("after replace: %v", doc)
	}
	// Replace with the same system fields is fine; changed ones are not.
	sys(t, tx, "1.0/replace", `{"id":"`+id+`","value":{"_id":"`+id+`","only":false}}`)
	sysErr(t, tx, "1.0/shallowMerge", `{"id":"`+id+`","value":{"_creationTime":1}}`, "InvalidDocument", "_creationTime")
	commit(t, tx)

	tx = begin(t, s, true)
	removed := sys(t, tx, "1.0/remove", `{"id":"`+id+`","table":"messages"}`).(map[string]any)
	if removed["_id"] != id {
		t.Fatalf("remove returned %v", removed)
	}
	if get(t, tx, id) != nil {
		t.Fatal("document still there after remove")
	}
	sysErr(t, tx, "1.0/remove", `{"id":"`+id+`"}`, "NonexistentDocument", "Delete on nonexistent document")
	sysErr(t, tx, "1.0/shallowMerge", `{"id":"`+id+`","value":{}}`, "NonexistentDocument", "Update")
	commit(t, tx)

	tx = begin(t, s, true)
	other := insert(t, tx, "users", `{"name":"x"}`)
	if n, _, _ := values.DecodeID(other); n != FirstUserTable+1 {
		t.Fatalf("second table number %d", n)
	}
}

func TestCreationTimeIncreases(t *testing.T) {
	s := openTest(t)
	var last float64
	for i := 0; i < 3; i++ {
		tx := begin(t, s, true)
		for j := 0; j < 5; j++ {
			id := insert(t, tx, "t", `{}`)
			ct := get(t, tx, id)["_creationTime"].(float64)
			if ct <= last {
				t.Fatalf("_creationTime %v not above %v", ct, last)
			}
			last = ct
		}
		commit(t, tx)
	}
}

func TestCommitTimestampsIncrease(t *testing.T) {
	s := openTest(t)
	var last int64
	for i := 0; i < 5; i++ {
		tx := begin(t, s, true)
		insert(t, tx, "t", `{}`)
		ts := commit(t, tx)
		if ts <= last {
			t.Fatalf("commit ts %d not above %d", ts, last)
		}
		last = ts
	}
	// A write transaction that writes nothing makes no commit.
	idle := begin(t, s, true)
	get(t, idle, values.NewID(FirstUserTable))
	if ts := commit(t, idle); ts != last {
		t.Fatalf("empty commit returned %d, want the last commit %d", ts, last)
	}
	latest, err := s.LatestTS()
	if err != nil || latest != last {
		t.Fatalf("LatestTS %d, %v; want %d", latest, err, last)
	}
	r := begin(t, s, false)
	if r.TS() != last {
		t.Fatalf("read snapshot ts %d, want %d", r.TS(), last)
	}
}

func TestBadWrites(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "messages", `{"a":1}`)
	big := strings.Repeat("x", values.MaxDocumentSize)
	cases := []struct{ op, args, code, want string }{
		{"1.0/insert", `{"table":"_storage","value":{}}`, "ReadOnlySystemTable", "read-only"},
		{"1.0/insert", `{"table":"_scheduled_functions","value":{}}`, "ReadOnlySystemTable", "read-only"},
		{"1.0/insert", `{"table":"bad name","value":{}}`, "InvalidTableName", "Invalid table name"},
		{"1.0/insert", `{"table":"messages","value":[1]}`, "InvalidDocument", "must be an object"},
		{"1.0/insert", `{"table":"messages","value":{"_id":"x"}}`, "InvalidDocument", "system field"},
		{"1.0/insert", `{"table":"messages","value":{"_secret":1}}`, "InvalidDocument", "underscore"},
		{"1.0/insert", `{"table":"messages","value":{"$x":1}}`, "InvalidArgument", "reserved"},
		{"1.0/insert", `{"table":"messages","value":{"big":"` + big + `"}}`, "DocumentTooLarge", "too large"},
		{"1.0/insert", `{"table":"messages"}`, "InvalidArgument", "missing"},
		{"1.0/get", `{"id":"notanid"}`, "InvalidId", "Invalid argument `id` for `db.get`"},
		{"1.0/get", `{"id":"` + id[:len(id)-1] + otherChar(id[len(id)-1]) + `"}`, "InvalidId", ""},
		{"1.0/get", `{"id":"` + id + `","table":"users"}`, "InvalidTableForId", `not for table "users"`},
		{"1.0/get", `{"id":"` + id + `","isSystem":true}`, "SystemTableAccess", "db.get()"},
		{"1.0/replace", `{"id":"` + id + `","value":"x"}`, "InvalidDocument", "must be an object"},
		{"1.0/count", `{"table":"_tables"}`, "SystemTableAccess", "private"},
	}
	for _, c := range cases {
		sysErr(t, tx, c.op, c.args, c.code, c.want)
	}
	// Deep nesting is rejected.
	deep := strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 20)
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":`+deep+`}`, "InvalidDocument", "nested")
	// A syscall that is not a database syscall is not a user error.
	if _, err := tx.Syscall("1.0/nope", []byte(`{}`)); err == nil || IsUserError(err) {
		t.Fatalf("unknown syscall: %v", err)
	}
	if _, err := tx.Syscall("1.0/get", []byte(`not json`)); !IsUserError(err) {
		t.Fatalf("bad args JSON: %v", err)
	}
}

func TestGetMissingTableAndSystemIDs(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	ghost := values.NewID(20000)
	if r := sys(t, tx, "1.0/get", `{"id":"`+ghost+`","isSystem":false}`); r != nil {
		t.Fatalf("get of an id for a missing table: %v", r)
	}
	jobID := sys(t, tx, "1.0/schedule", `{"name":"jobs:run","ts":1,"args":{}}`).(string)
	sysErr(t, tx, "1.0/get", `{"id":"`+jobID+`","isSystem":false}`, "SystemTableAccess", "db.system.get")
	job := sys(t, tx, "1.0/get", `{"id":"`+jobID+`","isSystem":true}`).(map[string]any)
	if job["name"] != "jobs:run" {
		t.Fatalf("system get: %v", job)
	}
	sysErr(t, tx, "1.0/shallowMerge", `{"id":"`+jobID+`","value":{"name":"x"}}`, "ReadOnlySystemTable", "read-only")
	sysErr(t, tx, "1.0/replace", `{"id":"`+jobID+`","value":{}}`, "ReadOnlySystemTable", "read-only")
	sysErr(t, tx, "1.0/remove", `{"id":"`+jobID+`"}`, "ReadOnlySystemTable", "read-only")
}

func TestReadOnlyTransaction(t *testing.T) {
	s := openTest(t)
	w := begin(t, s, true)
	id := insert(t, w, "t", `{}`)
	commit(t, w)
	r := begin(t, s, false)
	sysErr(t, r, "1.0/insert", `{"table":"t","value":{}}`, "ReadOnlyTransaction", "read-only")
	sysErr(t, r, "1.0/remove", `{"id":"`+id+`"}`, "ReadOnlyTransaction", "")
	sysErr(t, r, "1.0/schedule", `{"name":"a:b","ts":0,"args":{}}`, "ReadOnlyTransaction", "")
	sysErr(t, r, "1.0/storageGenerateUploadUrl", `{}`, "ReadOnlyTransaction", "")
	if get(t, r, id) == nil {
		t.Fatal("read transaction cannot read")
	}
}

func TestCommitTsPlaceholder(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "t", `{"at":{"$commitTs":null},"nested":[{"$commitTs":null}]}`)
	ts := commit(t, tx)
	r := begin(t, s, false)
	v, _ := values.Decode(values.MustEncode(mustDecodeJSON(t, get(t, r, id))))
	doc := v.(map[string]values.Value)
	if doc["at"] != ts || doc["nested"].([]values.Value)[0] != ts {
		t.Fatalf("commit ts not resolved: %v, want %d", doc, ts)
	}
}

func mustDecodeJSON(t *testing.T, v any) values.Value {
	b, _ := json.Marshal(v)
	out, err := values.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSavepoints(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	keep := insert(t, tx, "t", `{"k":1}`)
	sp := tx.Savepoint()
	if sp <= 0 {
		t.Fatal("no savepoint")
	}
	gone := insert(t, tx, "newtable", `{"k":2}`)
	sys(t, tx, "1.0/shallowMerge", `{"id":"`+keep+`","value":{"k":3}}`)
	tx.RollbackTo(sp)
	if get(t, tx, gone) != nil {
		t.Fatal("rolled back insert still visible")
	}
	if got := get(t, tx, keep)["k"]; got != 1.0 {
		t.Fatalf("rolled back patch: k = %v", got)
	}
	// The table created inside the savepoint is gone too; inserting again works.
	insert(t, tx, "newtable", `{"k":4}`)
	commit(t, tx)
	tables, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range tables {
		names = append(names, fmt.Sprintf("%s:%d", ti.Name, ti.Count))
	}
	want := []string{"newtable:1", "t:1", "_scheduled_functions:0", "_storage:0"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("tables %v, want %v", names, want)
	}
}

func TestNormalizeIDAndCount(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "messages", `{}`)
	insert(t, tx, "messages", `{}`)
	uid := insert(t, tx, "users", `{}`)
	norm := func(table, idString string) any {
		return sys(t, tx, "1.0/db/normalizeId", `{"table":"`+table+`","idString":"`+idString+`"}`).(map[string]any)["id"]
	}
	if norm("messages", id) != id {
		t.Error("canonical id not accepted")
	}
	if norm("messages", uid) != nil {
		t.Error("id of another table accepted")
	}
	if norm("ghosts", id) != nil {
		t.Error("missing table accepted")
	}
	if norm("messages", "garbage") != nil {
		t.Error("garbage accepted")
	}
	_, internal, _ := values.DecodeID(id)
	legacy := fmt.Sprintf("%x", internal[:])
	if norm("messages", legacy) != id {
		t.Errorf("legacy hex id not normalised: %v", norm("messages", legacy))
	}
	uuid := legacy[:8] + "-" + legacy[8:12] + "-" + legacy[12:16] + "-" + legacy[16:20] + "-" + legacy[20:]
	if norm("messages", uuid) != id {
		t.Error("legacy uuid id not normalised")
	}
	if c := sys(t, tx, "1.0/count", `{"table":"messages"}`); c != 2.0 {
		t.Errorf("count %v", c)
	}
	if c := sys(t, tx, "1.0/count", `{"table":"nothing"}`); c != 0.0 {
		t.Errorf("count of missing table %v", c)
	}
}

func TestReadWriteSets(t *testing.T) {
	s := openTest(t)
	w := begin(t, s, true)
	a := insert(t, w, "a", `{"x":1}`)
	insert(t, w, "b", `{"x":1}`)
	commit(t, w)

	r := begin(t, s, false)
	get(t, r, a)
	reads := r.Reads()
	r.Rollback()
	if !reflect.DeepEqual(reads.Tables(), []string{"a"}) {
		t.Fatalf("read tables %v", reads.Tables())
	}

	w = begin(t, s, true)
	insert(t, w, "a", `{"x":2}`)
	otherWrite := w.Writes()
	w.Rollback()
	if reads.Overlaps(otherWrite) {
		t.Error("an insert of another document invalidates a point read")
	}
	w = begin(t, s, true)
	sys(t, w, "1.0/shallowMerge", `{"id":"`+a+`","value":{"x":3}}`)
	if !reads.Overlaps(w.Writes()) {
		t.Error("a write to the read document does not overlap")
	}
	w.Rollback()

	r = begin(t, s, false)
	collect(t, r, `{"source":{"type":"FullTableScan","tableName":"a","order":null},"operators":[]}`)
	scan := r.Reads()
	r.Rollback()
	w = begin(t, s, true)
	insert(t, w, "a", `{}`)
	if !scan.Overlaps(w.Writes()) {
		t.Error("an insert does not invalidate a full table scan")
	}
	w.Rollback()
	w = begin(t, s, true)
	insert(t, w, "b", `{}`)
	if scan.Overlaps(w.Writes()) || !reflect.DeepEqual(w.Writes().Tables(), []string{"b"}) {
		t.Error("a write to another table overlaps")
	}
	w.Rollback()

	// Reading a table that does not exist yet depends on its creation.
	r = begin(t, s, false)
	collect(t, r, `{"source":{"type":"FullTableScan","tableName":"later","order":null},"operators":[]}`)
	sys(t, r, "1.0/count", `{"table":"later2"}`)
	empty := r.Reads()
	r.Rollback()
	if !reflect.DeepEqual(empty.Tables(), []string{"later", "later2"}) {
		t.Fatalf("reads of missing tables: %v", empty.Tables())
	}
	for _, table := range []string{"later", "later2"} {
		w = begin(t, s, true)
		insert(t, w, table, `{}`)
		if !empty.Overlaps(w.Writes()) {
			t.Errorf("creating %s does not invalidate a read of it", table)
		}
		w.Rollback()
	}
}

// otherChar is an id character different from c (to break a checksum).
func otherChar(c byte) string {
	if c == 'x' {
		return "y"
	}
	return "x"
}
