package e2e_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// kitchenRun deploys the kitchen app to a fresh backend with the reference
// CLI and runs its scenario script, returning the script's JSON results.
func kitchenRun(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	nm := nodeModules(t)
	r := startBackend(t, "e2e-kitchen")
	src := filepath.Join(e2eDir(t), "testdata", "backend", "kitchen")
	app := t.TempDir()
	if err := copyApp(app, src); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nm, filepath.Join(app, "node_modules")); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(t, r.CloudURL, r.AdminKey)
	runCLI(t, app, env, 2*time.Minute, "deploy", "--typecheck", "disable")

	return runScenario(t, app, nm, time.Minute, r.CloudURL, r.SiteURL)
}

// runScenario runs the app's scenario.mjs with node (the npm packages in nm),
// passing args, and returns the JSON object it prints: one entry a scenario.
func runScenario(t *testing.T, app, nm string, timeout time.Duration, args ...string) map[string]json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(app, "scenario.mjs")}, args...)...)
	cmd.Env = append(os.Environ(), "CONVEX_NODE_MODULES="+nm)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("scenario script: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr.String())
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal(stdout, &res); err != nil {
		t.Fatalf("scenario script printed non-JSON: %v\n%s\nstderr:\n%s", err, stdout, stderr.String())
	}
	return res
}

// TestKitchen deploys the kitchen app (pagination, index ranges, search,
// vector search, file storage, the scheduler, validators, ConvexError,
// HTTP routes and a live subscription) and checks what the npm clients
// got back from each scenario.
func TestKitchen(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI and the npm clients")
	}
	res := kitchenRun(t)
	k := kitchenResults{t: t, res: res}

	// Pagination over an index range, newest rank first, by cursor.
	k.equal("pages", `[
		{"page":[22,21,20,19],"isDone":false,"cursorType":"string"},
		{"page":[18,17,16,15],"isDone":false,"cursorType":"string"},
		{"page":[14,13,12,11],"isDone":false,"cursorType":"string"},
		{"page":[10,9,8,7],"isDone":false,"cursorType":"string"},
		{"page":[6],"isDone":true,"cursorType":"string"}]`)
	k.equal("endCursor", `{"page":[22,21,20,19,18,17,16,15],"continueIsP2":true}`)
	k.equal("openPages", `[[1,2,4,5,7],[8,10,11,13,14],[16,17,19,20,22],[23,25]]`)
	k.equal("pageAfterDelete", `[[6,5,4],[3,2,1],false]`)
	k.equal("iterate", `{"seen":[1,2,3],"total":25}`)
	k.equal("misc", `{"newer":[5,6],"fives":[5],"even":[2,6],"exact":"del-3"}`)
	k.failed("pageBadOpts", "ArgumentValidationError", "paginationOpts.numItems")

	// Index ranges, unique, first, take, filter.
	k.equal("seed", `[25,3,1]`)
	k.equal("ranks", `[6,7,8]`)
	k.equal("ranksEmpty", `[]`)
	k.equal("byName", `{"name":"a-7","rank":7,"tags":[],"counts":{"rank":7},"idType":"string","ct":"number"}`)
	k.equal("byNameMissing", `null`)
	k.failed("uniqueMany", "unique() query returned more than one result")
	k.equal("uniqueOne", `"c-1"`)
	k.equal("firstAndTake", `{"first":1,"last":25,"take":[1,2,3]}`)
	k.equal("filtered", `[1,2,10,11,13,14,16,17,19,20,22,23,25]`)
	k.equal("nested", `[25,24,23]`)
	k.equal("countViaQuery", `3`)

	// patch (undefined removes a field), replace, normalizeId, delete.
	k.equal("edit", `{"patchedStatus":"dropped","patchedHasTags":false,"replacedName":"a-4!","replacedHasCounts":false,
		"sameCreationTime":true,"normalized":true,"normalizedOtherTable":null,"normalizedGarbage":null}`)
	k.convexError("editMissing", `{"code":"NOT_FOUND","name":"nope"}`)
	k.failed("editBadLiteral", "ArgumentValidationError", `v.literal("dropped")`)
	k.failed("schemaViolation", "does not match the schema", "Path: .status")
	k.equal("afterViolation", `"open"`)
	k.equal("remove", `{"existed":true,"after":null}`)
	k.failed("removeAgain", "Delete on nonexistent document ID")
	k.failed("removeWrongTable", "ArgumentValidationError", `v.id("items")`)

	// Determinism: one Date.now() for a whole mutation; Math.random in queries.
	var clock struct{ A, B, C float64 }
	k.decode("clock", &clock)
	if clock.A == 0 || clock.A != clock.B || clock.A != clock.C {
		t.Errorf("Date.now() moved inside a mutation: %+v", clock)
	}
	var random [][]float64
	k.decode("random", &random)
	for _, pair := range random {
		if len(pair) != 2 || pair[0] == pair[1] || pair[0] < 0 || pair[0] >= 1 || pair[1] < 0 || pair[1] >= 1 {
			t.Errorf("Math.random in a query gave %v", random)
		}
	}

	// ConvexError data and argument/return validation.
	k.convexError("convexError", `{"code":"TEAPOT","detail":{"n":1,"list":[1,"two"]}}`)
	k.convexError("convexErrorString", `"just a string"`)
	k.convexError("convexErrorViaAction", `{"code":"NESTED","detail":{"n":1,"list":[1,"two"]}}`)
	k.equal("convexErrorCaught", `{"caught":{"code":"CAUGHT","detail":{"n":1,"list":[1,"two"]}}}`)
	k.failed("argWrongType", "ArgumentValidationError", "Path: .count")
	k.failed("argMissing", "ArgumentValidationError", "missing the required field `count`")
	k.failed("argExtra", "ArgumentValidationError", "extra field `extra`")
	k.failed("badReturn", "ReturnsValidationError")
	k.equal("nestedRollback", `["nested failure","tx1-outer"]`)
	k.equal("outerRollback", `{"failed":true,"left":[]}`)
	k.failed("internalFromClient", "Could not find public function for 'chain:count'")

	// Every validator kind round-trips: bytes, int64, any, null, array of objects, id.
	var put map[string]json.RawMessage
	k.decode("kindsPut", &put)
	for field, want := range map[string]string{
		"bytes": `{"$bytes":"0001feff"}`, "big": `{"$bigint":"1099511627779"}`,
		"anything": `{"nested":[1,{"a":null}],"s":"x"}`, "nothing": `null`,
		"parts": `[{"key":"k","n":1.5},{"key":"j","n":-2}]`,
	} {
		if got := canonJSON(t, put[field]); got != canonJSON(t, json.RawMessage(want)) {
			t.Errorf("kindsPut %s = %s, want %s", field, got, want)
		}
	}
	if !strings.HasPrefix(string(put["item"]), `"`) {
		t.Errorf("kindsPut item = %s", put["item"])
	}
	k.failed("kindsBadBig", "ArgumentValidationError", "v.int64()")
	k.failed("kindsBadId", "ArgumentValidationError", `v.id("items")`)
	k.failed("kindsBadObject", "ArgumentValidationError", "missing the required field `n`")
	k.equal("describe", `{"bytesIsBuffer":true,"byteLength":2,"firstByte":7,"bigType":"bigint","bigPlusOne":{"$bigint":"42"},"labelKeys":["x","y"]}`)
	k.failed("describeBadRecord", "ArgumentValidationError", "Path: .labels.x")

	// Full-text search, with a filter field and prefix matching.
	k.sameSet("search", `["the quick brown fox","a quick lunch"]`)
	k.equal("searchByAuthor", `["a quick lunch"]`)
	k.equal("searchPrefix", `["a quick lunch","the quick brown fox"]`)
	k.equal("searchNone", `[]`)
	var ranked []string
	k.decode("searchRanked", &ranked)
	if len(ranked) != 3 || ranked[2] != "one zebra" || !slices.Contains(ranked[:2], "zebra stripes") ||
		!slices.Contains(ranked[:2], "stripes and more stripes on a zebra") {
		t.Errorf("search for two terms: %q, want notes with both terms before the one with only one", ranked)
	}
	k.equal("searchPages", `[2,1]`)
	k.equal("searchAfterHttp", `["posted quick"]`)

	// Vector search in an action, with and without a filter.
	var vec struct {
		Labels []string
		Scores []float64
	}
	k.decode("vector", &vec)
	if strings.Join(vec.Labels, ",") != "x,xy" || len(vec.Scores) != 2 || vec.Scores[0] <= vec.Scores[1] {
		t.Errorf("vector search: %+v", vec)
	}
	k.decode("vectorFiltered", &vec)
	if strings.Join(vec.Labels, ",") != "y,x,z" || len(vec.Scores) != 3 || math.Abs(vec.Scores[0]-0.8) > 1e-9 {
		t.Errorf("filtered vector search: %+v", vec)
	}

	var anyKind []string
	k.decode("vectorOr", &anyKind)
	if len(anyKind) != 4 || anyKind[0] != "z" {
		t.Errorf("vector search with q.or filter: %v", anyKind)
	}
	k.failed("vectorBadDims", "2 dimensions", "3")
	k.failed("vectorBadLimit", "limit")

	// File storage.
	var up struct {
		Status              int
		UploadHost          bool
		Size                float64
		ContentType, Sha256 string
		WantSha256, Body    string
		Listed, AfterListed bool
		AfterURL            *string
		Removed             struct{ URL, Meta *string }
	}
	k.decode("upload", &up)
	if up.Status != 200 || !up.UploadHost || up.Size != 17 || up.ContentType != "text/markdown" || up.Sha256 != up.WantSha256 ||
		up.Body != "kitchen file body" || !up.Listed || up.AfterListed || up.AfterURL != nil || up.Removed.URL != nil || up.Removed.Meta != nil {
		t.Errorf("upload: %+v", up)
	}
	var blob struct {
		ID, Back, Type, URL string
		Size                float64
	}
	k.decode("storeBlob", &blob)
	if blob.Back != "blob from an action" || blob.Type != "text/plain" || blob.Size != 19 || !strings.HasSuffix(blob.URL, "/api/storage/"+blob.ID) {
		t.Errorf("storage.store/get in an action: %+v", blob)
	}

	// Scheduler: runAfter(0) ran, runAt is pending until cancelled, cancel.
	var sched struct {
		Runs                  []string
		Now, Later, Cancelled struct {
			Name   string
			Args   []map[string]string
			State  string
			Future bool
		}
		CancelLater string
		Count       int
	}
	k.decode("schedule", &sched)
	if strings.Join(sched.Runs, ",") != "p-now" || sched.Now.State != "success" || sched.Later.State != "pending" || !sched.Later.Future ||
		sched.Cancelled.State != "canceled" || sched.CancelLater != "canceled" || sched.Count != 3 ||
		len(sched.Now.Args) != 1 || sched.Now.Args[0]["label"] != "p-now" ||
		(sched.Now.Name != "jobs:record" && sched.Now.Name != "jobs.js:record") {
		t.Errorf("scheduler: %+v", sched)
	}
	k.equal("scheduleFromAction", `{"ran":true,"state":"success"}`)
	var more struct {
		Action, Failing struct {
			State struct {
				Kind, Error string
			}
			Completed bool
		}
		Ran bool
	}
	k.decode("scheduleMore", &more)
	if !more.Ran || more.Action.State.Kind != "success" || !more.Action.Completed ||
		more.Failing.State.Kind != "failed" || !strings.Contains(more.Failing.State.Error, "scheduled failure") || !more.Failing.Completed {
		t.Errorf("scheduled action and failing mutation: %+v", more)
	}

	// Actions calling queries, mutations and actions.
	k.equal("chain", `{"before":1,"after":2,"doubled":4,"top":1000}`)

	// HTTP routes by path prefix, JSON bodies, headers, CORS preflight.
	var hr struct {
		Get struct {
			Status         int
			Body           map[string]any
			Rank, CT, ACAO string
		}
		Missing struct {
			Status int
			Body   string
		}
		Post struct {
			Status int
			Body   struct{ ID, Path string }
		}
		Bad struct {
			Status int
			Body   map[string]string
		}
		Preflight struct {
			Status          int
			Methods, MaxAge string
		}
		NoRoute int
		Head    struct {
			Status     int
			Rank, Body string
		}
		Upload struct {
			Status int
			Size   float64
			Type   string
		}
		File struct {
			Status          int
			CT, Size, Bytes string
		}
	}
	k.decode("httpRoutes", &hr)
	if hr.Get.Status != 200 || hr.Get.Body["name"] != "a-1" || hr.Get.Rank != "1" || hr.Get.CT != "application/json" || hr.Get.ACAO != "*" {
		t.Errorf("GET /items/a-1: %+v", hr.Get)
	}
	if hr.Missing.Status != 404 || hr.Missing.Body != "no such item" {
		t.Errorf("GET /items/nothing-here: %+v", hr.Missing)
	}
	if hr.Post.Status != 201 || hr.Post.Body.ID == "" || hr.Post.Body.Path != "/notes/from/http" {
		t.Errorf("POST /notes/from/http: %+v", hr.Post)
	}
	if hr.Bad.Status != 400 || hr.Bad.Body["error"] != "BAD_JSON" {
		t.Errorf("POST bad JSON: %+v", hr.Bad)
	}
	// The app's own OPTIONS route answers the preflight.
	if hr.Preflight.Status != 204 || hr.Preflight.Methods != "GET, POST, OPTIONS" || hr.Preflight.MaxAge != "86400" {
		t.Errorf("preflight: %+v", hr.Preflight)
	}
	if hr.NoRoute != 404 {
		t.Errorf("unrouted path: %d", hr.NoRoute)
	}
	if hr.Head.Status != 200 || hr.Head.Rank != "1" || hr.Head.Body != "" {
		t.Errorf("HEAD /items/a-1 (served by the GET route, without a body): %+v", hr.Head)
	}
	// storage.store of request.blob() in an HTTP action, and a Response
	// built from storage.get.
	if hr.Upload.Status != 200 || hr.Upload.Size != 4 || hr.Upload.Type != "image/png" {
		t.Errorf("POST /upload: %+v", hr.Upload)
	}
	if hr.File.Status != 200 || hr.File.CT != "image/png" || hr.File.Size != "4" || hr.File.Bytes != "89504e47" {
		t.Errorf("GET /file: %+v", hr.File)
	}

	// Web APIs in an action (timers, fetch, crypto, base64, structuredClone,
	// URL, process.env) and in a mutation (no fetch).
	k.equal("globals", `{"waited":true,"fetchStatus":200,"fetchRank":"1","uuid":true,"b64":"aGk=hi","sha":"ba7816bf",
		"clone":{"a":[1,{"b":2}]},"url":"1","cloudUrl":"string","siteUrlEnv":true}`)
	var inMut struct {
		FetchError, ISO string
		UUID            int
	}
	k.decode("inMutation", &inMut)
	if !strings.Contains(inMut.FetchError, "fetch() in queries and mutations") || inMut.ISO != "1970-01-01T00:00:00.000Z" || inMut.UUID != 36 {
		t.Errorf("globals in a mutation: %+v", inMut)
	}

	// Live subscriptions: a page sees inserts; a pinned page grows.
	k.equal("live", `[[],[2,1],[2,1,1]]`)
	k.equal("liveGrow", `[{"page":[5,4],"isDone":false},{"page":[9,5,4],"isDone":false}]`)

	k.equal("kindsOverSocket", `{"anything":[null,true,1.25,"s",{"k":[]}],"big":{"$bigint":"-4611686018427387904"},"bytes":{"$bytes":"0908"},"nothing":null,"parts":[]}`)
	k.convexError("socketConvexError", `{"code":"SOCKET","detail":{"n":1,"list":[1,"two"]}}`)
	k.failed("socketArgError", "ArgumentValidationError", "Path: .category")

	if _, ok := res["timedOut"]; ok {
		t.Errorf("the scenario script timed out")
	}
	if t.Failed() || testing.Verbose() {
		for name, v := range res {
			t.Logf("%s: %s", name, v)
		}
	}
}

type kitchenResults struct {
	t   *testing.T
	res map[string]json.RawMessage
}

func (k kitchenResults) get(name string) json.RawMessage {
	k.t.Helper()
	v, ok := k.res[name]
	if !ok {
		k.t.Errorf("%s: no result", name)
	}
	return v
}

func canonJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid JSON: " + string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// equal compares a result with want, ignoring key order and layout.
func (k kitchenResults) equal(name, want string) {
	k.t.Helper()
	if got, w := canonJSON(k.t, k.get(name)), canonJSON(k.t, json.RawMessage(want)); got != w {
		k.t.Errorf("%s = %s\nwant %s", name, got, w)
	}
}

// sameSet compares two JSON arrays as sets of strings.
func (k kitchenResults) sameSet(name, want string) {
	k.t.Helper()
	var got, w []string
	if err := json.Unmarshal(k.get(name), &got); err != nil {
		k.t.Errorf("%s = %s", name, k.get(name))
		return
	}
	_ = json.Unmarshal([]byte(want), &w)
	slices.Sort(got)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		k.t.Errorf("%s = %v, want %v in any order", name, got, w)
	}
}

func (k kitchenResults) decode(name string, v any) {
	k.t.Helper()
	var e kitchenError
	if json.Unmarshal(k.get(name), &e) == nil && e.Error != nil {
		k.t.Errorf("%s failed: %s", name, *e.Error)
		return
	}
	if err := json.Unmarshal(k.get(name), v); err != nil {
		k.t.Errorf("%s = %s: %v", name, k.get(name), err)
	}
}

type kitchenError struct {
	Error *string
	Data  json.RawMessage
}

// failed expects the call to have thrown with every one of parts in its message.
func (k kitchenResults) failed(name string, parts ...string) {
	k.t.Helper()
	var e kitchenError
	if json.Unmarshal(k.get(name), &e) != nil || e.Error == nil {
		k.t.Errorf("%s succeeded with %s, want an error", name, k.get(name))
		return
	}
	for _, p := range parts {
		if !strings.Contains(*e.Error, p) {
			k.t.Errorf("%s error lacks %q:\n%s", name, p, *e.Error)
		}
	}
}

// convexError expects a ConvexError whose data the client decoded as want.
func (k kitchenResults) convexError(name, want string) {
	k.t.Helper()
	var e kitchenError
	if json.Unmarshal(k.get(name), &e) != nil || e.Error == nil {
		k.t.Errorf("%s succeeded with %s, want a ConvexError", name, k.get(name))
		return
	}
	if got, w := canonJSON(k.t, e.Data), canonJSON(k.t, json.RawMessage(want)); got != w {
		k.t.Errorf("%s ConvexError data = %s, want %s (message %q)", name, got, w, *e.Error)
	}
}
