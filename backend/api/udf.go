package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

// maxLoggedResult is the largest return value (encoded bytes) kept in a
// log entry.
const maxLoggedResult = 4 << 10

// udfCall is one top-level function invocation.
type udfCall struct {
	Kind     string  // runtime.Kind*; "" = whatever the function is
	Path     string  // as the client wrote it
	Args     []byte  // Convex-encoded args object (or one-element array)
	Internal bool    // may call internal functions
	Identity []byte  // user identity JSON or nil
	Caller   string  // log label: HttpApi, Scheduler, Cron, Action, HttpAction
	jobID    string  // scheduled function being run, if any
	journal  *string // a query subscription's journal from its last run
}

// udfOutcome is a finished invocation.
type udfOutcome struct {
	RequestID string
	UdfType   string // runtime.Kind* or ""
	Value     []byte // encoded JSON on success
	Err       *runtime.FunctionError
	Logs      []runtime.LogLine
	jobMarked bool // the job's success was committed with the mutation
	Reads     store.ReadSet
	TS        int64    // snapshot of a query, commit of a mutation; 0 if none
	systemFn  bool     // served natively by runSystem
	sysTables []string // what a system function read (with sysAll: anything)
	sysAll    bool
	Journal   *string // a query's journal for its next run (see store.Tx.Journal)

	// exported caches Value in clean JSON export form; the log entry and
	// a "json" response both need it, and decoding is not free.
	exported   any
	exportedOK bool
}

// export returns Value in clean JSON export form, decoding it once.
func (o *udfOutcome) export() (any, error) {
	if !o.exportedOK {
		v, err := values.Decode(o.Value)
		if err != nil {
			return nil, err
		}
		o.exported, o.exportedOK = values.ExportJSON(v), true
	}
	return o.exported, nil
}

// canonicalPath turns "messages:list" into "messages.js:list" (§5.2).
func canonicalPath(p string) string {
	mod, fn, ok := strings.Cut(p, ":")
	if !ok || fn == "" {
		fn = "default"
	}
	if !strings.HasSuffix(mod, ".js") {
		mod += ".js"
	}
	return mod + ":" + fn
}

// displayPath is the log identifier: "messages:list".
func displayPath(p string) string {
	c := canonicalPath(p)
	mod, fn, _ := strings.Cut(c, ":")
	return strings.TrimSuffix(mod, ".js") + ":" + fn
}

// udfTypeLabel maps a runtime kind to the log/analysis spelling.
func udfTypeLabel(kind string) string {
	switch kind {
	case runtime.KindQuery:
		return "Query"
	case runtime.KindMutation:
		return "Mutation"
	case runtime.KindAction:
		return "Action"
	case "http":
		return "HttpAction"
	}
	return ""
}

func notFound(path string, internal bool) *runtime.FunctionError {
	if internal {
		return &runtime.FunctionError{Message: fmt.Sprintf("Could not find function for '%s'. Did you forget to run `npx convex dev` or `npx convex deploy`?", displayPath(path))}
	}
	return &runtime.FunctionError{Message: fmt.Sprintf("Could not find public function for '%s'. Did you forget to run `npx convex dev` or `npx convex deploy`?", displayPath(path))}
}

// run executes a function: queries in a read transaction, mutations in a
// write transaction committed only on success, actions with the server as
// their host. It records a log entry and never panics.
func (s *Server) run(ctx context.Context, c udfCall) (out udfOutcome) {
	out.RequestID = newRequestID()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic running %s: %v", c.Path, p)
			out.Value = nil
			out.Err = &runtime.FunctionError{Message: "InternalServerError: the function could not be run"}
		}
		if out.Err == nil && len(out.Value) <= maxLoggedResult {
			_, _ = out.export() // shared by the log entry and the response
		}
		s.recordExecution(c, out, start)
	}()

	dep := s.dep.Load()
	if strings.HasPrefix(c.Path, "_system/") {
		return s.runSystem(ctx, c, out)
	}
	if dep == nil || dep.mods == nil {
		out.Err = notFound(c.Path, c.Internal)
		return out
	}
	kind := c.Kind
	if kind == "" {
		kind = dep.kindOf(c.Path)
		if kind == "" {
			out.Err = notFound(c.Path, c.Internal)
			return out
		}
	}
	env, err := s.env()
	if err != nil {
		out.Err = &runtime.FunctionError{Message: "InternalServerError: could not read environment variables: " + err.Error()}
		return out
	}
	req := runtime.Request{
		Path: c.Path, Kind: kind, Args: c.Args, Env: env, Identity: c.Identity,
		Internal: c.Internal, RequestID: out.RequestID, Now: start,
	}
	var res runtime.Result
	module, _, _ := strings.Cut(canonicalPath(c.Path), ":")
	switch {
	case dep.node.has(module):
		res = s.runNodeAction(ctx, dep, c, env, out.RequestID)
	case kind == runtime.KindQuery || kind == runtime.KindMutation:
		write := kind == runtime.KindMutation
		var tx *store.Tx
		if write {
			// The writer lock is taken at the mutation's first database
			// call, so its set-up overlaps other mutations.
			tx = s.store.BeginLazy()
		} else {
			var err error
			if tx, err = s.store.Begin(false); err != nil {
				out.Err = &runtime.FunctionError{Message: "InternalServerError: could not begin a transaction: " + err.Error()}
				return out
			}
		}
		req.DB = tx
		req.Host = s.hostFor(c.Identity)
		if write && c.jobID != "" {
			tx.SetCurrentJob(c.jobID)
		}
		if !write && c.journal != nil {
			tx.SetJournal(*c.journal)
		}
		res = dep.mods.Run(ctx, req)
		if write && res.Err == nil {
			if c.jobID != "" {
				if err := tx.SetJobState(c.jobID, "success"); err == nil {
					out.jobMarked = true
				}
			}
			writes := tx.Writes()
			if ts, err := tx.Commit(); err == nil {
				out.TS = ts
				s.committed(ts, writes)
			} else {
				out.jobMarked = false
				res.Value, res.Err = nil, &runtime.FunctionError{Message: "Failed to commit the mutation: " + err.Error()}
			}
		} else {
			if !write {
				out.Reads, out.TS, out.Journal = tx.Reads(), tx.TS(), tx.Journal()
			}
			tx.Rollback()
		}
	default:
		req.Host = s.hostFor(c.Identity)
		res = dep.mods.Run(ctx, req)
	}
	out.UdfType = res.UdfType
	if out.UdfType == "" {
		out.UdfType = kind
	}
	out.Value, out.Err, out.Logs = res.Value, res.Err, res.Logs
	if out.Err == nil && out.Value == nil {
		out.Value = []byte("null")
	}
	return out
}

func (s *Server) recordExecution(c udfCall, out udfOutcome, start time.Time) {
	e := &logEntry{
		Kind:          "Completion",
		UdfType:       udfTypeLabel(out.UdfType),
		Identifier:    displayPath(c.Path),
		Timestamp:     start,
		Caller:        c.Caller,
		ExecutionTime: time.Since(start),
		RequestID:     out.RequestID,
		ExecutionID:   newRequestID(),
		IdentityType:  "Unknown",
	}
	if c.Identity != nil {
		e.IdentityType = "User"
	} else if c.Internal {
		e.IdentityType = "DeploymentAdmin"
	}
	if e.UdfType == "" {
		e.UdfType = "Query"
	}
	for _, l := range out.Logs {
		e.Lines = append(e.Lines, logLine{Level: l.Level, Messages: l.Messages, Timestamp: float64(l.Timestamp), IsTruncated: l.IsTruncated})
	}
	if out.Err != nil {
		e.Error = out.Err.Message
	} else {
		e.ReturnBytesLen = len(out.Value)
		// Keep small results only: the ring holds thousands of entries.
		if len(out.Value) <= maxLoggedResult {
			if v, err := out.export(); err == nil {
				e.Success = v
			}
		}
	}
	s.logs.add(e)
}

// formatValue renders encoded JSON in the requested format (§3.3).
func formatValue(encoded []byte, format string) (json.RawMessage, error) {
	switch format {
	case "convex_encoded_json", "convex_json":
		return json.RawMessage(encoded), nil
	}
	v, err := values.Decode(encoded)
	if err != nil {
		return nil, err
	}
	var out any
	switch format {
	case "json", "convex_clean_json":
		out = values.ExportJSON(v)
	case "export_json":
		out = values.LosslessJSON(v)
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return json.Marshal(out)
}

func checkFormat(format string) error {
	switch format {
	case "convex_encoded_json", "convex_json", "json", "convex_clean_json", "export_json":
		return nil
	}
	return badRequest("BadFormat", "Unknown value format %q (expected json, convex_encoded_json or export_json)", format)
}

// defaultFormat is clean JSON for clients from 1.4.1 on and for unknown
// clients; encoded JSON for older npm clients.
func defaultFormat(r *http.Request) string {
	cc := r.Header.Get("Convex-Client")
	v := strings.TrimPrefix(strings.TrimPrefix(cc, "npm-cli-"), "npm-")
	if v != cc {
		var major, minor, patch int
		if n, _ := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); n == 3 {
			if major < 1 || (major == 1 && (minor < 4 || (minor == 4 && patch < 1))) {
				return "convex_encoded_json"
			}
		}
	}
	return "json"
}

// udfResponse is the UdfResponse body of §3.2.
func (s *Server) udfResponse(out udfOutcome, format string) (map[string]any, error) {
	lines := make([]string, 0, len(out.Logs))
	for _, l := range out.Logs {
		lines = append(lines, l.String())
	}
	resp := map[string]any{}
	if len(lines) > 0 {
		resp["logLines"] = lines
	} else {
		resp["logLines"] = []string{}
	}
	if out.Err == nil {
		var v json.RawMessage
		var err error
		if (format == "json" || format == "convex_clean_json") && out.exportedOK {
			v, err = json.Marshal(out.exported)
		} else {
			v, err = formatValue(out.Value, format)
		}
		if err != nil {
			return nil, err
		}
		resp["status"] = "success"
		resp["value"] = v
		return resp, nil
	}
	resp["status"] = "error"
	resp["errorMessage"] = fmt.Sprintf("[Request ID: %s] Server Error\n%s", out.RequestID, out.Err.Message)
	if out.Err.Data != nil {
		d, err := formatValue(out.Err.Data, format)
		if err == nil {
			resp["errorData"] = d
		}
	}
	return resp, nil
}

type udfRequest struct {
	Path          string          `json:"path"`
	Args          json.RawMessage `json:"args"`
	Format        string          `json:"format"`
	ComponentPath *string         `json:"componentPath"`
}

// handleUDF serves /api/query, /api/mutation, /api/action (kind set) and
// /api/function (kind "", admin only).
func (s *Server) handleUDF(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.identify(r)
		if err != nil {
			return err
		}
		if kind == "" && !c.Admin {
			if _, err := s.requireAdmin(r, ""); err != nil {
				return err
			}
		}
		var req udfRequest
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			req.Path, req.Format = q.Get("path"), q.Get("format")
			if a := q.Get("args"); a != "" {
				req.Args = json.RawMessage(a)
			}
		} else if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		if req.Path == "" {
			return badRequest("BadRequest", "Missing function path (\"path\")")
		}
		if req.ComponentPath != nil && *req.ComponentPath != "" {
			return badRequest("ComponentsUnsupported", "Components are not supported by this backend (componentPath %q)", *req.ComponentPath)
		}
		return s.serveCall(w, r, c, kind, req.Path, req.Args, req.Format)
	}
}

// handleRun serves /api/run/<a>/<b>/<fn> (path "a/b:fn", default format json).
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) error {
	c, err := s.identify(r)
	if err != nil {
		return err
	}
	p := strings.Trim(r.PathValue("path"), "/")
	i := strings.LastIndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return badRequest("BadRequest", "Expected /api/run/<module path>/<function name>, got /api/run/%s", p)
	}
	var req struct {
		Args   json.RawMessage `json:"args"`
		Format string          `json:"format"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Format == "" {
		req.Format = "json"
	}
	return s.serveCall(w, r, c, "", p[:i]+":"+p[i+1:], req.Args, req.Format)
}

func (s *Server) serveCall(w http.ResponseWriter, r *http.Request, c caller, kind, path string, args json.RawMessage, format string) error {
	if format == "" {
		format = defaultFormat(r)
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if len(bytes.TrimSpace(args)) == 0 || string(bytes.TrimSpace(args)) == "null" {
		args = json.RawMessage("{}")
	}
	if _, err := values.Decode(args); err != nil {
		return badRequest("BadJsonBody", "Invalid function arguments: %v", err)
	}
	identity, err := s.identityFor(r.Context(), c)
	if err != nil {
		return err
	}
	out := s.run(r.Context(), udfCall{
		Kind: kind, Path: path, Args: args, Internal: c.Admin,
		Identity: identity, Caller: "HttpApi",
	})
	resp, err := s.udfResponse(out, format)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleQueryTS(w http.ResponseWriter, r *http.Request) error {
	ts := uint64(time.Now().UnixNano())
	var b [8]byte
	for i := range b {
		b[i] = byte(ts >> (8 * i))
	}
	enc, _ := json.Marshal(b[:])
	writeRawJSON(w, http.StatusOK, []byte(`{"ts":`+string(enc)+`}`))
	return nil
}

func (s *Server) handleQueryBatch(w http.ResponseWriter, r *http.Request) error {
	c, err := s.identify(r)
	if err != nil {
		return err
	}
	var req struct {
		Queries []udfRequest `json:"queries"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	identity, err := s.identityFor(r.Context(), c)
	if err != nil {
		return err
	}
	results := make([]any, 0, len(req.Queries))
	for _, q := range req.Queries {
		format := q.Format
		if format == "" {
			format = defaultFormat(r)
		}
		if err := checkFormat(format); err != nil {
			return err
		}
		args := q.Args
		if len(bytes.TrimSpace(args)) == 0 {
			args = json.RawMessage("{}")
		}
		out := s.run(r.Context(), udfCall{Kind: runtime.KindQuery, Path: q.Path, Args: args, Internal: c.Admin, Identity: identity, Caller: "HttpApi"})
		resp, err := s.udfResponse(out, format)
		if err != nil {
			return err
		}
		results = append(results, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
	return nil
}

// handleRunTestFunction runs the default export of a one-off module (a
// read-only query; `convex run --inline-query`) against the latest data.
func (s *Server) handleRunTestFunction(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AdminKey string          `json:"adminKey"`
		Args     json.RawMessage `json:"args"`
		Format   string          `json:"format"`
		Bundle   *struct {
			Path   string `json:"path"`
			Source string `json:"source"`
		} `json:"bundle"`
		ComponentID *string `json:"componentId"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return err
	}
	if req.Bundle == nil || req.Bundle.Source == "" {
		return badRequest("BadRequest", "Missing the query module (\"bundle\")")
	}
	if req.ComponentID != nil && *req.ComponentID != "" {
		return badRequest("ComponentsUnsupported", "Components are not supported by this backend")
	}
	if req.Format == "" {
		req.Format = "convex_encoded_json"
	}
	if err := checkFormat(req.Format); err != nil {
		return err
	}
	args := req.Args
	if len(bytes.TrimSpace(args)) == 0 || string(bytes.TrimSpace(args)) == "null" {
		args = json.RawMessage("{}")
	}
	path := req.Bundle.Path
	if path == "" {
		path = "testQuery.js"
	}
	out := udfOutcome{RequestID: newRequestID(), UdfType: runtime.KindQuery}
	start := time.Now()
	mods, err := s.engine.Load([]runtime.Module{{Path: path, Source: req.Bundle.Source}})
	if err != nil {
		out.Err = &runtime.FunctionError{Message: err.Error()}
	} else {
		env, err := s.env()
		if err != nil {
			return err
		}
		tx, err := s.store.Begin(false)
		if err != nil {
			return err
		}
		res := mods.Run(r.Context(), runtime.Request{
			Path: strings.TrimSuffix(path, ".js") + ":default", Kind: runtime.KindQuery, Args: args, DB: tx,
			Env: env, Internal: true, RequestID: out.RequestID, Now: start,
		})
		tx.Rollback()
		out.Value, out.Err, out.Logs = res.Value, res.Err, res.Logs
	}
	s.recordExecution(udfCall{Path: path + ":default", Caller: "Tester", Internal: true}, out, start)
	resp, err := s.udfResponse(out, req.Format)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// committed reports a function's commit to the scheduler and subscribers.
func (s *Server) committed(ts int64, writes store.WriteSet) {
	s.kickScheduler()
	s.hub.CommittedWith(ts, writes.Tables(), writes)
	if f := s.getHooks().OnCommit; f != nil {
		f(ts, writes)
	}
}

func (s *Server) invalidateAll() {
	s.hub.InvalidateAll(0)
	if f := s.getHooks().OnInvalidateAll; f != nil {
		f()
	}
}

// CallRequest is a function call made by another part of the backend (the
// sync protocol, for instance).
type CallRequest struct {
	Kind     string // "query", "mutation", "action"; "" = whatever the function is
	Path     string // "messages:list"; "_system/..." paths need Admin
	Args     []byte // Convex-encoded JSON: the args object or a one-element array
	Identity []byte // user identity JSON, or nil
	Admin    bool   // may call internal and system functions
	Caller   string // log label, e.g. "SyncWorker"
}

// CallResult is its outcome. ErrorMessage is empty on success.
type CallResult struct {
	RequestID    string
	Value        []byte // Convex-encoded JSON
	ErrorMessage string // "[Request ID: …] Server Error\nUncaught …"
	ErrorData    []byte // encoded ConvexError data, or nil
	LogLines     []string
	// Reads is what a query read (for subscriptions); empty for other kinds.
	Reads store.ReadSet
}

// Call runs a function like the HTTP API does and records it in the logs.
func (s *Server) Call(ctx context.Context, req CallRequest) CallResult {
	caller := req.Caller
	if caller == "" {
		caller = "SyncWorker"
	}
	out := s.run(ctx, udfCall{Kind: req.Kind, Path: req.Path, Args: req.Args, Internal: req.Admin, Identity: req.Identity, Caller: caller})
	res := CallResult{RequestID: out.RequestID, Reads: out.Reads}
	for _, l := range out.Logs {
		res.LogLines = append(res.LogLines, l.String())
	}
	if out.Err != nil {
		res.ErrorMessage = fmt.Sprintf("[Request ID: %s] Server Error\n%s", out.RequestID, out.Err.Message)
		res.ErrorData = out.Err.Data
		return res
	}
	res.Value = out.Value
	return res
}
