package snapshot

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func insert(t *testing.T, st *store.Store, table string, doc map[string]values.Value) string {
	t.Helper()
	tx, err := st.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	enc, err := values.Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(map[string]any{"table": table, "value": json.RawMessage(enc)})
	out, err := tx.Syscall("1.0/insert", args)
	if err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var res struct {
		ID string `json:"_id"`
	}
	json.Unmarshal(out, &res)
	return res.ID
}

// dump reads every document of every table (user tables and _storage) as
// encoded JSON lines keyed by table.
func dump(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	tx, err := st.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tables, err := tx.SnapshotTables()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, ti := range tables {
		if ti.System && ti.Name != store.StorageName {
			continue
		}
		if ti.Count == 0 {
			continue
		}
		err := tx.SnapshotScan(ti.Name, func(doc store.Document) error {
			b, err := values.Encode(doc)
			out[ti.Name] = append(out[ti.Name], string(b))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func seed(t *testing.T, st *store.Store) {
	t.Helper()
	negZero := math.Copysign(0, -1)
	u := insert(t, st, "users", map[string]values.Value{"name": "Ada", "age": int64(36)})
	insert(t, st, "messages", map[string]values.Value{
		"author": u, "body": "hello <world> & \"friends\"", "n": int64(-9007199254740993),
		"f": 1.0, "g": 2.5, "nan": math.NaN(), "inf": math.Inf(-1), "negz": negZero,
		"b": []byte{0, 1, 2, 255}, "nested": map[string]values.Value{"arr": []values.Value{int64(1), "x", nil, true}},
	})
	insert(t, st, "messages", map[string]values.Value{"author": u, "body": "second", "big": 1e300})
	if _, err := st.PutBlob(strings.NewReader("file content"), "text/plain"); err != nil {
		t.Fatal(err)
	}
}

func exportZIP(t *testing.T, st *store.Store, storage bool) []byte {
	t.Helper()
	tx, err := st.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var buf bytes.Buffer
	if _, err := WriteZIP(tx, &buf, storage); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func importInto(t *testing.T, st *store.Store, p *Parsed, mode Mode) (int, error) {
	t.Helper()
	tx, err := st.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	n, err := Apply(tx, p, mode)
	if err != nil {
		return n, err
	}
	_, err = tx.Commit()
	return n, err
}

func TestExportImportRoundTrip(t *testing.T) {
	src := openStore(t)
	seed(t, src)
	data := exportZIP(t, src, true)

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"README.md", "_tables/documents.jsonl", "messages/documents.jsonl",
		"messages/generated_schema.jsonl", "users/documents.jsonl", "_storage/documents.jsonl"} {
		if !names[want] {
			t.Errorf("export lacks %s (has %v)", want, names)
		}
	}

	p, err := Parse(FormatZIP, "", data)
	if err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	n, err := importInto(t, dst, p, ModeRequireEmpty)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("wrote %d documents, want 4", n)
	}
	got, want := dump(t, dst), dump(t, src)
	for table, docs := range want {
		if strings.Join(got[table], "\n") != strings.Join(docs, "\n") {
			t.Errorf("table %s differs:\n got %v\nwant %v", table, got[table], docs)
		}
	}
	// Tables made after the import get numbers that do not clash with the
	// imported ones.
	insert(t, dst, "other", map[string]values.Value{"x": 1.0})
	for _, name := range []string{"users", "messages"} {
		a, _ := src.TableNumber(name)
		b, _ := dst.TableNumber(name)
		if a != b {
			t.Errorf("table %s number %d, exported %d", name, b, a)
		}
	}
	// Stored file content survives.
	sv, _ := values.Decode([]byte(want["_storage"][0]))
	sid, _ := sv.(map[string]values.Value)["_id"].(string)
	rc, meta, err := dst.GetBlob(sid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "file content" || meta.ContentType != "text/plain" {
		t.Errorf("blob = %q %q", b, meta.ContentType)
	}
	// Re-importing the same file now fails in requireEmpty mode, and
	// replace mode reproduces the same documents again.
	if _, err := importInto(t, dst, p, ModeRequireEmpty); err == nil || !strings.Contains(err.Error(), "already has") {
		t.Errorf("requireEmpty on full tables: %v", err)
	}
	if _, err := importInto(t, dst, p, ModeReplace); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, dst); strings.Join(got["messages"], "\n") != strings.Join(want["messages"], "\n") {
		t.Errorf("replace changed the documents")
	}
	if _, err := importInto(t, dst, p, ModeAppend); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("append with the same ids: %v", err)
	}
}

func TestExportJSONShape(t *testing.T) {
	st := openStore(t)
	insert(t, st, "t", map[string]values.Value{"i": int64(5), "f": 5.0, "b": []byte("hi")})
	data := exportZIP(t, st, false)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == "_storage/documents.jsonl" {
			t.Errorf("storage exported without includeStorage")
		}
		if f.Name != "t/documents.jsonl" {
			continue
		}
		b, _ := readZipFile(f)
		line := string(b)
		for _, want := range []string{`"i":5}`, `"f":5.0`, `"b":{"$bytes":"aGk="}`, `"_id":"`} {
			if !strings.Contains(line, want) {
				t.Errorf("line %s lacks %s", line, want)
			}
		}
	}
}

func TestImportJSONLinesAndFreshIDs(t *testing.T) {
	st := openStore(t)
	other := insert(t, st, "a", map[string]values.Value{"x": 1.0})
	// The _id belongs to table "a", so importing it into "b" gets a new id;
	// _creationTime is kept.
	in := `{"_id":"` + other + `","_creationTime":1700000000000.5,"n":3,"f":3.5,"s":"x","i":{"$integer":"AQAAAAAAAAA="}}` + "\n\n" + `{"k":[1,2.0]}` + "\n"
	p, err := Parse(FormatJSONLines, "b", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importInto(t, st, p, ModeRequireEmpty); err != nil {
		t.Fatal(err)
	}
	docs := dump(t, st)["b"]
	if len(docs) != 2 {
		t.Fatalf("docs = %v", docs)
	}
	if strings.Contains(docs[0], other) || !strings.Contains(docs[0], `"_creationTime":1700000000000.5`) {
		t.Errorf("first doc = %s", docs[0])
	}
	if !strings.Contains(docs[0], `"n":{"$integer":"AwAAAAAAAAA="}`) || !strings.Contains(docs[0], `"f":3.5`) || !strings.Contains(docs[0], `"i":{"$integer":"AQAAAAAAAAA="}`) {
		t.Errorf("values: %s", docs[0])
	}
}

func TestImportIsAtomic(t *testing.T) {
	st := openStore(t)
	in := "{\"a\":1}\n{\"b\":2}\n{\"_bad\":3}\n"
	p, err := Parse(FormatJSONLines, "t", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	_, err = importInto(t, st, p, ModeAppend)
	if err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("err = %v", err)
	}
	if n := len(dump(t, st)["t"]); n != 0 {
		t.Errorf("%d documents left behind", n)
	}
}

func TestParseErrors(t *testing.T) {
	zipWith := func(files map[string]string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for n, c := range files {
			w, _ := zw.Create(n)
			w.Write([]byte(c))
		}
		zw.Close()
		return buf.Bytes()
	}
	cases := []struct {
		name   string
		format Format
		table  string
		data   string
		want   string
	}{
		{"ragged csv", FormatCSV, "t", "a,b\n1,2\n3,4,5\n", "CSV line 3"},
		{"csv bad quote", FormatCSV, "t", "a,b\n\"1,2\n", "CSV line"},
		{"empty csv", FormatCSV, "t", "", "header"},
		{"duplicate header", FormatCSV, "t", "a,a\n1,2\n", "twice"},
		{"jsonl garbage", FormatJSONLines, "t", "{\"a\":1}\n{oops\n", "line 2"},
		{"jsonl not object", FormatJSONLines, "t", "[1]\n", "line 1: expected a JSON object"},
		{"jsonl dollar field", FormatJSONLines, "t", `{"$x":1,"y":2}`, "reserved"},
		{"jsonl huge int", FormatJSONLines, "t", `{"x":99999999999999999999}`, "64 bits"},
		{"json not array", FormatJSONArray, "t", `{"a":1}`, "not a JSON array"},
		{"json element", FormatJSONArray, "t", `[{"a":1}, 2]`, "array element 2"},
		{"json trailing", FormatJSONArray, "t", `[{"a":1}] x`, "after the JSON array"},
		{"no table", FormatJSONLines, "", `{"a":1}`, "table name is required"},
		{"zip with table", FormatZIP, "t", "", "not allowed"},
		{"zip garbage", FormatZIP, "", "not a zip", "not a valid ZIP"},
		{"zip foreign file", FormatZIP, "", string(zipWith(map[string]string{"notes.txt": "hi"})), "unexpected file"},
		{"zip components", FormatZIP, "", string(zipWith(map[string]string{"_components/x/t/documents.jsonl": "{}"})), "component"},
		{"zip empty", FormatZIP, "", string(zipWith(map[string]string{"README.md": "x"})), "no tables"},
		{"zip bad table", FormatZIP, "", string(zipWith(map[string]string{"9t/documents.jsonl": "{}"})), "not a table name"},
		{"zip bad line", FormatZIP, "", string(zipWith(map[string]string{"t/documents.jsonl": "{}\nnope\n"})), "t/documents.jsonl: line 2"},
		{"zip missing blob", FormatZIP, "", string(zipWith(map[string]string{"_storage/documents.jsonl": `{"_id":"abc"}`})), "no file _storage/abc"},
	}
	for _, c := range cases {
		_, err := Parse(c.format, c.table, []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

func TestParseCSVInference(t *testing.T) {
	p, err := Parse(FormatCSV, "t", []byte("\xef\xbb\xbfname,n,ok,empty,code\nAda,1.5,true,,007x\n\"B, c\",-2,false,,1e3\n"))
	if err != nil {
		t.Fatal(err)
	}
	docs := p.Tables[0].Docs
	if len(docs) != 2 {
		t.Fatalf("docs = %v", docs)
	}
	d := docs[0]
	if d["name"] != "Ada" || d["n"] != 1.5 || d["ok"] != "true" || d["code"] != "007x" || d["empty"] != "" {
		t.Errorf("row 1 = %v", d)
	}
	if docs[1]["name"] != "B, c" || docs[1]["n"] != -2.0 || docs[1]["ok"] != "false" || docs[1]["code"] != 1000.0 {
		t.Errorf("row 2 = %v", docs[1])
	}
}

func TestModes(t *testing.T) {
	st := openStore(t)
	insert(t, st, "t", map[string]values.Value{"old": true})
	insert(t, st, "u", map[string]values.Value{"old": true})
	p, _ := Parse(FormatJSONLines, "t", []byte(`{"new":1}`))
	if _, err := importInto(t, st, p, ModeAppend); err != nil {
		t.Fatal(err)
	}
	if n := len(dump(t, st)["t"]); n != 2 {
		t.Errorf("append: %d docs", n)
	}
	if _, err := importInto(t, st, p, ModeReplace); err != nil {
		t.Fatal(err)
	}
	d := dump(t, st)
	if len(d["t"]) != 1 || !strings.Contains(d["t"][0], "new") || len(d["u"]) != 1 {
		t.Errorf("replace: %v", d)
	}
	if _, err := importInto(t, st, p, ModeReplaceAll); err != nil {
		t.Fatal(err)
	}
	d = dump(t, st)
	if len(d["t"]) != 1 || len(d["u"]) != 0 {
		t.Errorf("replaceAll: %v", d)
	}
	tx, _ := st.Begin(false)
	changes, err := Plan(tx, p, ModeReplace)
	tx.Rollback()
	if err != nil || !strings.Contains(Summary(changes), "t     | 1      | 1 of 1 |") {
		t.Errorf("summary:\n%s (%v)", Summary(changes), err)
	}
}

func TestManagerImportFlow(t *testing.T) {
	st := openStore(t)
	var mu sync.Mutex
	notified := map[string]int{}
	committed := 0
	m, err := NewManager(st, Options{
		Notify:    func(table string) { mu.Lock(); notified[table]++; mu.Unlock() },
		Committed: func(ts int64, w store.WriteSet) { mu.Lock(); committed++; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	if _, err := m.FinishUpload("nope", ImportArgs{Format: "jsonLines", TableName: "t"}, nil); err == nil {
		t.Errorf("unknown upload token accepted")
	}
	tok, err := m.StartUpload()
	if err != nil {
		t.Fatal(err)
	}
	p1, err := m.UploadPart(tok, 1, strings.NewReader("\xef\xbb\xbf{\"a\":1}\n{\"a\""))
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := m.UploadPart(tok, 2, strings.NewReader(":2}\n"))
	if _, err := m.UploadPart(tok, 0, strings.NewReader("")); err == nil {
		t.Errorf("part 0 accepted")
	}
	if _, err := m.FinishUpload(tok, ImportArgs{Format: "zip", TableName: "t"}, []string{p1, p2}); err == nil {
		t.Errorf("zip with table accepted")
	}
	id, err := m.FinishUpload(tok, ImportArgs{Format: "jsonLines", TableName: "t", Mode: "requireEmpty"}, []string{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := m.Import(id)
	state := rec.(map[string]values.Value)["state"].(map[string]values.Value)
	if state["state"] != "waiting_for_confirmation" || !strings.Contains(state["message_to_confirm"].(string), "t ") ||
		state["require_manual_confirmation"] != false {
		t.Fatalf("state = %v", state)
	}
	if err := m.PerformImport(id); err != nil {
		t.Fatal(err)
	}
	rec, _ = m.Import(id)
	state = rec.(map[string]values.Value)["state"].(map[string]values.Value)
	if state["state"] != "completed" || state["num_rows_written"] != int64(2) {
		t.Fatalf("state = %v", state)
	}
	if err := m.PerformImport(id); err == nil {
		t.Errorf("performed twice")
	}
	list, _ := m.ListImports(20)
	if len(list) != 1 {
		t.Errorf("list = %v", list)
	}
	mu.Lock()
	if notified[ImportsTable] < 3 || committed != 1 {
		t.Errorf("notified %v, committed %d", notified, committed)
	}
	mu.Unlock()
	if n := len(dump(t, st)["t"]); n != 2 {
		t.Errorf("%d docs", n)
	}

	// A bad file fails at parse time with the line named; cancel works on
	// a waiting import only.
	tok, _ = m.StartUpload()
	p1, _ = m.UploadPart(tok, 1, strings.NewReader("{\"a\":1}\n{bad\n"))
	id, err = m.FinishUpload(tok, ImportArgs{Format: "jsonLines", TableName: "t", Mode: "append"}, []string{p1})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = m.Import(id)
	state = rec.(map[string]values.Value)["state"].(map[string]values.Value)
	if state["state"] != "failed" || !strings.Contains(state["error_message"].(string), "line 2") {
		t.Errorf("state = %v", state)
	}
	if err := m.CancelImport(id); err == nil {
		t.Errorf("canceled a failed import")
	}
	// requireEmpty on a non-empty table fails before confirmation.
	tok, _ = m.StartUpload()
	p1, _ = m.UploadPart(tok, 1, strings.NewReader("{\"a\":1}\n"))
	id, _ = m.FinishUpload(tok, ImportArgs{Format: "jsonLines", TableName: "t"}, []string{p1})
	rec, _ = m.Import(id)
	if s := rec.(map[string]values.Value)["state"].(map[string]values.Value); s["state"] != "failed" {
		t.Errorf("requireEmpty state = %v", s)
	}

	// Replacing documents needs manual confirmation.
	tok, _ = m.StartUpload()
	p1, _ = m.UploadPart(tok, 1, strings.NewReader("{\"a\":1}\n"))
	id, _ = m.FinishUpload(tok, ImportArgs{Format: "jsonLines", TableName: "t", Mode: "replace"}, []string{p1})
	rec, _ = m.Import(id)
	if s := rec.(map[string]values.Value)["state"].(map[string]values.Value); s["require_manual_confirmation"] != true {
		t.Errorf("replace state = %v", s)
	}
	if err := m.CancelImport(id); err != nil {
		t.Errorf("cancel: %v", err)
	}
	rec, _ = m.Import(id)
	if s := rec.(map[string]values.Value)["state"].(map[string]values.Value); s["state"] != "failed" || s["error_message"] != "Import canceled" {
		t.Errorf("canceled state = %v", s)
	}

	n, err := m.ImportNow(ImportArgs{Format: "csv", TableName: "c", Mode: "append"}, []byte("x\n1\n2\n"))
	if err != nil || n != 2 {
		t.Errorf("ImportNow = %d, %v", n, err)
	}
	var re *RequestError
	if _, err := m.ImportNow(ImportArgs{Format: "csv", TableName: "c", Mode: "append"}, []byte("x\n1,2\n")); !errors.As(err, &re) {
		t.Errorf("ragged ImportNow err = %v", err)
	}
}

func TestManagerExportFlow(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	m, err := NewManager(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.LatestExport(); v != nil {
		t.Errorf("latest before any = %v", v)
	}
	if _, err := m.RequestExport(true); err != nil {
		t.Fatal(err)
	}
	var doc map[string]values.Value
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		v, err := m.LatestExport()
		if err != nil {
			t.Fatal(err)
		}
		doc = v.(map[string]values.Value)
		if doc["state"] == "completed" || doc["state"] == "failed" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if doc["state"] != "completed" || doc["requestor"] != "snapshotExport" {
		t.Fatalf("export = %v", doc)
	}
	ts, ok := doc["start_ts"].(int64)
	if !ok || ts <= 0 {
		t.Fatalf("start_ts = %#v", doc["start_ts"])
	}
	latest, _ := st.LatestTS()
	if ts != latest {
		t.Errorf("start_ts %d, latest commit %d", ts, latest)
	}
	f, err := m.OpenExport(strconv.FormatInt(ts, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Path)
	if _, err := Parse(FormatZIP, "", b); err != nil {
		t.Errorf("exported zip does not parse: %v", err)
	}
	if _, err := m.OpenExport("12345"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown export: %v", err)
	}
	m.Close()

	// A restart marks interrupted work failed.
	m2, err := NewManager(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if v, _ := m2.LatestExport(); v.(map[string]values.Value)["state"] != "completed" {
		t.Errorf("completed export lost across restart: %v", v)
	}
}
