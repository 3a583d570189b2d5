package commands

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/internal/syncbuf"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

// startDataBackend runs the built-in backend on a free port for one test.
func startDataBackend(t *testing.T) *server.Running {
	t.Helper()
	secret, err := adminkey.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := server.Start(ctx, server.Config{DBPath: filepath.Join(t.TempDir(), "db"), Interface: "127.0.0.1",
		InstanceName: "data-test", InstanceSecret: secret})
	if err != nil {
		cancel()
		t.Fatalf("starting the backend: %v", err)
	}
	t.Cleanup(func() { cancel(); r.Close() })
	return r
}

// runIn runs the CLI in dir against the backend.
func runIn(t *testing.T, dir string, r *server.Running, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	env := config.MapEnv{"HOME": t.TempDir()}
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	args = append(args, "--url", r.CloudURL, "--admin-key", r.AdminKey)
	code := RunWith(context.Background(), d, args)
	return result{code, out.String(), errb.String()}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDataAgainstBackend(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json": `{"dependencies":{"convex":"1.48.0"}}`,
		"msgs.jsonl":   "{\"body\":\"one\",\"n\":1}\n{\"body\":\"two\",\"n\":2}\n{\"body\":\"three\",\"n\":3}\n",
	})
	res := runIn(t, dir, r, "data")
	if res.code != 0 || res.stdout != "" || !strings.Contains(res.stderr, "There are no tables in the") {
		t.Fatalf("data on an empty deployment: %+v", res)
	}
	res = runIn(t, dir, r, "import", "--table", "messages", "msgs.jsonl")
	if res.code != 0 || !strings.Contains(res.stderr, `Added 3 documents to table "messages".`) {
		t.Fatalf("import: %+v", res)
	}
	res = runIn(t, dir, r, "data")
	if res.code != 0 || res.stdout != "messages\n" {
		t.Fatalf("data: %+v", res)
	}
	res = runIn(t, dir, r, "data", "messages", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != 0 || len(lines) != 3 || !strings.Contains(lines[0], `"body": "three"`) || !strings.HasPrefix(lines[0], `{ "_creationTime": `) && !strings.HasPrefix(lines[0], `{ "_id": `) {
		t.Fatalf("data messages --format jsonl: %+v", res)
	}
	res = runIn(t, dir, r, "data", "messages", "--limit", "2", "--order", "asc")
	t.Logf("%s\n%s", res.stdout, res.stderr)
}

// syncBuffer is a strings.Builder safe for a command writing while the
// test reads.
type syncBuffer = syncbuf.Buffer

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunWatch(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json": `{"dependencies":{"convex":"1.48.0"}}`,
		"a.jsonl":      "{\"x\":1}\n",
	})
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	done := make(chan int)
	go func() {
		done <- RunWith(ctx, d, []string{"run", "--watch", "_system/cli/tables", "{paginationOpts: {cursor: null, numItems: 10}}",
			"--url", r.CloudURL, "--admin-key", r.AdminKey})
	}()
	waitFor(t, "the first result", func() bool { return strings.Contains(out.String(), `"page": []`) })
	if !strings.Contains(errb.String(), "Watching query _system/cli/tables on "+r.CloudURL+"...") {
		t.Errorf("stderr: %s", errb.String())
	}
	// A new table changes the result, which is printed again.
	if res := runIn(t, dir, r, "import", "--table", "things", "a.jsonl"); res.code != 0 {
		t.Fatalf("import: %+v", res)
	}
	waitFor(t, "the second result", func() bool { return strings.Contains(out.String(), `"name": "things"`) })
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after the watch was stopped; stderr: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not stop")
	}
	if !strings.Contains(errb.String(), "Closing connection to "+r.CloudURL) {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestRunWatchErrors(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"convex":"1.48.0"}}`})
	res := runIn(t, dir, r, "run", "--watch", "nope:list")
	if res.code != 1 || !strings.Contains(res.stderr, `Failed to run function "nope:list"`) || !strings.Contains(res.stderr, "Could not find") {
		t.Errorf("unknown function: %+v", res)
	}
	res = runIn(t, dir, r, "run", "--watch", "nope:list", "{bad")
	if res.code != 1 || !strings.Contains(res.stderr, "Failed to parse arguments as JSON") {
		t.Errorf("bad args: %+v", res)
	}
	res = runIn(t, dir, r, "run", "--watch", "--inline-query", "1")
	if res.code == 0 || !strings.Contains(res.stderr, "--watch") {
		t.Errorf("inline query with --watch: %+v", res)
	}
	var out, errb strings.Builder
	d := &Deps{Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	code := RunWith(context.Background(), d, []string{"run", "--watch", "x:y", "--url", r.CloudURL, "--admin-key", "data-test|bogus"})
	if code != 1 || !strings.Contains(errb.String(), "did not accept the admin key") {
		t.Errorf("bad admin key: %d %s", code, errb.String())
	}
}

func TestNetworkTest(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	res := runIn(t, dir, r, "network-test")
	for _, want := range []string{"Deployment URL: " + r.CloudURL, "OK: DNS lookup => 127.0.0.1:ipv4", "OK: TCP connect", "OK: HTTP check",
		"OK: WebSocket connection established.", "OK: echo 128 bytes", "OK: echo 4 MiB", "Network test passed."} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("missing %q in:\n%s", want, res.stderr)
		}
	}
	if res.code != 0 {
		t.Errorf("exit %d", res.code)
	}
	// Without an admin key the WebSocket check is skipped.
	var out, errb strings.Builder
	d := &Deps{Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	code := RunWith(context.Background(), d, []string{"network-test", "--url", r.CloudURL, "--ip-family", "ipv4"})
	if code != 0 || !strings.Contains(errb.String(), "Skipping WebSocket check") || !strings.Contains(errb.String(), "TCP/ipv4 127.0.0.1:") {
		t.Errorf("without admin key: %d\n%s", code, errb.String())
	}
	// Nothing listening: the TCP step fails.
	errb.Reset()
	code = RunWith(context.Background(), d, []string{"network-test", "--url", "http://127.0.0.1:1", "--timeout", "5"})
	if code != 1 || !strings.Contains(errb.String(), "FAIL: TCP connect") {
		t.Errorf("closed port: %d\n%s", code, errb.String())
	}
	errb.Reset()
	code = RunWith(context.Background(), d, []string{"network-test", "--url", r.CloudURL, "--ip-family", "ipv5"})
	if code == 0 || !strings.Contains(errb.String(), "ipv5") {
		t.Errorf("bad ip family: %d\n%s", code, errb.String())
	}
}

func TestImportChecksAndConfirmation(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json": `{"dependencies":{"convex":"1.48.0"}}`,
		"a.jsonl":      "\xef\xbb\xbf{\"x\":1}\n{\"x\":2}\n",
		"b.json":       `[{"y":"z"}]`,
		"c.data":       "{\"x\":3}\n",
		"d.csv":        "a,b\n1,hello\n",
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "missing.jsonl", "--table", "t"}, "Path missing.jsonl does not exist."},
		{[]string{"import", "a.jsonl"}, "The `--table` option is required for format jsonLines"},
		{[]string{"import", "c.data", "--table", "t"}, "No input file format inferred"},
		{[]string{"import", "a.jsonl", "--table", "t", "--format", "zip"}, "The `--table` option is not allowed for format zip"},
	} {
		res := runIn(t, dir, r, tc.args...)
		if res.code != 1 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: %+v, want %q", tc.args, res, tc.want)
		}
	}
	res := runIn(t, dir, r, "import", "a.jsonl", "--table", "t", "--format", "jsonArray")
	if !strings.Contains(res.stderr, "Warning: Extension of file a.jsonl (.jsonl) does not match specified format: jsonArray (.json).") {
		t.Errorf("no extension warning: %+v", res)
	}
	// The BOM is stripped; two documents land.
	res = runIn(t, dir, r, "import", "a.jsonl", "--table", "t")
	if res.code != 0 || !strings.Contains(res.stderr, `Added 2 documents to table "t".`) {
		t.Fatalf("import: %+v", res)
	}
	res = runIn(t, dir, r, "import", "d.csv", "--table", "csv")
	if res.code != 0 || !strings.Contains(res.stderr, `Added 1 documents to table "csv".`) {
		t.Errorf("csv import: %+v", res)
	}
	// Into a table that is not empty: refused by default.
	res = runIn(t, dir, r, "import", "b.json", "--table", "t")
	if res.code != 1 || !strings.Contains(res.stderr, `Importing data from "b.json" to table "t" failed`) {
		t.Errorf("import into a full table: %+v", res)
	}
	// Replacing deletes documents: without a terminal it needs --yes.
	res = runIn(t, dir, r, "import", "b.json", "--table", "t", "--replace")
	if res.code != 1 || !strings.Contains(res.stderr, "Perform import?") || !strings.Contains(res.stderr, "--yes") {
		t.Errorf("replace without --yes: %+v", res)
	}
	res = runIn(t, dir, r, "import", "b.json", "--table", "t", "--replace", "-y")
	if res.code != 0 || !strings.Contains(res.stderr, `Added 1 documents to table "t".`) {
		t.Errorf("replace with --yes: %+v", res)
	}
	res = runIn(t, dir, r, "data", "t", "--format", "json")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "[\n{ ") || !strings.Contains(res.stdout, `"y": "z"`) || strings.Contains(res.stdout, `"x"`) {
		t.Errorf("after replace: %+v", res)
	}
	res = runIn(t, dir, r, "import", "b.json", "--table", "t", "--append")
	if res.code != 0 || !strings.Contains(res.stderr, `Added 1 documents`) {
		t.Errorf("append: %+v", res)
	}
	// Outside a Convex project.
	if res := runIn(t, t.TempDir(), r, "import", "a.jsonl", "--table", "t"); res.code != 1 || !strings.Contains(res.stderr, "package.json") {
		t.Errorf("without package.json: %+v", res)
	}
}

func TestExportAndReimport(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json": `{"dependencies":{"convex":"1.48.0"}}`,
		"a.jsonl":      "{\"x\":1}\n{\"x\":2}\n",
		"taken.zip":    "not a zip",
	})
	if res := runIn(t, dir, r, "import", "a.jsonl", "--table", "things"); res.code != 0 {
		t.Fatalf("import: %+v", res)
	}
	res := runIn(t, dir, r, "export", "--path", "taken.zip")
	if res.code != 1 || !strings.Contains(res.stderr, "Path taken.zip already exists.") {
		t.Errorf("export over a file: %+v", res)
	}
	res = runIn(t, dir, r, "export", "--path", "snap.zip")
	if res.code != 0 || !strings.Contains(res.stderr, "Created snapshot export at timestamp ") || !strings.Contains(res.stderr, "Downloaded snapshot export to snap.zip") {
		t.Fatalf("export: %+v", res)
	}
	if st, err := os.Stat(filepath.Join(dir, "snap.zip")); err != nil || st.Size() < 100 {
		t.Fatalf("snap.zip: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "backups"), 0o755)
	res = runIn(t, dir, r, "export", "--path", "backups", "--include-file-storage")
	if res.code != 0 {
		t.Fatalf("export to a directory: %+v", res)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "backups"))
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "snapshot_") || !strings.HasSuffix(entries[0].Name(), ".zip") {
		t.Errorf("backups holds %v", entries)
	}
	// The snapshot loads into a second, empty deployment.
	r2 := startDataBackend(t)
	res = runIn(t, dir, r2, "import", "snap.zip")
	if res.code != 0 || !strings.Contains(res.stderr, "Added 2 documents.") {
		t.Fatalf("import of the export: %+v", res)
	}
	res = runIn(t, dir, r2, "data", "things", "--format", "jsonl", "--order", "asc")
	if lines := strings.Split(strings.TrimSpace(res.stdout), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"x": 1n`) {
		t.Errorf("data after reimport: %+v", res)
	}
}

func TestFunctionSpecAndDataFormats(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"convex":"1.48.0"}}`})
	res := runIn(t, dir, r, "function-spec")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "{\n  \"url\": \""+r.CloudURL+"\",\n  \"functions\": []\n}") {
		t.Errorf("function-spec: %+v", res)
	}
	res = runIn(t, dir, r, "function-spec", "--file")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "Wrote function spec to function_spec_") {
		t.Fatalf("function-spec --file: %+v", res)
	}
	name := strings.TrimSpace(strings.TrimPrefix(res.stdout, "Wrote function spec to "))
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !strings.Contains(string(b), `"functions": []`) {
		t.Errorf("%s: %s %v", name, b, err)
	}
	res = runIn(t, dir, r, "data", "empty")
	if res.code != 0 || res.stdout != "" || !strings.Contains(res.stderr, "There are no documents in this table.") {
		t.Errorf("data of a missing table: %+v", res)
	}
	if res := runIn(t, dir, r, "data", "--limit", "0"); res.code == 0 {
		t.Errorf("--limit 0 accepted: %+v", res)
	}
	if res := runIn(t, dir, r, "data", "--format", "xml"); res.code == 0 {
		t.Errorf("--format xml accepted: %+v", res)
	}
	// Insights need a cloud deployment.
	res = runIn(t, dir, r, "insights")
	if res.code != 1 || !strings.Contains(res.stderr, "only available for Convex cloud deployments") {
		t.Errorf("insights on a URL deployment: %+v", res)
	}
	// A deployment that is not there.
	var out, errb strings.Builder
	d := &Deps{Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	code := RunWith(context.Background(), d, []string{"data", "--url", "http://127.0.0.1:1", "--admin-key", "x|y"})
	if code != 1 || !strings.Contains(errb.String(), "Could not connect to the deployment at http://127.0.0.1:1") {
		t.Errorf("unreachable: %d %s", code, errb.String())
	}
}

func TestRunWatchReconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a reconnect")
	}
	secret, _ := adminkey.NewSecret()
	db := filepath.Join(t.TempDir(), "db")
	cfg := server.Config{DBPath: db, Interface: "127.0.0.1", InstanceName: "watch-test", InstanceSecret: secret}
	r, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"convex":"1.48.0"}}`, "a.jsonl": "{\"x\":1}\n"})
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	done := make(chan int)
	go func() {
		done <- RunWith(ctx, d, []string{"run", "--watch", "_system/cli/tables", "{paginationOpts: {cursor: null, numItems: 10}}",
			"--url", r.CloudURL, "--admin-key", r.AdminKey})
	}()
	waitFor(t, "the first result", func() bool { return strings.Contains(out.String(), `"page": []`) })
	r.Close()
	waitFor(t, "the reconnect notice", func() bool { return strings.Contains(errb.String(), "reconnecting") })
	// The deployment comes back on the same port; the watch picks up.
	cfg.Port = r.Port
	r2, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("restart on port %d: %v", r.Port, err)
	}
	defer r2.Close()
	if res := runIn(t, dir, r2, "import", "--table", "back", "a.jsonl"); res.code != 0 {
		t.Fatalf("import: %+v", res)
	}
	waitFor(t, "the result after the reconnect", func() bool { return strings.Contains(out.String(), `"name": "back"`) })
	if n := strings.Count(out.String(), `"page": []`); n != 1 {
		t.Errorf("the unchanged result was printed %d times:\n%s", n, out.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}

func TestImportInManyParts(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	var lines strings.Builder
	for i := 0; i < 50; i++ {
		lines.WriteString(`{"i":` + strconv.Itoa(i) + `,"pad":"xxxxxxxxxxxxxxxxxxxxxxxx"}` + "\n")
	}
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"convex":"1.48.0"}}`, "many.jsonl": lines.String()})
	var out, errb strings.Builder
	env := config.MapEnv{"HOME": t.TempDir(), "CONVEX_IMPORT_CHUNK_SIZE": "100"}
	d := &Deps{Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	code := RunWith(context.Background(), d, []string{"import", "many.jsonl", "--table", "many", "--url", r.CloudURL, "--admin-key", r.AdminKey})
	if code != 0 || !strings.Contains(errb.String(), `Added 50 documents to table "many".`) {
		t.Fatalf("import in 100-byte parts: %d\n%s", code, errb.String())
	}
	if got := d.importChunkSize(100 * 9999 * 3); got != 300 {
		t.Errorf("chunk size for a file needing more than 9999 parts = %d", got)
	}
	env["CONVEX_IMPORT_CHUNK_SIZE"] = "lots"
	if got := d.importChunkSize(10); got != 5<<20 || !strings.Contains(errb.String(), "Ignoring CONVEX_IMPORT_CHUNK_SIZE") {
		t.Errorf("bad chunk size setting: %d", got)
	}
}

func TestExportInProgress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/export/request/zip" || r.URL.Query().Get("includeStorage") != "false" || r.Header.Get("Authorization") != "Convex x|y" {
			http.Error(w, "unexpected "+r.URL.String(), http.StatusTeapot)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code":"ExportInProgress","message":"An export is running"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"convex":"1.48.0"}}`})
	var out, errb strings.Builder
	d := &Deps{Stdout: &out, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	code := RunWith(context.Background(), d, []string{"export", "--path", "x.zip", "--url", srv.URL, "--admin-key", "x|y"})
	if code != 1 || !strings.Contains(errb.String(), "A snapshot export is already requested or in progress.") {
		t.Errorf("export while another runs: %d\n%s", code, errb.String())
	}
}

func TestSyncErrorMessages(t *testing.T) {
	tg := deployments.Target{URL: "http://d", DeployKeyVar: "CONVEX_DEPLOY_KEY"}
	err := syncError(&subscribe.QueryError{Path: "_system/cli/tables:default", Message: "[Request ID: 1] Server Error\nYou do not have permission to perform this operation. (needs ViewData)\n  at x"}, tg)
	if err.Error() != "You do not have permission to perform this operation. (needs ViewData)" || !strings.Contains(ui.HintOf(err), "CONVEX_DEPLOY_KEY") {
		t.Errorf("permission error: %q / %q", err, ui.HintOf(err))
	}
	err = syncError(&subscribe.QueryError{Path: "a:b", Message: "boom"}, tg)
	if err.Error() != "[CONVEX Q(a:b)] boom" {
		t.Errorf("query error: %q", err)
	}
	err = syncError(&subscribe.AuthError{Message: "bad key"}, tg)
	if !strings.Contains(err.Error(), "did not accept the admin key: bad key") {
		t.Errorf("auth error: %q", err)
	}
	err = syncError(&subscribe.ClosedError{URL: "ws://d", Code: 1011, Reason: "internal"}, tg)
	if !strings.Contains(err.Error(), "Lost the connection to the deployment at http://d") || !strings.Contains(err.Error(), "(1011): internal") {
		t.Errorf("closed: %q", err)
	}
	if ui.ExitCode(syncError(context.Canceled, tg)) != ui.ExitInterrupted {
		t.Error("cancel is not an interruption")
	}
}
