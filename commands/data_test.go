package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/config"
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
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

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
