package system

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

type fakeDeployment struct{ analysis map[string]json.RawMessage }

func (f fakeDeployment) Analysis() (map[string]json.RawMessage, error) { return f.analysis, nil }
func (fakeDeployment) CloudURL() string                                { return "http://127.0.0.1:3210" }

type fakeSnapshots struct{ imports []values.Value }

func (fakeSnapshots) LatestExport() (values.Value, error) {
	return map[string]values.Value{"state": "completed", "start_ts": int64(42)}, nil
}
func (f fakeSnapshots) Import(id string) (values.Value, error) {
	for _, d := range f.imports {
		if d.(map[string]values.Value)["_id"] == id {
			return d, nil
		}
	}
	return nil, nil
}
func (f fakeSnapshots) ListImports(limit int) ([]values.Value, error) { return f.imports, nil }

func setup(t *testing.T) (*Functions, *store.Store) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 0; i < 5; i++ {
		tx, _ := st.Begin(true)
		args, _ := json.Marshal(map[string]any{"table": "messages", "value": map[string]any{"i": i}})
		if _, err := tx.Syscall("1.0/insert", args); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := st.Begin(true)
	tx.Syscall("1.0/insert", []byte(`{"table":"users","value":{"name":"a"}}`))
	tx.Commit()
	if _, err := st.PutBlob(strings.NewReader("x"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	st.EnvSet("B_VAR", "2")
	st.EnvSet("A_VAR", "1")
	fn := &Functions{Store: st, Deployment: fakeDeployment{analysis: map[string]json.RawMessage{
		"messages.js": json.RawMessage(`{"functions":[{"name":"list","udfType":"Query","visibility":{"kind":"public"},"args":"{\"type\":\"object\",\"value\":{}}","returns":null},
			{"name":"send","udfType":"Mutation","visibility":{"kind":"internal"},"args":"{\"type\":\"object\",\"value\":{\"n\":{\"fieldType\":{\"type\":\"literal\",\"value\":{\"$integer\":\"AQAAAAAAAAA=\"}},\"optional\":false}}}"}],"httpRoutes":[]}`),
		"http.js": json.RawMessage(`{"functions":[],"httpRoutes":[{"route":{"path":"/hello","method":"GET"}}]}`),
	}}, Snapshots: fakeSnapshots{imports: []values.Value{map[string]values.Value{"_id": "imp1", "state": map[string]values.Value{"state": "completed"}}}}}
	return fn, st
}

func run(t *testing.T, f *Functions, path string, args string) (any, Result) {
	t.Helper()
	res, err := f.Run(Request{Path: path, Args: []byte(args), Admin: true})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if res.Err != "" {
		return nil, res
	}
	v, err := values.Decode(res.Value)
	if err != nil {
		t.Fatalf("%s: result %s: %v", path, res.Value, err)
	}
	return v, res
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"_system/cli/tables":                  "_system/cli/tables.js:default",
		"_system/cli/tables:default":          "_system/cli/tables.js:default",
		"_system/cli/tables.js:default":       "_system/cli/tables.js:default",
		"_system/cli/queryImport:list":        "_system/cli/queryImport.js:list",
		"_system/frontend/components.js:list": "_system/frontend/components.js:list",
	} {
		if got := Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsSystemPath("_system/cli/tables") || IsSystemPath("messages:list") {
		t.Error("IsSystemPath")
	}
	if !Has("_system/cli/tableData") || Has("_system/cli/nope") {
		t.Error("Has")
	}
}

func TestNeedsAdmin(t *testing.T) {
	f, _ := setup(t)
	res, err := f.Run(Request{Path: "_system/cli/tables", Args: []byte(`{}`)})
	if err != nil || !strings.Contains(res.Err, "You do not have permission to perform this operation") {
		t.Errorf("non-admin: %+v %v", res, err)
	}
}

func TestTablesAndData(t *testing.T) {
	f, _ := setup(t)
	v, res := run(t, f, "_system/cli/tables", `{"paginationOpts":{"cursor":null,"numItems":10000}}`)
	b, _ := json.Marshal(values.ExportJSON(v))
	if string(b) != `{"continueCursor":"end","isDone":true,"page":[{"name":"messages"},{"name":"users"}]}` {
		t.Errorf("tables = %s", b)
	}
	if !res.All {
		t.Errorf("tables must re-run on any commit")
	}

	// Page through messages two at a time, both orders.
	for _, order := range []string{"asc", "desc"} {
		var got []float64
		var cursor any
		for round := 0; round < 10; round++ {
			args, _ := json.Marshal(map[string]any{"table": "messages", "order": order, "paginationOpts": map[string]any{"cursor": cursor, "numItems": 2}})
			v, res := run(t, f, "_system/cli/tableData", string(args))
			if res.Err != "" {
				t.Fatal(res.Err)
			}
			if len(res.Tables) != 1 || res.Tables[0] != "messages" {
				t.Errorf("reads = %v", res.Tables)
			}
			m := v.(map[string]values.Value)
			for _, d := range m["page"].([]values.Value) {
				got = append(got, d.(map[string]values.Value)["i"].(float64))
			}
			if m["isDone"] == true {
				break
			}
			cursor = m["continueCursor"]
		}
		want := []float64{0, 1, 2, 3, 4}
		if order == "desc" {
			want = []float64{4, 3, 2, 1, 0}
		}
		if len(got) != 5 || got[0] != want[0] || got[4] != want[4] || got[2] != want[2] {
			t.Errorf("%s: got %v, want %v", order, got, want)
		}
	}

	v, _ = run(t, f, "_system/cli/tableData", `{"table":"_storage","paginationOpts":{"cursor":null,"numItems":10}}`)
	page := v.(map[string]values.Value)["page"].([]values.Value)
	if len(page) != 1 || page[0].(map[string]values.Value)["contentType"] != "text/plain" {
		t.Errorf("_storage page = %v", page)
	}
	v, _ = run(t, f, "_system/cli/tableData", `{"table":"_scheduled_functions","paginationOpts":{"cursor":null,"numItems":10}}`)
	if len(v.(map[string]values.Value)["page"].([]values.Value)) != 0 {
		t.Errorf("scheduled functions = %v", v)
	}
	v, _ = run(t, f, "_system/cli/tableData", `{"table":"nothing","paginationOpts":{"cursor":null,"numItems":10}}`)
	if v.(map[string]values.Value)["isDone"] != true {
		t.Errorf("missing table = %v", v)
	}
	for args, want := range map[string]string{
		`{"table":"_modules","paginationOpts":{"cursor":null,"numItems":10}}`:     "private system table",
		`{"paginationOpts":{"cursor":null,"numItems":10}}`:                        `missing required argument "table"`,
		`{"table":"messages","order":"up"}`:                                       "order must be",
		`{"table":"messages","paginationOpts":{"cursor":null,"numItems":0}}`:      "positive integer",
		`{"table":"messages","paginationOpts":{"cursor":"garbage","numItems":3}}`: "Invalid pagination cursor",
		`[1,2]`: "one arguments object",
	} {
		_, res := run(t, f, "_system/cli/tableData", args)
		if !strings.Contains(res.Err, want) {
			t.Errorf("%s: err %q, want %q", args, res.Err, want)
		}
	}
}

func TestSizesEnvSpec(t *testing.T) {
	f, _ := setup(t)
	if v, _ := run(t, f, "_system/cli/tableSize:default", `{"tableName":"messages"}`); v != 5.0 {
		t.Errorf("tableSize = %v", v)
	}
	if v, _ := run(t, f, "_system/cli/tableSize", `[{"tableName":"none"}]`); v != 0.0 {
		t.Errorf("tableSize(none) = %v", v)
	}
	if v, res := run(t, f, "_system/cli/queryTable", `{"tableName":"messages"}`); v == nil || len(res.Tables) != 1 {
		t.Errorf("queryTable = %v %v", v, res.Tables)
	}
	v, res := run(t, f, "_system/cli/queryEnvironmentVariables", `{}`)
	b, _ := json.Marshal(values.ExportJSON(v))
	if string(b) != `[{"name":"A_VAR","value":"1"},{"name":"B_VAR","value":"2"}]` || res.Tables[0] != EnvTable {
		t.Errorf("env list = %s %v", b, res.Tables)
	}
	v, _ = run(t, f, "_system/cli/queryEnvironmentVariables:get", `{"name":"B_VAR"}`)
	b, _ = json.Marshal(values.ExportJSON(v))
	if string(b) != `{"name":"B_VAR","value":"2"}` {
		t.Errorf("env get = %s", b)
	}
	if v, _ := run(t, f, "_system/cli/queryEnvironmentVariables:get", `{"name":"NOPE"}`); v != nil {
		t.Errorf("env get missing = %v", v)
	}
	if v, _ := run(t, f, "_system/cli/convexUrl:cloudUrl", `{}`); v != "http://127.0.0.1:3210" {
		t.Errorf("cloudUrl = %v", v)
	}

	v, _ = run(t, f, "_system/cli/modules:apiSpec", `{}`)
	spec := v.([]values.Value)
	if len(spec) != 3 {
		t.Fatalf("apiSpec = %v", spec)
	}
	route := spec[0].(map[string]values.Value)
	if route["functionType"] != "HttpAction" || route["path"] != "/hello" || route["method"] != "GET" {
		t.Errorf("route = %v", route)
	}
	send := spec[2].(map[string]values.Value)
	if send["identifier"] != "messages.js:send" || send["functionType"] != "Mutation" ||
		send["visibility"].(map[string]values.Value)["kind"] != "internal" {
		t.Errorf("send = %v", send)
	}
	lit := send["args"].(map[string]values.Value)["value"].(map[string]values.Value)["n"].(map[string]values.Value)["fieldType"].(map[string]values.Value)["value"]
	if lit != int64(1) {
		t.Errorf("bigint literal = %#v", lit)
	}
	if _, ok := spec[1].(map[string]values.Value)["returns"]; ok {
		t.Errorf("null returns should be left out")
	}

	v, _ = run(t, f, "_system/frontend/components:list", `{}`)
	c := v.([]values.Value)[0].(map[string]values.Value)
	if c["path"] != "" || c["name"] != nil || c["state"] != "active" || c["id"] != RootComponentID {
		t.Errorf("components = %v", c)
	}
	if v, _ := run(t, f, "_system/cli/exports:getLatest", `{}`); v.(map[string]values.Value)["start_ts"] != int64(42) {
		t.Errorf("getLatest = %v", v)
	}
	if v, _ := run(t, f, "_system/cli/queryImport", `{"importId":"imp1"}`); v == nil {
		t.Errorf("queryImport = nil")
	}
	if v, _ := run(t, f, "_system/cli/queryImport:list", `[{}]`); len(v.([]values.Value)) != 1 {
		t.Errorf("list = %v", v)
	}
	if v, _ := run(t, f, "_system/frontend/getSchemas", `{}`); len(v.(map[string]values.Value)) != 0 {
		t.Errorf("getSchemas = %v", v)
	}
	if _, res := run(t, f, "_system/cli/nothing", `{}`); !strings.Contains(res.Err, "Could not find system function") {
		t.Errorf("unknown = %q", res.Err)
	}
	res, _ = f.Run(Request{Path: "_system/cli/tables", Admin: true, ComponentPath: "child"})
	if !strings.Contains(res.Err, "no components") {
		t.Errorf("component = %q", res.Err)
	}
}
