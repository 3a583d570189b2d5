package auth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Identity provider defaults (overridable with hidden login flags).
const (
	DefaultAuthIssuer = "https://auth.convex.dev"
	DefaultClientID   = "HFtA247jp9iNs08NTLIB7JsNPMmRIyfi"
)

// Login flows (--login-flow).
const (
	FlowAuto  = "auto"  // device flow, falling back to paste
	FlowPaste = "paste" // paste a token from the dashboard
	FlowPoll  = "poll"  // device flow
)

// LoginOptions configure Login. Zero values mean the defaults; the HTTP
// endpoints are all injectable so tests run against httptest servers.
type LoginOptions struct {
	Env config.Env

	ProvisionHost string // management API; default config.ProvisionHost(Env)
	DashboardHost string // for the paste flow; default config.DashboardHost(Env)
	AuthIssuer    string // OpenID issuer; default DefaultAuthIssuer (--override-auth-url)
	ClientID      string // OAuth client; default DefaultClientID (--override-auth-client)

	DeviceName    string // --device-name; "" asks, defaulting to the host name
	Flow          string // FlowAuto (default), FlowPaste or FlowPoll
	NoOpen        bool   // --no-open: print the URL, do not offer to open a browser
	ProviderToken string // --override-access-token: skip the identity provider
	// ProviderTokenOnly stops after obtaining the identity-provider token and
	// returns it (--dump-access-token); nothing is stored.
	ProviderTokenOnly bool
	AnonymousID       string // links an anonymous session; "" sends null
	AcceptOptIns      bool   // --accept-opt-ins
	// VercelSlug (--vercel: "convex", or --vercel-override's value) sends
	// the user through that Vercel marketplace integration; "" does not.
	VercelSlug string
	SkipOptIns bool // leave the terms-of-service check to the caller

	TokenPath string   // default config.GlobalConfigPath(Env)
	Prompter  Prompter // required unless every answer is given
	Out       io.Writer

	HTTPClient  *http.Client                               // nil: default clients
	OpenBrowser func(url string) error                     // nil: the OS opener
	Sleep       func(context.Context, time.Duration) error // nil: a timer honouring ctx
	Now         func() time.Time                           // nil: time.Now
	Hostname    func() (string, error)                     // nil: the OS host name
}

func (o *LoginOptions) defaults() error {
	if o.Env == nil {
		o.Env = config.MapEnv{}
	}
	if o.ProvisionHost == "" {
		o.ProvisionHost = config.ProvisionHost(o.Env)
	}
	o.ProvisionHost = strings.TrimRight(o.ProvisionHost, "/")
	if o.DashboardHost == "" {
		o.DashboardHost = config.DashboardHost(o.Env)
	}
	if o.AuthIssuer == "" {
		o.AuthIssuer = DefaultAuthIssuer
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.Flow == "" {
		o.Flow = FlowAuto
	}
	if o.Flow != FlowAuto && o.Flow != FlowPaste && o.Flow != FlowPoll {
		return ui.Usage("unknown login flow %q (use auto, paste or poll)", o.Flow)
	}
	if o.TokenPath == "" {
		p, err := config.GlobalConfigPath(o.Env)
		if err != nil {
			return err
		}
		o.TokenPath = p
	}
	if o.Prompter == nil {
		o.Prompter = NewPrompterWith(PrompterOptions{})
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.OpenBrowser == nil {
		o.OpenBrowser = openBrowser
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hostname == nil {
		o.Hostname = hostname
	}
	return nil
}

// Login runs `convex login` (spec cli §5.1 steps 3–8): ask for a device
// name, get an identity-provider token (device flow, paste, or given),
// exchange it for a Convex personal access token, store that in the token
// file (0600, other keys kept) and settle the terms of service. It returns
// the new access token.
func Login(ctx context.Context, o LoginOptions) (string, error) {
	if err := o.defaults(); err != nil {
		return "", err
	}
	device := o.DeviceName
	if device == "" {
		def, _ := o.Hostname()
		fprintf(o.Out, "Welcome to developing with Convex, let's get you logged in.\n")
		name, err := WithAnswer(o.Prompter, "--device-name").Input("Device name:", def)
		if err != nil {
			return "", err
		}
		device = strings.TrimSpace(name)
		if device == "" {
			return "", ui.Usage("a device name is required").WithHint("Pass --device-name.")
		}
	}

	provider := o.ProviderToken
	if provider == "" && o.Flow != FlowPaste && !o.NoOpen && !IsInteractive(o.Prompter) {
		// The reference asks "Open the browser?" after showing the code and
		// fails there without a terminal. Fail the same way, but before a
		// code is requested, and say how to log in from a script.
		return "", ui.Errorf("Cannot ask %q without a terminal, so this login cannot go on.", "Open the browser?").
			WithHint("Log in with --no-open: it prints a link and a code to confirm in any browser, then waits for you, e.g. `convex login --no-open --device-name %s`.", device)
	}
	if provider == "" {
		var err error
		if o.Flow == FlowPaste {
			provider, err = pasteToken(o)
		} else {
			provider, err = deviceFlow(ctx, o)
		}
		if err != nil {
			return "", err
		}
	}
	if o.ProviderTokenOnly {
		return provider, nil
	}

	api := &Client{ProvisionHost: o.ProvisionHost, ClientHeader: ClientHeader(o.Env), HTTPClient: o.HTTPClient}
	token, err := api.CreatePersonalAccessToken(ctx, provider, device, o.AnonymousID)
	if err != nil {
		return "", err
	}
	store := TokenStore{Path: o.TokenPath}
	if err := store.Save(token); err != nil {
		return "", err
	}
	fprintf(o.Out, "✔ Saved credentials to %s\n", PrettyPath(o.Env, o.TokenPath))
	if !o.SkipOptIns {
		if err := api.EnsureOptIns(ctx, "Bearer "+token, o.Prompter, o.AcceptOptIns); err != nil {
			return "", err
		}
	}
	return token, nil
}

// EnsureLoggedIn returns a credential the management API accepts (spec
// cli §5.2): cred itself when HEAD /api/authorize says 200 (settling the
// terms of service for access tokens), otherwise the token of a fresh
// Login — except that a project key stays in charge even after logging in,
// as in the reference. message, when not empty, is printed before logging in.
func EnsureLoggedIn(ctx context.Context, cred Credential, message string, o LoginOptions) (Credential, error) {
	if err := o.defaults(); err != nil {
		return cred, err
	}
	api := &Client{ProvisionHost: o.ProvisionHost, ClientHeader: ClientHeader(o.Env), HTTPClient: o.HTTPClient}
	ok, err := api.Authorized(ctx, cred.Header())
	if err != nil {
		return cred, err
	}
	if ok {
		if cred.Kind == CredAccessToken {
			if err := api.EnsureOptIns(ctx, cred.Header(), o.Prompter, o.AcceptOptIns); err != nil {
				return cred, err
			}
		}
		return cred, nil
	}
	if message != "" {
		fprintf(o.Out, "%s\n", message)
	}
	token, err := Login(ctx, o)
	if err != nil {
		return cred, err
	}
	if cred.Kind == CredProjectKey {
		return cred, nil
	}
	return Credential{Kind: CredAccessToken, Token: token, Source: o.TokenPath}, nil
}

// Logout deletes the token file. It never contacts the server and reports
// whether there was a login to remove.
func Logout(env config.Env) (path string, existed bool, err error) {
	s, err := NewTokenStore(env)
	if err != nil {
		return "", false, err
	}
	existed, err = s.Delete()
	return s.Path, existed, err
}

// PrettyPath shows a path under the home directory as ~/… on macOS, as the
// reference does; elsewhere paths are shown as they are.
func PrettyPath(env config.Env, p string) string {
	if runtime.GOOS != "darwin" {
		return p
	}
	if home, err := config.HomeDir(env); err == nil && strings.HasPrefix(p, home) {
		return "~" + p[len(home):]
	}
	return p
}

func pasteToken(o LoginOptions) (string, error) {
	q := "Open " + o.DashboardHost + "/auth, log in and paste the token here:"
	tok, err := WithAnswer(o.Prompter, "CONVEX_DEPLOY_KEY or a login in a terminal").Input(q, "")
	if err != nil {
		return "", err
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", ui.Errorf("no token was pasted")
	}
	return tok, nil
}

// oidcConfig is the part of the OpenID discovery document we use.
type oidcConfig struct {
	DeviceEndpoint string `json:"device_authorization_endpoint"`
	TokenEndpoint  string `json:"token_endpoint"`
}

type deviceAuth struct {
	DeviceCode              string  `json:"device_code"`
	UserCode                string  `json:"user_code"`
	VerificationURI         string  `json:"verification_uri"`
	VerificationURIComplete string  `json:"verification_uri_complete"`
	ExpiresIn               float64 `json:"expires_in"`
	Interval                float64 `json:"interval"`
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// authHTTP is the client for the identity provider, with the reference's
// OPENID_CLIENT_TIMEOUT (milliseconds, default 10000).
func authHTTP(o LoginOptions) *resty.Client {
	var r *resty.Client
	if o.HTTPClient != nil {
		r = resty.NewWithClient(o.HTTPClient)
	} else {
		r = resty.New()
	}
	timeout := 10 * time.Second
	if ms, err := strconv.Atoi(o.Env.Get("OPENID_CLIENT_TIMEOUT")); err == nil && ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	return r.SetTimeout(timeout).SetLogger(quietLogger{})
}

// deviceFlow runs the OAuth 2.0 Device Authorization Grant (RFC 8628)
// against the issuer found by OpenID discovery. When discovery or the
// device request fails, it falls back to the paste flow, as the reference.
func deviceFlow(ctx context.Context, o LoginOptions) (string, error) {
	hc := authHTTP(o)
	var cfg oidcConfig
	resp, err := hc.R().SetContext(ctx).Get(strings.TrimRight(o.AuthIssuer, "/") + "/.well-known/openid-configuration")
	if ctx.Err() != nil {
		return "", ui.Interrupted
	}
	if err != nil || !resp.IsSuccess() || json.Unmarshal(resp.Body(), &cfg) != nil || cfg.DeviceEndpoint == "" || cfg.TokenEndpoint == "" {
		return pasteToken(o)
	}
	var da deviceAuth
	resp, err = hc.R().SetContext(ctx).
		SetFormData(map[string]string{"client_id": o.ClientID, "scope": "openid"}).
		Post(cfg.DeviceEndpoint)
	if ctx.Err() != nil {
		return "", ui.Interrupted
	}
	if err != nil || !resp.IsSuccess() || json.Unmarshal(resp.Body(), &da) != nil || da.DeviceCode == "" {
		return pasteToken(o)
	}
	link := da.VerificationURIComplete
	if link == "" {
		link = da.VerificationURI
	}
	if o.VercelSlug != "" {
		// The reference passes the URL unencoded; so do we.
		link = "https://vercel.com/sso/integrations/" + o.VercelSlug + "?url=" + link
	}
	fprintf(o.Out, "To log in, open this page and check that it shows the code %s (valid for %s):\n  %s\n",
		da.UserCode, describeSeconds(da.ExpiresIn), link)

	if o.NoOpen {
		fprintf(o.Out, "Waiting for you to log in at the page above…\n")
	} else {
		open, err := WithAnswer(o.Prompter, "--no-open").Confirm("Open the browser?", true)
		if err != nil {
			return "", err
		}
		if open {
			if err := o.OpenBrowser(link); err != nil {
				fprintf(o.Out, "Could not open a browser (%v); open the page above yourself.\n", err)
			}
			fprintf(o.Out, "Waiting for you to confirm in the browser…\n")
		} else {
			fprintf(o.Out, "Waiting for you to log in at the page above…\n")
		}
	}
	return pollToken(ctx, o, hc, cfg.TokenEndpoint, da)
}

func describeSeconds(s float64) string {
	n := int(s)
	if n > 0 && n%60 == 0 {
		return strconv.Itoa(n/60) + " minutes"
	}
	return strconv.Itoa(n) + " seconds"
}

// pollToken asks the token endpoint until the user approves, waiting
// `interval` seconds between requests (5 when unspecified) and 5 seconds
// more after each slow_down, and gives up when the code expires.
func pollToken(ctx context.Context, o LoginOptions, hc *resty.Client, endpoint string, da deviceAuth) (string, error) {
	interval := time.Duration(da.Interval * float64(time.Second))
	if interval <= 0 {
		interval = 5 * time.Second
	}
	var deadline time.Time
	if da.ExpiresIn > 0 {
		deadline = o.Now().Add(time.Duration(da.ExpiresIn * float64(time.Second)))
	}
	expired := ui.Errorf("Device flow expired: the login was not confirmed in time.").WithHint("Run `convex login` again.")
	for {
		if err := o.Sleep(ctx, interval); err != nil {
			return "", ui.Interrupted
		}
		if !deadline.IsZero() && !o.Now().Before(deadline) {
			return "", expired
		}
		resp, err := hc.R().SetContext(ctx).SetFormData(map[string]string{
			"grant_type":  "urn:ietf:params:oauth:grant-type:device_code",
			"device_code": da.DeviceCode,
			"client_id":   o.ClientID,
		}).Post(endpoint)
		if ctx.Err() != nil {
			return "", ui.Interrupted
		}
		if err != nil {
			return "", ui.Wrap(err, "Login failed")
		}
		if resp.IsSuccess() {
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(resp.Body(), &tok) != nil || tok.AccessToken == "" {
				return "", ui.Errorf("Login failed: the identity provider returned no access token")
			}
			return tok.AccessToken, nil
		}
		var oe oauthError
		if json.Unmarshal(resp.Body(), &oe) != nil || oe.Error == "" {
			return "", ui.Errorf("Login failed: the identity provider answered HTTP %d", resp.StatusCode())
		}
		switch oe.Error {
		case "authorization_pending":
		case "slow_down":
			interval += 5 * time.Second
		case "access_denied":
			return "", ui.Errorf("Access denied.").WithHint("The login was declined in the browser; run `convex login` to try again.")
		case "expired_token":
			return "", expired
		default:
			return "", ui.Errorf("Login failed: %s (%s)", oe.Error, oe.Description)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hostname is the default device name: macOS's user-visible computer name
// when available (the BSD host name is often truncated), else the host name.
func hostname() (string, error) {
	if runtime.GOOS == "darwin" {
		if out, err := exec.Command("scutil", "--get", "ComputerName").Output(); err == nil {
			if s := strings.TrimSpace(string(out)); s != "" {
				return s, nil
			}
		}
	}
	return os.Hostname()
}

// openBrowser asks the OS to open u.
func openBrowser(u string) error {
	if _, err := url.ParseRequestURI(u); err != nil {
		return errors.New("not a URL")
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
