package commands

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/aifiles"
	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
)

func init() {
	// No test of this package may reach the real version API: commands
	// that run the check without CONVEX_VERSION_API_ORIGIN get a port
	// where nothing listens, which fails at once.
	defaultVersionAPIOrigin = "http://127.0.0.1:1"
}

// versionAPI is a stand-in for version.convex.dev recording what it gets.
type versionAPI struct {
	status int
	body   string
	delay  time.Duration

	mu       sync.Mutex
	requests []*http.Request
}

func (a *versionAPI) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests = append(a.requests, r.Clone(context.Background()))
		a.mu.Unlock()
		if a.delay > 0 {
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (a *versionAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.requests)
}

// projectDir is a project with package.json and, when convexJSON is not
// "", a convex.json.
func projectDir(t *testing.T, convexJSON string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"convex":"1.48.0"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if convexJSON != "" {
		if err := os.WriteFile(filepath.Join(dir, "convex.json"), []byte(convexJSON), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkVersion runs the check as a command that has finished its work does
// and returns stderr and how long the command was held up.
func checkVersion(t *testing.T, dir string, env config.MapEnv, verbose bool) (string, time.Duration) {
	t.Helper()
	var out, errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	d.init()
	d.Log.SetEnabled(verbose)
	start := time.Now()
	d.startVersionCheck(context.Background()).wait()
	took := time.Since(start)
	if out.Len() != 0 {
		t.Errorf("the check wrote to stdout: %q", out.String())
	}
	return errb.String(), took
}

func TestVersionCheckPrintsMessageAndStaleness(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":"Convex 9.9.9 is out.\nUpgrade with npm i convex@latest","guidelinesHash":"g2","agentSkillsSha":"s1"}`}
	origin := api.start(t)
	dir := projectDir(t, "")

	stderr, _ := checkVersion(t, dir, config.MapEnv{aifiles.OriginEnv: origin}, false)
	want := "Convex 9.9.9 is out.\nUpgrade with npm i convex@latest\n" + aifiles.NotInstalledMessage + "\n"
	if stderr != want {
		t.Errorf("nothing installed:\n got %q\nwant %q", stderr, want)
	}

	// Installed with other guidelines than the API now has.
	old, sha := "g1", "s1"
	if err := aifiles.WriteState(filepath.Join(dir, "convex"), aifiles.State{GuidelinesHash: &old, AgentSkillsSHA: &sha}); err != nil {
		t.Fatal(err)
	}
	stderr, _ = checkVersion(t, dir, config.MapEnv{aifiles.OriginEnv: origin}, false)
	if !strings.HasSuffix(stderr, aifiles.OutOfDateMessage+"\n") || strings.Contains(stderr, aifiles.NotInstalledMessage) {
		t.Errorf("out of date: %q", stderr)
	}
	if !strings.Contains(stderr, "convex ai-files update") {
		t.Errorf("the hint does not name the command: %q", stderr)
	}

	// Current: only the message.
	cur := "g2"
	if err := aifiles.WriteState(filepath.Join(dir, "convex"), aifiles.State{GuidelinesHash: &cur, AgentSkillsSHA: &sha}); err != nil {
		t.Fatal(err)
	}
	stderr, _ = checkVersion(t, dir, config.MapEnv{aifiles.OriginEnv: origin}, false)
	if stderr != "Convex 9.9.9 is out.\nUpgrade with npm i convex@latest\n" {
		t.Errorf("current: %q", stderr)
	}
}

func TestVersionCheckFunctionsDirFromConvexJSON(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":null,"guidelinesHash":"new"}`}
	origin := api.start(t)
	dir := projectDir(t, `{"functions":"src/backend/"}`)
	old := "old"
	if err := aifiles.WriteState(filepath.Join(dir, "src", "backend"), aifiles.State{GuidelinesHash: &old}); err != nil {
		t.Fatal(err)
	}
	stderr, _ := checkVersion(t, dir, config.MapEnv{aifiles.OriginEnv: origin}, false)
	if stderr != aifiles.OutOfDateMessage+"\n" {
		t.Errorf("got %q", stderr)
	}
}

func TestVersionCheckNullMessageAndDisabledAIFiles(t *testing.T) {
	for _, c := range []struct{ name, convexJSON, body, want string }{
		{"null message, disabled", `{"aiFiles":{"enabled":false}}`, `{"message":null,"guidelinesHash":"x"}`, ""},
		{"empty message, disabled", `{"aiFiles":{"enabled":false}}`, `{"message":""}`, ""},
		{"message, disabled", `{"aiFiles":{"enabled":false}}`, `{"message":"hello"}`, "hello\n"},
		{"message, legacy switch", `{"aiFiles":{"disableStalenessMessage":true}}`, `{"message":"hello"}`, "hello\n"},
		// enabled wins over the legacy switch, as in the npm CLI.
		{"enabled beats legacy", `{"aiFiles":{"enabled":true,"disableStalenessMessage":true}}`, `{"message":null}`, aifiles.NotInstalledMessage + "\n"},
		{"null message, enabled", "", `{"message":null}`, aifiles.NotInstalledMessage + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &versionAPI{status: 200, body: c.body}
			stderr, _ := checkVersion(t, projectDir(t, c.convexJSON), config.MapEnv{aifiles.OriginEnv: api.start(t)}, false)
			if stderr != c.want {
				t.Errorf("got %q, want %q", stderr, c.want)
			}
		})
	}
}

func TestVersionCheckFailuresAreSilent(t *testing.T) {
	// A port that was just free: connecting is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	for _, c := range []struct {
		name   string
		api    *versionAPI
		origin string
		reason string
	}{
		{"500", &versionAPI{status: 500, body: `{"message":"not for you"}`}, "", "500"},
		{"404", &versionAPI{status: 404, body: `{"message":"not for you"}`}, "", "404"},
		{"bad JSON", &versionAPI{status: 200, body: `{"message":`}, "", "unexpected answer"},
		{"not an object", &versionAPI{status: 200, body: `["message"]`}, "", "unexpected answer"},
		{"no message field", &versionAPI{status: 200, body: `{"guidelinesHash":"x"}`}, "", "no message"},
		{"message not a string", &versionAPI{status: 200, body: `{"message":42}`}, "", "not a string"},
		{"unreachable", nil, closed, "connection refused"},
		{"bad origin", nil, "::not a url", "version check skipped"},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin := c.origin
			if c.api != nil {
				origin = c.api.start(t)
			}
			dir := projectDir(t, "") // AI files enabled and missing: a check going on would say so
			env := config.MapEnv{aifiles.OriginEnv: origin}
			if stderr, _ := checkVersion(t, dir, env, false); stderr != "" {
				t.Errorf("printed %q", stderr)
			}
			stderr, _ := checkVersion(t, dir, env, true)
			var reasons []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.Contains(l, "version check") {
					reasons = append(reasons, l)
				}
				if !strings.HasPrefix(l, "[verbose] ") {
					t.Errorf("verbose mode printed a non-verbose line: %q", l)
				}
			}
			if len(reasons) != 1 || !strings.Contains(reasons[0], c.reason) {
				t.Errorf("verbose reason: want one line with %q, got\n%s", c.reason, stderr)
			}
		})
	}
}

func TestVersionCheckBadConvexJSONSkipsOnlyStaleness(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":"hello"}`}
	dir := projectDir(t, `{"functions": 12`)
	env := config.MapEnv{aifiles.OriginEnv: api.start(t)}
	if stderr, _ := checkVersion(t, dir, env, false); stderr != "hello\n" {
		t.Errorf("got %q", stderr)
	}
	stderr, _ := checkVersion(t, dir, env, true)
	if !strings.Contains(stderr, "AI files check skipped") {
		t.Errorf("verbose: %q", stderr)
	}
}

func TestVersionCheckSlowAPIDoesNotHoldTheCommand(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":"too late"}`, delay: 5 * time.Second}
	dir := projectDir(t, "")
	env := config.MapEnv{aifiles.OriginEnv: api.start(t)}
	stderr, took := checkVersion(t, dir, env, false)
	if took > 1500*time.Millisecond {
		t.Errorf("the command waited %s for the version API", took)
	}
	if took < 900*time.Millisecond {
		t.Errorf("gave up after %s, before the grace period", took)
	}
	if stderr != "" {
		t.Errorf("printed %q", stderr)
	}
	if api.count() != 1 {
		t.Errorf("%d requests", api.count())
	}
	stderr, _ = checkVersion(t, dir, env, true)
	if !strings.Contains(stderr, "no answer within 1s") {
		t.Errorf("verbose: %q", stderr)
	}
}

func TestVersionCheckAnswerAfterGiveUpIsNotPrinted(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":"late"}`, delay: 300 * time.Millisecond}
	var out, errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Env: config.MapEnv{aifiles.OriginEnv: api.start(t)}, Cwd: projectDir(t, "")}
	d.init()
	v := d.startVersionCheck(context.Background())
	v.stop() // the command failed: stop without waiting
	v.stop() // twice is fine
	<-v.done
	if errb.Len() != 0 {
		t.Errorf("printed after stop: %q", errb.String())
	}
	var nilCheck *versionCheck
	nilCheck.wait()
	nilCheck.stop()
}

func TestVersionCheckCancelledContext(t *testing.T) {
	api := &versionAPI{status: 200, body: `{"message":"hi"}`, delay: 5 * time.Second}
	var errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stderr: &errb,
		Env: config.MapEnv{aifiles.OriginEnv: api.start(t)}, Cwd: projectDir(t, "")}
	d.init()
	ctx, cancel := context.WithCancel(context.Background())
	v := d.startVersionCheck(ctx)
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-v.done:
	case <-time.After(time.Second):
		t.Fatal("the check did not end with the command's context")
	}
	v.wait()
	if errb.Len() != 0 {
		t.Errorf("printed %q", errb.String())
	}
}

func TestVersionCheckHeaders(t *testing.T) {
	for _, c := range []struct {
		name      string
		env       config.MapEnv
		agentMode string
	}{
		{"plain", config.MapEnv{}, ""},
		{"agent mode", config.MapEnv{"CONVEX_AGENT_MODE": "anonymous"}, "anonymous"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &versionAPI{status: 200, body: `{"message":null}`}
			c.env[aifiles.OriginEnv] = api.start(t) + "/"
			checkVersion(t, projectDir(t, `{"aiFiles":{"enabled":false}}`), c.env, false)
			if api.count() != 1 {
				t.Fatalf("%d requests", api.count())
			}
			r := api.requests[0]
			if r.Method != http.MethodGet || r.URL.Path != "/v1/version" {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
			// The same header the ai-files commands send.
			if got, want := r.Header.Get("Convex-Client"), auth.ClientHeader(c.env); got != want || !strings.HasPrefix(got, "npm-cli-") {
				t.Errorf("Convex-Client %q, want %q", got, want)
			}
			if got := r.Header.Get("Convex-Interactive"); got != "false" {
				t.Errorf("Convex-Interactive %q", got)
			}
			if got, ok := r.Header["Convex-Agent-Mode"]; (c.agentMode == "" && ok) || (c.agentMode != "" && (len(got) != 1 || got[0] != c.agentMode)) {
				t.Errorf("Convex-Agent-Mode %q, want %q", got, c.agentMode)
			}
		})
	}
}

func TestHasDeploymentFields(t *testing.T) {
	for kind, want := range map[deployments.Kind]bool{
		deployments.KindProd: true, deployments.KindDev: true, deployments.KindPreview: true,
		deployments.KindCustom: true, deployments.KindLocal: true, deployments.KindAnonymous: true,
		deployments.KindSelfHosted: false, deployments.KindURL: false, deployments.KindChooseProject: false, "": false,
	} {
		if got := hasDeploymentFields(deployments.Target{Kind: kind}); got != want {
			t.Errorf("%q: %v, want %v", kind, got, want)
		}
	}
}

func TestSelfHostedAndURLSkipVersionCheck(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"convexCloudUrl":"http://cloud.example","convexSiteUrl":"http://site.example"}`))
	}))
	defer backend.Close()
	api := &versionAPI{status: 200, body: `{"message":"should not be shown"}`}
	env := config.MapEnv{"CONVEX_SELF_HOSTED_URL": backend.URL, "CONVEX_SELF_HOSTED_ADMIN_KEY": "self-hosted|key", aifiles.OriginEnv: api.start(t)}
	for _, args := range [][]string{{"init"}, {"dev", "--skip-push"}} {
		r := runInitIn(t, projectDir(t, ""), env, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		if api.count() != 0 || strings.Contains(r.stderr, "should not be shown") || strings.Contains(r.stderr, "AI files") {
			t.Errorf("%v: version API called %d times for a self-hosted deployment\n%s", args, api.count(), r.stderr)
		}
	}
	// --url and --admin-key: no deployment name either.
	delete(env, "CONVEX_SELF_HOSTED_URL")
	delete(env, "CONVEX_SELF_HOSTED_ADMIN_KEY")
	r := runInitIn(t, projectDir(t, ""), env, "dev", "--skip-push", "--url", backend.URL, "--admin-key", "self-hosted|key")
	if r.code != 0 {
		t.Fatalf("dev --url: exit %d\n%s", r.code, r.stderr)
	}
	if api.count() != 0 {
		t.Errorf("dev --url: version API called %d times\n%s", api.count(), r.stderr)
	}
}
