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
	"github.com/convex-go/convex/deployments"
)

func saveDeps(t *testing.T, dir string) (*Deps, *bytes.Buffer) {
	t.Helper()
	var errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errb, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	d.init()
	return d, &errb
}

func writeProjectFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func envLocal(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := config.ReadEnvFile(filepath.Join(dir, ".env.local"))
	if err != nil {
		t.Fatal(err)
	}
	return f.Values()
}

const localConfig = `{"ports":{"cloud":3310,"site":3311},"adminKey":"%s|abc","instanceSecret":"00","deploymentName":"%s"}`

// Local and anonymous deployments get their HTTP-actions URL saved too,
// replacing a cloud deployment's stale one.
func TestSaveDeploymentLocalSiteURL(t *testing.T) {
	dir := t.TempDir()
	writeProjectFiles(t, dir, map[string]string{
		".convex/local/default/config.json": strings.ReplaceAll(localConfig, "%s", "anonymous-app"),
	})
	d, errb := saveDeps(t, dir)
	tgt := deployments.Target{Kind: deployments.KindAnonymous, Name: "anonymous-app", URL: "http://127.0.0.1:3310"}
	if _, err := d.SaveDeployment(context.Background(), tgt); err != nil {
		t.Fatal(err)
	}
	got := envLocal(t, dir)
	if got["CONVEX_DEPLOYMENT"] != "anonymous:anonymous-app" || got["CONVEX_URL"] != "http://127.0.0.1:3310" || got["CONVEX_SITE_URL"] != "http://127.0.0.1:3311" {
		t.Errorf(".env.local = %v", got)
	}
	if !strings.Contains(errb.String(), "HTTP actions URL as CONVEX_SITE_URL") {
		t.Errorf("messages: %s", errb)
	}

	// Selecting the local deployment after a cloud one: every URL changes.
	dir = t.TempDir()
	writeProjectFiles(t, dir, map[string]string{
		".convex/local/default/config.json": strings.ReplaceAll(localConfig, "%s", "local-acme-chat"),
		".env.local": "CONVEX_DEPLOYMENT=dev:happy-animal-123 # team: acme, project: chat\n\n" +
			"VITE_CONVEX_URL=https://happy-animal-123.convex.cloud\n\nVITE_CONVEX_SITE_URL=https://happy-animal-123.convex.site\n",
		"package.json": `{"dependencies":{"vite":"6.0.0","convex":"1.48.0"}}`,
	})
	d, _ = saveDeps(t, dir)
	tgt = deployments.Target{Kind: deployments.KindLocal, Name: "local-acme-chat", URL: "http://127.0.0.1:3310", Team: "acme", Project: "chat"}
	if _, err := d.SaveDeployment(context.Background(), tgt); err != nil {
		t.Fatal(err)
	}
	got = envLocal(t, dir)
	if got["CONVEX_DEPLOYMENT"] != "local:local-acme-chat" || got["VITE_CONVEX_URL"] != "http://127.0.0.1:3310" || got["VITE_CONVEX_SITE_URL"] != "http://127.0.0.1:3311" {
		t.Errorf(".env.local after selecting local = %v", got)
	}
	if _, ok := got["CONVEX_SITE_URL"]; ok {
		t.Errorf("wrote the generic name next to the framework's: %v", got)
	}
}

// Self-hosted (and --url) deployments: CONVEX_DEPLOYMENT goes, the URL and
// the deployment's HTTP-actions URL are saved.
func TestSaveURLsSelfHosted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/get_canonical_urls" || r.Header.Get("Authorization") != "Convex self|key" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"convexCloudUrl":"https://api.example.com","convexSiteUrl":"https://site.example.com"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeProjectFiles(t, dir, map[string]string{".env.local": "# Deployment used by `convex dev`\nCONVEX_DEPLOYMENT=anonymous:anonymous-app\nOTHER=1\n"})
	d, errb := saveDeps(t, dir)
	tgt := deployments.Target{Kind: deployments.KindSelfHosted, URL: srv.URL, AdminKey: "self|key"}
	changed, err := d.SaveDeployment(context.Background(), tgt)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	got := envLocal(t, dir)
	if _, ok := got["CONVEX_DEPLOYMENT"]; ok || got["CONVEX_URL"] != srv.URL || got["CONVEX_SITE_URL"] != "https://site.example.com" || got["OTHER"] != "1" {
		t.Errorf(".env.local = %v", got)
	}
	for _, m := range []string{"Removed the CONVEX_DEPLOYMENT environment variable from .env.local", "Saved CONVEX_URL and CONVEX_SITE_URL to .env.local"} {
		if !strings.Contains(errb.String(), m) {
			t.Errorf("missing %q in %s", m, errb)
		}
	}
	// Nothing new the second time.
	if changed, err := d.SaveURLs(context.Background(), tgt); err != nil || changed {
		t.Errorf("second save: changed=%v err=%v", changed, err)
	}
	// An unreachable deployment is an error, and nothing is written.
	dir = t.TempDir()
	d, _ = saveDeps(t, dir)
	srv.Close()
	if _, err := d.SaveURLs(context.Background(), deployments.Target{Kind: deployments.KindURL, URL: srv.URL, AdminKey: "self|key"}); err == nil {
		t.Error("saved the URLs of an unreachable deployment")
	}
	if _, err := os.Stat(filepath.Join(dir, ".env.local")); err == nil {
		t.Error(".env.local written for an unreachable deployment")
	}
}

// A logged-in user developing locally (no terminal, or agent mode) has an
// account; only the project link is missing.
func TestAnnounceAnonymousWithLogin(t *testing.T) {
	d, errb := saveDeps(t, t.TempDir())
	tgt := deployments.Target{Kind: deployments.KindAnonymous, Name: "anonymous-app", URL: "http://127.0.0.1:3210"}
	d.announceTarget("", tgt)
	if !strings.Contains(errb.String(), "No Convex account") {
		t.Errorf("without a login: %s", errb)
	}
	errb.Reset()
	tgt.Auth = "token-123"
	d.announceTarget("", tgt)
	if strings.Contains(errb.String(), "No Convex account") || !strings.Contains(errb.String(), "Not linked to a cloud project") {
		t.Errorf("with a login: %s", errb)
	}
	if got := tgt.Describe(); strings.Contains(got, "no account") || !strings.Contains(got, "not linked to a cloud project") {
		t.Errorf("Describe with a login: %s", got)
	}
}

// `convex init` is not implemented, so the env default help must not send
// anyone there.
func TestEnvDefaultHelpDoesNotRecommendInit(t *testing.T) {
	for _, args := range [][]string{{"env", "default", "--help"}, {"env", "default", "set", "--help"}, {"env", "default", "list", "--help"},
		{"env", "default", "get", "--help"}, {"env", "default", "remove", "--help"}, {"help", "env"}} {
		r := run(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "default") {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "convex init") {
			t.Errorf("%v recommends `convex init`:\n%s", args, r.stdout)
		}
	}
}
