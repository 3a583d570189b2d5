package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// HTTPRequest is an HTTP action request with what the API layer knows.
type HTTPRequest struct {
	Method string
	// URL is the full URL the client used (scheme, host, path, query).
	URL string
	// Path is the path the router matches, without the query string.
	Path     string
	Header   http.Header
	Body     []byte
	Host     ActionHost
	Env      map[string]string
	Identity []byte // verified user identity JSON, or nil
	// IdentityErr is why a bearer token was refused; see Request.IdentityErr.
	IdentityErr error
	// RequestID is used in the error document; optional.
	RequestID string
	Timeout   time.Duration
	// OnLog, when set, sees log lines as they are written (see Request.OnLog).
	OnLog func(LogLine)
}

// RunHTTP serves r through the http.js router. The router sees r.URL.Path.
// A thrown error becomes a 500 response carrying the error document (and
// HTTPResponse.Err); the error return is for failures of the host itself.
func (m *ModuleSet) RunHTTP(ctx context.Context, r *http.Request, host ActionHost, env map[string]string) (*HTTPResponse, []LogLine, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the request body: %w", err)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := *r.URL
	u.Scheme, u.Host = scheme, r.Host
	header := r.Header
	if r.Host != "" && header.Get("Host") == "" {
		// net/http moves Host out of the header map; the action should see it.
		header = header.Clone()
		header.Set("Host", r.Host)
	}
	return m.RunHTTPRequest(ctx, HTTPRequest{
		Method: r.Method, URL: u.String(), Path: r.URL.Path, Header: header, Body: body,
		Host: host, Env: env,
	})
}

// RunHTTPRequest is RunHTTP for a request the caller has already read.
func (m *ModuleSet) RunHTTPRequest(ctx context.Context, hr HTTPRequest) (*HTTPResponse, []LogLine, error) {
	if _, ok := m.modules["http.js"]; !ok {
		return textResponse(http.StatusNotFound, "No matching routes found"), nil, nil
	}
	method := strings.ToUpper(hr.Method)
	headers := [][2]string{}
	for k, vs := range hr.Header {
		for _, v := range vs {
			headers = append(headers, [2]string{strings.ToLower(k), v})
		}
	}
	var b64 *string
	if len(hr.Body) > 0 && method != http.MethodGet && method != http.MethodHead {
		s := base64.StdEncoding.EncodeToString(hr.Body)
		b64 = &s
	}
	reqJSON, err := json.Marshal(map[string]any{"method": method, "url": hr.URL, "headers": headers, "body": b64})
	if err != nil {
		return nil, nil, err
	}
	timeout := hr.Timeout
	if timeout <= 0 {
		timeout = m.engine.opts.ActionTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()
	req := &Request{Host: hr.Host, Env: hr.Env, Identity: hr.Identity, IdentityErr: hr.IdentityErr, RequestID: hr.RequestID, OnLog: hr.OnLog}
	x := newExecution(ctx, m, req, "httpAction", "http.js", 0, nil)
	out, th, err := m.callVM(ctx, x, entryRequest{
		Op: "http", UdfType: "httpAction", Method: method, Path: hr.Path, Request: string(reqJSON),
	})
	logs := *x.logs
	if err != nil {
		th = &thrown{Message: runFailure(err, timeout).Message}
	}
	if th != nil {
		fe := th.functionError()
		return errorResponse(fe, hr.RequestID), logs, nil
	}
	var res struct {
		NotFound   bool        `json:"notFound"`
		Status     int         `json:"status"`
		StatusText string      `json:"statusText"`
		Headers    [][2]string `json:"headers"`
		Body       *string     `json:"body"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return nil, logs, fmt.Errorf("malformed HTTP action response: %w", err)
	}
	if res.NotFound {
		return textResponse(http.StatusNotFound, "No matching routes found"), logs, nil
	}
	resp := &HTTPResponse{Status: res.Status, Header: http.Header{}}
	for _, h := range res.Headers {
		resp.Header.Add(h[0], h[1])
	}
	if res.Body != nil && method != http.MethodHead {
		resp.Body, err = base64.StdEncoding.DecodeString(*res.Body)
		if err != nil {
			return nil, logs, fmt.Errorf("malformed HTTP action body: %w", err)
		}
	}
	return resp, logs, nil
}

func textResponse(status int, text string) *HTTPResponse {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	return &HTTPResponse{Status: status, Header: h, Body: []byte(text)}
}

// errorResponse renders a thrown error the way the reference backend does:
// 500 with {"code": "[Request ID: …] Server Error: …", "trace": …, "data"?}.
func errorResponse(fe *FunctionError, requestID string) *HTTPResponse {
	msg, trace := fe.Message, ""
	if i := strings.Index(msg, "\n    at "); i >= 0 {
		msg, trace = msg[:i], fe.Message
	}
	code := "Server Error: " + msg
	if requestID != "" {
		code = "[Request ID: " + requestID + "] " + code
	}
	doc := map[string]any{"code": code, "trace": trace}
	if fe.Data != nil {
		doc["data"] = json.RawMessage(fe.Data)
	}
	body, _ := json.Marshal(doc)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &HTTPResponse{Status: http.StatusInternalServerError, Header: h, Body: body, Err: fe}
}
