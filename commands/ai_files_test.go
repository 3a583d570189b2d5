package commands

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
)

func TestAIFilesCommands(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		switch r.URL.Path {
		case "/v1/version":
			fmt.Fprint(w, `{"message":null,"agentSkillsSha":"abc"}`)
		case "/v1/guidelines":
			fmt.Fprint(w, "# guidelines\n")
		case "/v1/agent_skills":
			fmt.Fprint(w, `{"latestRepoSha":"abc","skills":[{"skillName":"convex-x","status":{"kind":"active"},"hash":"h","lastSeenRepoSha":"abc","lastSeenAt":1}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	// A stand-in npx records what the skills CLI was asked to do.
	bin := t.TempDir()
	log := filepath.Join(t.TempDir(), "npx.log")
	script := "#!/bin/sh\necho \"$*\" >> " + log + "\n"
	if err := os.WriteFile(filepath.Join(bin, "npx"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"functions":"backend/","aiFiles":{"disableStalenessMessage":true}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func() config.MapEnv {
		return config.MapEnv{"CONVEX_VERSION_API_ORIGIN": srv.URL, "PATH": bin}
	}

	r := runInDir(t, dir, env(), "ai-files", "status")
	if r.code != 0 || !strings.Contains(r.stderr, "Convex AI files: disabled") {
		t.Errorf("status (legacy disabled): %d %q", r.code, r.stderr)
	}
	r = runInDir(t, dir, env(), "ai-files", "enable")
	if r.code != 0 || !strings.Contains(r.stderr, "✔ Convex AI files enabled.") || !strings.Contains(r.stderr, "backend/_generated/ai/guidelines.md written") {
		t.Fatalf("enable: %d %q", r.code, r.stderr)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "convex.json"))
	if err != nil || string(cfg) != "{\n  \"$schema\": \"node_modules/convex/schemas/convex.schema.json\",\n  \"functions\": \"backend/\",\n  \"aiFiles\": {\n    \"enabled\": true\n  }\n}\n" {
		t.Errorf("convex.json after enable:\n%s", cfg)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "backend", "_generated", "ai", "guidelines.md")); string(data) != "# guidelines\n" {
		t.Errorf("guidelines %q", data)
	}
	r = runInDir(t, dir, env(), "ai-files", "status")
	if r.code != 0 || !strings.Contains(r.stderr, "Convex AI files: enabled") || !strings.Contains(r.stderr, "✔ Agent skills: installed, up to date") {
		t.Errorf("status: %d %q", r.code, r.stderr)
	}
	r = runInDir(t, dir, env(), "ai-files", "update")
	if r.code != 0 || !strings.HasSuffix(r.stderr, "✔ Convex AI files updated.\n") {
		t.Errorf("update: %d %q", r.code, r.stderr)
	}
	r = runInDir(t, dir, env(), "ai-files", "remove")
	if r.code != 0 || !strings.Contains(r.stderr, "Convex AI files removed.") {
		t.Errorf("remove: %d %q", r.code, r.stderr)
	}
	calls, _ := os.ReadFile(log)
	want := "--yes skills@latest add convex/agent-skills --yes --copy --agent claude-code --agent codex\n"
	if string(calls) != want+want+"--yes skills@latest remove convex-x --yes\n" {
		t.Errorf("npx calls:\n%s", calls)
	}
	for _, gone := range []string{"AGENTS.md", "CLAUDE.md", "backend/_generated/ai"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s left after remove", gone)
		}
	}
	r = runInDir(t, dir, env(), "ai-files", "disable")
	if r.code != 0 || !strings.Contains(r.stderr, "Convex AI files disabled.") {
		t.Errorf("disable: %d %q", r.code, r.stderr)
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, "convex.json")); !strings.Contains(string(cfg), "\"enabled\": false") {
		t.Errorf("convex.json after disable:\n%s", cfg)
	}
	if r = runInDir(t, dir, env(), "ai-files", "status", "extra"); r.code == 0 {
		t.Errorf("extra argument accepted")
	}
}

func TestAIFilesWithoutVersionAPI(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	origin := srv.URL
	srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"aiFiles":{"skills":{"agents":[]}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := config.MapEnv{"CONVEX_VERSION_API_ORIGIN": origin}
	for _, sub := range []string{"install", "update", "enable", "remove"} {
		r := runInDir(t, dir, env, "ai-files", sub)
		if r.code != 1 || !strings.Contains(r.stderr, "could not fetch the AI files from "+origin+": ") {
			t.Errorf("%s: %d %q", sub, r.code, r.stderr)
		}
	}
	// enable records the choice even so.
	if cfg, _ := os.ReadFile(filepath.Join(dir, "convex.json")); !strings.Contains(string(cfg), `"enabled": true`) || !strings.Contains(string(cfg), `"agents": []`) {
		t.Errorf("convex.json:\n%s", cfg)
	}
	// A broken convex.json is reported, not overwritten.
	if err := os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"aiFiles":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runInDir(t, dir, env, "ai-files", "disable"); r.code != 1 {
		t.Errorf("broken convex.json: %d %q", r.code, r.stderr)
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, "convex.json")); string(cfg) != `{"aiFiles":` {
		t.Errorf("convex.json rewritten: %q", cfg)
	}
}
