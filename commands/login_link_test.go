package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/push"
)

// scriptedPrompter answers questions from a list and records them. It
// fails the test on a question it has no answer for.
type scriptedPrompter struct {
	t       *testing.T
	answers []any // int for Select, string for Input, bool for Confirm
	asked   []string
}

func (s *scriptedPrompter) next(q string) any {
	s.t.Helper()
	s.asked = append(s.asked, q)
	if len(s.answers) == 0 {
		s.t.Fatalf("unexpected question %q", q)
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a
}

func (s *scriptedPrompter) Select(q string, _ []string) (int, error) { return s.next(q).(int), nil }
func (s *scriptedPrompter) Input(q, _ string) (string, error)        { return s.next(q).(string), nil }
func (s *scriptedPrompter) Confirm(q string, _ bool) (bool, error)   { return s.next(q).(bool), nil }

// linkWorld is a project with an anonymous deployment holding one
// environment variable, and a fake cloud with a logged-in user.
type linkWorld struct {
	d       *Deps
	stderr  *bytes.Buffer
	fc      *fakecloud.Server
	client  *deployments.Client
	dir     string
	anon    string
	token   string
	oldConf *anonymous.Config
}

func newLinkWorld(t *testing.T) *linkWorld {
	t.Helper()
	fc := fakecloud.New(fakecloud.Options{})
	url := fc.Start()
	t.Cleanup(fc.Close)
	sd, err := fc.Seed()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	dir := filepath.Join(t.TempDir(), "my-app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := config.MapEnv{"HOME": home, "CONVEX_PROVISION_HOST": url}
	ctx := context.Background()
	dep, err := anonymous.EnsureAnonymous(ctx, anonymous.Options{ProjectDir: dir, Out: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	v := "kept"
	err = push.NewClient(dep.URL, dep.AdminKey).UpdateEnv(ctx, []push.EnvChange{{Name: "BEFORE_LINK", Value: &v}})
	dep.Close()
	if err != nil {
		t.Fatal(err)
	}
	old, err := anonymous.LoadConfig(anonymous.ProjectStateDir(dir))
	if err != nil || old == nil {
		t.Fatalf("config: %v %v", old, err)
	}
	envLocal := "# keep me\nCONVEX_DEPLOYMENT=anonymous:" + dep.Name + "\nCONVEX_URL=" + dep.URL + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), []byte(envLocal), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	d := &Deps{Stdout: &bytes.Buffer{}, Stderr: &stderr, Env: env, Cwd: dir}
	d.init()
	client := deployments.NewClient(deployments.ClientOptions{Host: url, Auth: sd.AccessToken, Version: deployments.ClientVersion(env)})
	return &linkWorld{d: d, stderr: &stderr, fc: fc, client: client, dir: dir, anon: dep.Name, token: sd.AccessToken, oldConf: old}
}

func (w *linkWorld) envLocal(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, ".env.local"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLinkAfterLoginYes(t *testing.T) {
	w := newLinkWorld(t)
	if w.anon != "anonymous-my-app" {
		t.Fatalf("anonymous name %q", w.anon)
	}
	// Link? yes; one team so no team question; create a new project with
	// the offered name.
	p := &scriptedPrompter{t: t, answers: []any{true, 0, ""}}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatalf("link: %v\n%s", err, w.stderr)
	}
	if len(p.asked) != 3 || !strings.Contains(p.asked[0], `("anonymous-my-app")`) || p.asked[2] != "Project name:" {
		t.Fatalf("questions: %q", p.asked)
	}
	cfg, err := anonymous.LoadConfig(anonymous.ProjectStateDir(w.dir))
	if err != nil || cfg == nil {
		t.Fatalf("config: %v %v", cfg, err)
	}
	if cfg.DeploymentName != "local-acme-my_app" {
		t.Fatalf("deployment name %q", cfg.DeploymentName)
	}
	if cfg.CloudProjectID == nil || *cfg.CloudProjectID == 0 {
		t.Fatalf("cloudProjectId not set: %+v", cfg)
	}
	if cfg.Ports != w.oldConf.Ports || cfg.InstanceSecret == w.oldConf.InstanceSecret || !strings.HasPrefix(cfg.AdminKey, "local-acme-my_app|") {
		t.Fatalf("ports or credentials wrong: %+v (was %+v)", cfg, w.oldConf)
	}
	out := w.stderr.String()
	for _, want := range []string{"Created project my-app in team acme", "Linked anonymous-my-app to project my-app", "/d/local-acme-my_app to get started"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	env := w.envLocal(t)
	if !strings.Contains(env, "CONVEX_DEPLOYMENT=local:local-acme-my_app # team: acme, project: my-app\n") || !strings.Contains(env, "# keep me") {
		t.Fatalf(".env.local:\n%s", env)
	}
	calls := strings.Join(w.fc.Calls(), "\n")
	if !strings.Contains(calls, "local_deployment/start") || !strings.Contains(calls, "local_deployment/pause") {
		t.Fatalf("calls:\n%s", calls)
	}

	// The data survived under the new name.
	ctx := context.Background()
	r, err := anonymous.EnsureRunning(ctx, w.dir, deployments.GlobalDir(w.d.Env), "local-acme-my_app")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	vars, err := push.NewClient(r.URL, r.AdminKey).EnvList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 1 || vars[0].Name != "BEFORE_LINK" || vars[0].Value != "kept" {
		t.Fatalf("env vars after linking: %+v", vars)
	}
}

func TestLinkAfterLoginNo(t *testing.T) {
	w := newLinkWorld(t)
	before := w.envLocal(t)
	p := &scriptedPrompter{t: t, answers: []any{false}}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.stderr.String(), "convex login --link-deployments") {
		t.Fatalf("no hint:\n%s", w.stderr)
	}
	cfg, _ := anonymous.LoadConfig(anonymous.ProjectStateDir(w.dir))
	if cfg == nil || *cfg != *w.oldConf {
		t.Fatalf("config changed: %+v", cfg)
	}
	if w.envLocal(t) != before {
		t.Fatal(".env.local changed")
	}
	for _, c := range w.fc.Calls() {
		if strings.Contains(c, "local_deployment") || strings.Contains(c, "create_project") {
			t.Fatalf("unexpected call %s", c)
		}
	}
}

func TestLinkAfterLoginNonInteractive(t *testing.T) {
	w := newLinkWorld(t)
	p := auth.NewPrompterWith(auth.PrompterOptions{Interactive: false})
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatalf("login must not fail without a terminal: %v", err)
	}
	if !strings.Contains(w.stderr.String(), "convex login --link-deployments") {
		t.Fatalf("no hint:\n%s", w.stderr)
	}
	if cfg, _ := anonymous.LoadConfig(anonymous.ProjectStateDir(w.dir)); cfg == nil || cfg.DeploymentName != w.anon {
		t.Fatalf("config changed: %+v", cfg)
	}
}

func TestLinkAfterLoginDisabled(t *testing.T) {
	w := newLinkWorld(t)
	w.d.Env.(config.MapEnv)["CONVEX_ALLOW_ANONYMOUS"] = "false"
	p := &scriptedPrompter{t: t} // any question fails the test
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatal(err)
	}
	if w.stderr.Len() != 0 {
		t.Fatalf("printed: %s", w.stderr)
	}
}

func TestLinkRefusesProjectWithLocalDeployment(t *testing.T) {
	w := newLinkWorld(t)
	// The project "chat" already has a local deployment saved in the home
	// directory under the name Convex gives it.
	taken := filepath.Join(deployments.GlobalDir(w.d.Env), "convex-backend-state", "local-acme-chat")
	if err := anonymous.SaveConfig(taken, &anonymous.Config{Ports: anonymous.Ports{Cloud: 1, Site: 2}, AdminKey: "x|y", DeploymentName: "local-acme-chat"}); err != nil {
		t.Fatal(err)
	}
	// Link? yes; choose an existing project: chat.
	p := &scriptedPrompter{t: t, answers: []any{true, 1, 0}}
	err := w.d.linkAfterLogin(context.Background(), w.client, p, false)
	if err == nil || !strings.Contains(err.Error(), "Project chat already has a local deployment") {
		t.Fatalf("err = %v", err)
	}
	if cfg, _ := anonymous.LoadConfig(anonymous.ProjectStateDir(w.dir)); cfg == nil || *cfg != *w.oldConf {
		t.Fatalf("config changed: %+v", cfg)
	}
	if !strings.Contains(w.envLocal(t), "CONVEX_DEPLOYMENT=anonymous:") {
		t.Fatal(".env.local changed")
	}
}

func TestLinkLegacyLoop(t *testing.T) {
	w := newLinkWorld(t)
	// No project-local anonymous deployment; one legacy one in the home dir.
	if err := os.RemoveAll(filepath.Join(w.dir, ".convex")); err != nil {
		t.Fatal(err)
	}
	legacy := anonymous.LegacyAnonymousDir(deployments.GlobalDir(w.d.Env), "anonymous-old")
	if err := anonymous.SaveConfig(legacy, &anonymous.Config{Ports: anonymous.Ports{Cloud: 1, Site: 2}, AdminKey: "anonymous-old|00", DeploymentName: "anonymous-old"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(legacy, "data"), []byte("rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Which? the first; new project named "old"; another? (none left).
	p := &scriptedPrompter{t: t, answers: []any{0, 0, "", false}}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, true); err != nil {
		t.Fatalf("%v\n%s", err, w.stderr)
	}
	moved := filepath.Join(deployments.GlobalDir(w.d.Env), "convex-backend-state", "local-acme-old")
	if b, err := os.ReadFile(filepath.Join(moved, "data")); err != nil || string(b) != "rows" {
		t.Fatalf("data not moved: %v", err)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Fatalf("legacy dir still there: %v", err)
	}
	cfg, err := anonymous.LoadConfig(moved)
	if err != nil || cfg == nil || cfg.DeploymentName != "local-acme-old" || cfg.CloudProjectID == nil {
		t.Fatalf("moved config: %+v %v", cfg, err)
	}
	// .env.local named another deployment: untouched.
	if !strings.Contains(w.envLocal(t), "CONVEX_DEPLOYMENT=anonymous:anonymous-my-app") {
		t.Fatal(".env.local changed")
	}
}

func TestLinkNothingToLink(t *testing.T) {
	w := newLinkWorld(t)
	if err := os.RemoveAll(filepath.Join(w.dir, ".convex")); err != nil {
		t.Fatal(err)
	}
	p := &scriptedPrompter{t: t}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.stderr.String(), "no deployments made without an account") {
		t.Fatalf("output: %s", w.stderr)
	}
}

// The backend still running for the deployment blocks linking.
func TestLinkWaitsForRunningBackend(t *testing.T) {
	w := newLinkWorld(t)
	ctx := context.Background()
	r, err := anonymous.EnsureRunning(ctx, w.dir, "", w.anon)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = waitBackendStopped(ctx, r.Config.Ports.Cloud, w.anon, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("err = %v", err)
	}
	if err := waitBackendStopped(ctx, r.Config.Ports.Cloud, "anonymous-other", 0); err != nil {
		t.Fatalf("another deployment's backend must not block: %v", err)
	}
}

// convex dev with CONVEX_DEPLOYMENT naming the anonymous deployment, logged
// in at a terminal: yes links it and dev goes on with the local deployment.
func TestOfferLinkConfiguredYes(t *testing.T) {
	w := newLinkWorld(t)
	w.d.Env.(config.MapEnv)["CONVEX_OVERRIDE_ACCESS_TOKEN"] = w.token
	in := deployments.Target{Kind: deployments.KindAnonymous, Name: w.anon}
	p := &scriptedPrompter{t: t, answers: []any{true, 0, "renamed"}}
	got, err := w.d.offerLink(context.Background(), in, p)
	if err != nil {
		t.Fatalf("%v\n%s", err, w.stderr)
	}
	if !strings.Contains(p.asked[0], "CONVEX_DEPLOYMENT is configured with deployment anonymous-my-app") {
		t.Fatalf("questions: %q", p.asked)
	}
	if got.Kind != deployments.KindLocal || got.Name != "local-acme-renamed" || got.Team != "acme" || got.Project != "renamed" {
		t.Fatalf("target: %+v", got)
	}
	if !strings.Contains(w.envLocal(t), "CONVEX_DEPLOYMENT=local:local-acme-renamed # team: acme, project: renamed\n") {
		t.Fatalf(".env.local:\n%s", w.envLocal(t))
	}
}

func TestOfferLinkConfiguredDeclinedOrNotAsked(t *testing.T) {
	w := newLinkWorld(t)
	in := deployments.Target{Kind: deployments.KindAnonymous, Name: w.anon}
	// Not logged in: nothing is asked.
	got, err := w.d.offerLink(context.Background(), in, &scriptedPrompter{t: t})
	if err != nil || got != in {
		t.Fatalf("not logged in: %+v %v", got, err)
	}
	env := w.d.Env.(config.MapEnv)
	env["CONVEX_OVERRIDE_ACCESS_TOKEN"] = w.token
	// Agent mode: nothing is asked either.
	env["CONVEX_AGENT_MODE"] = "anonymous"
	if got, err = w.d.offerLink(context.Background(), in, &scriptedPrompter{t: t}); err != nil || got != in {
		t.Fatalf("agent mode: %+v %v", got, err)
	}
	delete(env, "CONVEX_AGENT_MODE")
	// No terminal: nothing is asked, no error.
	if got, err = w.d.offerLink(context.Background(), in, auth.NewPrompterWith(auth.PrompterOptions{})); err != nil || got != in {
		t.Fatalf("no terminal: %+v %v", got, err)
	}
	// Declined: dev stays anonymous, nothing changes.
	p := &scriptedPrompter{t: t, answers: []any{false}}
	if got, err = w.d.offerLink(context.Background(), in, p); err != nil || got != in || len(p.asked) != 1 {
		t.Fatalf("declined: %+v %v %q", got, err, p.asked)
	}
	if cfg, _ := anonymous.LoadConfig(anonymous.ProjectStateDir(w.dir)); cfg == nil || *cfg != *w.oldConf {
		t.Fatalf("config changed: %+v", cfg)
	}
}

// A corrupt local config does not make a successful login fail.
func TestLinkAfterLoginCorruptConfig(t *testing.T) {
	w := newLinkWorld(t)
	if err := os.WriteFile(filepath.Join(anonymous.ProjectStateDir(w.dir), "config.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.d.linkAfterLogin(context.Background(), w.client, &scriptedPrompter{t: t}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.stderr.String(), "Not offering to link") {
		t.Fatalf("output: %s", w.stderr)
	}
}

// Several legacy deployments, one question: each gets a project of its own
// in the chosen team.
func TestLinkLegacyBatch(t *testing.T) {
	w := newLinkWorld(t)
	if err := os.RemoveAll(filepath.Join(w.dir, ".convex")); err != nil {
		t.Fatal(err)
	}
	global := deployments.GlobalDir(w.d.Env)
	for i, name := range []string{"anonymous-beta", "anonymous-alpha"} {
		c := &anonymous.Config{Ports: anonymous.Ports{Cloud: 1 + 2*i, Site: 2 + 2*i}, AdminKey: name + "|00", DeploymentName: name}
		if err := anonymous.SaveConfig(anonymous.LegacyAnonymousDir(global, name), c); err != nil {
			t.Fatal(err)
		}
	}
	// Declining leaves both alone.
	p := &scriptedPrompter{t: t, answers: []any{false}}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.asked[0], "You have 2 existing deployments: anonymous-alpha, anonymous-beta.") {
		t.Fatalf("question: %q", p.asked)
	}
	if names, _ := w.d.legacyAnonymousNames(); len(names) != 2 {
		t.Fatalf("legacy after declining: %q", names)
	}
	p = &scriptedPrompter{t: t, answers: []any{true}}
	if err := w.d.linkAfterLogin(context.Background(), w.client, p, false); err != nil {
		t.Fatalf("%v\n%s", err, w.stderr)
	}
	if names, _ := w.d.legacyAnonymousNames(); len(names) != 0 {
		t.Fatalf("legacy after linking: %q", names)
	}
	for _, name := range []string{"local-acme-alpha", "local-acme-beta"} {
		cfg, err := anonymous.LoadConfig(filepath.Join(global, "convex-backend-state", name))
		if err != nil || cfg == nil || cfg.DeploymentName != name {
			t.Fatalf("%s: %+v %v", name, cfg, err)
		}
	}
	if !strings.Contains(w.stderr.String(), "Linked your deployments.") {
		t.Fatalf("output: %s", w.stderr)
	}
}
