package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
)

// e2eDir is the directory of this file (the repository may be cloned anywhere).
func e2eDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the e2e directory")
	}
	return filepath.Dir(file)
}

// nodeModules returns e2e/node/node_modules, skipping the test when the npm
// packages or node are missing.
func nodeModules(t *testing.T) string {
	t.Helper()
	nm := filepath.Join(e2eDir(t), "node", "node_modules")
	if _, err := os.Stat(filepath.Join(nm, "convex", "package.json")); err != nil {
		t.Skipf("skipping: %s is missing; run `npm ci` in e2e/node to install the reference convex package", nm)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipping: node is not on PATH")
	}
	return nm
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := adminkey.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startBackend(t *testing.T, name string) *server.Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := server.Start(ctx, server.Config{
		DBPath: filepath.Join(t.TempDir(), "db"), Interface: "127.0.0.1",
		InstanceName: name, InstanceSecret: newSecret(t),
	})
	if err != nil {
		cancel()
		t.Fatalf("starting the backend: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		r.Close()
	})
	return r
}

// chatApp copies the chat fixture into a temp dir with node_modules linked.
func chatApp(t *testing.T, nm string) string {
	t.Helper()
	src := filepath.Join(e2eDir(t), "testdata", "backend", "chat")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nm, filepath.Join(dst, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// cliEnv is a clean environment that points the reference CLI at url.
func cliEnv(t *testing.T, url, key string) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONVEX_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "CONVEX_SELF_HOSTED_URL="+url, "CONVEX_SELF_HOSTED_ADMIN_KEY="+key,
		"CI=1", "NO_COLOR=1", "CONVEX_DISABLE_TELEMETRY=1")
}

func runCLI(t *testing.T, dir string, env []string, timeout time.Duration, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "node_modules", ".bin", "convex"), args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("convex %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func postJSON(t *testing.T, url string, headers map[string]string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestBackendWithReferenceCLI pushes the chat app with the reference CLI
// (deploy, dev --once), uses run, env set and logs, then plays the app's
// whole scenario through ConvexHttpClient and the HTTP-actions port.
func TestBackendWithReferenceCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI")
	}
	nm := nodeModules(t)
	r := startBackend(t, "e2e-chat")
	app := chatApp(t, nm)
	env := cliEnv(t, r.CloudURL, r.AdminKey)

	_, stderr := runCLI(t, app, env, 3*time.Minute, "deploy", "--typecheck", "disable")
	if !strings.Contains(stderr, "Deployed Convex functions to "+r.CloudURL) {
		t.Errorf("deploy did not confirm the push:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(app, "convex", "_generated", "api.d.ts")); err != nil {
		t.Errorf("codegen did not run: %v", err)
	}
	_, stderr = runCLI(t, app, env, 3*time.Minute, "dev", "--once", "--typecheck", "disable")
	if !strings.Contains(stderr, "Convex functions ready") {
		t.Errorf("dev --once did not finish a push:\n%s", stderr)
	}

	// run: create a channel as admin, then list its (empty) messages.
	out, _ := runCLI(t, app, env, time.Minute, "run", "channels:create", `{"name":"cli"}`)
	var channelID string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &channelID); err != nil || channelID == "" {
		t.Fatalf("channels:create printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "run", "messages:list", fmt.Sprintf(`{"channelId":%q}`, channelID))
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("messages:list printed %q, want []", out)
	}
	// Internal functions are callable with the admin key.
	out, _ = runCLI(t, app, env, time.Minute, "run", "messages:postAsBot",
		fmt.Sprintf(`{"channelId":%q,"author":"digest-bot","body":"from the cli"}`, channelID))
	if !strings.Contains(out, `"`) {
		t.Errorf("postAsBot printed %q", out)
	}

	out, _ = runCLI(t, app, env, time.Minute, "run", "--inline-query", `(await ctx.db.query("channels").collect()).map((c) => c.name)`)
	if strings.Join(strings.Fields(out), "") != `["cli"]` {
		t.Errorf("run --inline-query printed %q", out)
	}

	_, stderr = runCLI(t, app, env, time.Minute, "env", "set", "CHAT_BOT_NAME", "digest-bot")
	if !strings.Contains(stderr, "Successfully set CHAT_BOT_NAME") {
		t.Errorf("env set: %s", stderr)
	}

	t.Run("logs", func(t *testing.T) { checkLogs(t, app, env, r) })

	// Commands that use the WebSocket sync protocol.
	out, _ = runCLI(t, app, env, time.Minute, "env", "list")
	if strings.TrimSpace(out) != "CHAT_BOT_NAME=digest-bot" {
		t.Errorf("env list printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "env", "get", "CHAT_BOT_NAME")
	if strings.TrimSpace(out) != "digest-bot" {
		t.Errorf("env get printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data")
	if strings.Join(strings.Fields(out), " ") != "channels messages users" {
		t.Errorf("data printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "messages", "--format", "jsonLines")
	if !strings.Contains(out, `"from the cli"`) {
		t.Errorf("data messages printed %q", out)
	}

	// Snapshot import and export.
	jsonl := filepath.Join(t.TempDir(), "extra.jsonl")
	if err := os.WriteFile(jsonl, []byte("{\"word\":\"alpha\"}\n{\"word\":\"beta\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr = runCLI(t, app, env, time.Minute, "import", "--table", "extra", "--yes", jsonl)
	if !strings.Contains(stderr, "Added 2 documents") {
		t.Errorf("import: %s", stderr)
	}
	out, _ = runCLI(t, app, env, time.Minute, "data", "extra", "--format", "jsonLines")
	if !strings.Contains(out, "alpha") || !strings.Contains(out, "beta") {
		t.Errorf("data extra printed %q", out)
	}
	exportDir := t.TempDir()
	_, stderr = runCLI(t, app, env, time.Minute, "export", "--path", exportDir)
	if zips, _ := filepath.Glob(filepath.Join(exportDir, "snapshot_*.zip")); len(zips) != 1 {
		t.Errorf("export wrote no snapshot zip: %s", stderr)
	}

	// Live updates with ConvexClient.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := exec.CommandContext(ctx, "node", filepath.Join(e2eDir(t), "testdata", "backend", "subscribe.mjs"), r.CloudURL)
	sub.Env = append(os.Environ(), "CONVEX_NODE_MODULES="+nm)
	if res, err := sub.CombinedOutput(); err != nil {
		t.Errorf("subscriptions: %v\n%s", err, res)
	}

	// The scenario expects a database without channels: remove the one created
	// above (its bot author is one the scenario creates anyway).
	runCLI(t, app, env, time.Minute, "run", "channels:remove", fmt.Sprintf(`{"channelId":%q}`, channelID))

	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := filepath.Join(e2eDir(t), "testdata", "backend", "scenario.mjs")
	scenario := filepath.Join(app, "scenario.json")
	cmd := exec.CommandContext(ctx, "node", script, scenario, r.CloudURL, r.SiteURL)
	cmd.Env = append(os.Environ(), "CONVEX_NODE_MODULES="+nm)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scenario failed: %v\n%s", err, res)
	}
	t.Logf("scenario:\n%s", res)

	// HTTP actions are also served under /http/ on the API port.
	resp, err := http.Get(r.CloudURL + "/http/channels")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /http/channels: %d %s", resp.StatusCode, body)
	}
}

// checkLogs runs `convex logs`, calls a function that logs, and expects the
// line to be printed.
func checkLogs(t *testing.T, app string, env []string, r *server.Running) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(app, "node_modules", ".bin", "convex"), "logs", "--success")
	cmd.Dir, cmd.Env = app, env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Keep calling until the watcher has its cursor and prints the call.
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("convex logs exited early: %s", stderr.String())
			}
			if strings.Contains(l, "users:list") {
				return
			}
		case <-tick.C:
			postJSON(t, r.CloudURL+"/api/query", nil, map[string]any{"path": "users:list", "args": map[string]any{}})
		case <-ctx.Done():
			t.Fatalf("convex logs printed nothing about users:list; stderr:\n%s", stderr.String())
		}
	}
}

// TestBackendAdminRoutesNeedKey checks every admin route without a key
// (401) and with a key for another instance secret (403).
func TestBackendAdminRoutesNeedKey(t *testing.T) {
	r := startBackend(t, "e2e-auth")
	otherSecret, _ := adminkey.ParseSecret(newSecret(t))
	wrongKey, err := adminkey.Mint("e2e-auth", otherSecret)
	if err != nil {
		t.Fatal(err)
	}
	routes := []struct{ method, path string }{
		{"GET", "/api/check_admin_key"},
		{"POST", "/api/get_config_hashes"},
		{"POST", "/api/deploy2/start_push"},
		{"POST", "/api/deploy2/evaluate_push"},
		{"POST", "/api/deploy2/wait_for_schema"},
		{"POST", "/api/deploy2/finish_push"},
		{"POST", "/api/deploy2/report_push_completed"},
		{"POST", "/api/update_environment_variables"},
		{"POST", "/api/v1/update_environment_variables"},
		{"GET", "/api/v1/list_environment_variables"},
		{"GET", "/api/v1/get_canonical_urls"},
		{"GET", "/api/v1/deployment_info"},
		{"GET", "/api/stream_function_logs?cursor=0"},
		{"GET", "/api/stream_udf_execution?cursor=0"},
		{"POST", "/api/function"},
		{"POST", "/api/run_test_function"},
		{"POST", "/api/storage/upload"},
		{"POST", "/api/import/start_upload"},
		{"POST", "/api/import/upload_part?uploadToken=x&partNumber=1"},
		{"POST", "/api/import/finish_upload"},
		{"POST", "/api/perform_import"},
		{"POST", "/api/cancel_import"},
		{"POST", "/api/import?tableName=t&format=jsonLines"},
		{"POST", "/api/export/request/zip"},
		{"GET", "/api/export/zip/1"},
	}
	body := `{"adminKey":"","path":"x:y","args":{},"changes":[],"schemaChange":{},"startPush":{}}`
	for _, rt := range routes {
		for _, c := range []struct {
			name, auth string
			want       int
		}{{"no key", "", 401}, {"wrong key", "Convex " + wrongKey, 403}, {"garbage key", "Convex e2e-auth|00", 403}} {
			req, _ := http.NewRequest(rt.method, r.CloudURL+rt.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s %s with %s: status %d, want %d: %s", rt.method, rt.path, c.name, resp.StatusCode, c.want, b)
				continue
			}
			var e struct{ Code, Message string }
			if json.Unmarshal(b, &e) != nil || e.Code == "" || e.Message == "" {
				t.Errorf("%s %s with %s: body %q is not {code, message}", rt.method, rt.path, c.name, b)
			}
		}
	}
	// The body key of push endpoints is checked too.
	code, b := postJSON(t, r.CloudURL+"/api/get_config_hashes", nil, map[string]string{"adminKey": wrongKey, "version": "1.48.0"})
	if code != 403 || !strings.Contains(string(b), "BadDeployKey") {
		t.Errorf("wrong body key: %d %s", code, b)
	}
	code, b = postJSON(t, r.CloudURL+"/api/get_config_hashes", nil, map[string]string{"adminKey": r.AdminKey, "version": "1.48.0"})
	if code != 200 || !strings.Contains(string(b), `"moduleHashes":[]`) {
		t.Errorf("right body key: %d %s", code, b)
	}
	// Public endpoints stay open.
	for _, p := range []string{"/instance_name", "/version", "/instance_version", "/"} {
		resp, err := http.Get(r.CloudURL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// TestBackendSurvivesKill runs the standalone backend, acknowledges a run
// of mutations, kills it with SIGKILL, restarts it on the same data and
// expects every acknowledged write.
func TestBackendSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds a binary and drives the reference CLI")
	}
	nm := nodeModules(t)
	bin := filepath.Join(t.TempDir(), "localbackend")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(e2eDir(t), "testdata", "backend", "localbackend")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the standalone backend: %v\n%s", err, out)
	}
	secret := newSecret(t)
	parsed, _ := adminkey.ParseSecret(secret)
	key, _ := adminkey.Mint("e2e-kill", parsed)
	db := filepath.Join(t.TempDir(), "convex_local_backend.sqlite3")

	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(bin, "--interface", "127.0.0.1", "--port", "0", "--site-proxy-port", "0",
			"--instance-name", "e2e-kill", "--instance-secret", secret, "--disable-beacon", db)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		urlRE := regexp.MustCompile(`API (http://\S+),`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				go func() { _, _ = io.Copy(io.Discard, stderr) }()
				return cmd, m[1]
			}
		}
		_ = cmd.Wait()
		t.Fatalf("the standalone backend did not start")
		return nil, ""
	}
	cmd, url := start()
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	app := chatApp(t, nm)
	runCLI(t, app, cliEnv(t, url, key), 3*time.Minute, "deploy", "--typecheck", "disable")

	// Mutations run until the kill cuts them off; only answered ones count.
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			name := fmt.Sprintf("c%d", i)
			b, _ := json.Marshal(map[string]any{"path": "channels:create", "args": map[string]any{"name": name}, "format": "json"})
			resp, err := client.Post(url+"/api/mutation", "application/json", bytes.NewReader(b))
			if err != nil {
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var res struct{ Status string }
			if json.Unmarshal(body, &res) != nil || res.Status != "success" {
				return
			}
			acked = append(acked, name)
		}
	}()
	time.Sleep(2 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	<-done
	if len(acked) == 0 {
		t.Fatal("no mutation was acknowledged before the kill")
	}

	cmd, url = start()
	code, b := postJSON(t, url+"/api/query", nil, map[string]any{"path": "channels:list", "args": map[string]any{"includeArchived": true}, "format": "json"})
	var res struct {
		Status string
		Value  []struct{ Name string }
	}
	if code != 200 || json.Unmarshal(b, &res) != nil || res.Status != "success" {
		t.Fatalf("listing after restart: %d %s", code, b)
	}
	have := map[string]bool{}
	for _, c := range res.Value {
		have[c.Name] = true
	}
	for _, name := range acked {
		if !have[name] {
			t.Errorf("acknowledged channel %s lost after kill -9", name)
		}
	}
	t.Logf("%d acknowledged mutations, %d present after kill -9 and restart", len(acked), len(have))
}

// TestBackendNodeActions deploys an app with a "use node" module through the
// reference CLI and runs its action, which calls back into a mutation.
func TestBackendNodeActions(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI")
	}
	nm := nodeModules(t)
	r := startBackend(t, "e2e-node")
	app := t.TempDir()
	src := filepath.Join(e2eDir(t), "testdata", "backend", "nodeapp")
	for _, f := range []string{"package.json", "convex/notes.ts", "convex/digest.ts"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(app, f)), 0o755)
		if err := os.WriteFile(filepath.Join(app, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(nm, filepath.Join(app, "node_modules")); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(t, r.CloudURL, r.AdminKey)
	runCLI(t, app, env, 3*time.Minute, "deploy", "--typecheck", "disable")
	out, _ := runCLI(t, app, env, time.Minute, "run", "digest:store", `{"text":"abc"}`)
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if !strings.Contains(out, want) {
		t.Fatalf("digest:store printed %q", out)
	}
	out, _ = runCLI(t, app, env, time.Minute, "run", "notes:list")
	if !strings.Contains(out, want) {
		t.Errorf("notes:list printed %q", out)
	}
}
