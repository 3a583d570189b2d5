package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
