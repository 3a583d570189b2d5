package push

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/internal/lazy"
	"github.com/convex-go/convex/subscribe"
)

// EnvVar is one deployment environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FunctionResult is the answer of /api/function and /api/query.
type FunctionResult struct {
	Status       string            `json:"status"` // "success" | "error"
	Value        json.RawMessage   `json:"value"`
	ErrorMessage string            `json:"errorMessage"`
	ErrorData    json.RawMessage   `json:"errorData"`
	LogLines     []json.RawMessage `json:"logLines"`
}

// FunctionError is a function that ran and failed.
type FunctionError struct {
	Message string
	Data    json.RawMessage
}

func (e *FunctionError) Error() string { return e.Message }

// call runs a function (kind "" = /api/function: any visibility, admin only)
// and returns its Convex-JSON value.
func (c *Client) call(ctx context.Context, endpoint, path string, args any, componentPath string, identity json.RawMessage) (*FunctionResult, error) {
	body := map[string]any{"path": path, "format": "convex_encoded_json", "args": args}
	if componentPath != "" {
		body["componentPath"] = componentPath
	}
	r := Request{Path: endpoint, Body: body, Header: map[string]string{"Convex-Client": "npm-" + Version}}
	if len(identity) > 0 {
		r.Header["Authorization"] = "Convex " + c.AdminKey + ":" + base64.StdEncoding.EncodeToString(identity)
	}
	var res FunctionResult
	if err := c.Do(ctx, r, &res); err != nil {
		// HTTP 560 carries a function error as JSON.
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 560 {
			return nil, &FunctionError{Message: ae.Message}
		}
		return nil, err
	}
	if res.Status == "error" {
		return &res, &FunctionError{Message: res.ErrorMessage, Data: res.ErrorData}
	}
	return &res, nil
}

// RunFunction calls a query, mutation or action by path ("messages:send")
// as an admin, optionally acting as identity (a JSON object).
func (c *Client) RunFunction(ctx context.Context, path string, args json.RawMessage, componentPath string, identity json.RawMessage) (*FunctionResult, error) {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	return c.call(ctx, "/api/function", path, args, componentPath, identity)
}

// SystemQuery runs one of the deployment's `_system/cli/...` queries.
func (c *Client) SystemQuery(ctx context.Context, path string, args any, out any) error {
	res, err := c.call(ctx, "/api/query", path, args, "", nil)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Value, out)
}

// EnvList returns the deployment's environment variables.
func (c *Client) EnvList(ctx context.Context) ([]EnvVar, error) {
	var vars []EnvVar
	if err := c.SystemQuery(ctx, "_system/cli/queryEnvironmentVariables", map[string]any{}, &vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// EnvChange sets (Value non-nil) or removes (nil) one variable.
type EnvChange struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// UpdateEnv applies changes in one request.
func (c *Client) UpdateEnv(ctx context.Context, changes []EnvChange) error {
	return c.Do(ctx, Request{Path: "/api/update_environment_variables", Body: map[string]any{"changes": changes}}, nil)
}

// LogEntry is one FunctionExecution of stream_function_logs; Raw keeps the
// entry as received for --jsonl.
type LogEntry struct {
	Raw           json.RawMessage   `json:"-"`
	Kind          string            `json:"kind"`
	UDFType       string            `json:"udfType"`
	Identifier    string            `json:"identifier"`
	ComponentPath *string           `json:"componentPath"`
	LogLines      []json.RawMessage `json:"logLines"`
	Timestamp     float64           `json:"timestamp"`     // seconds
	ExecutionTime float64           `json:"executionTime"` // seconds
	Error         *string           `json:"error"`
}

// StreamLogs long-polls for entries after cursor.
func (c *Client) StreamLogs(ctx context.Context, cursor float64) ([]LogEntry, float64, error) {
	var res struct {
		Entries   []json.RawMessage `json:"entries"`
		NewCursor float64           `json:"newCursor"`
	}
	p := "/api/stream_function_logs?cursor=" + strconv.FormatFloat(cursor, 'f', -1, 64)
	if err := c.Do(ctx, Request{Method: "GET", Path: p}, &res); err != nil {
		return nil, cursor, err
	}
	out := make([]LogEntry, 0, len(res.Entries))
	for _, raw := range res.Entries {
		var e LogEntry
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		e.Raw = raw
		out = append(out, e)
	}
	return out, res.NewCursor, nil
}

// LogFormat renders log entries as text lines.
type LogFormat struct {
	// Success adds "Function executed in N ms" lines for completions.
	Success bool
	// JSONL prints each raw entry as one JSON line instead.
	JSONL bool
	// Time renders a timestamp (default: local time, "1/2/2006, 3:04:05 PM").
	Time func(time.Time) string
	// Paint colours a line: kind is "info", "error" or "success".
	Paint func(kind, s string) string
}

func defaultTime(t time.Time) string { return t.Local().Format("1/2/2006, 3:04:05 PM") }

// Lines formats one entry.
func (f LogFormat) Lines(e LogEntry) []string {
	if f.JSONL {
		// Strings as JSON.stringify writes them, as in the npm CLI's lines.
		return []string{string(subscribe.RequoteJSON(e.Raw))}
	}
	tf := f.Time
	if tf == nil {
		tf = defaultTime
	}
	paint := f.Paint
	if paint == nil {
		paint = func(_, s string) string { return s }
	}
	prefix := "?"
	if e.UDFType != "" {
		prefix = e.UDFType[:1]
	}
	at := func(ms float64) string {
		return tf(time.UnixMilli(int64(ms)))
	}
	head := func(ms float64) string {
		return fmt.Sprintf("%s [CONVEX %s(%s)]", at(ms), prefix, e.Identifier)
	}
	tsMs := e.Timestamp * 1000
	var out []string
	for _, raw := range e.LogLines {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			// Old plain form: "[LEVEL] message".
			if !strings.HasPrefix(s, "[") || !strings.Contains(s, "] ") {
				out = append(out, paint("error", fmt.Sprintf("[CONVEX %s(%s)] Could not parse console.log", prefix, e.Identifier)))
				continue
			}
			i := strings.Index(s, "] ")
			out = append(out, paint("info", head(tsMs)+" "+s[:i+1])+" "+s[i+2:])
			continue
		}
		var l struct {
			Messages    []string `json:"messages"`
			Level       string   `json:"level"`
			Timestamp   float64  `json:"timestamp"`
			IsTruncated bool     `json:"isTruncated"`
		}
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		msg := strings.Join(l.Messages, " ")
		if l.IsTruncated {
			msg += " (truncated due to length)"
		}
		out = append(out, paint("info", head(l.Timestamp)+" ["+l.Level+"]")+" "+msg)
	}
	if e.Error != nil && *e.Error != "" {
		out = append(out, paint("error", head(tsMs)+" "+*e.Error))
	} else if e.Kind == "Completion" && f.Success {
		out = append(out, paint("success", fmt.Sprintf("%s Function executed in %d ms", head(tsMs), int(math.Ceil(e.ExecutionTime*1000)))))
	}
	return out
}

// LogTail follows a deployment's function logs (convex logs, dev's
// --tail-logs). It is also the dev loop's LogPauser.
type LogTail struct {
	Client *Client
	Format LogFormat
	Out    io.Writer
	// History prints the entries already there: -1 all, n > 0 the last n,
	// 0 none.
	History int
	// Warn receives the repeated-failure warning.
	Warn io.Writer
	// Sleep waits between failed polls (tests).
	Sleep func(ctx context.Context, d time.Duration) error
	// FailWhenRefused ends Run with the client's "Nothing is listening"
	// error when a deployment on this machine refuses connections (after
	// the client's quick retries), instead of waiting for it forever. The
	// dev loop leaves it off: its backend may be restarting.
	FailWhenRefused bool

	mu      sync.Mutex
	paused  bool
	pending []string
}

// Pause holds output until Resume.
func (t *LogTail) Pause() {
	t.mu.Lock()
	t.paused = true
	t.mu.Unlock()
}

// Resume prints what was held back and continues live.
func (t *LogTail) Resume() {
	t.mu.Lock()
	t.paused = false
	lines := t.pending
	t.pending = nil
	t.mu.Unlock()
	for _, l := range lines {
		fmt.Fprintln(t.Out, l)
	}
}

func (t *LogTail) emit(lines []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused {
		t.pending = append(t.pending, lines...)
		return
	}
	for _, l := range lines {
		fmt.Fprintln(t.Out, l)
	}
}

// Run polls until ctx ends. A 403 ends it with an error; other failures
// are retried with backoff.
func (t *LogTail) Run(ctx context.Context) error {
	cursor := 0.0
	first := true
	failures := 0
	sleep := t.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}
	}
	started := time.Now()
	for {
		entries, next, err := t.Client.StreamLogs(ctx, cursor)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.Status == 403 {
				return err
			}
			if t.FailWhenRefused && deployments.RefusedLocally(t.Client.URL, err) {
				return err
			}
			failures++
			d := backoff(failures)
			if failures > 5 && t.Warn != nil {
				fmt.Fprintf(t.Warn, "Convex [WARN] Failed to fetch logs. Waiting %dms before next retry.\n", d.Milliseconds())
			}
			if sleep(ctx, d) != nil {
				return nil
			}
			continue
		}
		failures = 0
		cursor = next
		show := entries
		// The first answer only sets the cursor unless history was asked
		// for; entries stamped after the tail started are new, not history
		// (a server with nothing to report holds the first poll open).
		if first {
			switch {
			case t.History < 0:
			case t.History > 0 && t.History < len(entries):
				show = entries[len(entries)-t.History:]
			case t.History > 0:
			default:
				show = nil
				for _, e := range entries {
					if e.Timestamp*1000 >= float64(started.UnixMilli()) {
						show = append(show, e)
					}
				}
			}
		}
		first = false
		var lines []string
		for _, e := range show {
			lines = append(lines, t.Format.Lines(e)...)
		}
		if len(lines) > 0 {
			t.emit(lines)
		}
	}
}

const replPreamble = `import { query, internalQuery } from "convex:/_system/repl/wrappers.js";`

var moduleQueryCall = lazy.Regexp(`\b(?:query|internalQuery)\s*\(`)
var statementStart = lazy.Regexp(`^(const|let|var|if|for|while|switch|try|throw|return)\b`)

// InlineQuerySource turns `run --inline-query` text into the one-off module
// the deployment evaluates: a whole module exporting a default query is
// kept, statements become the handler body, and a one-line expression is
// returned.
func InlineQuerySource(text string) string {
	t := strings.TrimSpace(text)
	if strings.Contains(t, "export default") && moduleQueryCall.Get().MatchString(t) {
		if strings.Contains(t, "convex:/_system/repl/wrappers.js") {
			return t
		}
		return replPreamble + "\n\n" + t
	}
	body := t
	if !strings.Contains(t, "\n") && !statementStart.Get().MatchString(t) {
		body = "return (" + strings.TrimSuffix(t, ";") + ");"
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return replPreamble + "\nexport default query({\n  handler: async (ctx) => {\n" + strings.Join(lines, "\n") + "\n  },\n});"
}

// RunTestQuery evaluates a one-off readonly query module on the deployment.
// A result that is not a success comes back as *FunctionError with the
// deployment's answer as its message.
func (c *Client) RunTestQuery(ctx context.Context, source, componentID string) (*FunctionResult, error) {
	body := map[string]any{
		"adminKey": c.AdminKey, "args": map[string]any{}, "format": "convex_encoded_json",
		"bundle": map[string]string{"path": "testQuery.js", "source": source},
	}
	if componentID != "" {
		body["componentId"] = componentID
	}
	var raw json.RawMessage
	if err := c.Do(ctx, Request{Path: "/api/run_test_function", Body: body}, &raw); err != nil {
		return nil, err
	}
	var res FunctionResult
	if json.Unmarshal(raw, &res) != nil || res.Status != "success" {
		var pretty bytes.Buffer
		if json.Indent(&pretty, raw, "", "  ") != nil {
			pretty.Write(raw)
		}
		return nil, &FunctionError{Message: "Query failed: " + pretty.String()}
	}
	return &res, nil
}
