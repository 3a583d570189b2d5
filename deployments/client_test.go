package deployments

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/ui"
)

func noDelay(int) time.Duration { return 0 }

func TestRetryDelaySchedule(t *testing.T) {
	want := []time.Duration{time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i, base := range want {
		for range 20 {
			d := RetryDelay(i)
			if d < base || d > base+base/5 {
				t.Fatalf("RetryDelay(%d) = %v, want within [%v, %v]", i, d, base, base+base/5)
			}
		}
	}
}

func TestClientHeadersAndEmptyPostBody(t *testing.T) {
	var got http.Header
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"optInsToAccept":[]}`)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{Host: srv.URL, Auth: "tok123", Version: "9.9.9"})
	if _, err := c.CheckOptIns(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer tok123" {
		t.Errorf("Authorization = %q", got.Get("Authorization"))
	}
	if got.Get("Convex-Client") != "npm-cli-9.9.9" {
		t.Errorf("Convex-Client = %q", got.Get("Convex-Client"))
	}
	if got.Get("Content-Type") != "application/json" || body != "{}" {
		t.Errorf("POST without body sent %q with type %q", body, got.Get("Content-Type"))
	}

	// No credential: no Authorization header at all.
	c = NewClient(ClientOptions{Host: srv.URL})
	_, _ = c.Teams(context.Background())
	if _, ok := got["Authorization"]; ok {
		t.Errorf("Authorization sent without a credential: %q", got.Get("Authorization"))
	}
	if got.Get("Convex-Client") != "npm-cli-"+Version {
		t.Errorf("default Convex-Client = %q", got.Get("Convex-Client"))
	}
}

type flakyTransport struct {
	fails int32
	n     atomic.Int32
	next  http.RoundTripper
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) <= f.fails {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

func TestClientRetriesNetworkErrorsOnly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/api/teams" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `true`)
	}))
	defer srv.Close()

	ft := &flakyTransport{fails: 3, next: http.DefaultTransport}
	c := NewClient(ClientOptions{Host: srv.URL, HTTPClient: &http.Client{Transport: ft}, RetryDelay: noDelay})
	ok, err := c.HasProjects(context.Background())
	if err != nil || !ok {
		t.Fatalf("HasProjects after 3 network failures = %v, %v", ok, err)
	}
	if ft.n.Load() != 4 {
		t.Errorf("attempts = %d, want 4", ft.n.Load())
	}

	// A 500 is an answer, not a network failure: no retry.
	hits.Store(0)
	if _, err := c.Teams(context.Background()); err == nil {
		t.Fatal("expected an error for HTTP 500")
	}
	if hits.Load() != 1 {
		t.Errorf("HTTP 500 was sent %d times, want 1", hits.Load())
	}

	// Seven network failures exhaust the six retries.
	ft2 := &flakyTransport{fails: 100, next: http.DefaultTransport}
	c2 := NewClient(ClientOptions{Host: srv.URL, HTTPClient: &http.Client{Transport: ft2}, RetryDelay: noDelay})
	_, err = c2.HasProjects(context.Background())
	if err == nil || ft2.n.Load() != MaxRetries+1 {
		t.Fatalf("err=%v attempts=%d, want failure after %d attempts", err, ft2.n.Load(), MaxRetries+1)
	}
	if !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("network error text lost: %v", err)
	}
}

func TestClientErrorFormats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/teams":
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"code":"BadAccessToken","message":"token expired"}`)
		case "/api/has_projects":
			w.WriteHeader(403)
			_, _ = io.WriteString(w, `{"code":"Forbidden","message":"You do not have permission to perform this operation (project:read)"}`)
		case "/v1/projects/7":
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `not json`)
		default:
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"code":"Bad","message":"bad input"}`)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(ClientOptions{Host: srv.URL, DeployKeyVar: "CONVEX_DEPLOY_KEY"})

	_, err := c.Teams(ctx)
	want := "Error fetching GET  " + srv.URL + "/api/teams 401 Unauthorized: BadAccessToken: token expired"
	if err == nil || err.Error() != want {
		t.Errorf("401 error = %q, want %q", err, want)
	}
	if ErrorCode(err) != "BadAccessToken" || StatusCode(err) != 401 {
		t.Errorf("code/status = %q/%d", ErrorCode(err), StatusCode(err))
	}
	if !strings.Contains(ui.HintOf(err), "convex login") {
		t.Errorf("401 hint = %q", ui.HintOf(err))
	}
	if ui.ExitCode(err) != 1 {
		t.Errorf("exit code %d", ui.ExitCode(err))
	}

	_, err = c.HasProjects(ctx)
	if err == nil || err.Error() != "You do not have permission to perform this operation (project:read)" {
		t.Errorf("403 error = %q", err)
	}
	if !strings.Contains(ui.HintOf(err), "CONVEX_DEPLOY_KEY") {
		t.Errorf("403 hint = %q", ui.HintOf(err))
	}

	_, err = c.ProjectByID(ctx, 7)
	want = "Error fetching GET  " + srv.URL + "/v1/projects/7 404 Not Found: " + srv.URL + "/v1/projects/7"
	if err == nil || err.Error() != want {
		t.Errorf("404 error = %q, want %q", err, want)
	}

	err = c.PauseLocalDeployment(ctx, "t", "p")
	if err == nil || !strings.HasPrefix(err.Error(), "Error fetching POST  ") || ErrorCode(err) != "Bad" {
		t.Errorf("400 error = %v", err)
	}
}

func TestClientDeprecationHeaders(t *testing.T) {
	state := "Upgrade"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-convex-deprecation-state", state)
		w.Header().Set("x-convex-deprecation-message", "please upgrade the CLI")
		if r.URL.Path == "/api/teams" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"code":"Old","message":"too old"}`)
			return
		}
		_, _ = io.WriteString(w, `true`)
	}))
	defer srv.Close()
	var warn bytes.Buffer
	c := NewClient(ClientOptions{Host: srv.URL, Warn: &warn})
	for range 3 {
		if _, err := c.HasProjects(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(warn.String(), "please upgrade the CLI"); n != 1 {
		t.Errorf("deprecation warning printed %d times: %q", n, warn.String())
	}
	state = "Deprecated"
	_, err := c.Teams(context.Background())
	if err == nil || err.Error() != "please upgrade the CLI" {
		t.Errorf("Deprecated error = %v", err)
	}
}

func TestClientVerboseLogRedacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `"https://x.convex.cloud"`)
	}))
	defer srv.Close()
	var log bytes.Buffer
	key := "prod:happy-animal-123|eyJ2MiI6ImFiY2RlZmdoaWprbG1ub3AifQ=="
	c := NewClient(ClientOptions{Host: srv.URL, Auth: key, Verbose: &log})
	u, err := c.URLForKey(context.Background(), key)
	if err != nil || u != "https://x.convex.cloud" {
		t.Fatalf("URLForKey = %q, %v", u, err)
	}
	line := log.String()
	if !strings.Contains(line, "POST "+srv.URL+"/api/deployment/url_for_key") || !strings.Contains(line, "200") {
		t.Errorf("verbose line = %q", line)
	}
	if strings.Contains(line, "ImFiY2RlZmdo") {
		t.Errorf("verbose log leaks the key: %q", line)
	}
}

func TestProjectSelectionJSON(t *testing.T) {
	cases := map[string]ProjectSelection{
		`{"deploymentName":"happy-animal-123","deploymentType":"dev","kind":"deploymentName"}`: {Kind: SelDeploymentName, DeploymentName: "happy-animal-123", DeploymentType: "dev"},
		`{"deploymentName":"happy-animal-123","deploymentType":null,"kind":"deploymentName"}`:  {Kind: SelDeploymentName, DeploymentName: "happy-animal-123"},
		`{"kind":"teamAndProjectSlugs","projectSlug":"p","teamSlug":"t"}`:                      {Kind: SelSlugs, TeamSlug: "t", ProjectSlug: "p"},
	}
	for want, sel := range cases {
		b, err := sel.MarshalJSON()
		if err != nil || string(b) != want {
			t.Errorf("marshal %+v = %s, %v; want %s", sel, b, err, want)
		}
		var back ProjectSelection
		if err := back.UnmarshalJSON(b); err != nil || back != sel {
			t.Errorf("round trip of %s = %+v, %v", b, back, err)
		}
	}
	if _, err := (ProjectSelection{Kind: "bogus"}).MarshalJSON(); err == nil {
		t.Error("unknown kind marshalled")
	}
}

func TestClassifyKey(t *testing.T) {
	cases := []struct {
		key       string
		kind      KeyKind
		name, typ string
	}{
		{"prod:happy-animal-123|eyJabc", KeyDeployment, "happy-animal-123", "prod"},
		{"dev:brave-fox-7|eyJabc", KeyDeployment, "brave-fox-7", "dev"},
		{"preview:acme:chat|eyJabc", KeyPreview, "", "preview"},
		{"preview:brave-fox-789|eyJabc", KeyOther, "brave-fox-789", "preview"},
		{"project:acme:chat|eyJabc", KeyProject, "", "project"},
		{"custom:odd-name-1|eyJabc", KeyOther, "odd-name-1", "custom"},
		{"anonymous-chat|0123abcd", KeyOther, "anonymous-chat", "prod"},
		{"just-a-secret", KeyLegacy, "", "prod"},
		// Malformed keys are refused by auth.ParseDeployKey: a preview key
		// with too many parts, and keys an unquoted '|' cut off.
		{"preview:a:b:c|x", KeyInvalid, "", ""},
		{"prod:happy-animal-123", KeyInvalid, "", ""},
		{"dev:brave-fox-7|", KeyInvalid, "", ""},
	}
	for _, c := range cases {
		if got := ClassifyKey(c.key); got != c.kind {
			t.Errorf("ClassifyKey(%q) = %s, want %s", c.key, got, c.kind)
		}
		if got := KeyDeploymentName(c.key); got != c.name {
			t.Errorf("KeyDeploymentName(%q) = %q, want %q", c.key, got, c.name)
		}
		k, err := auth.ParseDeployKey(c.key)
		if (err != nil) != (c.kind == KeyInvalid) {
			t.Errorf("ParseDeployKey(%q): %v", c.key, err)
		}
		if err == nil && k.DeploymentType() != c.typ {
			t.Errorf("deployment type of %q = %q, want %q", c.key, k.DeploymentType(), c.typ)
		}
	}
}

func TestDeployKeySentinels(t *testing.T) {
	get := func(m map[string]string) func(string) string { return func(n string) string { return m[n] } }
	k, v, err := deployKeyFrom(get(map[string]string{EnvDeployKey: "<ignore_deploy_key>", EnvDeploymentToken: "dev:x-y-1|s"}))
	if err != nil || k.Raw != "" || k.Kind != auth.KeyNone || v != "" {
		t.Errorf("ignore sentinel: %q %q %v", k.Raw, v, err)
	}
	_, _, err = deployKeyFrom(get(map[string]string{EnvDeployKey: "<missing_deploy_key:Set the key in Vercel>"}))
	if err == nil || err.Error() != "Set the key in Vercel" {
		t.Errorf("missing sentinel: %v", err)
	}
	k, v, _ = deployKeyFrom(get(map[string]string{EnvDeploymentToken: "dev:x-y-1|s"}))
	if k.Raw != "dev:x-y-1|s" || v != EnvDeploymentToken {
		t.Errorf("alias: %q %q", k.Raw, v)
	}
	k, v, _ = deployKeyFrom(get(map[string]string{EnvDeployKey: "prod:a-b-1|s", EnvDeploymentToken: "dev:x-y-1|s"}))
	if k.Raw != "prod:a-b-1|s" || v != EnvDeployKey {
		t.Errorf("precedence: %q %q", k.Raw, v)
	}
	// A key cut at an unquoted '|' names the variable and says to quote it.
	_, _, err = deployKeyFrom(get(map[string]string{EnvDeployKey: "prod:a-b-1"}))
	if err == nil || !strings.Contains(err.Error(), "cut off at '|'") || !strings.Contains(ui.HintOf(err), "single quotes") || ui.ExitCode(err) != 1 {
		t.Errorf("cut key: %v (hint %q)", err, ui.HintOf(err))
	}
}

func TestParseSelector(t *testing.T) {
	cases := map[string]Selector{
		"joyful-capybara-123": {Name: "joyful-capybara-123"},
		"dev":                 {Ref: "dev"},
		"dev/james":           {Ref: "dev/james"},
		"chat:staging":        {Project: "chat", Ref: "staging"},
		"acme:chat:prod":      {Team: "acme", Project: "chat", Ref: "prod"},
		"acme:chat:local":     {Team: "acme", Project: "chat", Ref: "local"},
		"a:b:c:d":             {Ref: "a:b:c:d"},
		"Joyful-Capybara-1":   {Ref: "Joyful-Capybara-1"},
	}
	for in, want := range cases {
		if got := ParseSelector(in); got != want {
			t.Errorf("ParseSelector(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestGlobalDirNaming(t *testing.T) {
	cases := map[string]string{
		"":                        "/h/.convex",
		"http://127.0.0.1:18050":  "/h/.convex-test-18050",
		"http://127.0.0.1:8050":   "/h/.convex-test",
		"https://api.example.com": "/h/.convex-test",
	}
	for host, want := range cases {
		env := MapEnv{"HOME": "/h", EnvProvisionHost: host}
		if got := GlobalDir(env); got != want {
			t.Errorf("GlobalDir(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestDeploymentClientRetryPolicy(t *testing.T) {
	var hits atomic.Int32
	status := map[string][]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		seq := status[r.Method+" "+r.URL.Path]
		code := 200
		if len(seq) > 0 {
			code, status[r.Method+" "+r.URL.Path] = seq[0], seq[1:]
		}
		if r.Header.Get("Authorization") != "Convex name|key" || r.Header.Get("Convex-Client") != "npm-cli-"+Version {
			code = 499
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"convexCloudUrl":"https://c","convexSiteUrl":"https://s"}`)
	}))
	defer srv.Close()
	var progress bytes.Buffer
	c := NewDeploymentClient(srv.URL, "name|key", DeploymentClientOptions{RetryDelay: noDelay, Progress: &progress})
	ctx := context.Background()

	// A fresh deployment's 404s are retried, for any method.
	status["POST /api/x"] = []int{404, 404, 200}
	hits.Store(0)
	if err := c.Do(ctx, http.MethodPost, "/api/x", map[string]int{"a": 1}, nil); err != nil || hits.Load() != 3 {
		t.Errorf("404 retry: err=%v hits=%d", err, hits.Load())
	}
	// Idempotent requests are retried on 5xx…
	status["GET /api/v1/get_canonical_urls"] = []int{500, 503, 200}
	hits.Store(0)
	cloud, site, err := c.CanonicalURLs(ctx)
	if err != nil || cloud != "https://c" || site != "https://s" || hits.Load() != 3 {
		t.Errorf("GET retry: %q %q err=%v hits=%d", cloud, site, err, hits.Load())
	}
	// …but not on 401/403, and POSTs are not retried on 5xx.
	status["GET /api/y"] = []int{401}
	hits.Store(0)
	if err := c.Do(ctx, http.MethodGet, "/api/y", nil, nil); StatusCode(err) != 401 || hits.Load() != 1 {
		t.Errorf("401: err=%v hits=%d", err, hits.Load())
	}
	status["POST /api/z"] = []int{500}
	hits.Store(0)
	if err := c.Do(ctx, http.MethodPost, "/api/z", nil, nil); StatusCode(err) != 500 || hits.Load() != 1 {
		t.Errorf("POST 500: err=%v hits=%d", err, hits.Load())
	}
	// From the third retry on, progress is reported.
	status["GET /api/w"] = []int{500, 500, 500, 500, 200}
	progress.Reset()
	if err := c.Do(ctx, http.MethodGet, "/api/w", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := progress.String(); !strings.Contains(got, "Retrying request (attempt 3/6)") || strings.Contains(got, "attempt 2/") {
		t.Errorf("progress = %q", got)
	}
	// Every retry used up: the last answer is the error.
	status["GET /api/v"] = []int{500, 500, 500, 500, 500, 500, 500, 500}
	hits.Store(0)
	if err := c.Do(ctx, http.MethodGet, "/api/v", nil, nil); StatusCode(err) != 500 || hits.Load() != MaxRetries+1 {
		t.Errorf("exhausted: err=%v hits=%d", err, hits.Load())
	}
}

// closedLoopbackURL is a URL on this machine where nothing listens.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// A refused connection on this machine fails after a couple of quick tries
// with the real retry schedule, instead of retrying for a minute.
func TestRefusedLoopbackFailsFast(t *testing.T) {
	u := closedLoopbackURL(t)
	var progress bytes.Buffer
	dc := NewDeploymentClient(u, "name|key", DeploymentClientOptions{Progress: &progress})
	start := time.Now()
	_, _, err := dc.CanonicalURLs(context.Background())
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if err == nil || !strings.Contains(err.Error(), "Nothing is listening at "+u) || !strings.Contains(ui.HintOf(err), "CONVEX_SELF_HOSTED_URL") || ui.ExitCode(err) != 1 {
		t.Errorf("err = %v (hint %q)", err, ui.HintOf(err))
	}
	if progress.Len() != 0 {
		t.Errorf("retry progress for a refused local connection: %q", progress.String())
	}
	if _, err := dc.InstanceName(context.Background()); err == nil || !strings.Contains(err.Error(), "Nothing is listening") {
		t.Errorf("instance name: %v", err)
	}

	mc := NewClient(ClientOptions{Host: u})
	start = time.Now()
	if err := mc.Do(context.Background(), http.MethodGet, u+"/api/x", nil, nil); err == nil {
		t.Error("management API on a closed port answered")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("management client took %s", took)
	}

	// Counting attempts: the first try and RefusedRetries more.
	var tries atomic.Int32
	counting := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		tries.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	dc = NewDeploymentClient(u, "name|key", DeploymentClientOptions{HTTPClient: counting, RetryDelay: noDelay})
	dc.Do(context.Background(), http.MethodGet, "/x", nil, nil)
	if tries.Load() != RefusedRetries+1 {
		t.Errorf("%d tries, want %d", tries.Load(), RefusedRetries+1)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestIsLoopbackURL(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:3210": true, "http://localhost:3210": true, "http://[::1]:3210": true, "http://127.1.2.3": true,
		"http://app.localhost:80": true, "https://happy-animal-123.convex.cloud": false, "http://10.0.0.5:3210": false, "::bad": false,
	} {
		if got := IsLoopbackURL(u); got != want {
			t.Errorf("IsLoopbackURL(%q) = %v", u, got)
		}
	}
}
