package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/convex-go/convex/ui"
)

// MaxRetries is how often a request is retried after a network failure.
const MaxRetries = 6

// RetryDelay is the wait before retry number attempt (0-based): 1 ms, then
// 1 s, 2 s, 4 s, … each with up to 20 % random jitter added.
func RetryDelay(attempt int) time.Duration {
	base := time.Millisecond
	if attempt > 0 {
		base = time.Duration(1<<(attempt-1)) * time.Second
	}
	return base + time.Duration(rand.Float64()*0.2*float64(base))
}

// newResty is the resty client both API clients build on: over hc when
// given, and with resty's own retries off (the clients retry themselves).
func newResty(hc *http.Client) *resty.Client {
	var r *resty.Client
	if hc != nil {
		r = resty.NewWithClient(hc)
	} else {
		r = resty.New()
	}
	r.SetRetryCount(0)
	return r
}

// retryWait is the wait before retrying a request to url after attempt
// failed with err. For a connection refused on this machine (refused) the
// wait is short, and retry turns false once its quick tries are used up.
func retryWait(delay func(int) time.Duration, url string, err error, attempt int) (wait time.Duration, refused, retry bool) {
	wait = delay(attempt)
	if !RefusedLocally(url, err) {
		return wait, false, true
	}
	if attempt >= RefusedRetries {
		return 0, true, false
	}
	return RefusedDelay(delay, attempt), true, true
}

// encodeBody is the JSON of a request body for url.
func encodeBody(url string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, ui.Wrap(err, "encoding the request to %s", url)
	}
	return b, nil
}

// sleepCtx waits for d, or less when ctx ends first (then its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ClientOptions configure a management-API client.
type ClientOptions struct {
	// Host is the provision host (no trailing slash); ProvisionHost(env) by default.
	Host string
	// Auth is the credential sent as "Authorization: Bearer <Auth>"; empty sends none.
	Auth string
	// Version goes into the Convex-Client header as npm-cli-<Version>.
	Version string
	// Verbose, when set, receives one line per request: method, URL, status, duration.
	Verbose io.Writer
	// Warn receives deprecation notices from the server (printed once per client).
	Warn io.Writer
	// HTTPClient replaces the default HTTP client (tests, proxies).
	HTTPClient *http.Client
	// RetryDelay replaces RetryDelay (tests use a zero delay).
	RetryDelay func(attempt int) time.Duration
	// DeployKeyVar names the env var holding a deploy key in effect, for 403 advice.
	DeployKeyVar string
}

// Client talks to Convex's management API: the legacy /api/ routes and the
// platform /v1/ routes on the same host.
type Client struct {
	host         string
	auth         string
	version      string
	verbose      io.Writer
	warn         io.Writer
	deployKeyVar string
	delay        func(int) time.Duration
	r            *resty.Client

	mu         sync.Mutex
	warnedOnce bool
}

// NewClient builds a management-API client.
func NewClient(o ClientOptions) *Client {
	if o.Host == "" {
		o.Host = ProductionProvisionHost
	}
	if o.Version == "" {
		o.Version = Version
	}
	if o.RetryDelay == nil {
		o.RetryDelay = RetryDelay
	}
	r := newResty(o.HTTPClient)
	r.SetTimeout(5 * time.Minute)
	return &Client{
		host:         strings.TrimRight(o.Host, "/"),
		auth:         o.Auth,
		version:      o.Version,
		verbose:      o.Verbose,
		warn:         o.Warn,
		deployKeyVar: o.DeployKeyVar,
		delay:        o.RetryDelay,
		r:            r,
	}
}

// Host is the provision host this client talks to.
func (c *Client) Host() string { return c.host }

// Auth is the bearer credential in use ("" when none).
func (c *Client) Auth() string { return c.auth }

// WithAuth returns a client sharing this one's settings but sending auth.
func (c *Client) WithAuth(auth string) *Client {
	n := &Client{host: c.host, auth: auth, version: c.version, verbose: c.verbose,
		warn: c.warn, deployKeyVar: c.deployKeyVar, delay: c.delay, r: c.r}
	return n
}

// APIError is a non-2xx answer from the management API. Code and Message
// come from the {"code","message"} body when the server sent one.
type APIError struct {
	Method     string
	URL        string
	Status     int
	StatusText string
	Code       string
	Message    string
	text       string
}

func (e *APIError) Error() string { return e.text }

// ErrorCode returns the server's error code carried anywhere in err's chain.
func ErrorCode(err error) string {
	var a *APIError
	if errors.As(err, &a) {
		return a.Code
	}
	return ""
}

// StatusCode returns the HTTP status carried anywhere in err's chain, or 0.
func StatusCode(err error) int {
	var a *APIError
	if errors.As(err, &a) {
		return a.Status
	}
	return 0
}

// Legacy routes live under /api/, platform routes under /v1/.
func (c *Client) apiURL(path string) string { return c.host + "/api/" + strings.TrimLeft(path, "/") }
func (c *Client) v1URL(path string) string  { return c.host + "/v1/" + strings.TrimLeft(path, "/") }

// Do sends one request to an absolute URL and decodes a 2xx JSON answer into
// out (when non-nil). A POST without a body sends "{}". Network failures are
// retried; HTTP errors are not. Every failure comes back as a *ui.Error whose
// chain holds an *APIError for HTTP errors.
func (c *Client) Do(ctx context.Context, method, url string, body, out any) error {
	return c.do(ctx, method, url, body, out, nil)
}

func (c *Client) do(ctx context.Context, method, url string, body, out any, header map[string]string) error {
	var payload []byte
	if method == http.MethodPost {
		payload = []byte("{}")
		if body != nil {
			b, err := encodeBody(url, body)
			if err != nil {
				return err
			}
			payload = b
		}
	}
	var resp *resty.Response
	var err error
	for attempt := 0; ; attempt++ {
		req := c.r.R().SetContext(ctx).SetHeader("Convex-Client", "npm-cli-"+c.version)
		if c.auth != "" {
			req.SetHeader("Authorization", "Bearer "+c.auth)
		}
		for k, v := range header {
			req.SetHeader(k, v)
		}
		if payload != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(payload)
		}
		start := time.Now()
		resp, err = req.Execute(method, url)
		c.logRequest(method, url, resp, err, time.Since(start))
		if err == nil || ctx.Err() != nil || attempt >= MaxRetries {
			break
		}
		// A management API on this machine (CONVEX_PROVISION_HOST) that
		// refuses connections is not running: only a couple of quick tries.
		wait, _, retry := retryWait(c.delay, url, err, attempt)
		if !retry {
			break
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return ui.Wrap(err, "%s %s", method, url)
		}
	}
	if err != nil {
		return &ui.Error{Msg: fmt.Sprintf("Could not reach the Convex management API at %s", c.host), Err: err, Code: ui.ExitError,
			Hint: "Check your network connection (and CONVEX_PROVISION_HOST if you set it)."}
	}
	if derr := c.checkDeprecation(resp); derr != nil {
		return derr
	}
	if !resp.IsSuccess() {
		return c.httpError(method, url, resp)
	}
	if out == nil || resp.StatusCode() != http.StatusOK || len(resp.Body()) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body(), out); err != nil {
		return ui.Wrap(err, "Unexpected response from %s %s", method, url)
	}
	return nil
}

func (c *Client) logRequest(method, url string, resp *resty.Response, err error, d time.Duration) {
	if c.verbose == nil {
		return
	}
	status := "error: " + errText(err)
	if err == nil && resp != nil {
		status = resp.Status()
	}
	// URLs never hold secrets here (keys travel in headers and bodies), but
	// redact the credential anyway in case a server echoes it into an error.
	line := fmt.Sprintf("[verbose] %s %s %s -> %s (%s)\n", time.Now().UTC().Format(time.RFC3339Nano), method, url, status, d.Round(time.Millisecond))
	fmt.Fprint(c.verbose, ui.RedactAll(line, c.auth))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkDeprecation handles the deprecation headers the server may attach to
// any answer: "Deprecated" on an error stops the command; any other state is
// shown once as a warning.
func (c *Client) checkDeprecation(resp *resty.Response) error {
	state := resp.Header().Get("x-convex-deprecation-state")
	if state == "" {
		return nil
	}
	msg := resp.Header().Get("x-convex-deprecation-message")
	if msg == "" {
		msg = "(the server sent no deprecation message)"
	}
	if state == "Deprecated" && !resp.IsSuccess() {
		return &ui.Error{Msg: msg, Code: ui.ExitError,
			Hint: "This version of the CLI is no longer supported by Convex; upgrade it."}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.warnedOnce && c.warn != nil {
		fmt.Fprintf(c.warn, "⚠ %s\n", msg)
	}
	c.warnedOnce = true
	return nil
}

func (c *Client) httpError(method, url string, resp *resty.Response) error {
	e := newAPIError(method, url, resp)
	ue := &ui.Error{Err: e, Code: ui.ExitError}
	switch e.Status {
	case http.StatusUnauthorized:
		ue.Hint = "Log in again with `convex login`, or check the deploy key you set."
	case http.StatusForbidden:
		if e.Message != "" {
			e.text = e.Message
		}
		if c.deployKeyVar != "" {
			ue.Hint = "What this command may do is determined by the permissions granted to " + c.deployKeyVar + "."
		}
	case http.StatusNotFound:
		e.text += ": " + url
	}
	return ue
}

// newAPIError reads a non-2xx answer: its status, the {"code","message"}
// body when there is one, and the reference CLI's error line (two spaces
// after the method).
func newAPIError(method, url string, resp *resty.Response) *APIError {
	e := &APIError{Method: method, URL: url, Status: resp.StatusCode(), StatusText: http.StatusText(resp.StatusCode())}
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(resp.Body(), &body) == nil && body.Code != "" && body.Message != "" {
		e.Code, e.Message = body.Code, body.Message
	}
	e.text = fmt.Sprintf("Error fetching %s  %s %d %s", method, url, e.Status, e.StatusText)
	if e.Code != "" {
		e.text += ": " + e.Code + ": " + e.Message
	}
	return e
}
