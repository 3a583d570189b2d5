package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/coder/websocket"
	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/store"
)

// registerPrelude defines reg(kind, visibility, handler, argsJSON?), a
// function with the markers convex/server puts on registered functions, and
// sys(op, args), an async syscall, so test modules need no bundler or npm
// packages.
const registerPrelude = `
function reg(kind, vis, handler, args) {
  const fn = async () => {};
  fn["is" + kind] = true;
  fn["is" + vis] = true;
  fn.exportArgs = () => args ?? '{"type":"any"}';
  fn.exportReturns = () => "null";
  const inv = async (argsJson) => JSON.stringify((await handler(JSON.parse(argsJson)[0])) ?? null);
  fn.invokeQuery = inv;
  fn.invokeMutation = inv;
  fn.invokeAction = (requestId, a) => inv(a);
  return fn;
}
const sys = (op, args) => Convex.asyncSyscall(op, JSON.stringify(args)).then(JSON.parse);
`

// notesModule is a hand-written notes module built on registerPrelude.
const notesModule = registerPrelude + `export const add = reg("Mutation", "Public", async ({ text }) => {
  console.log("adding", text);
  return (await sys("1.0/insert", { table: "notes", value: { text } }))._id;
}, '{"type":"object","value":{"text":{"fieldType":{"type":"string"},"optional":false}}}');
export const count = reg("Query", "Public", async () => sys("1.0/count", { table: "notes" }));
export const secret = reg("Query", "Internal", async () => "s3cret");
export const fail = reg("Mutation", "Public", async ({ text }) => {
  await sys("1.0/insert", { table: "notes", value: { text } });
  throw new Error("boom");
});
export const later = reg("Mutation", "Public", async () =>
  sys("1.0/schedule", { name: "notes:add", ts: Date.now() / 1000, args: { text: "scheduled" } }));
export const uploadUrl = reg("Mutation", "Public", async () => sys("1.0/storageGenerateUploadUrl", {}));
export const fileUrl = reg("Query", "Public", async ({ id }) => sys("1.0/storageGetUrl", { storageId: id }));
export const greeting = reg("Query", "Public", async () => process.env.GREETING ?? null);
export const big = reg("Query", "Public", async () => ({ n: { $integer: "AAAAAAABAAA=" } })); // 2^40
`

const notesSchema = `export default { export() { return JSON.stringify({
  tables: [{ tableName: "notes", indexes: [{ indexDescriptor: "by_text", fields: ["text"] }],
             searchIndexes: [], vectorIndexes: [],
             documentType: { type: "object", value: { text: { fieldType: { type: "string" }, optional: false } } } }],
  schemaValidation: true }); } };`

// numberSchema demands a number where the stored notes have strings.
const numberSchema = `export default { export() { return JSON.stringify({
  tables: [{ tableName: "notes", indexes: [], searchIndexes: [], vectorIndexes: [],
             documentType: { type: "object", value: { text: { fieldType: { type: "number" }, optional: false } } } }],
  schemaValidation: true }); } };`

type testEnv struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	key   string
	store *store.Store
}

func newTestEnv(t *testing.T, tweak ...func(*Config)) *testEnv {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	secretHex, _ := adminkey.NewSecret()
	secret, _ := adminkey.ParseSecret(secretHex)
	cfg := Config{InstanceName: "test-inst", Secret: secret, Store: st, CloudURL: "http://127.0.0.1:1", SiteURL: "http://127.0.0.1:2", SchedulerInterval: 20 * time.Millisecond}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(context.Background())
	hs := httptest.NewServer(srv.Handler())
	key, _ := adminkey.Mint("test-inst", secret)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		st.Close()
	})
	return &testEnv{t: t, srv: srv, http: hs, key: key, store: st}
}

// do sends a request; body is JSON-encoded unless it is []byte.
func (e *testEnv) do(method, path string, body any, headers map[string]string) (int, map[string]any, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, raw
}

func (e *testEnv) admin() map[string]string {
	return map[string]string{"Authorization": "Convex " + e.key}
}

func brotliJSON(t *testing.T, v any) []byte {
	j, _ := json.Marshal(v)
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, 4)
	w.Write(j)
	w.Close()
	return buf.Bytes()
}

func pushRequest(key string, modules []map[string]any, unchanged []map[string]any, schema *string) map[string]any {
	var schemaMod any
	if schema != nil {
		schemaMod = map[string]any{"path": "schema.js", "source": *schema, "environment": "isolate"}
	}
	if unchanged == nil {
		unchanged = []map[string]any{}
	}
	return map[string]any{
		"adminKey": key, "dryRun": false, "functions": "convex/",
		"appDefinition": map[string]any{
			"definition":   map[string]any{"path": "convex.config.js", "source": "export default {}", "environment": "isolate"},
			"dependencies": []any{}, "schema": schemaMod, "changedModules": modules,
			"unchangedModuleHashes": unchanged, "udfServerVersion": "1.48.0",
		},
		"componentDefinitions": []any{}, "nodeDependencies": []any{},
	}
}

// push runs start_push (Brotli), wait_for_schema and finish_push.
func (e *testEnv) push(req map[string]any) (start, wait, finish map[string]any) {
	e.t.Helper()
	code, start, raw := e.do("POST", "/api/deploy2/start_push", brotliJSON(e.t, req), map[string]string{"Content-Encoding": "br"})
	if code != 200 {
		e.t.Fatalf("start_push: %d %s", code, raw)
	}
	code, wait, raw = e.do("POST", "/api/deploy2/wait_for_schema", map[string]any{"adminKey": e.key, "schemaChange": start["schemaChange"], "timeoutMs": 10000, "dryRun": false}, nil)
	if code != 200 {
		e.t.Fatalf("wait_for_schema: %d %s", code, raw)
	}
	if wait["type"] != "complete" {
		return start, wait, nil
	}
	code, finish, raw = e.do("POST", "/api/deploy2/finish_push", brotliJSON(e.t, map[string]any{"adminKey": e.key, "startPush": start, "dryRun": false, "message": nil}), map[string]string{"Content-Encoding": "br"})
	if code != 200 {
		e.t.Fatalf("finish_push: %d %s", code, raw)
	}
	return start, wait, finish
}

func (e *testEnv) call(kind, path string, args any, headers map[string]string) map[string]any {
	e.t.Helper()
	code, m, raw := e.do("POST", "/api/"+kind, map[string]any{"path": path, "args": args, "format": "json"}, headers)
	if code != 200 {
		e.t.Fatalf("/api/%s %s: %d %s", kind, path, code, raw)
	}
	return m
}

func get(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func TestPushAndRun(t *testing.T) {
	e := newTestEnv(t)
	schema := notesSchema
	start, _, finish := e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, &schema))

	fns, _ := get(start, "analysis", "", "functions", "notes.js", "functions").([]any)
	byName := map[string]map[string]any{}
	for _, f := range fns {
		fm := f.(map[string]any)
		byName[fm["name"].(string)] = fm
	}
	if len(byName) != 9 || byName["add"]["udfType"] != "Mutation" || get(byName["secret"], "visibility", "kind") != "internal" ||
		!strings.Contains(byName["add"]["args"].(string), `"text"`) || byName["count"]["returns"] != "null" {
		t.Fatalf("analysis: %v", fns)
	}
	if get(start, "analysis", "", "definition", "childComponents") == nil || get(start, "app", "httpRoutes", "mounts") == nil {
		t.Errorf("start_push lacks fields codegen needs: %v", start)
	}
	added, _ := get(start, "schemaChange", "indexDiffs", "", "added_indexes").([]any)
	if len(added) != 1 || get(added[0], "name") != "notes.by_text" {
		t.Errorf("index diff: %v", get(start, "schemaChange"))
	}
	if get(finish, "componentDiffs", "", "diffType", "type") != "create" ||
		len(get(finish, "componentDiffs", "", "moduleDiff", "added").([]any)) != 1 {
		t.Errorf("finish diff: %v", finish)
	}

	// get_config_hashes reports sha256(source) for the stored module.
	_, hashes, _ := e.do("POST", "/api/get_config_hashes", map[string]any{"adminKey": e.key, "version": "1.48.0"}, nil)
	sum := sha256.Sum256([]byte(notesModule))
	mh, _ := hashes["moduleHashes"].([]any)
	if len(mh) != 1 || get(mh[0], "hash") != hex.EncodeToString(sum[:]) || get(hashes, "config", "functions") != "convex/" {
		t.Errorf("config hashes: %v", hashes)
	}

	// Public mutation without a key; logs and value in clean JSON.
	r := e.call("mutation", "notes:add", map[string]any{"text": "one"}, nil)
	if r["status"] != "success" || r["value"] == "" {
		t.Fatalf("add: %v", r)
	}
	if lines, _ := r["logLines"].([]any); len(lines) != 1 || lines[0] != "[LOG] 'adding' 'one'" {
		t.Errorf("logLines: %v", r["logLines"])
	}
	// The same through ConvexHttpClient's form: args array, encoded JSON.
	_, m, _ := e.do("POST", "/api/query", map[string]any{"path": "notes:big", "args": []any{map[string]any{}}, "format": "convex_encoded_json"}, nil)
	if get(m, "value", "n", "$integer") == nil {
		t.Errorf("encoded int64: %v", m)
	}
	if r := e.call("query", "notes:big", map[string]any{}, nil); get(r, "value", "n") != "1099511627776" {
		t.Errorf("clean int64: %v", r)
	}
	// A failing mutation commits nothing.
	r = e.call("mutation", "notes:fail", map[string]any{"text": "lost"}, nil)
	if r["status"] != "error" || !strings.Contains(r["errorMessage"].(string), "boom") || !strings.HasPrefix(r["errorMessage"].(string), "[Request ID: ") {
		t.Errorf("fail: %v", r)
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 1.0 {
		t.Errorf("count after failed mutation: %v", r)
	}
	// Argument validation happens before running.
	if r := e.call("mutation", "notes:add", map[string]any{"text": 3}, nil); r["status"] != "error" {
		t.Errorf("bad args accepted: %v", r)
	}
	// Internal functions: hidden from the public, callable by admins.
	if r := e.call("query", "notes:secret", map[string]any{}, nil); r["status"] != "error" || !strings.Contains(r["errorMessage"].(string), "Could not find public function for 'notes:secret'") {
		t.Errorf("internal via public API: %v", r)
	}
	if r := e.call("function", "notes:secret", map[string]any{}, e.admin()); r["value"] != "s3cret" {
		t.Errorf("internal via admin: %v", r)
	}
	if code, _, _ := e.do("POST", "/api/function", map[string]any{"path": "notes:secret", "args": map[string]any{}}, nil); code != 401 {
		t.Errorf("/api/function without a key: %d", code)
	}
	// Kind mismatch.
	if r := e.call("query", "notes:add", map[string]any{"text": "x"}, nil); r["status"] != "error" {
		t.Errorf("mutation through /api/query: %v", r)
	}
	// /api/run/<module>/<fn> defaults to clean JSON.
	if _, m, raw := e.do("POST", "/api/run/notes/count", map[string]any{"args": map[string]any{}}, nil); m["value"] != 1.0 {
		t.Errorf("/api/run: %s", raw)
	}
	// The scheduler runs a job scheduled by a mutation.
	if r := e.call("mutation", "notes:later", map[string]any{}, nil); r["status"] != "success" {
		t.Fatalf("later: %v", r)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] == 2.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduled mutation did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Environment variables reach functions; bad names are refused.
	if code, _, raw := e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "GREETING", "value": "hello"}}}, e.admin()); code != 200 {
		t.Fatalf("env set: %d %s", code, raw)
	}
	if r := e.call("query", "notes:greeting", map[string]any{}, nil); r["value"] != "hello" {
		t.Errorf("env in function: %v", r)
	}
	if code, m, _ := e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "1BAD", "value": "x"}}}, e.admin()); code != 400 || m["code"] != "EnvironmentVariableNameInvalid" {
		t.Errorf("bad env name: %d %v", code, m)
	}
	if _, m, _ := e.do("GET", "/api/v1/list_environment_variables", nil, e.admin()); get(m, "environmentVariables", "GREETING") != "hello" {
		t.Errorf("env list: %v", m)
	}
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "GREETING"}}}, e.admin())
	if r := e.call("query", "notes:greeting", map[string]any{}, nil); r["value"] != nil {
		t.Errorf("deleted env var still visible: %v", r)
	}

	// A second push sends the module as unchanged by hash.
	unchanged := []map[string]any{{"path": "notes.js", "environment": "isolate", "sha256": hex.EncodeToString(sum[:])}}
	_, _, finish = e.push(pushRequest(e.key, []map[string]any{}, unchanged, &schema))
	if get(finish, "componentDiffs", "", "diffType", "type") != "modify" {
		t.Errorf("second push: %v", finish)
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 2.0 {
		t.Errorf("data after second push: %v", r)
	}
	unchanged[0]["sha256"] = strings.Repeat("0", 64)
	if code, m, _ := e.do("POST", "/api/deploy2/start_push", pushRequest(e.key, []map[string]any{}, unchanged, &schema), nil); code != 400 || m["code"] != "ModuleNotFound" {
		t.Errorf("unknown unchanged hash: %d %v", code, m)
	}

	// A schema the data does not satisfy fails in wait_for_schema, naming the table.
	bad := numberSchema
	_, wait, finish := e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, &bad))
	if wait["type"] != "failed" || wait["tableName"] != "notes" || finish != nil {
		t.Errorf("schema validation: %v", wait)
	}
	// ... and the old code keeps serving.
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 2.0 {
		t.Errorf("after failed push: %v", r)
	}

	// Logs: structured for the CLI, strings for others.
	_, m, _ = e.do("GET", "/api/stream_function_logs?cursor=0", nil, map[string]string{"Authorization": "Convex " + e.key, "Convex-Client": "npm-cli-1.48.0"})
	entries, _ := m["entries"].([]any)
	var sawAdd bool
	for _, en := range entries {
		if get(en, "identifier") == "notes:add" && get(en, "udfType") == "Mutation" {
			if lines, _ := get(en, "logLines").([]any); len(lines) == 1 && get(lines[0], "level") == "LOG" {
				sawAdd = true
			}
		}
	}
	if !sawAdd || m["newCursor"] == nil {
		t.Errorf("log entries: %v", m)
	}
	cursor := m["newCursor"].(float64)
	_, m, _ = e.do("GET", "/api/stream_function_logs?cursor=0", nil, e.admin())
	if lines, _ := get(m["entries"].([]any)[0], "logLines").([]any); len(lines) != 1 || lines[0] != "[LOG] 'adding' 'one'" {
		t.Errorf("plain log lines: %v", lines)
	}
	// Waiting on the newest cursor returns as soon as something runs.
	go func() {
		time.Sleep(50 * time.Millisecond)
		e.call("query", "notes:count", map[string]any{}, nil)
	}()
	startWait := time.Now()
	_, m, _ = e.do("GET", "/api/stream_function_logs?cursor="+jsonNum(cursor), nil, e.admin())
	if es, _ := m["entries"].([]any); len(es) != 1 || time.Since(startWait) > 5*time.Second {
		t.Errorf("long poll: %v", m)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestProtocolErrors(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		method, path string
		body         any
		headers      map[string]string
		status       int
		code         string
	}{
		{"POST", "/api/query", []byte("{not json"), nil, 400, "BadJsonBody"},
		{"POST", "/api/query", map[string]any{"path": "a:b", "args": map[string]any{}, "format": "yaml"}, nil, 400, "BadFormat"},
		{"POST", "/api/query", map[string]any{"args": map[string]any{}}, nil, 400, "BadRequest"},
		{"POST", "/api/query", map[string]any{"path": "a:b", "args": map[string]any{"$bad": 1}}, nil, 400, "BadJsonBody"},
		{"POST", "/api/deploy2/evaluate_schema", map[string]any{}, e.admin(), 404, "NotFound"},
		{"POST", "/api/push_config", map[string]any{}, e.admin(), 400, "UnsupportedLegacyEndpoint"},
		{"GET", "/api/stream_function_logs?cursor=abc", nil, e.admin(), 400, "InvalidCursor"},
		{"POST", "/api/query", []byte("x"), map[string]string{"Content-Encoding": "gzip"}, 400, "UnsupportedContentEncoding"},
		{"POST", "/api/deploy2/start_push", []byte("not brotli"), map[string]string{"Content-Encoding": "br", "Authorization": "Convex " + e.key}, 400, "BadRequestBody"},
		{"GET", "/api/check_admin_key", nil, map[string]string{"Authorization": "Basic abc"}, 400, "InvalidHeaderFailure"},
		{"POST", "/api/run/nothing", map[string]any{}, nil, 400, "BadRequest"},
		{"GET", "/no/such/route", nil, nil, 404, "NotFound"},
	}
	for _, c := range cases {
		code, m, raw := e.do(c.method, c.path, c.body, c.headers)
		if code != c.status || m["code"] != c.code || m["message"] == "" {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, code, raw, c.status, c.code)
		}
	}
	// Calling before any push: a function error, not a protocol error.
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["status"] != "error" || !strings.Contains(r["errorMessage"].(string), "Could not find public function") {
		t.Errorf("no code pushed: %v", r)
	}
	if code, m, _ := e.do("GET", "/api/check_admin_key", nil, e.admin()); code != 200 || m["success"] != true {
		t.Errorf("check_admin_key: %d %v", code, m)
	}
	// Health routes.
	for path, want := range map[string]string{"/instance_name": "test-inst", "/version": Version} {
		if _, _, raw := e.do("GET", path, nil, nil); string(raw) != want {
			t.Errorf("%s = %q", path, raw)
		}
	}
	if _, _, raw := e.do("POST", "/echo", []byte("ping"), nil); string(raw) != "ping" {
		t.Errorf("echo = %q", raw)
	}
}

func TestCORS(t *testing.T) {
	e := newTestEnv(t)
	req, _ := http.NewRequest("OPTIONS", e.http.URL+"/api/query", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") ||
		h.Get("Access-Control-Allow-Headers") != "content-type, authorization" || h.Get("Access-Control-Max-Age") != "86400" {
		t.Errorf("preflight: %d %v", resp.StatusCode, h)
	}
	_, _, _ = e.do("GET", "/instance_name", nil, map[string]string{"Origin": "http://x"})
}

func TestRecoverFromPanic(t *testing.T) {
	e := newTestEnv(t)
	e.srv.mux.Handle("GET /boom", e.srv.wrap(func(w http.ResponseWriter, r *http.Request) error { panic("kaboom") }))
	code, m, _ := e.do("GET", "/boom", nil, nil)
	if code != 500 || m["code"] != "InternalServerError" {
		t.Errorf("panic: %d %v", code, m)
	}
	if code, _, _ := e.do("GET", "/instance_name", nil, nil); code != 200 {
		t.Errorf("server unusable after a panic: %d", code)
	}
}

func TestStorage(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	r := e.call("mutation", "notes:uploadUrl", map[string]any{}, nil)
	u, _ := r["value"].(string)
	const origin = "http://127.0.0.1:1"
	if !strings.HasPrefix(u, origin+"/api/storage/upload?token=") {
		t.Fatalf("upload url: %v", r)
	}
	path := strings.TrimPrefix(u, origin)
	code, m, raw := e.do("POST", path, []byte("hello file"), map[string]string{"Content-Type": "text/plain"})
	id, _ := m["storageId"].(string)
	if code != 200 || id == "" {
		t.Fatalf("upload: %d %s", code, raw)
	}
	r = e.call("query", "notes:fileUrl", map[string]any{"id": id}, nil)
	if r["value"] != origin+"/api/storage/"+id {
		t.Fatalf("file url: %v", r)
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/api/storage/"+id, nil)
	req.Header.Set("Range", "bytes=6-9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || string(b) != "file" || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("Cache-Control") == "" {
		t.Errorf("range download: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if code, _, _ := e.do("GET", "/api/storage/"+id, nil, nil); code != 200 {
		t.Errorf("download: %d", code)
	}
	if code, m, _ := e.do("POST", "/api/storage/upload?token=forged", []byte("x"), nil); code != 403 || m["code"] != "StorageTokenInvalid" {
		t.Errorf("forged token: %d %v", code, m)
	}
	if code, _, _ := e.do("GET", "/api/storage/kg2h4nqvxw3gfy5tr0ytsc8pgd6z1xv5", nil, nil); code != 404 {
		t.Errorf("missing file: %d", code)
	}
	// A Digest that does not match is refused.
	_, m, _ = e.do("POST", "/api/storage/upload", []byte("abc"), map[string]string{"Authorization": "Convex " + e.key, "Digest": "sha-256=AAAA"})
	if m["code"] != "StorageDigestMismatch" {
		t.Errorf("digest: %v", m)
	}
}

// TestGarbageInput sends malformed bodies to every route with a valid key:
// the answer must be a 4xx {code, message}, never a 500 or a crash.
func TestGarbageInput(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	routes := []string{
		"/api/get_config_hashes", "/api/deploy2/start_push", "/api/deploy2/evaluate_push", "/api/deploy2/wait_for_schema",
		"/api/deploy2/finish_push", "/api/update_environment_variables", "/api/query", "/api/mutation", "/api/action",
		"/api/function", "/api/run/notes/add", "/api/query_batch", "/api/storage/upload?token=x",
	}
	bodies := []string{`[]`, `"s"`, `{"path":5}`, `{"path":"notes:add","args":"x"}`, `{"path":"notes:add","args":[1,2]}`,
		`{"changes":[{"name":5}]}`, `{"changes":"x"}`, `{"schemaChange":{"schemaIds":{"":5}}}`, `{"startPush":{"schemaChange":[]}}`,
		`{"appDefinition":{"changedModules":[{"path":"../x.js","source":"x"}]}}`,
		`{"appDefinition":{"changedModules":[{"path":"a.js","source":"export const = ;"}]}}`,
		`{"appDefinition":{"changedModules":[{"path":"a.js","source":"throw new Error('top')"}]}}`,
		`{"queries":[{"path":"notes:count","args":7}]}`, `{"path":"notes:add","args":{"text":"x"},"componentPath":"child"}`,
		`{"path":"` + strings.Repeat("a/", 300) + `x:y","args":{}}`, "\x00\x01", `{"path":"notes:add","args":{"text":{"$integer":"bad"}}}`}
	for _, route := range routes {
		for _, body := range bodies {
			code, m, raw := e.do("POST", route, []byte(body), e.admin())
			if code >= 500 {
				t.Errorf("POST %s %s: %d %s", route, body, code, raw)
				continue
			}
			if code >= 400 && (m["code"] == nil || m["message"] == nil) {
				t.Errorf("POST %s %s: %d body %s is not {code, message}", route, body, code, raw)
			}
		}
	}
	// The deployment still works afterwards.
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["status"] != "success" {
		t.Errorf("after garbage: %v", r)
	}
}

func TestSystemQueries(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	for i := 0; i < 3; i++ {
		e.call("mutation", "notes:add", map[string]any{"text": string(rune('a' + i))}, nil)
	}
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "B", "value": "2"}, map[string]any{"name": "A", "value": "1"}}}, e.admin())
	// System functions need an admin key.
	if r := e.call("query", "_system/cli/tables", map[string]any{}, nil); r["status"] != "error" {
		t.Errorf("system query without key: %v", r)
	}
	r := e.call("query", "_system/cli/tables", map[string]any{"paginationOpts": map[string]any{"cursor": nil, "numItems": 10000}}, e.admin())
	if page, _ := get(r, "value", "page").([]any); len(page) != 1 || get(page[0], "name") != "notes" || get(r, "value", "isDone") != true {
		t.Errorf("tables: %v", r)
	}
	r = e.call("query", "_system/cli/tableData", map[string]any{"table": "notes", "order": "desc", "paginationOpts": map[string]any{"cursor": nil, "numItems": 2}}, e.admin())
	page, _ := get(r, "value", "page").([]any)
	if len(page) != 2 || get(page[0], "text") != "c" || get(r, "value", "isDone") != false {
		t.Fatalf("tableData: %v", r)
	}
	r = e.call("query", "_system/cli/tableData", map[string]any{"table": "notes", "order": "desc", "paginationOpts": map[string]any{"cursor": get(r, "value", "continueCursor"), "numItems": 2}}, e.admin())
	if page, _ := get(r, "value", "page").([]any); len(page) != 1 || get(page[0], "text") != "a" || get(r, "value", "isDone") != true {
		t.Errorf("tableData page 2: %v", r)
	}
	r = e.call("query", "_system/cli/queryEnvironmentVariables", map[string]any{}, e.admin())
	if vs, _ := r["value"].([]any); len(vs) != 2 || get(vs[0], "name") != "A" || get(vs[1], "value") != "2" {
		t.Errorf("env list: %v", r)
	}
	if r := e.call("query", "_system/cli/queryEnvironmentVariables:get", map[string]any{"name": "B"}, e.admin()); get(r, "value", "value") != "2" {
		t.Errorf("env get: %v", r)
	}
	if r := e.call("query", "_system/cli/tableSize", map[string]any{"tableName": "notes"}, e.admin()); r["value"] != 3.0 {
		t.Errorf("tableSize: %v", r)
	}
	if r := e.call("query", "_system/cli/convexUrl:cloudUrl", map[string]any{}, e.admin()); r["value"] != "http://127.0.0.1:1" {
		t.Errorf("cloudUrl: %v", r)
	}
	r = e.call("query", "_system/cli/modules:apiSpec", map[string]any{}, e.admin())
	if spec, _ := r["value"].([]any); len(spec) != 9 || get(spec[0], "identifier") == nil {
		t.Errorf("apiSpec: %v", r)
	}
	if r := e.call("query", "_system/cli/nope", map[string]any{}, e.admin()); r["status"] != "error" {
		t.Errorf("unknown system function: %v", r)
	}
}

func TestRunTestFunction(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	e.call("mutation", "notes:add", map[string]any{"text": "x"}, nil)
	src := `import { query } from "convex:/_system/repl/wrappers.js";
export default query({ handler: async (ctx) => { console.log("hi"); return (await ctx.db.query("notes").collect()).length; } });`
	code, m, raw := e.do("POST", "/api/run_test_function", map[string]any{"adminKey": e.key, "args": map[string]any{},
		"bundle": map[string]any{"path": "testQuery.js", "source": src}, "format": "convex_encoded_json"}, nil)
	if code != 200 || m["status"] != "success" || m["value"] != 1.0 {
		t.Fatalf("run_test_function: %d %s", code, raw)
	}
	// Read-only: a write fails and nothing is stored.
	src = `import { query } from "convex:/_system/repl/wrappers.js";
export default query({ handler: async (ctx) => ctx.db.insert("notes", { text: "no" }) });`
	_, m, _ = e.do("POST", "/api/run_test_function", map[string]any{"adminKey": e.key, "args": map[string]any{},
		"bundle": map[string]any{"path": "testQuery.js", "source": src}}, nil)
	if m["status"] != "error" {
		t.Errorf("write in a test query: %v", m)
	}
	_, m, _ = e.do("POST", "/api/run_test_function", map[string]any{"adminKey": e.key, "bundle": map[string]any{"path": "testQuery.js", "source": "export default = ;"}}, nil)
	if m["status"] != "error" {
		t.Errorf("syntax error: %v", m)
	}
	if code, _, _ := e.do("POST", "/api/run_test_function", map[string]any{"adminKey": "bad|00", "bundle": map[string]any{"source": src}}, nil); code != 403 {
		t.Errorf("bad key: %d", code)
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 1.0 {
		t.Errorf("count: %v", r)
	}
}

func TestHooksAndCall(t *testing.T) {
	var mu sync.Mutex
	var commits []store.WriteSet
	invalidations := 0
	e := newTestEnv(t, func(c *Config) {
		c.Hooks.OnCommit = func(ts int64, w store.WriteSet) { mu.Lock(); commits = append(commits, w); mu.Unlock() }
		c.Hooks.OnInvalidateAll = func() { mu.Lock(); invalidations++; mu.Unlock() }
		c.Hooks.SyncHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	})
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	e.call("mutation", "notes:add", map[string]any{"text": "x"}, nil)
	e.call("mutation", "notes:fail", map[string]any{"text": "y"}, nil)
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "A", "value": "1"}}}, e.admin())
	mu.Lock()
	if len(commits) != 1 || len(commits[0].Docs) == 0 || commits[0].Docs[0].Table != "notes" {
		t.Errorf("commits: %+v", commits)
	}
	if invalidations != 2 {
		t.Errorf("invalidations after a push and an env change: %d", invalidations)
	}
	mu.Unlock()
	res := e.srv.Call(context.Background(), CallRequest{Kind: "query", Path: "notes:count", Args: []byte(`[{}]`)})
	if string(res.Value) != "1" || res.ErrorMessage != "" || len(res.Reads.Tables()) == 0 || res.Reads.Tables()[0] != "notes" {
		t.Errorf("Call: %+v", res)
	}
	res = e.srv.Call(context.Background(), CallRequest{Path: "notes:secret", Args: []byte(`{}`)})
	if !strings.Contains(res.ErrorMessage, "Could not find public function") {
		t.Errorf("internal without Admin: %+v", res)
	}
	if res = e.srv.Call(context.Background(), CallRequest{Path: "notes:secret", Args: []byte(`{}`), Admin: true}); string(res.Value) != `"s3cret"` {
		t.Errorf("internal with Admin: %+v", res)
	}
	if code, _, _ := e.do("GET", "/api/1.48.0/sync", nil, nil); code != 299 {
		t.Errorf("sync handler not used: %d", code)
	}
}

func TestFinishPushDetectsEnvRace(t *testing.T) {
	e := newTestEnv(t)
	req := pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil)
	_, start, _ := e.do("POST", "/api/deploy2/start_push", req, nil)
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "X", "value": "1"}}}, e.admin())
	code, m, _ := e.do("POST", "/api/deploy2/finish_push", map[string]any{"adminKey": e.key, "startPush": start, "dryRun": false}, nil)
	if code != 400 || m["code"] != "RaceDetected" {
		t.Fatalf("finish after env change: %d %v", code, m)
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["status"] != "error" {
		t.Errorf("raced push was applied: %v", r)
	}
	e.push(req)
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["status"] != "success" {
		t.Errorf("retried push: %v", r)
	}
}

func TestCronsRun(t *testing.T) {
	e := newTestEnv(t)
	crons := `export default { isCrons: true, export() { return JSON.stringify({
  "add a note": { name: "notes:add", args: [{ text: "from cron" }], schedule: { type: "interval", seconds: 0.2 } } }); } };`
	start, _, finish := e.push(pushRequest(e.key, []map[string]any{
		{"path": "notes.js", "source": notesModule, "environment": "isolate"},
		{"path": "crons.js", "source": crons, "environment": "isolate"},
	}, nil, nil))
	specs, _ := get(start, "analysis", "", "functions", "crons.js", "cronSpecs").([]any)
	if len(specs) != 1 || get(specs[0], "identifier") != "add a note" {
		t.Fatalf("cronSpecs: %v", get(start, "analysis", "", "functions", "crons.js"))
	}
	if added, _ := get(finish, "componentDiffs", "", "cronDiff", "added").([]any); len(added) != 1 {
		t.Errorf("cronDiff: %v", get(finish, "componentDiffs", "", "cronDiff"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.call("query", "notes:count", map[string]any{}, nil)
		if n, _ := r["value"].(float64); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cron did not run twice: %v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Removing crons.js stops it.
	_, _, finish = e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	if deleted, _ := get(finish, "componentDiffs", "", "cronDiff", "deleted").([]any); len(deleted) != 1 {
		t.Errorf("cronDiff after removal: %v", get(finish, "componentDiffs", "", "cronDiff"))
	}
	time.Sleep(300 * time.Millisecond) // let a run already under way finish
	before := e.call("query", "notes:count", map[string]any{}, nil)["value"]
	time.Sleep(600 * time.Millisecond)
	if after := e.call("query", "notes:count", map[string]any{}, nil)["value"]; after != before {
		t.Errorf("removed cron still runs: %v -> %v", before, after)
	}
}

// TestSyncProtocol drives the WebSocket sync endpoint: an admin system
// query, a subscription that updates after a mutation over HTTP, and a
// mutation over the socket.
func TestSyncProtocol(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "A", "value": "1"}}}, e.admin())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.http.URL, "http")+"/api/1.48.0/sync", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	// next returns the next message of one of the given types.
	next := func(types ...string) map[string]any {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			for _, ty := range types {
				if m["type"] == ty {
					return m
				}
			}
		}
	}
	send(map[string]any{"type": "Connect", "sessionId": "8b2c7a51-2f0e-4e57-9a3c-1b5f3f0c2d11", "connectionCount": 0, "lastCloseReason": "InitialConnect", "clientTs": time.Now().UnixMilli()})
	send(map[string]any{"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": e.key})
	send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": 0, "udfPath": "_system/cli/queryEnvironmentVariables:default", "args": []any{map[string]any{}}},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "notes:count", "args": []any{map[string]any{}}},
	}})
	values := map[float64]any{}
	for len(values) < 2 {
		m := next("Transition", "FatalError", "AuthError")
		if m["type"] != "Transition" {
			t.Fatalf("unexpected %v", m)
		}
		for _, mod := range m["modifications"].([]any) {
			mm := mod.(map[string]any)
			if mm["type"] != "QueryUpdated" {
				t.Fatalf("modification %v", mm)
			}
			values[mm["queryId"].(float64)] = mm["value"]
		}
	}
	if vs, _ := values[0].([]any); len(vs) != 1 || get(vs[0], "name") != "A" {
		t.Errorf("env over sync: %v", values[0])
	}
	if values[1] != 0.0 {
		t.Errorf("count: %v", values[1])
	}
	// A commit made over HTTP updates the subscription.
	e.call("mutation", "notes:add", map[string]any{"text": "x"}, nil)
	for {
		m := next("Transition")
		done := false
		for _, mod := range m["modifications"].([]any) {
			if get(mod, "queryId") == 1.0 && get(mod, "value") == 1.0 {
				done = true
			}
		}
		if done {
			break
		}
	}
	// A mutation over the socket.
	send(map[string]any{"type": "Mutation", "requestId": 0, "udfPath": "notes:add", "args": []any{map[string]any{"text": "y"}}})
	m := next("MutationResponse")
	if m["success"] != true {
		t.Fatalf("mutation over sync: %v", m)
	}
	// A bad admin key is an AuthError.
	send(map[string]any{"type": "Authenticate", "baseVersion": 1, "tokenType": "Admin", "value": "test-inst|00"})
	if m := next("AuthError"); !strings.Contains(fmt.Sprint(m["error"]), "invalid") {
		t.Errorf("auth error: %v", m)
	}
}

func TestImportExport(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	adminJSON := e.admin()

	// Multi-part upload, then confirm.
	_, m, raw := e.do("POST", "/api/import/start_upload", nil, adminJSON)
	token, _ := m["uploadToken"].(string)
	if token == "" {
		t.Fatalf("start_upload: %s", raw)
	}
	var parts []any
	for i, chunk := range []string{"{\"text\":\"a\"}\n{\"te", "xt\":\"b\"}\n"} {
		code, _, raw := e.do("POST", fmt.Sprintf("/api/import/upload_part?uploadToken=%s&partNumber=%d", token, i+1), []byte(chunk),
			map[string]string{"Authorization": "Convex " + e.key, "Content-Type": "application/octet-stream"})
		var part any
		if code != 200 || json.Unmarshal(raw, &part) != nil {
			t.Fatalf("upload_part: %d %s", code, raw)
		}
		parts = append(parts, part)
	}
	_, m, raw = e.do("POST", "/api/import/finish_upload", map[string]any{"import": map[string]any{"tableName": "notes", "mode": "append", "format": "jsonLines"},
		"uploadToken": token, "partTokens": parts}, adminJSON)
	importID, _ := m["importId"].(string)
	if importID == "" {
		t.Fatalf("finish_upload: %s", raw)
	}
	importState := func() string {
		r := e.call("query", "_system/cli/queryImport", map[string]any{"importId": importID}, adminJSON)
		st, _ := get(r, "value", "state", "state").(string)
		return st
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := importState(); st != "waiting_for_confirmation" && st != "completed"; st = importState() {
		if st == "failed" || time.Now().After(deadline) {
			t.Fatalf("import state %q", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if importState() == "waiting_for_confirmation" {
		if code, _, raw := e.do("POST", "/api/perform_import", map[string]any{"importId": importID}, adminJSON); code != 200 {
			t.Fatalf("perform_import: %d %s", code, raw)
		}
	}
	for st := importState(); st != "completed"; st = importState() {
		if st == "failed" || time.Now().After(deadline) {
			t.Fatalf("import state %q", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 2.0 {
		t.Fatalf("after import: %v", r)
	}
	// One-shot import and its errors.
	if _, m, raw := e.do("POST", "/api/import?tableName=notes&format=jsonLines&mode=append", []byte("{\"text\":\"c\"}\n"), adminJSON); m["numWritten"] != 1.0 {
		t.Errorf("one-shot import: %s", raw)
	}
	if code, m, _ := e.do("POST", "/api/import?tableName=notes&format=jsonLines&mode=requireEmpty", []byte("{\"text\":\"d\"}\n"), adminJSON); code != 400 || m["message"] == nil {
		t.Errorf("requireEmpty on a full table: %d %v", code, m)
	}
	if code, _, _ := e.do("POST", "/api/import?tableName=notes&format=jsonLines", []byte("{}"), nil); code != 401 {
		t.Errorf("import without a key: %d", code)
	}

	// Export, then download by start_ts.
	if code, _, raw := e.do("POST", "/api/export/request/zip?includeStorage=false", nil, adminJSON); code != 200 {
		t.Fatalf("request export: %d %s", code, raw)
	}
	var startTS any
	for {
		r := e.call("query", "_system/cli/exports:getLatest", map[string]any{}, adminJSON)
		if get(r, "value", "state") == "completed" {
			startTS = get(r, "value", "start_ts")
			break
		}
		if get(r, "value", "state") == "failed" || time.Now().After(deadline) {
			t.Fatalf("export: %v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/export/zip/%v", e.http.URL, startTS), nil)
	req.Header.Set("Authorization", "Convex "+e.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zipData, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=snapshot_") || !bytes.HasPrefix(zipData, []byte("PK")) {
		t.Fatalf("download: %d %v %d bytes", resp.StatusCode, resp.Header, len(zipData))
	}
	if code, m, _ := e.do("GET", "/api/export/zip/123", nil, adminJSON); code != 404 || m["code"] != "NotFound" {
		t.Errorf("unknown export: %d %v", code, m)
	}
}
