package commands

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/convex-go/convex/config"
)

// runIn runs the CLI in-process in dir, with a fresh HOME.
func runInitIn(t *testing.T, dir string, env config.MapEnv, args ...string) result {
	t.Helper()
	env["HOME"] = t.TempDir()
	var out, errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	code := RunWith(context.Background(), d, args)
	return result{code, out.String(), errb.String()}
}

func TestInitSelfHostedConfiguresWithoutPushing(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/api/v1/get_canonical_urls" {
			w.Write([]byte(`{"convexCloudUrl":"http://cloud.example","convexSiteUrl":"http://site.example"}`))
			return
		}
		http.Error(w, `{"code":"Unexpected","message":"init must not call this"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"convex":"1.48.0"}}`), 0o644)
	env := config.MapEnv{"CONVEX_SELF_HOSTED_URL": srv.URL, "CONVEX_SELF_HOSTED_ADMIN_KEY": "self-hosted|key"}
	r := runInitIn(t, dir, env, "init")
	if r.code != 0 || !strings.Contains(r.stderr, "Your Convex project is set up") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"convex/README.md", "convex/tsconfig.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "convex", "_generated")); err == nil {
		t.Errorf("init ran codegen")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if p != "/api/v1/get_canonical_urls" {
			t.Errorf("init called %s", p)
		}
	}
}

func TestInitRefusesProjectWithoutConvex(t *testing.T) {
	dir := t.TempDir()
	r := runInitIn(t, dir, config.MapEnv{}, "init")
	if r.code != 1 || !strings.Contains(r.stderr, "package.json") {
		t.Errorf("no package.json: exit %d\n%s", r.code, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"react":"19"}}`), 0o644)
	r = runInitIn(t, dir, config.MapEnv{}, "init")
	if r.code != 1 || !strings.Contains(r.stderr, "add `convex` to your package.json") {
		t.Errorf("no convex dependency: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".env.local")); err == nil {
		t.Errorf(".env.local written for a refused project")
	}
}
