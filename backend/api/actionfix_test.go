package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// vectorModule has a table with a vector index and an action that searches
// it through the action syscall, as ctx.vectorSearch does.
const vectorModule = `
function reg(kind, handler) {
  const fn = async () => {};
  fn["is" + kind] = true;
  fn.isPublic = true;
  fn.exportArgs = () => '{"type":"any"}';
  fn.exportReturns = () => "null";
  const inv = async (argsJson) => JSON.stringify((await handler(JSON.parse(argsJson)[0])) ?? null);
  fn.invokeMutation = inv;
  fn.invokeAction = (requestId, a) => inv(a);
  return fn;
}
const sys = (op, args) => Convex.asyncSyscall(op, JSON.stringify(args)).then(JSON.parse);
export const add = reg("Mutation", async (value) => (await sys("1.0/insert", { table: "vecs", value }))._id);
export const nearest = reg("Action", async ({ vector, kind }) => {
  const expressions = kind === undefined ? null : { $eq: [{ $field: "kind" }, { $literal: kind }] };
  const r = await sys("1.0/actions/vectorSearch", { query: { indexName: "vecs.by_emb", vector, limit: 2, expressions } });
  return r.results.map((x) => x._id);
});
export const missingIndex = reg("Action", async () =>
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
		req, _ := http.NewRequest(http.MethodOptions, base+"/anything", nil)
		req.Header.Set("Origin", "http://app.test")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// No http.js is deployed, so the preflight reaches the (absent) router.
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Methods") != "" ||
			resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s preflight: %d %v", base, resp.StatusCode, resp.Header)
		}
	}
	// The API itself keeps its permissive CORS.
	req, _ := http.NewRequest(http.MethodOptions, e.http.URL+"/api/query", nil)
	req.Header.Set("Origin", "http://app.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Errorf("API preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func newSiteServer(t *testing.T, e *testEnv) string {
	t.Helper()
	hs := httptest.NewServer(e.srv.SiteHandler())
	t.Cleanup(hs.Close)
	return hs.URL
}
