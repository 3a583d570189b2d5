package deployments_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/ui"
)

// world is a seeded fake cloud plus helpers to run Select against it.
type world struct {
	t   *testing.T
	fc  *fakecloud.Server
	url string
	sd  fakecloud.Seeded
	// staging is a custom-referenced deployment in the seeded project.
	staging fakecloud.Deployment
	// local is the registered local deployment's name.
	local string
	// previewName is a preview deployment; previewDeploymentKey its own key.
	previewName, previewDeploymentKey string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fc := fakecloud.New(fakecloud.Options{})
	url := fc.Start()
	t.Cleanup(fc.Close)
	sd, err := fc.Seed()
	if err != nil {
		t.Fatal(err)
	}
	staging, err := fc.AddDeployment(sd.Team, sd.Project, "prod", "staging", false)
	if err != nil {
		t.Fatal(err)
	}
	// Register a local deployment the way `dev --local` would.
	c := deployments.NewClient(deployments.ClientOptions{Host: url, Auth: sd.AccessToken})
	ld, err := c.StartLocalDeployment(context.Background(), 3210, sd.Team, sd.Project, "")
	if err != nil {
		t.Fatal(err)
	}
	// A preview deployment and its own deploy key ("preview:<name>|…").
	claim, err := c.ClaimPreviewDeployment(context.Background(), sd.Team, sd.Project, "seeded-branch", true)
	if err != nil {
		t.Fatal(err)
	}
	pkey, err := c.CreateDeployKey(context.Background(), claim.DeploymentName, "preview-ci")
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, fc: fc, url: url, sd: sd, staging: staging, local: ld.DeploymentName,
		previewName: claim.DeploymentName, previewDeploymentKey: pkey}
}

func noDelay(int) time.Duration { return 0 }

// setup describes one scenario: environment, files and flags.
type setup struct {
	env      map[string]string
	files    map[string]string
	loggedIn bool
	tty      bool
	opts     deployments.Options
}

func (w *world) run(cmd string, s setup) (deployments.Target, string, error) {
	w.t.Helper()
	dir := w.t.TempDir()
	for name, content := range s.files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(w.expand(content)), 0o600); err != nil {
			w.t.Fatal(err)
		}
	}
	env := deployments.MapEnv{"CONVEX_PROVISION_HOST": w.url, "HOME": dir}
	for k, v := range s.env {
		env[k] = w.expand(v)
	}
	o := s.opts
	o.Command, o.Dir, o.Env, o.Interactive = cmd, dir, env, s.tty
	o.RetryDelay = noDelay
	var warn bytes.Buffer
	o.Warn = &warn
	if s.loggedIn {
		o.AccessToken = w.sd.AccessToken
	}
	o.Deployment = w.expand(o.Deployment)
	o.DeploymentName = w.expand(o.DeploymentName)
	t, err := deployments.Select(context.Background(), o)
	return t, warn.String(), err
}

// expand replaces $PROD, $DEV, $PROD_KEY, … with the seeded values.
func (w *world) expand(s string) string {
	r := strings.NewReplacer(
		"$PREVIEW_DEPLOYMENT_KEY", w.previewDeploymentKey, "$PREVIEW_DEPLOYMENT", w.previewName,
		"$PROD_KEY", w.sd.ProdKey, "$DEV_KEY", w.sd.DevKey, "$PREVIEW_KEY", w.sd.PreviewKey,
		"$PROJECT_KEY", w.sd.ProjectKey, "$PROD_URL", w.sd.Prod.URL,
		"$PROD", w.sd.Prod.Name, "$DEV", w.sd.Dev.Name, "$STAGING", w.staging.Name,
		"$LOCAL", w.local, "$TOKEN", w.sd.AccessToken,
	)
	return r.Replace(s)
}

// want is the expected outcome: a target (kind + name) or an error substring.
type want struct {
	kind   deployments.Kind
	name   string // "$PROD" etc.; "" = don't care, "-" = must be empty
	source string // substring of Source
	err    string // substring of the error; "" = success
	warn   string // substring of the warnings
}

func (w *world) check(t *testing.T, cmd string, s setup, wt want) {
	t.Helper()
	got, warns, err := w.run(cmd, s)
	if wt.err != "" {
		if err == nil {
			t.Fatalf("%s: got target %s, want error containing %q", cmd, got.Describe(), wt.err)
		}
		full := err.Error() + "\n" + ui.HintOf(err)
		if !strings.Contains(full, wt.err) {
			t.Fatalf("%s: error %q (hint %q), want it to contain %q", cmd, err, ui.HintOf(err), wt.err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: unexpected error: %v (hint: %s)", cmd, err, ui.HintOf(err))
	}
	if got.Kind != wt.kind {
		t.Fatalf("%s: kind %s (%s), want %s", cmd, got.Kind, got.Describe(), wt.kind)
	}
	switch wt.name {
	case "":
	case "-":
		if got.Name != "" {
			t.Errorf("%s: name %q, want none", cmd, got.Name)
		}
	default:
		if exp := w.expand(wt.name); got.Name != exp {
			t.Errorf("%s: name %q, want %q (%s)", cmd, got.Name, exp, got.Describe())
		}
	}
	if wt.source != "" && !strings.Contains(got.Source, wt.source) {
		t.Errorf("%s: source %q, want it to contain %q", cmd, got.Source, wt.source)
	}
	if wt.warn != "" && !strings.Contains(warns, wt.warn) {
		t.Errorf("%s: warnings %q, want %q", cmd, warns, wt.warn)
	}
	if wt.warn == "" && warns != "" {
		t.Errorf("%s: unexpected warnings %q", cmd, warns)
	}
	if got.Cloud() && (got.URL == "" || got.AdminKey == "") && got.Kind != deployments.KindPreview {
		t.Errorf("%s: cloud target without credentials: %+v", cmd, got)
	}
}

var commands = []string{"dev", "deploy", "env", "run", "codegen"}

// TestKeyKindsByCommand covers every deploy-key kind (and the other
// environment configurations) for each command family.
func TestKeyKindsByCommand(t *testing.T) {
	w := newWorld(t)
	localCfg := fmt.Sprintf(`{"ports":{"cloud":3210,"site":3211},"backendVersion":"v","adminKey":"%s|00ff","deploymentName":"%s"}`, w.local, w.local)
	anonCfg := `{"ports":{"cloud":3300,"site":3301},"backendVersion":"v","adminKey":"anonymous-app|00ff","deploymentName":"anonymous-app"}`
	previewDeploy := want{kind: deployments.KindPreview, source: "CONVEX_DEPLOY_KEY"}
	notConfigured := want{err: "No Convex deployment is configured"}

	rows := []struct {
		name  string
		setup setup
		by    map[string]want // per command; "*" = default
	}{
		{"prod key", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}},
			map[string]want{"*": {kind: deployments.KindProd, name: "$PROD", source: "CONVEX_DEPLOY_KEY"}}},
		{"prod key in .env.local", setup{files: map[string]string{".env.local": "CONVEX_DEPLOY_KEY='$PROD_KEY'\n"}},
			map[string]want{"*": {kind: deployments.KindProd, name: "$PROD", source: "CONVEX_DEPLOY_KEY in .env.local"}}},
		{"dev key", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$DEV_KEY"}},
			map[string]want{"*": {kind: deployments.KindDev, name: "$DEV", source: "CONVEX_DEPLOY_KEY"}}},
		{"dev key via alias", setup{env: map[string]string{"CONVEX_DEPLOYMENT_TOKEN": "$DEV_KEY"}},
			map[string]want{"*": {kind: deployments.KindDev, name: "$DEV", source: "CONVEX_DEPLOYMENT_TOKEN"}}},
		{"preview key, logged out", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY"}, opts: deployments.Options{PreviewName: "feature-x"}},
			map[string]want{
				"dev":     {err: "convex deploy"},
				"codegen": {err: "Codegen needs an existing deployment"},
				"deploy":  previewDeploy,
				// --preview-name selects the preview deployment deploy claimed just before.
				"*": {kind: deployments.KindPreview},
			}},
		{"preview key, branch from CI", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY", "VERCEL": "1", "VERCEL_GIT_COMMIT_REF": "my-branch"}},
			map[string]want{
				"dev":     {err: "convex deploy"},
				"codegen": {err: "Codegen needs an existing deployment"},
				"deploy":  previewDeploy,
				// Without a login, a preview key cannot provision a dev deployment.
				"*": {err: "not allowed"},
			}},
		{"preview key, logged in", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY", "CI": "1", "GITHUB_HEAD_REF": "pr-7"}, loggedIn: true},
			map[string]want{
				"dev":     {err: "convex deploy"},
				"codegen": {err: "Codegen needs an existing deployment"},
				"deploy":  previewDeploy,
				// The user's token beats a preview key: own dev deployment.
				"*": {kind: deployments.KindDev, name: "$DEV"},
			}},
		{"project key", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROJECT_KEY"}},
			map[string]want{
				"deploy": {kind: deployments.KindProd, name: "$PROD"},
				"*":      {kind: deployments.KindDev},
			}},
		{"a preview deployment's own key, logged out", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_DEPLOYMENT_KEY"}},
			map[string]want{"*": {kind: deployments.KindPreview, name: "$PREVIEW_DEPLOYMENT", source: "CONVEX_DEPLOY_KEY"}}},
		{"legacy key", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "abcdefsecret"}},
			map[string]want{"*": {err: "old format"}}},
		{"unknown key", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "prod:gone-gone-1|eyJ2MiI6Im5vcGUifQ=="}},
			map[string]want{"*": {err: "401 Unauthorized"}}},
		{"self-hosted", setup{env: map[string]string{"CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:9", "CONVEX_SELF_HOSTED_ADMIN_KEY": "self|abc"}},
			map[string]want{"*": {kind: deployments.KindSelfHosted, name: "-", source: "CONVEX_SELF_HOSTED_URL"}}},
		{"self-hosted in a Vercel build", setup{env: map[string]string{"VERCEL": "1", "VERCEL_ENV": "preview"},
			files: map[string]string{".env": "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:9\nCONVEX_SELF_HOSTED_ADMIN_KEY=self|abc\n"}},
			map[string]want{"*": {kind: deployments.KindSelfHosted, source: "CONVEX_SELF_HOSTED_URL in .env"}}},
		{"CONVEX_DEPLOYMENT dev, logged in", setup{files: map[string]string{".env.local": "CONVEX_DEPLOYMENT=dev:$DEV # team: acme, project: chat\n"}, loggedIn: true},
			map[string]want{
				"deploy": {kind: deployments.KindProd, name: "$PROD", source: "the project of CONVEX_DEPLOYMENT in .env.local"},
				"*":      {kind: deployments.KindDev, name: "$DEV", source: "CONVEX_DEPLOYMENT in .env.local"},
			}},
		{"CONVEX_DEPLOYMENT legacy value", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "$DEV"}, loggedIn: true},
			map[string]want{
				"deploy": {kind: deployments.KindProd, name: "$PROD"},
				"*":      {kind: deployments.KindDev, name: "$DEV", source: "CONVEX_DEPLOYMENT"},
			}},
		{"CONVEX_DEPLOYMENT, logged out", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}},
			map[string]want{"*": {err: "Unauthenticated"}}},
		{"CONVEX_DEPLOYMENT local", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "local:$LOCAL"}, loggedIn: true,
			files: map[string]string{".convex/local/default/config.json": localCfg}},
			map[string]want{
				"deploy": {kind: deployments.KindProd, name: "$PROD"},
				"*":      {kind: deployments.KindLocal, name: "$LOCAL"},
			}},
		{"CONVEX_DEPLOYMENT local without state", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "local:$LOCAL"}, loggedIn: true},
			map[string]want{
				"deploy": {kind: deployments.KindProd, name: "$PROD"},
				"dev":    {kind: deployments.KindLocal, name: "$LOCAL"},
				"*":      {err: "Could not find deployment with name"},
			}},
		{"CONVEX_DEPLOYMENT anonymous without state", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "anonymous:anonymous-app"}},
			map[string]want{
				"deploy": {err: "nothing in the cloud to deploy to"},
				"dev":    {kind: deployments.KindAnonymous, name: "anonymous-app"},
				"*":      {err: "Could not find deployment with name anonymous-app"},
			}},
		{"CONVEX_DEPLOYMENT anonymous", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "anonymous:anonymous-app"},
			files: map[string]string{".convex/local/default/config.json": anonCfg}},
			map[string]want{
				"deploy": {err: "nothing in the cloud to deploy to"},
				"*":      {kind: deployments.KindAnonymous, name: "anonymous-app"},
			}},
		{"anonymous disabled", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "anonymous:anonymous-app", "CONVEX_ALLOW_ANONYMOUS": "false"}},
			map[string]want{"dev": {kind: deployments.KindChooseProject}, "*": notConfigured}},
		{"nothing, non-interactive", setup{},
			map[string]want{"dev": {kind: deployments.KindAnonymous, name: "-"}, "*": notConfigured}},
		{"nothing, logged in at a terminal", setup{loggedIn: true, tty: true},
			map[string]want{"dev": {kind: deployments.KindChooseProject}, "*": notConfigured}},
		{"nothing, agent mode", setup{loggedIn: true, tty: true, env: map[string]string{"CONVEX_AGENT_MODE": "anonymous"}},
			map[string]want{"dev": {kind: deployments.KindAnonymous}, "*": notConfigured}},
		{"nothing in a Vercel build", setup{env: map[string]string{"VERCEL": "1"}},
			map[string]want{"*": {err: "This is a Vercel build, but no Convex deployment is configured"}}},
		{"nothing in a Netlify build", setup{env: map[string]string{"NETLIFY": "true"}, loggedIn: true},
			map[string]want{"*": {err: "Netlify build"}}},
		{"nothing in a Cloudflare build", setup{env: map[string]string{"WORKERS_CI": "1"}},
			map[string]want{"*": {err: "Cloudflare build"}}},
		{"override token", setup{env: map[string]string{"CONVEX_OVERRIDE_ACCESS_TOKEN": "$TOKEN", "CONVEX_DEPLOYMENT": "dev:$DEV"}},
			map[string]want{"deploy": {kind: deployments.KindProd, name: "$PROD"}, "*": {kind: deployments.KindDev, name: "$DEV"}}},
	}
	for _, row := range rows {
		for _, cmd := range commands {
			wt, ok := row.by[cmd]
			if !ok {
				wt = row.by["*"]
			}
			t.Run(row.name+"/"+cmd, func(t *testing.T) { w.check(t, cmd, row.setup, wt) })
		}
	}
}

// TestRefusalsAndFlags covers spec §2.4 step 5, §2.7 and §9.1.
func TestRefusalsAndFlags(t *testing.T) {
	w := newWorld(t)
	sh := map[string]string{"CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:9", "CONVEX_SELF_HOSTED_ADMIN_KEY": "self|abc"}
	cases := []struct {
		name, cmd string
		setup     setup
		want      want
	}{
		{"url+admin-key", "env", setup{opts: deployments.Options{URL: "http://127.0.0.1:5", AdminKey: "k|1"}, env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}},
			want{kind: deployments.KindURL, source: "--url and --admin-key"}},
		{"url alone is ignored", "env", setup{opts: deployments.Options{URL: "http://127.0.0.1:5"}, env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}},
			want{kind: deployments.KindProd, name: "$PROD"}},
		{"url+admin-key with --prod warns", "env", setup{opts: deployments.Options{URL: "http://127.0.0.1:5", AdminKey: "k|1", Prod: true}},
			want{kind: deployments.KindURL, warn: "Ignoring --prod"}},
		{"url+admin-key with --deployment", "env", setup{opts: deployments.Options{URL: "http://127.0.0.1:5", AdminKey: "k|1", Deployment: "prod"}},
			want{err: "--deployment cannot be used with --url and --admin-key"}},
		{"self-hosted with --prod", "env", setup{env: sh, opts: deployments.Options{Prod: true}},
			want{err: "cannot be used with a self-hosted deployment"}},
		{"self-hosted with --deployment", "run", setup{env: sh, opts: deployments.Options{Deployment: "dev"}},
			want{err: "--deployment cannot be used with a self-hosted deployment"}},
		{"self-hosted plus CONVEX_DEPLOYMENT", "env", setup{env: map[string]string{"CONVEX_SELF_HOSTED_URL": "http://x", "CONVEX_SELF_HOSTED_ADMIN_KEY": "a|b", "CONVEX_DEPLOYMENT": "dev:$DEV"}},
			want{err: "CONVEX_DEPLOYMENT must not be set"}},
		{"half self-hosted plus CONVEX_DEPLOYMENT", "env", setup{env: map[string]string{"CONVEX_SELF_HOSTED_URL": "http://x", "CONVEX_DEPLOYMENT": "dev:$DEV"}, loggedIn: true},
			want{err: "must not be set when CONVEX_DEPLOYMENT is set"}},
		{"deploy key with --prod warns", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$DEV_KEY"}, opts: deployments.Options{Prod: true}},
			want{kind: deployments.KindDev, name: "$DEV", warn: "Ignoring --prod"}},
		{"deploy key with --deployment", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$DEV_KEY"}, opts: deployments.Options{Deployment: "dev"}},
			want{err: "--deployment cannot be used with CONVEX_DEPLOY_KEY"}},
		{"prod key in a Vercel preview build", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "VERCEL": "1", "VERCEL_ENV": "preview"}},
			want{err: "production deployment"}},
		{"prod key in a Vercel production build", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "VERCEL": "1", "VERCEL_ENV": "production"}},
			want{kind: deployments.KindProd, name: "$PROD"}},
		{"prod key in a Vercel preview build, check disabled", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "VERCEL": "1"}, opts: deployments.Options{SkipBuildEnvironmentCheck: true}},
			want{kind: deployments.KindProd, name: "$PROD"}},
		{"prod key on a Cloudflare branch", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "CF_PAGES": "1", "CF_PAGES_BRANCH": "feature"}},
			want{err: "production deployment"}},
		{"prod key on Cloudflare main", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "CF_PAGES": "1", "CF_PAGES_BRANCH": "main"}},
			want{kind: deployments.KindProd}},
		{"prod key on a Netlify deploy preview", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY", "NETLIFY": "true", "CONTEXT": "deploy-preview"}},
			want{err: "production deployment"}},
		{"dev key in a Vercel preview build is fine", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$DEV_KEY", "VERCEL": "1"}},
			want{kind: deployments.KindDev, name: "$DEV"}},
		{"--preview-create with a prod key", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}, opts: deployments.Options{PreviewCreate: "x"}},
			want{err: "/dp/$PROD/settings#preview-deploy-keys"}},
		{"--preview-create without any key", "deploy", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{PreviewCreate: "x"}},
			want{err: "only works with a preview deploy key"}},
		{"preview key, no branch", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY"}},
			want{err: "--preview-name"}},
		{"preview key dry run", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY"}, opts: deployments.Options{PreviewName: "b", DryRun: true}},
			want{kind: deployments.KindPreview, name: "-"}},
		{"missing-key sentinel", "deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "<missing_deploy_key:Add CONVEX_DEPLOY_KEY in your Vercel settings>"}},
			want{err: "Add CONVEX_DEPLOY_KEY in your Vercel settings"}},
		{"ignore-key sentinel", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOY_KEY": "<ignore_deploy_key>", "CONVEX_DEPLOYMENT": "dev:$DEV"}},
			want{kind: deployments.KindDev, name: "$DEV"}},
		{"real env beats .env.local", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$DEV_KEY"}, files: map[string]string{".env.local": "CONVEX_DEPLOY_KEY=$PROD_KEY\n"}},
			want{kind: deployments.KindDev, name: "$DEV"}},
		{".env.local beats .env", "env", setup{files: map[string]string{".env.local": "CONVEX_DEPLOY_KEY=$DEV_KEY\n", ".env": "CONVEX_DEPLOY_KEY=$PROD_KEY\n"}},
			want{kind: deployments.KindDev, source: ".env.local"}},
		{"env file wins over .env.local", "env", setup{files: map[string]string{".env.local": "CONVEX_DEPLOY_KEY=$DEV_KEY\n", "ci.env": "CONVEX_DEPLOY_KEY=$PROD_KEY\n"}, opts: deployments.Options{EnvFile: "ci.env"}},
			want{kind: deployments.KindProd, source: "ci.env"}},
		{"env file ignores the real environment", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}, files: map[string]string{"ci.env": "OTHER=1\n"}, opts: deployments.Options{EnvFile: "ci.env"}},
			want{err: "names no Convex deployment"}},
		{"env file missing", "env", setup{opts: deployments.Options{EnvFile: "nope.env"}},
			want{err: "env file does not exist"}},
		{"--prod with CONVEX_DEPLOYMENT", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Prod: true}},
			want{kind: deployments.KindProd, name: "$PROD", source: "--prod"}},
		{"--deployment-name wins over --prod", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Prod: true, DeploymentName: "$STAGING"}},
			want{kind: deployments.KindProd, name: "$STAGING", source: "--deployment-name"}},
		{"--deployment-name without CONVEX_DEPLOYMENT", "run", setup{loggedIn: true, opts: deployments.Options{DeploymentName: "$DEV"}},
			want{kind: deployments.KindDev, name: "$DEV"}},
		{"--deployment name", "env", setup{loggedIn: true, opts: deployments.Options{Deployment: "$STAGING"}},
			want{kind: deployments.KindProd, name: "$STAGING", source: "--deployment"}},
		{"--deployment team:project:ref", "env", setup{loggedIn: true, opts: deployments.Options{Deployment: "acme:chat:staging"}},
			want{kind: deployments.KindProd, name: "$STAGING"}},
		{"--deployment ref in current project", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "staging"}},
			want{kind: deployments.KindProd, name: "$STAGING"}},
		{"--deployment project:ref", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "chat:production"}},
			want{kind: deployments.KindProd, name: "$PROD"}},
		{"--deployment dev", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "prod:$PROD"}, opts: deployments.Options{Deployment: "dev"}},
			want{kind: deployments.KindDev, name: "$DEV"}},
		{"--deployment prod", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "prod"}},
			want{kind: deployments.KindProd, name: "$PROD"}},
		{"--deployment unknown ref", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "nope"}},
			want{err: "convex deployment create acme:chat:nope --select"}},
		{"--deployment in an unknown project", "env", setup{loggedIn: true, opts: deployments.Options{Deployment: "acme:ghost:prod"}},
			want{err: "don't have access"}},
		{"--deployment local without state", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "local"}},
			want{err: "convex deployment create local"}},
		{"--deployment local", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{Deployment: "local"},
			files: map[string]string{".convex/local/default/config.json": `{"ports":{"cloud":3210,"site":3211},"adminKey":"k|1","deploymentName":"$LOCAL"}`}},
			want{kind: deployments.KindLocal, name: "$LOCAL"}},
		{"--deployment team:project:local in another project", "env", setup{loggedIn: true, opts: deployments.Options{Deployment: "acme:chat:local"},
			files: map[string]string{".convex/local/default/config.json": `{"ports":{"cloud":3210,"site":3211},"adminKey":"k|1","deploymentName":"$LOCAL","cloudProjectId":999}`}},
			want{err: "different project than acme:chat"}},
		{"--preview-name selects an existing preview", "env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{PreviewName: "nope"}},
			want{err: "DeploymentNotFound"}},
		{"project key with --deployment-name", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROJECT_KEY"}, opts: deployments.Options{DeploymentName: "$DEV"}},
			want{err: "Project deploy keys cannot select deployments by name"}},
		{"project key with --preview-name", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROJECT_KEY"}, opts: deployments.Options{PreviewName: "x"}},
			want{err: "Project deploy keys cannot select preview deployments"}},
		{"project key with --prod", "env", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROJECT_KEY"}, opts: deployments.Options{Prod: true}},
			want{kind: deployments.KindProd, name: "$PROD"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.want.err = w.expand(c.want.err)
			w.check(t, c.cmd, c.setup, c.want)
		})
	}
}

func TestPreviewClaimReuseAndRecreate(t *testing.T) {
	w := newWorld(t)
	s := setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PREVIEW_KEY"}, opts: deployments.Options{PreviewName: "feat"}}
	first, _, err := w.run("deploy", s)
	if err != nil {
		t.Fatal(err)
	}
	if !first.IsNewDeployment || first.Name == "" || first.URL == "" || first.PreviewName != "feat" || first.Team != "acme" {
		t.Fatalf("first claim: %+v", first)
	}
	again, _, err := w.run("deploy", s)
	if err != nil || again.Name != first.Name || again.IsNewDeployment {
		t.Fatalf("reuse claim: %+v, %v", again, err)
	}
	s.opts = deployments.Options{PreviewCreate: "feat"}
	fresh, _, err := w.run("deploy", s)
	if err != nil || fresh.Name == first.Name || !fresh.IsNewDeployment {
		t.Fatalf("recreate claim: %+v, %v", fresh, err)
	}
	if _, ok := w.fc.Deployment(first.Name); ok {
		t.Errorf("recreated preview left the old deployment %s behind", first.Name)
	}
	// Now --preview-name reaches the existing preview with a login.
	got, _, err := w.run("env", setup{loggedIn: true, env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV"}, opts: deployments.Options{PreviewName: "feat"}})
	if err != nil || got.Name != fresh.Name || got.Kind != deployments.KindPreview {
		t.Fatalf("--preview-name: %+v, %v", got, err)
	}
}

func TestDeployKeyRequestOrderAndDescribe(t *testing.T) {
	w := newWorld(t)
	before := len(w.fc.Calls())
	got, _, err := w.run("deploy", setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "$PROD_KEY"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := w.fc.Calls()[before:]
	wantCalls := []string{"POST /api/deployment/url_for_key", "POST /api/deployment/team_and_project_for_key"}
	if strings.Join(calls, ",") != strings.Join(wantCalls, ",") {
		t.Errorf("calls = %v, want %v", calls, wantCalls)
	}
	if got.URL != w.sd.Prod.URL || got.AdminKey != w.sd.ProdKey || got.Reference != "production" || !got.IsDefault {
		t.Errorf("target = %+v", got)
	}
	if got.AuthKind != "deploymentKey" || got.DeployKeyVar != "CONVEX_DEPLOY_KEY" {
		t.Errorf("auth = %q via %q", got.AuthKind, got.DeployKeyVar)
	}
	want := "prod deployment " + w.sd.Prod.Name + " in acme:chat (from CONVEX_DEPLOY_KEY)"
	if got.Describe() != want {
		t.Errorf("Describe = %q, want %q", got.Describe(), want)
	}
	if strings.Contains(got.Describe(), "eyJ") {
		t.Error("Describe leaks the key")
	}
}

func TestDescribe(t *testing.T) {
	cases := map[string]deployments.Target{
		"self-hosted deployment at http://h:1 (from CONVEX_SELF_HOSTED_URL)": {Kind: deployments.KindSelfHosted, URL: "http://h:1", Source: "CONVEX_SELF_HOSTED_URL"},
		"deployment at http://h:2 (from --url and --admin-key)":              {Kind: deployments.KindURL, URL: "http://h:2", Source: "--url and --admin-key"},
		"local deployment anonymous-app (no account)":                        {Kind: deployments.KindAnonymous, Name: "anonymous-app"},
		`preview deployment for "feat" in t:p (from CONVEX_DEPLOY_KEY)`:      {Kind: deployments.KindPreview, PreviewName: "feat", Team: "t", Project: "p", Source: "CONVEX_DEPLOY_KEY"},
		"dev deployment a-b-1 (from --deployment dev)":                       {Kind: deployments.KindDev, Name: "a-b-1", Source: "--deployment dev"},
	}
	for want, tg := range cases {
		if got := tg.Describe(); got != want {
			t.Errorf("Describe = %q, want %q", got, want)
		}
	}
}

// A variable set to "" in the real environment hides the env files (dotenv
// never overrides), and then reads as unset.
func TestEmptyRealVariableHidesEnvFiles(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOY_KEY="+w.sd.ProdKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := config.MapEnv{"CONVEX_PROVISION_HOST": w.url, "HOME": dir}
	got, err := deployments.Select(context.Background(), deployments.Options{Command: "env", Dir: dir, Env: base, RetryDelay: noDelay})
	if err != nil || got.Name != w.sd.Prod.Name || got.Source != "CONVEX_DEPLOY_KEY in .env.local" {
		t.Fatalf("key from .env.local: %+v, %v", got, err)
	}
	base["CONVEX_DEPLOY_KEY"] = ""
	_, err = deployments.Select(context.Background(), deployments.Options{Command: "env", Dir: dir, Env: base, RetryDelay: noDelay})
	if err == nil || !strings.Contains(err.Error(), "No Convex deployment is configured") {
		t.Fatalf("empty real variable did not hide .env.local: %v", err)
	}
}

func TestSelectShowsDeprecationOnce(t *testing.T) {
	fc := fakecloud.New(fakecloud.Options{DeprecationState: "Upgrade", DeprecationMessage: "this CLI version will stop working soon"})
	url := fc.Start()
	defer fc.Close()
	sd, err := fc.Seed()
	if err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	got, err := deployments.Select(context.Background(), deployments.Options{
		Command: "env", Dir: t.TempDir(), RetryDelay: noDelay, Warn: &warn,
		Env: deployments.MapEnv{"CONVEX_PROVISION_HOST": url, "CONVEX_DEPLOY_KEY": sd.ProdKey},
	})
	if err != nil || got.Name != sd.Prod.Name {
		t.Fatalf("Select = %+v, %v", got, err)
	}
	if n := strings.Count(warn.String(), "this CLI version will stop working soon"); n != 1 {
		t.Errorf("deprecation shown %d times: %q", n, warn.String())
	}
}

// A corrupt local deployment config is an error naming the file for every
// command (dev included, which must not write a fresh config over it).
func TestCorruptLocalConfig(t *testing.T) {
	w := newWorld(t)
	const corrupt = `{"ports":{"cloud":3210`
	for _, cd := range []string{"anonymous:anonymous-app", "local:$LOCAL"} {
		for _, cmd := range []string{"run", "env", "dev"} {
			s := setup{
				env:      map[string]string{"CONVEX_DEPLOYMENT": cd},
				files:    map[string]string{".convex/local/default/config.json": corrupt},
				loggedIn: true,
			}
			w.check(t, cmd, s, want{err: "config.json is not valid JSON"})
			w.check(t, cmd, s, want{err: "move the "})
		}
	}
	// The --deployment local selector reads the same file.
	w.check(t, "run", setup{files: map[string]string{".convex/local/default/config.json": corrupt, ".env.local": "CONVEX_DEPLOYMENT=dev:$DEV\n"},
		loggedIn: true, opts: deployments.Options{Deployment: "local"}}, want{err: "not valid JSON"})
	// A missing one is still "not found" for run and fine for dev.
	w.check(t, "run", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "anonymous:anonymous-app"}}, want{err: "Could not find deployment with name anonymous-app"})
	w.check(t, "dev", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "anonymous:anonymous-app"}}, want{kind: deployments.KindAnonymous, name: "anonymous-app"})
}

// Deploy keys are parsed by auth: a key the shell cut at an unquoted '|'
// is refused with a quoting hint wherever it is read from, and the
// leftover "ey…" variable such a cut leaves behind stops every command.
func TestCutDeployKeyAndLeftoverVariable(t *testing.T) {
	w := newWorld(t)
	for _, cmd := range commands {
		w.check(t, cmd, setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "prod:$PROD"}}, want{err: "cut off at '|'"})
		w.check(t, cmd, setup{env: map[string]string{"CONVEX_DEPLOY_KEY": "prod:$PROD"}}, want{err: "single quotes"})
		w.check(t, cmd, setup{files: map[string]string{".env.local": "CONVEX_DEPLOYMENT_TOKEN=project:acme:chat\n"}}, want{err: "CONVEX_DEPLOYMENT_TOKEN=project:acme:chat has no secret part"})
	}
	_, err := deployments.ManagementAuth(deployments.Options{Env: deployments.MapEnv{"CONVEX_DEPLOY_KEY": "dev:x-y-1"}, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "cut off") || ui.ExitCode(err) != 1 {
		t.Errorf("ManagementAuth with a cut key: %v", err)
	}

	leftover := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(`{"v2":"0123456789abcdef"}`)), "=")
	for _, cmd := range commands {
		w.check(t, cmd, setup{env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV", leftover: ""}, loggedIn: true},
			want{err: "CONVEX_DEPLOY_KEY='project:name:project|"})
	}
	_, err = deployments.ManagementAuth(deployments.Options{Env: deployments.MapEnv{leftover: ""}, Dir: t.TempDir()})
	if err == nil || !strings.Contains(ui.HintOf(err), "Quote the key") {
		t.Errorf("ManagementAuth with a leftover variable: %v", err)
	}
	// With a value it is an ordinary variable; with the ignore switch only a warning.
	w.check(t, "env", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV", leftover: "x"}, loggedIn: true}, want{kind: deployments.KindDev, name: "$DEV"})
	w.check(t, "env", setup{env: map[string]string{"CONVEX_DEPLOYMENT": "dev:$DEV", leftover: "", "CONVEX_IGNORE_SUSPICIOUS_ENV_VARS": "1"}, loggedIn: true},
		want{kind: deployments.KindDev, name: "$DEV", warn: "looks like part of a deploy key"})
}
