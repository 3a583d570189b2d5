package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// CLIVersion is the reference CLI version this program is compatible with;
// it is sent in the Convex-Client header as "npm-cli-<version>".
const CLIVersion = "1.48.0"

// ClientHeader is the Convex-Client header value, honouring
// CONVEX_VERSION_OVERRIDE.
func ClientHeader(env config.Env) string {
	v := CLIVersion
	if env != nil && env.Get("CONVEX_VERSION_OVERRIDE") != "" {
		v = env.Get("CONVEX_VERSION_OVERRIDE")
	}
	return "npm-cli-" + v
}

// Client calls the management-API endpoints that logging in needs:
// /api/authorize, /v1/create_personal_access_token and the opt-ins.
type Client struct {
	ProvisionHost string       // e.g. https://api.convex.dev, no trailing slash
	ClientHeader  string       // Convex-Client header
	HTTPClient    *http.Client // nil: a default client
}

// NewClient is a Client for env's provision host.
func NewClient(env config.Env) *Client {
	return &Client{ProvisionHost: config.ProvisionHost(env), ClientHeader: ClientHeader(env)}
}

func (c *Client) resty() *resty.Client {
	var r *resty.Client
	if c.HTTPClient != nil {
		r = resty.NewWithClient(c.HTTPClient)
	} else {
		r = resty.New().SetTimeout(60 * time.Second)
	}
	// Network errors only (resty's default condition); HTTP errors are answers.
	return r.SetRetryCount(3).SetRetryWaitTime(500*time.Millisecond).SetRetryMaxWaitTime(4*time.Second).
		SetHeader("Convex-Client", c.ClientHeader).
		SetLogger(quietLogger{})
}

// quietLogger keeps resty from printing (requests may carry secrets).
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// apiError turns a non-2xx management-API answer into a user error.
func apiError(what string, resp *resty.Response) error {
	var body struct{ Code, Message string }
	_ = json.Unmarshal(resp.Body(), &body)
	if body.Message != "" {
		return ui.Errorf("%s failed: %s (%s, HTTP %d)", what, body.Message, body.Code, resp.StatusCode())
	}
	return ui.Errorf("%s failed: HTTP %d %s", what, resp.StatusCode(), strings.TrimSpace(truncate(string(resp.Body()), 200)))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Authorized reports whether the management API accepts header (an
// Authorization value such as "Bearer …"): only HTTP 200 means yes. A
// network failure is an error.
func (c *Client) Authorized(ctx context.Context, header string) (bool, error) {
	if header == "" {
		return false, nil
	}
	resp, err := c.resty().R().SetContext(ctx).SetHeader("Authorization", header).
		Head(c.ProvisionHost + "/api/authorize")
	if err != nil {
		if ctx.Err() != nil {
			return false, ui.Interrupted
		}
		return false, ui.Wrap(err, "cannot reach %s to check your credentials; are you connected to the internet?", c.ProvisionHost)
	}
	return resp.StatusCode() == http.StatusOK, nil
}

// CreatePersonalAccessToken exchanges an identity-provider token for a
// Convex access token named after the device. anonymousID links an earlier
// anonymous session ("" sends null).
func (c *Client) CreatePersonalAccessToken(ctx context.Context, providerToken, deviceName, anonymousID string) (string, error) {
	body := map[string]any{"name": deviceName, "anonymousId": nil}
	if anonymousID != "" {
		body["anonymousId"] = anonymousID
	}
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	resp, err := c.resty().R().SetContext(ctx).
		SetHeader("Authorization", "Bearer "+providerToken).
		SetHeader("Content-Type", "application/json").
		SetBody(body).
		Post(c.ProvisionHost + "/v1/create_personal_access_token")
	if err != nil {
		if ctx.Err() != nil {
			return "", ui.Interrupted
		}
		return "", ui.Wrap(err, "cannot reach %s to create an access token", c.ProvisionHost)
	}
	if !resp.IsSuccess() {
		return "", apiError("creating an access token", resp)
	}
	if err := json.Unmarshal(resp.Body(), &out); err != nil || out.AccessToken == "" {
		return "", ui.Errorf("creating an access token failed: the response had no accessToken")
	}
	return out.AccessToken, nil
}

// OptIn is one terms-of-service item the user must accept.
type OptIn struct {
	OptIn   json.RawMessage `json:"optIn"` // opaque, sent back as is
	Message string          `json:"message"`
}

// EnsureOptIns asks the user to accept pending terms (spec cli §5.3) and
// records the acceptance. Only personal access tokens have opt-ins; call it
// with the token's Authorization header. acceptAll answers yes without
// asking (--accept-opt-ins).
func (c *Client) EnsureOptIns(ctx context.Context, header string, p Prompter, acceptAll bool) error {
	var pending struct {
		OptInsToAccept []OptIn `json:"optInsToAccept"`
	}
	r := c.resty().R().SetContext(ctx).SetHeader("Authorization", header).SetHeader("Content-Type", "application/json")
	resp, err := r.SetBody(map[string]any{}).Post(c.ProvisionHost + "/api/check_opt_ins")
	if err != nil {
		return ui.Wrap(err, "cannot reach %s to check the terms of service", c.ProvisionHost)
	}
	if !resp.IsSuccess() {
		return apiError("checking the terms of service", resp)
	}
	if err := json.Unmarshal(resp.Body(), &pending); err != nil {
		return ui.Wrap(err, "unexpected answer when checking the terms of service")
	}
	if len(pending.OptInsToAccept) == 0 {
		return nil
	}
	accepted := make([]json.RawMessage, 0, len(pending.OptInsToAccept))
	for _, o := range pending.OptInsToAccept {
		if !acceptAll {
			ok, err := WithAnswer(p, "--accept-opt-ins").Confirm(o.Message, true)
			if err != nil {
				return err
			}
			if !ok {
				return ui.Errorf("Please accept the Terms of Service to use Convex.")
			}
		}
		accepted = append(accepted, o.OptIn)
	}
	resp, err = c.resty().R().SetContext(ctx).SetHeader("Authorization", header).
		SetHeader("Content-Type", "application/json").
		SetBody(map[string]any{"optInsAccepted": accepted}).
		Post(c.ProvisionHost + "/api/accept_opt_ins")
	if err != nil {
		return ui.Wrap(err, "cannot reach %s to accept the terms of service", c.ProvisionHost)
	}
	if !resp.IsSuccess() {
		return apiError("accepting the terms of service", resp)
	}
	return nil
}

func fprintf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
