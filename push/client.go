package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/convex-go/convex/deployments"
)

// Version is the CLI version this client speaks as: it goes into
// Convex-Client and into udfServerVersion.
const Version = "1.48.0"

// maxRetries is how often a failed request is tried again (§7.1).
const maxRetries = 6

// Client calls a deployment's admin HTTP API.
type Client struct {
	URL      string // deployment URL, no trailing slash
	AdminKey string
	HTTP     *http.Client
	// RetryDelay is the wait before retry n (1-based); tests make it zero.
	RetryDelay func(n int) time.Duration
	// OnRetry is told about each retry (n, and the error that caused it).
	OnRetry func(n int, err error)
}

// NewClient returns a client for url with the given admin key.
func NewClient(url, adminKey string) *Client {
	return &Client{URL: strings.TrimRight(url, "/"), AdminKey: adminKey, HTTP: http.DefaultClient}
}

func defaultRetryDelay(n int) time.Duration {
	base := time.Duration(1<<(n-1)) * time.Second
	return base + time.Duration(rand.Float64()*0.2*float64(base))
}

// APIError is a non-2xx answer; Code and Message come from the
// {"code","message"} body when there is one.
type APIError struct {
	Status  int
	Code    string
	Message string
	Method  string
	Path    string
}

func (e *APIError) Error() string {
	switch {
	case e.Code != "" && e.Message != "":
		return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	case e.Message != "":
		return fmt.Sprintf("%d %s", e.Status, e.Message)
	default:
		return fmt.Sprintf("%s %s answered HTTP %d", e.Method, e.Path, e.Status)
	}
}

// NetworkError is a request that never got an HTTP answer.
type NetworkError struct {
	URL string
	Err error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v", e.URL, e.Err)
}
func (e *NetworkError) Unwrap() error { return e.Err }

// refusedError reads as the bare dial failure (the surrounding message
// already names the URL) but keeps the *NetworkError in the chain, so
// callers still see a network failure.
type refusedError struct{ ne *NetworkError }

func (e refusedError) Error() string { return e.ne.Err.Error() }
func (e refusedError) Unwrap() error { return e.ne }

// Request describes one call.
type Request struct {
	Method string // GET or POST
	Path   string // "/api/..."
	Body   any    // marshalled as JSON when non-nil
	// Brotli compresses the JSON body (push payloads).
	Brotli      bool
	Traceparent string
	// Header adds or replaces request headers.
	Header map[string]string
	// BestEffort retries only network errors and 5xx, at most 5 times.
	BestEffort bool
	// NoRetry sends the request once.
	NoRetry bool
}

// Do sends r and decodes a JSON answer into out (when out is non-nil).
func (c *Client) Do(ctx context.Context, r Request, out any) error {
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	var body []byte
	if r.Body != nil {
		raw, err := json.Marshal(r.Body)
		if err != nil {
			return fmt.Errorf("encoding %s request: %w", r.Path, err)
		}
		body = raw
		if r.Brotli {
			var buf bytes.Buffer
			w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotliQuality(c.URL)})
			w.Write(raw)
			if err := w.Close(); err != nil {
				return fmt.Errorf("compressing %s request: %w", r.Path, err)
			}
			body = buf.Bytes()
		}
	}
	delay := c.RetryDelay
	if delay == nil {
		delay = defaultRetryDelay
	}
	max := maxRetries
	if r.BestEffort {
		max = 5
	}
	if r.NoRetry {
		max = 0
	}
	for attempt := 0; ; attempt++ {
		data, err := c.once(ctx, r, body)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(data)) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("unexpected answer from %s%s: %w", c.URL, r.Path, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		var wait time.Duration
		var ne *NetworkError
		if errors.As(err, &ne) && deployments.RefusedLocally(c.URL, ne.Err) {
			// Nothing listens on this machine: the full network schedule
			// would wait a minute for a server that is not coming.
			if attempt >= max || attempt >= deployments.RefusedRetries {
				return deployments.NothingListening(c.URL, refusedError{ne})
			}
			wait = deployments.RefusedDelay(func(n int) time.Duration { return delay(n + 1) }, attempt)
		} else {
			if attempt >= max || !c.retryable(r, err) {
				return err
			}
			if c.OnRetry != nil {
				c.OnRetry(attempt+1, err)
			}
			wait = delay(attempt + 1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// brotliQuality is the compression level of push payloads: 4, as the
// reference CLI uses, for remote deployments; 1 for one on this machine,
// where the bytes saved cost more time to compress than to send (the chat
// app's start_push: 5.7 ms → 1.9 ms to compress, 65 → 77 kB).
func brotliQuality(url string) int {
	if deployments.IsLoopbackURL(url) {
		return 1
	}
	return 4
}

// retryable follows §7.1: network errors and 404s always (fresh
// deployments answer 404 briefly), other failures only for idempotent
// methods and never for the client-error statuses that cannot improve.
func (c *Client) retryable(r Request, err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if r.BestEffort {
		return ae.Status >= 500
	}
	if ae.Status == 404 {
		return true
	}
	if r.Method == http.MethodPost {
		return false
	}
	switch ae.Status {
	case 400, 401, 402, 403, 405, 406, 412, 413, 414, 415, 416:
		return false
	}
	return true
}

func (c *Client) once(ctx context.Context, r Request, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	method := r.Method
	req, err := http.NewRequestWithContext(ctx, method, c.URL+r.Path, rd)
	if err != nil {
		return nil, fmt.Errorf("bad deployment URL %q: %w", c.URL, err)
	}
	if c.AdminKey != "" {
		req.Header.Set("Authorization", "Convex "+c.AdminKey)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Convex-Client", "npm-cli-"+Version)
	if r.Brotli {
		req.Header.Set("Content-Encoding", "br")
	}
	if r.Traceparent != "" {
		req.Header.Set("traceparent", r.Traceparent)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &NetworkError{URL: c.URL, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &NetworkError{URL: c.URL, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode, Method: method, Path: r.Path}
		var eb struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &eb) == nil && (eb.Code != "" || eb.Message != "") {
			ae.Code, ae.Message = eb.Code, eb.Message
		} else if t := strings.TrimSpace(string(data)); t != "" && len(t) < 2000 {
			ae.Message = t
		}
		return nil, ae
	}
	return data, nil
}
