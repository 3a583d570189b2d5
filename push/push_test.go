package push

import (
	"github.com/convex-go/convex/internal/testapp"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/convex-go/convex/bundler"
)

func chatProject(t *testing.T) string { return testapp.Chat(t, "..") }

const adminKey = "test-deployment|0123456789abcdef0123456789abcdef"

// fakeDeployment is a scripted deployment that checks what the client sends.
type fakeDeployment struct {
	t          *testing.T
	mu         sync.Mutex
	calls      []string
	hashes     []map[string]string
	startResp  string
	startErr   func(w http.ResponseWriter) bool
	statuses   []string // wait_for_schema answers, the last repeats
	startBody  map[string]any
	finishBody map[string]any
	reported   chan map[string]any
}

const startPushAnswer = `{
  "environmentVariables": {"SECRET_TOKEN": "supersecretvalue", "SHORT": "abc"},
  "externalDepsId": null,
  "componentDefinitionPackages": {},
  "appAuth": [],
  "analysis": {"": {"definition": {"path": "", "definitionType": {"type": "app"}, "childComponents": [], "httpMounts": {}, "exports": {"type": "branch", "branch": []}, "envVars": null},
                    "schema": null, "functions": {}, "udfConfig": {"serverVersion": "1.48.0"}}},
  "app": {"definitionPath": "", "componentPath": "", "args": {}, "childComponents": {}, "httpRoutes": {"httpModuleRoutes": null, "mounts": []}, "exports": {}},
  "schemaChange": {"allocatedComponentIds": {}, "schemaIds": {"": "abc"},
     "indexDiffs": {"": {"added_indexes": [{"name": "messages.by_channel", "type": "database", "fields": ["channelId"]},
                                           {"name": "messages.by_body", "type": "search", "searchField": "body", "filterFields": ["channelId"]}],
                         "removed_indexes": [{"name": "users.old", "type": "database", "fields": ["a", "b"]}],
                         "enabled_indexes": [], "disabled_indexes": []}}}
}`

func newFake(t *testing.T) (*fakeDeployment, *httptest.Server) {
	f := &fakeDeployment{t: t, startResp: startPushAnswer, statuses: []string{`{"type":"inProgress","components":{"":{"schemaValidationComplete":false,"indexesComplete":0,"indexesTotal":1}}}`, `{"type":"complete"}`}, reported: make(chan map[string]any, 1)}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

var traceparentRe = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`)

func (f *fakeDeployment) body(r *http.Request, brotliWanted bool) map[string]any {
	t := f.t
	var rd io.Reader = r.Body
	if brotliWanted {
		if r.Header.Get("Content-Encoding") != "br" {
			t.Errorf("%s: Content-Encoding %q, want br", r.URL.Path, r.Header.Get("Content-Encoding"))
		}
		rd = brotli.NewReader(r.Body)
		if !traceparentRe.MatchString(r.Header.Get("traceparent")) {
			t.Errorf("%s: traceparent %q", r.URL.Path, r.Header.Get("traceparent"))
		}
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Errorf("%s: reading body: %v", r.URL.Path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Errorf("%s: body is not JSON: %v", r.URL.Path, err)
	}
	return m
}

func (f *fakeDeployment) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.URL.Path)
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Convex "+adminKey || r.Header.Get("Convex-Client") != "npm-cli-1.48.0" {
		f.t.Errorf("%s: headers %v", r.URL.Path, r.Header)
	}
	switch r.URL.Path {
	case "/api/get_config_hashes":
		b := f.body(r, false)
		if b["version"] != "1.48.0" || b["adminKey"] != adminKey {
			f.t.Errorf("get_config_hashes body %v", b)
		}
		json.NewEncoder(w).Encode(map[string]any{"config": map[string]any{"functions": "convex/"}, "moduleHashes": f.hashes, "udfServerVersion": "1.48.0", "nodeVersion": nil})
	case "/api/deploy2/start_push":
		f.startBody = f.body(r, true)
		if f.startErr != nil && f.startErr(w) {
			return
		}
		io.WriteString(w, f.startResp)
	case "/api/deploy2/wait_for_schema":
		b := f.body(r, false)
		sc, _ := b["schemaChange"].(map[string]any)
		if b["timeoutMs"] != float64(10000) || sc["schemaIds"] == nil {
			f.t.Errorf("wait_for_schema body %v", b)
		}
		f.mu.Lock()
		s := f.statuses[0]
		if len(f.statuses) > 1 {
			f.statuses = f.statuses[1:]
		}
		f.mu.Unlock()
		io.WriteString(w, s)
	case "/api/deploy2/finish_push":
		f.finishBody = f.body(r, true)
		io.WriteString(w, `{"authDiff":{"added":[],"removed":[]},"definitionDiffs":{},"componentDiffs":{"":{"diffType":{"type":"modify"},"moduleDiff":{"added":["messages.js"],"removed":[]},"udfConfigDiff":null,"cronDiff":{"added":[],"updated":[],"deleted":[]},"indexDiff":{"added_indexes":[],"removed_indexes":[]},"schemaDiff":null},"ratelimiter":{"diffType":{"type":"create"}}}}`)
	case "/api/deploy2/report_push_completed":
		select {
		case f.reported <- f.body(r, false):
		default:
		}
		io.WriteString(w, "null")
	default:
		http.NotFound(w, r)
	}
}

func testOptions(dir string, srv *httptest.Server, stderr *bytes.Buffer) Options {
	c := NewClient(srv.URL, adminKey)
	c.RetryDelay = func(int) time.Duration { return 0 }
	return Options{Dir: dir, Client: c, Stderr: stderr, SchemaPollInterval: time.Millisecond}
}

func TestPushFlow(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	// Pretend the deployment already has users.js.
	b, err := bundler.Bundle(bundler.Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range b.Modules {
		if m.Path == "users.js" {
			f.hashes = []map[string]string{{"path": "users.js", "hash": Hash(m), "environment": "isolate"}, {"path": "gone.js", "hash": "00", "environment": "isolate"}}
		}
	}
	var stderr bytes.Buffer
	var steps []string
	o := testOptions(dir, srv, &stderr)
	o.Progress = func(s string) { steps = append(steps, s) }
	msg := "Deployed from tests"
	o.Message = &msg
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, stderr.String())
	}
	want := []string{"/api/get_config_hashes", "/api/deploy2/start_push", "/api/deploy2/wait_for_schema", "/api/deploy2/wait_for_schema", "/api/deploy2/finish_push"}
	if got := f.calls[:len(want)]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("calls = %v", f.calls)
	}

	sb := f.startBody
	if sb["adminKey"] != adminKey || sb["dryRun"] != false || sb["functions"] != "convex/" {
		t.Errorf("start_push top level: %v", sb)
	}
	app := sb["appDefinition"].(map[string]any)
	if def := app["definition"].(map[string]any); def["path"] != "convex.config.js" || def["environment"] != "isolate" {
		t.Errorf("definition = %v", def["path"])
	}
	if s := app["schema"].(map[string]any); s["path"] != "schema.js" {
		t.Errorf("schema = %v", s["path"])
	}
	if app["udfServerVersion"] != "1.48.0" {
		t.Errorf("udfServerVersion = %v", app["udfServerVersion"])
	}
	var changed []string
	for _, m := range app["changedModules"].([]any) {
		changed = append(changed, m.(map[string]any)["path"].(string))
	}
	if strings.Contains(strings.Join(changed, " "), "users.js") || !strings.Contains(strings.Join(changed, " "), "messages.js") {
		t.Errorf("changed modules = %v", changed)
	}
	un := app["unchangedModuleHashes"].([]any)
	if len(un) != 1 || un[0].(map[string]any)["path"] != "users.js" || un[0].(map[string]any)["sha256"] == "" {
		t.Errorf("unchanged = %v", un)
	}
	if _, ok := sb["nodeDependencies"].([]any); !ok {
		t.Errorf("nodeDependencies must be an array: %v", sb["nodeDependencies"])
	}

	// finish_push echoes the start_push answer exactly.
	var echoed, orig any
	json.Unmarshal([]byte(startPushAnswer), &orig)
	echoed = f.finishBody["startPush"]
	ej, _ := json.Marshal(echoed)
	oj, _ := json.Marshal(orig)
	if string(ej) != string(oj) {
		t.Errorf("finish_push startPush differs:\n%s\n%s", ej, oj)
	}
	if f.finishBody["message"] != msg || f.finishBody["dryRun"] != false {
		t.Errorf("finish_push body %v", f.finishBody)
	}

	out := stderr.String()
	for _, w := range []string{
		"✔ Deleted table indexes:\n  [-] users.old   a, b\n",
		"✔ Added table indexes:\n  [+] messages.by_channel   channelId\n  [+] messages.by_body (text)   body, filter on channelId\n",
		"✔ Installed component ratelimiter.\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("stderr lacks %q:\n%s", w, out)
		}
	}
	joined := strings.Join(steps, "|")
	for _, w := range []string{"Uploading functions to Convex...", "Backfilling indexes (0/1 ready) and checking that documents match your schema...", "Schema validation complete.", "Finalizing push..."} {
		if !strings.Contains(joined, w) {
			t.Errorf("progress lacks %q: %v", w, steps)
		}
	}
	select {
	case rep := <-f.reported:
		spans, _ := rep["spans"].([]any)
		if len(spans) == 0 {
			t.Errorf("report_push_completed without spans: %v", rep)
		}
	case <-time.After(5 * time.Second):
		t.Error("report_push_completed not sent")
	}
	if res.StartPush == nil || res.Diff == nil || len(res.Inputs) == 0 {
		t.Errorf("result = %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "convex", "_generated", "api.d.ts")); err != nil {
		t.Error("codegen did not run")
	}
}

func TestDryRunVerboseRedacts(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	var stderr bytes.Buffer
	o := testOptions(dir, srv, &stderr)
	o.DryRun, o.Verbose, o.PushAllModules, o.NoCodegen = true, true, true, true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	// Only the config diff of a dry run reads the hashes (after the
	// schema wait); nothing is reported.
	for i, c := range f.calls {
		if c == "/api/deploy2/report_push_completed" || (c == "/api/get_config_hashes" && (i == 0 || f.calls[i-1] != "/api/deploy2/wait_for_schema")) {
			t.Errorf("unexpected call %s in %v", c, f.calls)
		}
	}
	if f.startBody["dryRun"] != true || f.finishBody["dryRun"] != true {
		t.Error("dryRun not sent")
	}
	out := stderr.String()
	if !strings.Contains(out, "✔ Remote config would be overwritten with the following changes:\n  ") {
		t.Errorf("no config diff:\n%s", out)
	}
	if strings.Contains(out, "supersecretvalue") || !strings.Contains(out, "<redacted>") || !strings.Contains(out, `"SHORT": "abc"`) {
		t.Errorf("verbose output not redacted correctly:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "convex", "_generated")); err == nil {
		t.Error("codegen ran with NoCodegen")
	}
}

func TestSchemaValidationFailed(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	f.statuses = []string{`{"type":"failed","error":"Document with ID \"x\" in table \"messages\" does not match the schema","componentPath":"","tableName":"messages"}`}
	var stderr bytes.Buffer
	_, err := Run(context.Background(), testOptions(dir, srv, &stderr))
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != InvalidFilesOrData || pe.TableName != "messages" || pe.Msg != "Schema validation failed." || !strings.Contains(pe.Detail, "does not match") {
		t.Fatalf("err = %#v", err)
	}
	for _, c := range f.calls {
		if c == "/api/deploy2/finish_push" {
			t.Error("finish_push after a failed schema")
		}
	}
	// A deployment that repeats the headline in its error: shown once.
	f.statuses = []string{`{"type":"failed","error":"Schema validation failed.\nDocument with ID \"x\" in table \"messages\" does not match the schema: Object is missing the required field ` + "`author`" + `.","componentPath":"","tableName":"messages"}`}
	_, err = Run(context.Background(), testOptions(dir, srv, &stderr))
	out := FormatError(err)
	if strings.Count(out, "Schema validation failed") != 1 || !strings.HasPrefix(out, "✖ Schema validation failed.\nDocument with ID \"x\" in table \"messages\"") {
		t.Errorf("repeated headline:\n%s", out)
	}
	f.statuses = []string{`{"type":"raceDetected"}`}
	_, err = Run(context.Background(), testOptions(dir, srv, &stderr))
	if KindOf(err) != Fatal || !strings.Contains(err.Error(), "Schema was overwritten by another push.") {
		t.Errorf("race: %v", err)
	}
}

func TestStartPushErrors(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	// A runtime error position in the bundled messages.js maps back to the
	// TypeScript source.
	b, err := bundler.Bundle(bundler.Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	var pos string
	for _, m := range b.Modules {
		if m.Path == "messages.js" {
			for i, line := range strings.Split(m.Source, "\n") {
				if c := strings.Index(line, `"messages:expire"`); c >= 0 {
					pos = "messages.js:" + itoa(i+1) + ":" + itoa(c+1)
				}
			}
		}
	}
	if pos == "" {
		t.Fatal("token not found in bundle")
	}
	f.startErr = func(w http.ResponseWriter) bool {
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"code": "InvalidModules", "message": "Hit an error while pushing:\nFailed to analyze messages.js: Uncaught Error: boom\n    at (" + pos + ")"})
		return true
	}
	var stderr bytes.Buffer
	_, err = Run(context.Background(), testOptions(dir, srv, &stderr))
	if KindOf(err) != InvalidFilesOrEnv || !strings.Contains(err.Error(), "Error: Unable to start push to") {
		t.Fatalf("err = %v (kind %v)", err, KindOf(err))
	}
	if !strings.Contains(err.Error(), "(convex/messages.ts:16:") {
		t.Errorf("position not mapped (%s): %v", pos, err)
	}

	f.startErr = func(w http.ResponseWriter) bool {
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"code": "AuthConfigMissingEnvironmentVariable", "message": "Environment variable CLERK_ISSUER is used in auth config file but its value was not set"})
		return true
	}
	o := testOptions(dir, srv, &stderr)
	o.DeploymentName, o.EnvFlag = "happy-animal-123", "--prod"
	_, err = Run(context.Background(), o)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != InvalidFilesOrEnv || !strings.Contains(pe.Msg, "Environment variable CLERK_ISSUER is used in auth config file") ||
		!strings.Contains(pe.Detail, "npx convex env set --prod CLERK_ISSUER <value>") || !strings.Contains(pe.Detail, "/d/happy-animal-123/settings/environment-variables?var=CLERK_ISSUER") {
		t.Errorf("auth env error = %#v", err)
	}

	f.startErr = func(w http.ResponseWriter) bool {
		w.WriteHeader(401)
		json.NewEncoder(w).Encode(map[string]string{"code": "BadAdminKey", "message": "bad key"})
		return true
	}
	_, err = Run(context.Background(), testOptions(dir, srv, &stderr))
	if !errors.As(err, &pe) || pe.Kind != Fatal || !strings.Contains(pe.Hint, "Authenticate") {
		t.Errorf("401 = %#v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestNetworkErrorsAreTransient(t *testing.T) {
	dir := chatProject(t)
	// A server that hangs up without answering: a network error that is
	// not a refused connection, so the full retry schedule applies.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, adminKey)
	c.RetryDelay = func(int) time.Duration { return 0 }
	retries := 0
	c.OnRetry = func(int, error) { retries++ }
	_, err := Run(context.Background(), Options{Dir: dir, Client: c, NoCodegen: true})
	if KindOf(err) != Transient || retries != 6 {
		t.Errorf("err = %v, kind %v, retries %d", err, KindOf(err), retries)
	}
}

func TestRefusedLocalPushIsTransientWithoutRetrySchedule(t *testing.T) {
	dir := chatProject(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := NewClient(url, adminKey)
	c.RetryDelay = func(int) time.Duration { return 0 }
	retries := 0
	c.OnRetry = func(int, error) { retries++ }
	_, err := Run(context.Background(), Options{Dir: dir, Client: c, NoCodegen: true})
	if KindOf(err) != Transient || retries != 0 || !strings.Contains(err.Error(), "Nothing is listening") {
		t.Errorf("err = %v, kind %v, retries %d", err, KindOf(err), retries)
	}
}

func TestBundleErrorKinds(t *testing.T) {
	dir := chatProject(t)
	os.WriteFile(filepath.Join(dir, "convex", "bad.ts"), []byte("export const x = ;\n"), 0o644)
	_, err := Run(context.Background(), Options{Dir: dir, NoCodegen: true, URL: "http://127.0.0.1:1"})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != InvalidFiles || !strings.Contains(pe.Msg, "convex/bad.ts:1:18") || pe.Detail == "" {
		t.Errorf("err = %#v", err)
	}
	// Advice is shown once, as the hint, not also inside the message.
	os.Remove(filepath.Join(dir, "convex", "bad.ts"))
	os.WriteFile(filepath.Join(dir, "convex", "crons.ts"), []byte("\"use node\";\nexport default 1;\n"), 0o644)
	_, err = Run(context.Background(), Options{Dir: dir, NoCodegen: true, URL: "http://127.0.0.1:1"})
	if !errors.As(err, &pe) || pe.Msg != `"use node" directive is not allowed for crons.ts.` || !strings.Contains(pe.Hint, "Remove the directive") {
		t.Errorf("err = %#v", err)
	}
	os.Remove(filepath.Join(dir, "convex", "crons.ts"))
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{}}`), 0o644)
	_, err = Run(context.Background(), Options{Dir: dir, NoCodegen: true})
	if err == nil || !strings.Contains(err.Error(), "In order to push, add `convex` to your package.json dependencies.") {
		t.Errorf("err = %v", err)
	}
}

func TestDebugBundleAndWriteRequest(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	var stderr bytes.Buffer
	o := testOptions(dir, srv, &stderr)
	o.DebugBundlePath = filepath.Join(t.TempDir(), "bundle")
	res, err := Run(context.Background(), o)
	if err != nil || !res.Stopped {
		t.Fatal(err)
	}
	for _, p := range []string{"fullConfig.json", "isolate/messages.js", "isolate/messages.js.map"} {
		if _, err := os.Stat(filepath.Join(o.DebugBundlePath, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("second debug bundle: %v", err)
	}
	o.DebugBundlePath = ""
	o.WritePushRequest = filepath.Join(t.TempDir(), "req")
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(o.WritePushRequest + ".json")
	var req StartPushRequest
	if err != nil || json.Unmarshal(data, &req) != nil || req.AppDefinition.Definition == nil || len(req.AppDefinition.ChangedModules) == 0 {
		t.Errorf("push request file: %v", err)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "/api/deploy2/") {
			t.Errorf("pushed although stopping early: %v", f.calls)
		}
	}
}

func TestProjectConfig(t *testing.T) {
	dir := t.TempDir()
	var warn bytes.Buffer
	cfg, err := LoadProjectConfig(dir, &warn)
	if err != nil || cfg.Functions != "convex/" {
		t.Fatalf("default: %v %+v", err, cfg)
	}
	os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"functions":"src/fns/","node":{"externalPackages":["sharp"],"nodeVersion":"20"},"weird":1,"codegen":{"fileType":"ts"}}`), 0o644)
	cfg, err = LoadProjectConfig(dir, &warn)
	if err != nil || cfg.Functions != "src/fns/" || cfg.ExternalPackages[0] != "sharp" || cfg.NodeVersion != "20" || !cfg.TypeScriptCodegen {
		t.Fatalf("%v %+v", err, cfg)
	}
	if !strings.Contains(warn.String(), "Unknown property in `convex.json`: `weird`") {
		// The wording is the config package's; the key must be named.
		t.Errorf("warning = %q", warn.String())
	}
	if cfg.FunctionsDir(dir) != filepath.Join(dir, "src", "fns") {
		t.Errorf("functions dir = %s", cfg.FunctionsDir(dir))
	}
	for body, want := range map[string]string{
		`{"generateCommonJSApi":true,"codegen":{"fileType":"ts"}}`: "generateCommonJSApi",
		`{"functions": 3}`: "field `functions`",
		`[1]`:              "a JSON object",
		`{"functions":`:    "cannot parse",
	} {
		os.WriteFile(filepath.Join(dir, "convex.json"), []byte(body), 0o644)
		if _, err := LoadProjectConfig(dir, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", body, err, want)
		}
	}
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "convex.json"), []byte(`{}`), 0o644)
	if _, err := LoadProjectConfig(dir, nil); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("both: %v", err)
	}
}

func TestClientRetryRules(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/500":
			w.WriteHeader(500)
		case "/400":
			w.WriteHeader(400)
			io.WriteString(w, `{"code":"Bad","message":"nope"}`)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "k")
	c.RetryDelay = func(int) time.Duration { return 0 }
	count := func(r Request) (int, error) {
		n = 0
		err := c.Do(context.Background(), r, nil)
		return n, err
	}
	if got, _ := count(Request{Method: "POST", Path: "/404"}); got != 7 {
		t.Errorf("POST 404 tried %d times, want 7", got)
	}
	if got, _ := count(Request{Method: "POST", Path: "/500"}); got != 1 {
		t.Errorf("POST 500 tried %d times, want 1", got)
	}
	if got, _ := count(Request{Method: "GET", Path: "/500"}); got != 7 {
		t.Errorf("GET 500 tried %d times, want 7", got)
	}
	got, err := count(Request{Method: "GET", Path: "/400"})
	var ae *APIError
	if got != 1 || !errors.As(err, &ae) || ae.Code != "Bad" || ae.Message != "nope" {
		t.Errorf("GET 400: %d tries, %v", got, err)
	}
	if got, _ := count(Request{Method: "POST", Path: "/404", BestEffort: true}); got != 1 {
		t.Errorf("best-effort 404 tried %d times, want 1", got)
	}
}

func TestPushWithComponent(t *testing.T) {
	dir := chatProject(t)
	comp := filepath.Join(dir, "convex", "components", "counter")
	os.MkdirAll(comp, 0o755)
	os.WriteFile(filepath.Join(dir, "convex", "convex.config.ts"), []byte("import { defineApp } from \"convex/server\";\nimport counter from \"./components/counter/convex.config\";\nconst app = defineApp();\napp.use(counter);\nexport default app;\n"), 0o644)
	os.WriteFile(filepath.Join(comp, "convex.config.ts"), []byte("import { defineComponent } from \"convex/server\";\nexport default defineComponent(\"counter\");\n"), 0o644)
	os.WriteFile(filepath.Join(comp, "lib.ts"), []byte("import { query } from \"./_generated/server\";\nexport const get = query({ args: {}, handler: async () => 1 });\n"), 0o644)
	f, srv := newFake(t)
	f.startResp = strings.Replace(startPushAnswer, `"analysis": {`, `"analysis": {"components/counter": {"definition": {"path": "components/counter", "definitionType": {"type": "childComponent"}, "childComponents": [],
	  "exports": {"type": "branch", "branch": [["lib", {"type": "branch", "branch": [["get", {"type": "leaf", "leaf": "_reference/function/lib:get"}]]}]]}},
	  "schema": null, "functions": {"lib.js": {"functions": [{"name": "get", "udfType": "Query", "visibility": {"kind": "public"}, "args": "{\"type\":\"any\"}", "returns": "null"}]}}},`, 1)
	f.startResp = strings.Replace(f.startResp, `"childComponents": [], "httpMounts": {}, "exports": {"type": "branch", "branch": []}, "envVars": null},
                    "schema": null`, `"childComponents": [{"name": "counter", "path": "components/counter"}], "httpMounts": {}, "exports": {"type": "branch", "branch": []}, "envVars": null},
                    "schema": null`, 1)
	var stderr bytes.Buffer
	if _, err := Run(context.Background(), testOptions(dir, srv, &stderr)); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	app := f.startBody["appDefinition"].(map[string]any)
	if deps, _ := app["dependencies"].([]any); len(deps) != 1 || deps[0] != "components/counter" {
		t.Errorf("app dependencies %v", app["dependencies"])
	}
	defs, _ := f.startBody["componentDefinitions"].([]any)
	if len(defs) != 1 {
		t.Fatalf("componentDefinitions %v", f.startBody["componentDefinitions"])
	}
	cd := defs[0].(map[string]any)
	fns, _ := cd["functions"].([]any)
	if cd["definitionPath"] != "components/counter" || len(fns) == 0 || cd["udfServerVersion"] != "1.48.0" {
		t.Errorf("component definition %v", cd)
	}
	ct, err := os.ReadFile(filepath.Join(comp, "_generated", "component.ts"))
	if err != nil || !strings.Contains(string(ct), `get: FunctionReference<"query", "internal", any, any, Name>;`) {
		t.Errorf("component.ts: %v\n%s", err, ct)
	}
	api, _ := os.ReadFile(filepath.Join(dir, "convex", "_generated", "api.d.ts"))
	if !strings.Contains(string(api), `counter: import("../components/counter/_generated/component.js").ComponentApi<"counter">;`) {
		t.Errorf("api.d.ts:\n%s", api)
	}
}

func TestCodegenForOneComponent(t *testing.T) {
	dir := chatProject(t)
	comp := filepath.Join(dir, "convex", "components", "counter")
	os.MkdirAll(comp, 0o755)
	os.WriteFile(filepath.Join(comp, "convex.config.ts"), []byte("import { defineComponent } from \"convex/server\";\nexport default defineComponent(\"counter\");\n"), 0o644)
	os.WriteFile(filepath.Join(comp, "lib.ts"), []byte("import { query } from \"./_generated/server\";\nexport const get = query({ args: {}, handler: async () => 1 });\n"), 0o644)
	f, srv := newFake(t)
	f.startResp = strings.Replace(startPushAnswer, `"analysis": {`, `"analysis": {"components/counter": {"definition": {"path": "components/counter", "definitionType": {"type": "childComponent"}, "childComponents": [],
	  "exports": {"type": "branch", "branch": []}}, "schema": null, "functions": {}},`, 1)
	var stderr bytes.Buffer
	o := testOptions(dir, srv, &stderr)
	o.ComponentDir, o.StopAfterStartPush, o.PushAllModules = comp, true, true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if f.startBody["forCodegen"] != true {
		t.Errorf("forCodegen = %v", f.startBody["forCodegen"])
	}
	app := f.startBody["appDefinition"].(map[string]any)
	if mods, _ := app["changedModules"].([]any); len(mods) != 0 {
		t.Errorf("app modules pushed: %d", len(mods))
	}
	if _, err := os.Stat(filepath.Join(comp, "_generated", "component.ts")); err != nil {
		t.Error("component.ts not generated")
	}
	if _, err := os.Stat(filepath.Join(dir, "convex", "_generated")); err == nil {
		t.Error("the app's code was generated")
	}
	for _, c := range f.calls {
		if c == "/api/deploy2/finish_push" {
			t.Error("finish_push called")
		}
	}
	o.ComponentDir = filepath.Join(dir, "convex")
	os.Remove(filepath.Join(dir, "convex", "convex.config.ts"))
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "Only directories with convex.config.ts files are supported") {
		t.Errorf("err = %v", err)
	}
}

func TestIndexBackfillCheck(t *testing.T) {
	dir := chatProject(t)
	f, _ := newFake(t)
	evals := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/deploy2/evaluate_schema" {
			evals++
			f.body(r, true)
			io.WriteString(w, `{"componentSchemaEvaluations":{"":{"indexes":[
			  {"name":"messages.by_channel","type":"database","fields":["channelId"],"change":"added","needsBackfill":true,"numDocs":250000},
			  {"name":"messages.by_x","type":"database","fields":["x"],"staged":true,"change":"added","needsBackfill":true,"numDocs":250000},
			  {"name":"users.old","type":"database","fields":["a"],"change":"dropped","numDocs":3}],
			  "discardedStagedValidators":[{"tableName":"messages","state":{"state":"pending","numDocsValidated":1200,"totalDocs":5000},"replaced":false}]}}}`)
			return
		}
		f.serve(w, r)
	}))
	defer srv.Close()
	var stderr bytes.Buffer
	o := testOptions(dir, srv, &stderr)
	o.NoCodegen = true
	o.IndexDeletionCheck = &IndexDeletionCheck{Backfill: true}
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "To confirm the push") {
		t.Fatalf("unconfirmed backfill: %v\n%s", err, stderr.String())
	}
	out := stderr.String()
	if !strings.Contains(out, "⏳ messages.by_channel   channelId  250,000 documents") || strings.Contains(out, "by_x") {
		t.Errorf("backfill list:\n%s", out)
	}
	if !strings.Contains(out, "No large indexes are deleted by this push") || evals != 1 {
		t.Errorf("deletion check / evaluations (%d):\n%s", evals, out)
	}
	stderr.Reset()
	o.IndexDeletionCheck.BackfillAllowed = true
	if _, err := Run(context.Background(), o); err != nil || !strings.Contains(stderr.String(), "Proceeding with push since --skip-large-indexes-check is set") {
		t.Errorf("allowed: %v\n%s", err, stderr.String())
	}
	o.IndexDeletionCheck.BackfillAllowed, o.DryRun = false, true
	if _, err := Run(context.Background(), o); err != nil {
		t.Errorf("dry run only warns: %v", err)
	}
	// Staged validation about to be discarded.
	o.DryRun = false
	o.IndexDeletionCheck = &IndexDeletionCheck{StagedValidators: true, NoDeletionCheck: true}
	stderr.Reset()
	_, err = Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "--allow-unstaging-schema") ||
		!strings.Contains(stderr.String(), "⛔ messages: validating in the background (1,200 of approximately 5,000 documents checked); the push removes the staged validator") {
		t.Errorf("staged: %v\n%s", err, stderr.String())
	}
	o.IndexDeletionCheck.UnstagingAllowed = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Errorf("unstaging allowed: %v", err)
	}
}

func TestSchemaFailureDetail(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Schema validation failed.\nDocument with ID \"a\" in table \"t\"", "Document with ID \"a\" in table \"t\""},
		{"Document with ID \"a\" in table \"t\"", "Document with ID \"a\" in table \"t\""},
		// Only a line that is nothing but the headline goes.
		{"Schema validation failed. Document with ID \"a\"", "Schema validation failed. Document with ID \"a\""},
		{"Schema validation failed.", "Schema validation failed."},
		{"", ""},
	} {
		if got := schemaFailureDetail(c.in); got != c.want {
			t.Errorf("schemaFailureDetail(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
