package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	convexsync "github.com/convex-go/convex/backend/sync"
)

// vectorModule has a table with a vector index and an action that searches
// it through the action syscall, as ctx.vectorSearch does.
const vectorModule = registerPrelude + `export const add = reg("Mutation", "Public", async (value) => (await sys("1.0/insert", { table: "vecs", value }))._id);
export const nearest = reg("Action", "Public", async ({ vector, kind }) => {
  const expressions = kind === undefined ? null : { $eq: [{ $field: "kind" }, { $literal: kind }] };
  const r = await sys("1.0/actions/vectorSearch", { query: { indexName: "vecs.by_emb", vector, limit: 2, expressions } });
  return r.results.map((x) => x._id);
});
export const missingIndex = reg("Action", "Public", async () =>
  sys("1.0/actions/vectorSearch", { query: { indexName: "vecs.nope", vector: [1, 0], limit: 2, expressions: null } }));
`

const vectorSchema = `export default { export() { return JSON.stringify({
  tables: [{ tableName: "vecs", indexes: [], searchIndexes: [],
             vectorIndexes: [{ indexDescriptor: "by_emb", vectorField: "emb", dimensions: 2, filterFields: ["kind"] }],
             documentType: { type: "any" } }],
  schemaValidation: true }); } };`

func TestActionVectorSearch(t *testing.T) {
	e := newTestEnv(t)
	schema := vectorSchema
	e.push(pushRequest(e.key, []map[string]any{{"path": "vecs.js", "source": vectorModule, "environment": "isolate"}}, nil, &schema))
	east, _ := e.call("mutation", "vecs:add", map[string]any{"emb": []float64{1, 0}, "kind": "a"}, nil)["value"].(string)
	north, _ := e.call("mutation", "vecs:add", map[string]any{"emb": []float64{0, 1}, "kind": "b"}, nil)["value"].(string)
	ne, _ := e.call("mutation", "vecs:add", map[string]any{"emb": []float64{1, 1}, "kind": "a"}, nil)["value"].(string)

	r := e.call("action", "vecs:nearest", map[string]any{"vector": []float64{1, 0.1}}, nil)
	got, _ := r["value"].([]any)
	if r["status"] != "success" || len(got) != 2 || got[0] != east || got[1] != ne {
		t.Fatalf("nearest: %v (east %s, ne %s)", r, east, ne)
	}
	r = e.call("action", "vecs:nearest", map[string]any{"vector": []float64{1, 0}, "kind": "b"}, nil)
	if got, _ := r["value"].([]any); r["status"] != "success" || len(got) != 1 || got[0] != north {
		t.Fatalf("filtered nearest: %v (north %s)", r, north)
	}
	r = e.call("action", "vecs:missingIndex", map[string]any{}, nil)
	if msg, _ := r["errorMessage"].(string); r["status"] != "error" || !strings.Contains(msg, "vecs.nope") {
		t.Fatalf("unknown index: %v", r)
	}
}

// HTTP actions answer their own preflight requests and set their own CORS
// headers: neither the site port nor /http/ on the API port adds any.
func TestHTTPActionsHaveNoBuiltInCORS(t *testing.T) {
	e := newTestEnv(t)
	site := newSiteServer(t, e)
	for _, base := range []string{site, e.http.URL + "/http"} {
		resp := preflight(t, base+"/anything")
		// No http.js is deployed, so the preflight reaches the (absent) router.
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Methods") != "" ||
			resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s preflight: %d %v", base, resp.StatusCode, resp.Header)
		}
	}
	// The API itself keeps its permissive CORS.
	if resp := preflight(t, e.http.URL+"/api/query"); resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Errorf("API preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// preflight sends a browser's CORS preflight for a POST from
// http://app.test to url and returns the (closed) response.
func preflight(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, url, nil)
	req.Header.Set("Origin", "http://app.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func newSiteServer(t *testing.T, e *testEnv) string {
	t.Helper()
	hs := httptest.NewServer(e.srv.SiteHandler())
	t.Cleanup(hs.Close)
	return hs.URL
}

const pagerModule = registerPrelude + `export const add = reg("Mutation", "Public", async ({ n }) => (await sys("1.0/insert", { table: "rows", value: { n } }))._id);
export const page = reg("Query", "Public", async () => {
  const query = { source: { type: "FullTableScan", tableName: "rows", order: "desc" }, operators: [] };
  const r = await sys("1.0/queryPage", { query, cursor: null, pageSize: 2 });
  return r.page.map((d) => d.n);
});
`

// The sync adapter hands a subscription's journal to the query's
// transaction and returns the new one: the page keeps its end.
func TestSyncQueryJournal(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "rows.js", "source": pagerModule, "environment": "isolate"}}, nil, nil))
	for _, n := range []int{1, 2, 3} {
		e.call("mutation", "rows:add", map[string]any{"n": n}, nil)
	}
	b := syncBackend{e.srv}
	run := func(journal *string) convexsync.QueryResult {
		t.Helper()
		r, err := b.RunQuery(t.Context(), convexsync.Request{Path: "rows:page", Args: []byte(`{}`), Journal: journal})
		if err != nil || r.Error != nil {
			t.Fatalf("rows:page: %v %+v", err, r.Error)
		}
		return r
	}
	first := run(nil)
	if string(first.Value) != "[3,2]" || first.Journal == nil {
		t.Fatalf("first run: %s, journal %v", first.Value, first.Journal)
	}
	e.call("mutation", "rows:add", map[string]any{"n": 4}, nil)
	if r := run(first.Journal); string(r.Value) != "[4,3,2]" || r.Journal == nil || *r.Journal != *first.Journal {
		t.Errorf("re-run with the journal: %s, journal %v", r.Value, r.Journal)
	}
	if r := run(nil); string(r.Value) != "[4,3]" {
		t.Errorf("run without a journal: %s", r.Value)
	}
	bad := "not a journal"
	if r := run(&bad); string(r.Value) != "[4,3]" {
		t.Errorf("run with a foreign journal: %s", r.Value)
	}
}
