package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/snapshot"
)

// TestSysdataWithReferenceCLI drives the reference CLI's data browsing,
// env list, function-spec, import and export against the built-in backend,
// then restores the export into a second, empty backend.
func TestSysdataWithReferenceCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI")
	}
	nm := nodeModules(t)
	r := startBackend(t, "e2e-sysdata")
	app := chatApp(t, nm)
	env := cliEnv(t, r.CloudURL, r.AdminKey)
	runCLI(t, app, env, 3*time.Minute, "deploy", "--typecheck", "disable")

	out, _ := runCLI(t, app, env, time.Minute, "run", "channels:create", `{"name":"general"}`)
	var channelID string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &channelID); err != nil {
		t.Fatalf("channels:create printed %q", out)
	}
	for _, body := range []string{"first <message>", "second message"} {
		runCLI(t, app, env, time.Minute, "run", "messages:send",
			fmt.Sprintf(`{"channelId":%q,"author":"ada","body":%q}`, channelID, body))
	}

	// data: table names, then documents in three formats.
	out, _ = runCLI(t, app, env, time.Minute, "data")
	if got := strings.Fields(out); strings.Join(got, ",") != "channels,messages,users" {
		t.Errorf("data printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "messages", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "second message") || !strings.Contains(lines[1], "first <message>") {
		t.Errorf("data messages --format jsonl printed (want newest first):\n%s", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "messages", "--limit", "1", "--order", "asc")
	if !strings.Contains(out, "first <message>") || strings.Contains(out, "second message") || !strings.Contains(out, "_creationTime") {
		t.Errorf("data messages --limit 1 --order asc printed:\n%s", out)
	}
	_, stderr := runCLI(t, app, env, time.Minute, "data", "nothing")
	if !strings.Contains(stderr, "There are no documents in this table.") {
		t.Errorf("data nothing: %s", stderr)
	}

	// env list.
	runCLI(t, app, env, time.Minute, "env", "set", "SYSDATA_VAR", "some value")
	out, _ = runCLI(t, app, env, time.Minute, "env", "list")
	if !strings.Contains(out, "SYSDATA_VAR=some value") {
		t.Errorf("env list printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "env", "get", "SYSDATA_VAR")
	if strings.TrimSpace(out) != "some value" {
		t.Errorf("env get printed %q", out)
	}

	// function-spec.
	out, _ = runCLI(t, app, env, time.Minute, "function-spec")
	var spec struct {
		URL       string           `json:"url"`
		Functions []map[string]any `json:"functions"`
	}
	if err := json.Unmarshal([]byte(out), &spec); err != nil {
		t.Fatalf("function-spec printed non-JSON: %v\n%s", err, out)
	}
	if spec.URL != r.CloudURL {
		t.Errorf("function-spec url = %q, want %q", spec.URL, r.CloudURL)
	}
	found := map[string]string{}
	for _, f := range spec.Functions {
		id, _ := f["identifier"].(string)
		ft, _ := f["functionType"].(string)
		found[id] = ft
	}
	if found["messages.js:send"] != "Mutation" || found["messages.js:list"] != "Query" {
		t.Errorf("function-spec functions: %v", found)
	}

	// import into a new table.
	work := t.TempDir()
	jsonl := filepath.Join(work, "t.jsonl")
	os.WriteFile(jsonl, []byte("{\"n\":1,\"s\":\"a\"}\n{\"n\":2,\"s\":\"b\"}\n{\"n\":3,\"s\":\"c\"}\n"), 0o644)
	// Nothing is deleted, so no confirmation is needed (no --yes).
	_, stderr = runCLI(t, app, env, 2*time.Minute, "import", "--table", "t", jsonl)
	if !strings.Contains(stderr, `Added 3 documents to table "t"`) {
		t.Errorf("import printed:\n%s", stderr)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "t", "--format", "jsonl")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 3 {
		t.Errorf("data t printed %d lines:\n%s", n, out)
	}
	// CSV appended to the same table.
	csvPath := filepath.Join(work, "more.csv")
	os.WriteFile(csvPath, []byte("n,s\n4,d\n5.5,e\n"), 0o644)
	_, stderr = runCLI(t, app, env, 2*time.Minute, "import", "--table", "t", "--append", csvPath)
	if !strings.Contains(stderr, `Added 2 documents to table "t"`) {
		t.Errorf("csv import printed:\n%s", stderr)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "t", "--format", "jsonl", "--limit", "1")
	if !strings.Contains(out, `"n": 5.5`) || !strings.Contains(out, `"s": "e"`) {
		t.Errorf("newest row of t: %s", out)
	}
	// A bad file fails with the line named; nothing is imported.
	bad := filepath.Join(work, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"n\":1}\n{oops\n"), 0o644)
	if o, e, err := runCLIErr(t, app, env, time.Minute, "import", "--table", "bad", bad, "--yes"); err == nil || !strings.Contains(e, "line 2") {
		t.Errorf("bad import: err %v\nstdout %s\nstderr %s", err, o, e)
	}

	// A stored file travels with --include-file-storage.
	code, body := postRaw(t, r.CloudURL+"/api/storage/upload", "Convex "+r.AdminKey, "text/plain", []byte("stored file body"))
	var up struct {
		StorageID string `json:"storageId"`
	}
	if code != 200 || json.Unmarshal(body, &up) != nil || up.StorageID == "" {
		t.Fatalf("upload: %d %s", code, body)
	}

	// export, then restore into an empty backend.
	zipPath := filepath.Join(work, "x.zip")
	_, stderr = runCLI(t, app, env, 2*time.Minute, "export", "--path", zipPath, "--include-file-storage")
	if !strings.Contains(stderr, "Downloaded snapshot export to") {
		t.Errorf("export printed:\n%s", stderr)
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := snapshot.Parse(snapshot.FormatZIP, "", data)
	if err != nil {
		t.Fatalf("the export does not parse: %v", err)
	}
	counts := map[string]int{}
	for _, tb := range p.Tables {
		counts[tb.Name] = len(tb.Docs)
	}
	if counts["messages"] != 2 || counts["t"] != 5 || counts["channels"] != 1 || counts["users"] != 1 {
		t.Errorf("export tables: %v", counts)
	}
	if len(p.Storage) != 1 || string(p.Storage[0].Data) != "stored file body" {
		t.Errorf("export storage: %+v", p.Storage)
	}

	r2 := startBackend(t, "e2e-sysdata-restore")
	env2 := cliEnv(t, r2.CloudURL, r2.AdminKey)
	_, stderr = runCLI(t, app, env2, 2*time.Minute, "import", zipPath, "--yes")
	if !strings.Contains(stderr, "Added 10 documents") {
		t.Errorf("zip import printed:\n%s", stderr)
	}
	before, _ := runCLI(t, app, env, time.Minute, "data", "messages", "--format", "jsonl")
	after, _ := runCLI(t, app, env2, time.Minute, "data", "messages", "--format", "jsonl")
	if before != after {
		t.Errorf("restored messages differ:\n%s\nvs\n%s", before, after)
	}
	resp, err := http.Get(r2.CloudURL + "/api/storage/" + up.StorageID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "stored file body" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("restored file: %d %q %q", resp.StatusCode, got, resp.Header.Get("Content-Type"))
	}
}

func postRaw(t *testing.T, url, auth, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// runCLIErr runs the reference CLI and returns its failure instead of
// failing the test.
func runCLIErr(t *testing.T, dir string, env []string, timeout time.Duration, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "node_modules", ".bin", "convex"), args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
