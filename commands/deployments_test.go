package commands

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
)

// runIn runs the CLI in-process in dir, with a fresh HOME.
func runInDir(t *testing.T, dir string, env config.MapEnv, args ...string) result {
	t.Helper()
	if env == nil {
		env = config.MapEnv{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = t.TempDir()
	}
	var out, errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	code := RunWith(context.Background(), d, args)
	return result{code, out.String(), errb.String()}
}

func TestDeploymentsShowsSelection(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		if r.URL.Path == "/api/deployment/happy-animal-123/team_and_project" {
			w.Write([]byte(`{"team":"acme","project":"chat","teamId":1,"projectId":2}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()

	selfHosted := config.MapEnv{"CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:1", "CONVEX_SELF_HOSTED_ADMIN_KEY": "self-hosted|01secret"}
	r := runInDir(t, t.TempDir(), selfHosted, "deployments")
	want := "Currently configured deployment:\n  URL: http://127.0.0.1:1\n  Type: selfHosted\n"
	if r.code != 0 || r.stderr != want || r.stdout != "" {
		t.Errorf("self-hosted: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOYMENT=dev:happy-animal-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := config.MapEnv{"CONVEX_PROVISION_HOST": srv.URL, "CONVEX_OVERRIDE_ACCESS_TOKEN": "tok"}
	r = runInDir(t, dir, env, "deployments")
	for _, s := range []string{"  Team: acme\n", "  Project: chat\n", "  Deployment: happy-animal-123\n", "  Type: dev\n"} {
		if r.code != 0 || !strings.Contains(r.stderr, s) {
			t.Errorf("configured: missing %q; code %d stderr %q", s, r.code, r.stderr)
		}
	}
	if len(asked) != 1 {
		t.Errorf("requests %v", asked)
	}

	// A lookup failure is reported, not papered over.
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOYMENT=dev:sad-animal-456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = runInDir(t, dir, env, "deployments"); r.code != 1 || strings.Contains(r.stderr, "Team:") {
		t.Errorf("unknown deployment: code %d stderr %q", r.code, r.stderr)
	}

	if r = runInDir(t, t.TempDir(), nil, "deployments", "extra"); r.code == 0 {
		t.Errorf("extra argument accepted: %q", r.stderr)
	}
}
