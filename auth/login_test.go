package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// fakeAuth is an identity provider plus the management endpoints login
// touches. tokenAnswers are returned by successive token polls; after the
// list is exhausted the poll succeeds.
type fakeAuth struct {
	t            *testing.T
	srv          *httptest.Server
	mu           sync.Mutex
	tokenAnswers []string // OAuth error codes
	polls        int
	noDiscovery  bool
	optIns       []string
	accepted     []json.RawMessage
	patRequests  []map[string]any
	interval     int
	expiresIn    int
}

func newFakeAuth(t *testing.T) *fakeAuth {
	f := &fakeAuth{t: t, interval: 1, expiresIn: 900}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if f.noDiscovery {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"issuer":                        f.srv.URL,
			"device_authorization_endpoint": f.srv.URL + "/oauth/device/code",
			"token_endpoint":                f.srv.URL + "/oauth/token",
		})
	})
	mux.HandleFunc("POST /oauth/device/code", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_id") != DefaultClientID || r.PostForm.Get("scope") != "openid" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"device_code": "dev-code-1", "user_code": "ABCD-EFGH",
			"verification_uri":          f.srv.URL + "/activate",
			"verification_uri_complete": f.srv.URL + "/activate?user_code=ABCD-EFGH",
			"expires_in":                f.expiresIn, "interval": f.interval,
		})
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" ||
			r.PostForm.Get("device_code") != "dev-code-1" || r.PostForm.Get("client_id") != DefaultClientID {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "bad form"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.polls++
		if len(f.tokenAnswers) > 0 {
			code := f.tokenAnswers[0]
			f.tokenAnswers = f.tokenAnswers[1:]
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "desc of " + code})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "idp-token-xyz", "token_type": "Bearer"})
	})
	mux.HandleFunc("POST /v1/create_personal_access_token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer idp-token-xyz" && r.Header.Get("Authorization") != "Bearer pasted-token" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"code": "Unauthenticated", "message": "bad provider token"})
			return
		}
		if r.Header.Get("Convex-Client") != "npm-cli-"+CLIVersion || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", r.Header)
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.patRequests = append(f.patRequests, body)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"accessToken": "convex-pat-0123456789abcdef"})
	})
	mux.HandleFunc("HEAD /api/authorize", func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer convex-pat-0123456789abcdef", "Bearer " + secret:
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("GET /api/teams", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{{"id": 1, "name": "My Team", "slug": "my-team", "suspended": false}})
	})
	mux.HandleFunc("POST /api/check_opt_ins", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{}
		for i, m := range f.optIns {
			items = append(items, map[string]any{"optIn": map[string]int{"tos": i + 1}, "message": m})
		}
		json.NewEncoder(w).Encode(map[string]any{"optInsToAccept": items})
	})
	mux.HandleFunc("POST /api/accept_opt_ins", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ OptInsAccepted []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&body)
		f.accepted = body.OptInsAccepted
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// fakeClock advances when the login sleeps, recording each wait.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}
func (c *fakeClock) Now() time.Time { return c.now }

// scripted answers prompts from a list and records the questions.
type scripted struct {
	answers []string
	asked   []string
}

func (s *scripted) next(q string) string {
	s.asked = append(s.asked, q)
	if len(s.answers) == 0 {
		return ""
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a
}
func (s *scripted) Select(q string, _ []string) (int, error) { return 0, nil }
func (s *scripted) Input(q, def string) (string, error) {
	if a := s.next(q); a != "" {
		return a, nil
	}
	return def, nil
}
func (s *scripted) Confirm(q string, def bool) (bool, error) {
	switch s.next(q) {
	case "y":
		return true, nil
	case "n":
		return false, nil
	}
	return def, nil
}

func baseOptions(t *testing.T, f *fakeAuth, clock *fakeClock) (LoginOptions, *bytes.Buffer) {
	home := t.TempDir()
	var out bytes.Buffer
	return LoginOptions{
		Env:           config.MapEnv{"HOME": home},
		ProvisionHost: f.srv.URL,
		DashboardHost: "https://dash.example",
		AuthIssuer:    f.srv.URL,
		DeviceName:    "test-box",
		NoOpen:        true,
		Prompter:      NewPrompterWith(PrompterOptions{}),
		Out:           &out,
		Sleep:         clock.Sleep,
		Now:           clock.Now,
		OpenBrowser:   func(string) error { t.Error("browser opened"); return nil },
	}, &out
}

func TestLoginDeviceFlow(t *testing.T) {
	f := newFakeAuth(t)
	f.interval = 2
	f.tokenAnswers = []string{"authorization_pending", "slow_down", "authorization_pending", "slow_down"}
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, out := baseOptions(t, f, clock)
	tok, err := Login(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "convex-pat-0123456789abcdef" {
		t.Errorf("token %q", tok)
	}
	// slow_down adds 5 s to every later wait.
	want := []time.Duration{2 * time.Second, 2 * time.Second, 7 * time.Second, 7 * time.Second, 12 * time.Second}
	if fmt.Sprint(clock.sleeps) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", clock.sleeps, want)
	}
	if f.polls != 5 {
		t.Errorf("polls %d", f.polls)
	}
	// Token stored as the reference stores it, 0600.
	path := filepath.Join(o.Env.Get("HOME"), ".convex", "config.json")
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "{\n  \"accessToken\": \"convex-pat-0123456789abcdef\"\n}" {
		t.Errorf("token file %q %v", data, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if len(f.patRequests) != 1 || f.patRequests[0]["name"] != "test-box" || f.patRequests[0]["anonymousId"] != nil {
		t.Errorf("PAT request %v", f.patRequests)
	}
	if _, ok := f.patRequests[0]["anonymousId"]; !ok {
		t.Error("anonymousId must be sent (as null)")
	}
	s := out.String()
	for _, want := range []string{f.srv.URL + "/activate?user_code=ABCD-EFGH", "ABCD-EFGH", "15 minutes", "Saved credentials to " + path} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "convex-pat-0123456789abcdef") || strings.Contains(s, "idp-token-xyz") {
		t.Errorf("output shows a token:\n%s", s)
	}
	// The stored token validates.
	api := &Client{ProvisionHost: f.srv.URL, ClientHeader: ClientHeader(o.Env)}
	if ok, err := api.Authorized(context.Background(), "Bearer "+tok); !ok || err != nil {
		t.Errorf("Authorized = %v %v", ok, err)
	}
	if ok, err := api.Authorized(context.Background(), "Bearer wrong"); ok || err != nil {
		t.Errorf("Authorized(wrong) = %v %v", ok, err)
	}
}

func TestLoginDeviceFlowFailures(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		expires int
		want    string
	}{
		{"denied", []string{"access_denied"}, 900, "Access denied."},
		{"server says expired", []string{"authorization_pending", "expired_token"}, 900, "expired"},
		{"other oauth error", []string{"invalid_grant"}, 900, "invalid_grant (desc of invalid_grant)"},
		{"local expiry", []string{"authorization_pending", "authorization_pending", "authorization_pending", "authorization_pending"}, 3, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAuth(t)
			f.tokenAnswers, f.expiresIn = c.answers, c.expires
			clock := &fakeClock{now: time.Unix(1e9, 0)}
			o, _ := baseOptions(t, f, clock)
			_, err := Login(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), c.want) || ui.ExitCode(err) != 1 {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(filepath.Join(o.Env.Get("HOME"), ".convex", "config.json")); err == nil {
				t.Error("token stored after a failed login")
			}
		})
	}
}

func TestLoginCancelledWhilePolling(t *testing.T) {
	f := newFakeAuth(t)
	f.tokenAnswers = []string{"authorization_pending", "authorization_pending"}
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, _ := baseOptions(t, f, clock)
	ctx, cancel := context.WithCancel(context.Background())
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		if len(clock.sleeps) == 1 {
			cancel()
		}
		return clock.Sleep(ctx, d)
	}
	_, err := Login(ctx, o)
	if !errors.Is(err, ui.Interrupted) {
		t.Errorf("err = %v", err)
	}
}

func TestLoginPromptsAndBrowser(t *testing.T) {
	f := newFakeAuth(t)
	f.optIns = []string{"Accept the terms?"}
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, out := baseOptions(t, f, clock)
	o.DeviceName = ""
	o.NoOpen = false
	o.Hostname = func() (string, error) { return "my-laptop", nil }
	var opened string
	o.OpenBrowser = func(u string) error { opened = u; return errors.New("no display") }
	p := &scripted{answers: []string{"", "y", "y"}} // default device name, open browser, accept terms
	o.Prompter = p
	if _, err := Login(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.asked) != "[Device name: Open the browser? Accept the terms?]" {
		t.Errorf("asked %q", p.asked)
	}
	if f.patRequests[0]["name"] != "my-laptop" {
		t.Errorf("device name %v", f.patRequests[0]["name"])
	}
	if opened != f.srv.URL+"/activate?user_code=ABCD-EFGH" || !strings.Contains(out.String(), "Could not open a browser") {
		t.Errorf("opened %q; out %s", opened, out.String())
	}
	if len(f.accepted) != 1 || string(f.accepted[0]) != `{"tos":1}` {
		t.Errorf("accepted %s", f.accepted)
	}

	// Declining the terms fails the login.
	f.accepted = nil
	o.Prompter = &scripted{answers: []string{"", "n", "n"}}
	_, err := Login(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "Terms of Service") {
		t.Errorf("declined terms: %v", err)
	}
	// --accept-opt-ins answers without asking.
	o.AcceptOptIns = true
	o.DeviceName = "x"
	o.NoOpen = true
	o.Prompter = NewPrompterWith(PrompterOptions{})
	if _, err := Login(context.Background(), o); err != nil || len(f.accepted) != 1 {
		t.Errorf("accept-opt-ins: %v %s", err, f.accepted)
	}
}

func TestLoginNonInteractive(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, _ := baseOptions(t, f, clock)
	o.DeviceName = ""
	_, err := Login(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "Device name:") || !strings.Contains(ui.HintOf(err), "--device-name") {
		t.Errorf("device name: %v / %q", err, ui.HintOf(err))
	}
	o.DeviceName = "box"
	o.NoOpen = false
	// Without --no-open the browser question cannot be asked: a clear error
	// before any code is requested, and nothing on stdout.
	var stdout string
	stdout, _ = captureStdio(t, func() {
		o.Prompter = NewPrompterWith(PrompterOptions{})
		_, err = Login(context.Background(), o)
	})
	if err == nil || !strings.Contains(err.Error(), "Open the browser?") || !strings.Contains(ui.HintOf(err), "--no-open") ||
		!strings.Contains(ui.HintOf(err), "--device-name box") || ui.ExitCode(err) != 1 {
		t.Errorf("open browser: %v / %q", err, ui.HintOf(err))
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	if f.polls != 0 || len(f.patRequests) != 0 {
		t.Errorf("logged in anyway: %d polls, %d token requests", f.polls, len(f.patRequests))
	}
}

func TestLoginPasteFlow(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}

	// Explicit paste flow.
	o, _ := baseOptions(t, f, clock)
	o.Flow = FlowPaste
	p := &scripted{answers: []string{"  pasted-token \n"}}
	o.Prompter = p
	if tok, err := Login(context.Background(), o); err != nil || tok != "convex-pat-0123456789abcdef" {
		t.Fatalf("paste: %q %v", tok, err)
	}
	if len(p.asked) != 1 || !strings.Contains(p.asked[0], "https://dash.example/auth") {
		t.Errorf("asked %q", p.asked)
	}

	// Discovery failing falls back to pasting.
	f.noDiscovery = true
	o, _ = baseOptions(t, f, clock)
	o.Prompter = &scripted{answers: []string{"pasted-token"}}
	if _, err := Login(context.Background(), o); err != nil {
		t.Fatalf("fallback: %v", err)
	}

	// A token the management API rejects.
	o.Prompter = &scripted{answers: []string{"bogus"}}
	_, err := Login(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "bad provider token") {
		t.Errorf("rejected token: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "bogus") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestLoginProviderTokenOnlyAndOverride(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, _ := baseOptions(t, f, clock)
	o.ProviderTokenOnly = true
	tok, err := Login(context.Background(), o)
	if err != nil || tok != "idp-token-xyz" {
		t.Fatalf("%q %v", tok, err)
	}
	if _, err := os.Stat(filepath.Join(o.Env.Get("HOME"), ".convex", "config.json")); err == nil {
		t.Error("stored a token with ProviderTokenOnly")
	}
	o.ProviderTokenOnly = false
	o.ProviderToken = "idp-token-xyz"
	o.AnonymousID = "anon-uuid"
	before := f.polls
	if _, err := Login(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if f.polls != before {
		t.Error("device flow ran despite a given provider token")
	}
	if f.patRequests[len(f.patRequests)-1]["anonymousId"] != "anon-uuid" {
		t.Errorf("anonymousId %v", f.patRequests)
	}
}

func TestLoginKeepsOtherConfigKeysAndRefusesCorruptFile(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, _ := baseOptions(t, f, clock)
	o.ProviderToken = "idp-token-xyz"
	path := filepath.Join(o.Env.Get("HOME"), ".convex", "config.json")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte(`{"accessToken":"old","telemetry":false}`), 0o600)
	if _, err := Login(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"telemetry": false`) || !strings.Contains(string(data), "convex-pat-") {
		t.Errorf("file %s", data)
	}
	os.WriteFile(path, []byte(`{not json`), 0o600)
	_, err := Login(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `{not json` {
		t.Errorf("corrupt file overwritten: %s", data)
	}
}

func TestAuthorizedNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close()
	c := &Client{ProvisionHost: url, HTTPClient: &http.Client{Timeout: time.Second}}
	ok, err := c.Authorized(context.Background(), "Bearer x")
	if ok || err == nil || !strings.Contains(err.Error(), "connected to the internet") {
		t.Errorf("%v %v", ok, err)
	}
	if ok, err := c.Authorized(context.Background(), ""); ok || err != nil {
		t.Errorf("no header: %v %v", ok, err)
	}
}

func TestLogout(t *testing.T) {
	home := t.TempDir()
	env := config.MapEnv{"HOME": home}
	path, existed, err := Logout(env)
	if existed || err != nil || path != filepath.Join(home, ".convex", "config.json") {
		t.Errorf("%s %v %v", path, existed, err)
	}
	s, _ := NewTokenStore(env)
	s.Save("t")
	if _, existed, err := Logout(env); !existed || err != nil {
		t.Errorf("%v %v", existed, err)
	}
}

func TestLoginStatus(t *testing.T) {
	f := newFakeAuth(t)
	home := t.TempDir()
	env := config.MapEnv{"HOME": home}
	c := &Client{ProvisionHost: f.srv.URL}
	dir := t.TempDir()
	path := filepath.Join(home, ".convex", "config.json")

	st, err := LoginStatus(context.Background(), env, dir, c)
	if err != nil || st.String() != "No Convex account token found in: "+path+"\nStatus: Not logged in" {
		t.Errorf("no token: %v\n%s", err, st)
	}

	s := TokenStore{Path: path}
	s.Save("expired-token-123")
	st, _ = LoginStatus(context.Background(), env, dir, c)
	if st.String() != "Convex account token found in: "+path+"\nStatus: Not logged in" {
		t.Errorf("bad token:\n%s", st)
	}

	s.Save("convex-pat-0123456789abcdef")
	os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOY_KEY=prod:a-1|"+secret+"\n"), 0o644)
	st, _ = LoginStatus(context.Background(), env, dir, c)
	want := "Convex account token found in: " + path + "\nStatus: Logged in\nTeams: 1 team accessible\n  - My Team (my-team)\nWorking Directory: Valid CONVEX_DEPLOY_KEY in .env.local"
	if st.String() != want {
		t.Errorf("logged in:\n%s\nwant\n%s", st, want)
	}

	// The alias in the shell; CONVEX_DEPLOY_KEY from a file would outrank it.
	st, _ = LoginStatus(context.Background(), config.MapEnv{"HOME": home, "CONVEX_DEPLOYMENT_TOKEN": "project:t:p|wrong-secret-123456"}, t.TempDir(), c)
	lines, warn := st.Lines()
	if last := lines[len(lines)-1]; last != "Working Directory: Invalid CONVEX_DEPLOYMENT_TOKEN in shell environment" || !warn[len(warn)-1] {
		t.Errorf("invalid key: %q %v", lines, warn)
	}
	if strings.Contains(st.String(), secret) || strings.Contains(st.String(), "wrong-secret") {
		t.Error("status shows a secret")
	}
}

func TestEnsureLoggedIn(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, out := baseOptions(t, f, clock)
	o.ProviderToken = "idp-token-xyz"
	good := Credential{Kind: CredAccessToken, Token: "convex-pat-0123456789abcdef", Source: "file"}

	// Already authorized: nothing happens.
	got, err := EnsureLoggedIn(context.Background(), good, "hello", o)
	if err != nil || got != good || len(f.patRequests) != 0 {
		t.Errorf("authorized: %v %v %d", got, err, len(f.patRequests))
	}
	// Not authorized: log in, use the new token.
	got, err = EnsureLoggedIn(context.Background(), Credential{Kind: CredAccessToken, Token: "stale", Source: "file"}, "Please log in.", o)
	if err != nil || got.Token != "convex-pat-0123456789abcdef" || got.Kind != CredAccessToken || !strings.Contains(out.String(), "Please log in.") {
		t.Errorf("stale: %v %v", got, err)
	}
	// Nothing at all: log in.
	if got, err = EnsureLoggedIn(context.Background(), Credential{}, "", o); err != nil || got.Kind != CredAccessToken {
		t.Errorf("none: %v %v", got, err)
	}
	// A rejected project key stays in charge after the login.
	pk := Credential{Kind: CredProjectKey, Token: "project:t:p|nope-nope-nope", Source: "CONVEX_DEPLOY_KEY"}
	if got, err = EnsureLoggedIn(context.Background(), pk, "", o); err != nil || got != pk {
		t.Errorf("project key: %v %v", got, err)
	}
}

func TestLoginVercelLink(t *testing.T) {
	f := newFakeAuth(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	o, out := baseOptions(t, f, clock)
	o.VercelSlug = "convex"
	if _, err := Login(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "https://vercel.com/sso/integrations/convex?url="+f.srv.URL+"/activate?user_code=ABCD-EFGH") {
		t.Errorf("output %s", out.String())
	}
}
