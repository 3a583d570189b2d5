package deployments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/convex-go/convex/ui"
)

// DeploymentClientOptions configure a deployment admin-API client.
type DeploymentClientOptions struct {
	Version    string       // Convex-Client: npm-cli-<Version>
	HTTPClient *http.Client // e.g. with ui.Logger's transport
	// Progress receives "Retrying request (attempt n/6)..." from the third retry on.
	Progress   io.Writer
	RetryDelay func(attempt int) time.Duration
}

// DeploymentClient calls a deployment's HTTP API with its admin key
// (spec §7.1): Authorization: Convex <key>, the Convex-Client header and the
// deployment retry policy.
type DeploymentClient struct {
	url, adminKey, version string
	progress               io.Writer
	delay                  func(int) time.Duration
	r                      *resty.Client
}

// NewDeploymentClient builds a client for the deployment at url.
func NewDeploymentClient(url, adminKey string, o DeploymentClientOptions) *DeploymentClient {
	if o.Version == "" {
		o.Version = Version
	}
	if o.RetryDelay == nil {
		o.RetryDelay = RetryDelay
	}
	r := newResty(o.HTTPClient)
	return &DeploymentClient{url: strings.TrimRight(url, "/"), adminKey: adminKey, version: o.Version,
		progress: o.Progress, delay: o.RetryDelay, r: r}
}

// URL is the deployment's base URL.
func (c *DeploymentClient) URL() string { return c.url }

// noRetryStatus reports the answers an idempotent request is not retried on.
func noRetryStatus(code int) bool {
	switch code {
	case 400, 401, 402, 403, 405, 406, 412, 413, 414, 415, 416:
		return true
	}
	return false
}

func retryable(method string, resp *resty.Response, err error) bool {
	if err != nil {
		return true
	}
	if resp.StatusCode() == http.StatusNotFound {
		return true // fresh deployments answer 404 for a moment
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return !resp.IsSuccess() && !noRetryStatus(resp.StatusCode())
	}
	return false
}

// Do sends a request to path on the deployment and decodes a 2xx JSON
// answer into out (when non-nil). Errors are *ui.Error with an *APIError in
// the chain for HTTP failures.
func (c *DeploymentClient) Do(ctx context.Context, method, path string, body, out any) error {
	url := c.url + path
	var payload []byte
	if body != nil {
		b, err := encodeBody(url, body)
		if err != nil {
			return err
		}
		payload = b
	}
	var resp *resty.Response
	var err error
	for attempt := 0; ; attempt++ {
		req := c.r.R().SetContext(ctx).
			SetHeader("Convex-Client", "npm-cli-"+c.version).
			SetHeader("Content-Type", "application/json")
		if c.adminKey != "" {
			req.SetHeader("Authorization", "Convex "+c.adminKey)
		}
		if payload != nil {
			req.SetBody(payload)
		}
		resp, err = req.Execute(method, url)
		if ctx.Err() != nil || attempt >= MaxRetries || !retryable(method, resp, err) {
			break
		}
		// Nothing listening on this machine gets a couple of quick tries only.
		wait, refused, retry := retryWait(c.delay, c.url, err, attempt)
		if !retry {
			break
		}
		if !refused && attempt+1 >= 3 && c.progress != nil {
			fmt.Fprintf(c.progress, "Retrying request (attempt %d/%d)...\n", attempt+1, MaxRetries)
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return ui.Wrap(err, "%s %s", method, url)
		}
	}
	if RefusedLocally(c.url, err) {
		return NothingListening(c.url, err)
	}
	if err != nil {
		return ui.Wrap(err, "Could not reach the deployment at %s", c.url).
			WithHint("Check the deployment URL and your network connection.")
	}
	if !resp.IsSuccess() {
		return deploymentHTTPError(method, url, resp)
	}
	if out == nil || len(resp.Body()) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body(), out); err != nil {
		return ui.Wrap(err, "Unexpected answer from %s %s", method, url)
	}
	return nil
}

func deploymentHTTPError(method, url string, resp *resty.Response) error {
	e := newAPIError(method, url, resp)
	ue := &ui.Error{Err: e, Code: ui.ExitError}
	switch e.Status {
	case http.StatusUnauthorized:
		ue.Hint = "The admin key or deploy key was not accepted by this deployment."
	case http.StatusForbidden:
		if e.Message != "" {
			e.text = e.Message
		}
	case http.StatusNotFound:
		e.text += ": " + url
	}
	return ue
}

// InstanceName asks the deployment for its name (no authentication needed).
func (c *DeploymentClient) InstanceName(ctx context.Context) (string, error) {
	resp, err := c.r.R().SetContext(ctx).Get(c.url + "/instance_name")
	if RefusedLocally(c.url, err) {
		return "", NothingListening(c.url, err)
	}
	if err != nil {
		return "", ui.Wrap(err, "Could not reach the deployment at %s", c.url)
	}
	if !resp.IsSuccess() {
		return "", deploymentHTTPError(http.MethodGet, c.url+"/instance_name", resp)
	}
	return strings.TrimSpace(string(resp.Body())), nil
}

// CanonicalURLs returns the deployment's client URL and HTTP-actions URL.
func (c *DeploymentClient) CanonicalURLs(ctx context.Context) (cloudURL, siteURL string, err error) {
	var out struct {
		ConvexCloudURL string `json:"convexCloudUrl"`
		ConvexSiteURL  string `json:"convexSiteUrl"`
	}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/get_canonical_urls", nil, &out); err != nil {
		return "", "", err
	}
	return out.ConvexCloudURL, out.ConvexSiteURL, nil
}

// EnvChange sets (Value non-nil) or deletes one deployment environment variable.
type EnvChange struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// UpdateEnvironmentVariables applies changes to the deployment's environment.
func (c *DeploymentClient) UpdateEnvironmentVariables(ctx context.Context, changes []EnvChange) error {
	return c.Do(ctx, http.MethodPost, "/api/update_environment_variables", map[string]any{"changes": changes}, nil)
}
