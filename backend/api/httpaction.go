package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/runtime"
)

// serveHTTPAction runs the http.js router for path (the part after /http on
// the API port, or the whole path on the site port).
func (s *Server) serveHTTPAction(w http.ResponseWriter, r *http.Request, path string) error {
	dep := s.dep.Load()
	if dep == nil || dep.mods == nil || !dep.hasHTTP {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("No matching routes found"))
		return nil
	}
	env, err := s.env()
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// A user token makes ctx.auth work. An invalid one does not fail the
	// request: the action runs, and ctx.auth.getUserIdentity() throws why
	// the token was refused, as on Convex.
	var identity []byte
	var identityErr error
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		identity, identityErr = s.verifyJWT(r.Context(), strings.TrimSpace(h[7:]))
		if identityErr != nil {
			identity = nil
		}
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	start := time.Now()
	c := udfCall{Path: "http:" + r.Method + " " + path, Caller: "HttpApi"}
	reqID := newRequestID()
	resp, lines, err := dep.mods.RunHTTPRequest(r.Context(), runtime.HTTPRequest{
		Method: r.Method, URL: u.String(), Path: path, Header: r.Header, Body: body,
		Host: s.hostFor(identity), Env: env, Identity: identity, IdentityErr: identityErr, RequestID: reqID,
	})
	out := udfOutcome{RequestID: reqID, UdfType: "http", Logs: lines, Value: []byte("null")}
	if err != nil {
		out.Err = &runtime.FunctionError{Message: err.Error()}
		s.recordHTTP(c, out, start, r.Method, path)
		return err
	}
	if resp.Err != nil {
		out.Err = resp.Err
	}
	s.recordHTTP(c, out, start, r.Method, path)
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.Body)
	}
	return nil
}

func (s *Server) recordHTTP(c udfCall, out udfOutcome, start time.Time, method, path string) {
	e := &logEntry{
		Kind: "Completion", UdfType: "HttpAction", Identifier: method + " " + path,
		Timestamp: start, Caller: "HttpEndpoint", ExecutionTime: time.Since(start),
		RequestID: out.RequestID, ExecutionID: newRequestID(), IdentityType: "Unknown",
	}
	for _, l := range out.Logs {
		e.Lines = append(e.Lines, logLine{Level: l.Level, Messages: l.Messages, Timestamp: float64(l.Timestamp), IsTruncated: l.IsTruncated})
	}
	if out.Err != nil {
		e.Error = out.Err.Message
	}
	s.logs.add(e)
}
