package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

func mustKey(t *testing.T, s string) DeployKey {
	t.Helper()
	k, err := ParseDeployKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestChooseCredential(t *testing.T) {
	project := mustKey(t, "project:t:p|"+secret)
	prod := mustKey(t, "prod:a-1|"+secret)
	dev := mustKey(t, "dev:b-2|"+secret)
	preview := mustKey(t, "preview:t:p|"+secret)
	other := mustKey(t, "preview:brave-fox-1|"+secret)
	admin := mustKey(t, "anonymous-x|abc")
	legacy := mustKey(t, secret)
	cases := []struct {
		name   string
		c      Candidates
		kind   CredentialKind
		token  string
		source string
	}{
		{"override beats everything", Candidates{OverrideToken: "ovr", Key: project, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredAccessToken, "ovr", OverrideTokenVar},
		{"project key beats stored token", Candidates{Key: project, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredProjectKey, project.Raw, "K"},
		{"prod key beats stored token", Candidates{Key: prod, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredDeploymentKey, prod.Raw, "K"},
		{"dev key beats stored token", Candidates{Key: dev, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredDeploymentKey, dev.Raw, "K"},
		{"stored token beats preview key", Candidates{Key: preview, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredAccessToken, "st", "F"},
		{"preview key without login", Candidates{Key: preview, KeySource: "K"}, CredPreviewKey, preview.Raw, "K"},
		{"concrete preview deployment key is not management auth", Candidates{Key: other, KeySource: "K"}, CredNone, "", ""},
		{"admin key is not management auth", Candidates{Key: admin, KeySource: "K", StoredToken: "st", StoredSource: "F"}, CredAccessToken, "st", "F"},
		{"legacy key is not management auth", Candidates{Key: legacy, KeySource: "K"}, CredNone, "", ""},
		{"stored token only", Candidates{StoredToken: "st", StoredSource: "F"}, CredAccessToken, "st", "F"},
		{"nothing", Candidates{}, CredNone, "", ""},
	}
	for _, c := range cases {
		got := ChooseCredential(c.c)
		if got.Kind != c.kind || got.Token != c.token || got.Source != c.source {
			t.Errorf("%s: got %v / %q / %q", c.name, got.Kind, got.Token, got.Source)
		}
		wantHeader := ""
		if c.token != "" {
			wantHeader = "Bearer " + c.token
		}
		if got.Header() != wantHeader {
			t.Errorf("%s: header %q", c.name, got.Header())
		}
		if strings.Contains(got.String(), secret) || strings.Contains(got.GoString(), secret) {
			t.Errorf("%s: String shows the secret", c.name)
		}
	}
}

func TestResolveAuth(t *testing.T) {
	home := t.TempDir()
	tokenPath := filepath.Join(home, ".convex", "config.json")
	if err := config.WriteGlobalConfig(tokenPath, &config.GlobalConfig{AccessToken: "stored-token-123456"}); err != nil {
		t.Fatal(err)
	}
	prod := "prod:a-1|" + secret
	preview := "preview:t:p|" + secret
	project := "project:t:p|" + secret

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOY_KEY="+prod+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".env"), []byte("CONVEX_DEPLOY_KEY="+preview+"\n"), 0o644)
	envFile := filepath.Join(dir, "ci.env")
	os.WriteFile(envFile, []byte("CONVEX_DEPLOYMENT_TOKEN="+project+"\n"), 0o644)
	emptyDir := t.TempDir()
	previewDir := t.TempDir()
	os.WriteFile(filepath.Join(previewDir, ".env"), []byte("CONVEX_DEPLOY_KEY="+preview+"\n"), 0o644)

	env := config.MapEnv{"HOME": home}
	cases := []struct {
		name      string
		o         AuthOptions
		kind      CredentialKind
		keySource string
		keyVar    string
	}{
		{".env.local key beats .env and the login", AuthOptions{Env: env, Dir: dir}, CredDeploymentKey, ".env.local", "CONVEX_DEPLOY_KEY"},
		{"shell beats env files", AuthOptions{Env: config.MapEnv{"HOME": home, "CONVEX_DEPLOY_KEY": preview}, Dir: dir}, CredAccessToken, "shell environment", "CONVEX_DEPLOY_KEY"},
		{"preview key from .env loses to the login", AuthOptions{Env: env, Dir: previewDir}, CredAccessToken, ".env", "CONVEX_DEPLOY_KEY"},
		{"--env-file only", AuthOptions{Env: config.MapEnv{"HOME": home, "CONVEX_DEPLOY_KEY": prod}, Dir: dir, EnvFile: envFile}, CredProjectKey, envFile, "CONVEX_DEPLOYMENT_TOKEN"},
		{"--url and --admin-key ignore keys", AuthOptions{Env: env, Dir: dir, URL: "http://x", AdminKey: "k"}, CredAccessToken, "", ""},
		{"only --url does not", AuthOptions{Env: env, Dir: dir, URL: "http://x"}, CredDeploymentKey, ".env.local", "CONVEX_DEPLOY_KEY"},
		{"override token", AuthOptions{Env: config.MapEnv{"HOME": home, "CONVEX_OVERRIDE_ACCESS_TOKEN": "ovr-123456789"}, Dir: dir}, CredAccessToken, ".env.local", "CONVEX_DEPLOY_KEY"},
		{"nothing but the login", AuthOptions{Env: env, Dir: emptyDir}, CredAccessToken, "", ""},
		{"nothing at all", AuthOptions{Env: config.MapEnv{"HOME": t.TempDir()}, Dir: emptyDir}, CredNone, "", ""},
	}
	for _, c := range cases {
		r, err := ResolveAuth(c.o)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r.Credential.Kind != c.kind || r.KeySource != c.keySource || r.KeyVar != c.keyVar || r.TokenFileErr != nil {
			t.Errorf("%s: got %v, source %q, var %q, tokenErr %v", c.name, r.Credential, r.KeySource, r.KeyVar, r.TokenFileErr)
		}
	}

	// CONVEX_OVERRIDE_ACCESS_TOKEN in .env.local counts, as the file is
	// loaded into the environment; with --env-file it does not.
	ovrDir := t.TempDir()
	os.WriteFile(filepath.Join(ovrDir, ".env.local"), []byte("CONVEX_OVERRIDE_ACCESS_TOKEN=from-file-123456\n"), 0o644)
	if r, _ := ResolveAuth(AuthOptions{Env: env, Dir: ovrDir}); r.Credential.Token != "from-file-123456" || r.Credential.Source != OverrideTokenVar {
		t.Errorf("override from .env.local: %v", r.Credential)
	}
	if r, _ := ResolveAuth(AuthOptions{Env: env, Dir: ovrDir, EnvFile: envFile}); r.Credential.Kind != CredProjectKey {
		t.Errorf("override with --env-file: %v", r.Credential)
	}

	// Errors.
	if _, err := ResolveAuth(AuthOptions{Env: env, EnvFile: filepath.Join(dir, "nope.env")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing env file: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, ".env.local"), []byte("CONVEX_DEPLOY_KEY=<missing_deploy_key:No key for previews.>\n"), 0o644)
	if _, err := ResolveAuth(AuthOptions{Env: env, Dir: bad}); err == nil || err.Error() != "No key for previews." {
		t.Errorf("sentinel: %v", err)
	}

	// The leftover of a key split at an unquoted '|' stops everything, or
	// is only reported with CONVEX_IGNORE_SUSPICIOUS_ENV_VARS.
	leftover := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(`{"v2":"0123456789"}`)), "=")
	if _, err := ResolveAuth(AuthOptions{Env: config.MapEnv{"HOME": home, leftover: ""}, Dir: emptyDir}); err == nil || !strings.Contains(ui.HintOf(err), "CONVEX_DEPLOY_KEY='") {
		t.Errorf("leftover variable: %v", err)
	}
	if r, err := ResolveAuth(AuthOptions{Env: config.MapEnv{"HOME": home, leftover: "", IgnoreSuspiciousEnvVar: "1"}, Dir: emptyDir}); err != nil || len(r.Warnings) != 1 {
		t.Errorf("ignored leftover variable: %v %v", r.Warnings, err)
	}
	// A key the shell cut at '|' is refused with a quoting hint.
	if _, err := ResolveAuth(AuthOptions{Env: config.MapEnv{"HOME": home, "CONVEX_DEPLOY_KEY": "prod:a-1"}, Dir: emptyDir}); err == nil || !strings.Contains(err.Error(), "cut off at '|'") || !strings.Contains(ui.HintOf(err), "single quotes") {
		t.Errorf("cut key: %v", err)
	}

	// A corrupt token file is advisory: logged out, error reported.
	os.WriteFile(tokenPath, []byte("{oops"), 0o600)
	r, err := ResolveAuth(AuthOptions{Env: env, Dir: previewDir})
	if err != nil || r.Credential.Kind != CredPreviewKey || r.TokenFileErr == nil || !strings.Contains(r.TokenFileErr.Error(), tokenPath) {
		t.Errorf("corrupt token file: %v %v %v", r.Credential, r.TokenFileErr, err)
	}
	// ...and not even read when a project key wins.
	r, _ = ResolveAuth(AuthOptions{Env: env, EnvFile: envFile})
	if r.TokenFileErr != nil || r.Credential.Kind != CredProjectKey {
		t.Errorf("token file read needlessly: %v", r.TokenFileErr)
	}
}

func TestTokenStore(t *testing.T) {
	home := t.TempDir()
	s, err := NewTokenStore(config.MapEnv{"HOME": home, "CONVEX_PROVISION_HOST": "http://127.0.0.1:18050"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != filepath.Join(home, ".convex-test-18050", "config.json") {
		t.Errorf("path %s", s.Path)
	}
	if tok, err := s.Token(); tok != "" || err != nil {
		t.Errorf("empty store: %q %v", tok, err)
	}
	if err := s.Save(""); err == nil {
		t.Error("empty token stored")
	}
	if err := s.Save("tok-1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(s.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if tok, _ := s.Token(); tok != "tok-1" {
		t.Errorf("token %q", tok)
	}
	if existed, err := s.Delete(); !existed || err != nil {
		t.Errorf("delete: %v %v", existed, err)
	}
	if existed, err := s.Delete(); existed || err != nil {
		t.Errorf("second delete: %v %v", existed, err)
	}
}
