// Package mcp serves the Model Context Protocol over a byte stream: JSON-RPC
// 2.0 messages, one per line, read from the client and answered in kind.
// It knows nothing about Convex; the tools it offers are given to it.
package mcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// JSON-RPC error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// ProtocolVersions are the MCP revisions the server speaks, newest first.
var ProtocolVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// Tool is one callable tool.
type Tool struct {
	Name        string
	Description string
	// InputSchema is the JSON Schema of the arguments object. Arguments are
	// checked against it (see Validate) before Call runs.
	InputSchema map[string]any
	// Call runs the tool. The result is sent as JSON text; an error is sent
	// as {"error": message} with isError set.
	Call func(ctx context.Context, args map[string]any) (any, error)
}

// Server answers MCP requests with its tools.
type Server struct {
	Name    string
	Version string
	Tools   []Tool
	// Logf reports what the client cannot be told (write failures, ignored
	// messages). It must not write to the protocol stream. May be nil.
	Logf func(format string, a ...any)
}

type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// session is the state of one Serve call.
type session struct {
	s   *Server
	out io.Writer
	wmu sync.Mutex // one message at a time on out
	// last is closed when the latest tool call is done: calls run one at a
	// time, in the order they arrived, as they share the process.
	last   chan struct{}
	wg     sync.WaitGroup
	cmu    sync.Mutex
	cancel map[string]context.CancelFunc // in-flight tool calls by request id
}

// Serve reads messages from in until it ends or ctx is done, and writes the
// answers to out. Tool calls run concurrently with reading (so pings and
// cancellations are answered) but one after another. It returns nil at the
// end of input, after the calls in flight have been answered.
func (s *Server) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	ss := &session{s: s, out: out, cancel: map[string]context.CancelFunc{}}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(in, 64*1024)
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				select {
				case lines <- line:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	for {
		select {
		case line := <-lines:
			ss.handle(ctx, line)
		case err := <-readErr:
			ss.wg.Wait()
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("reading MCP messages: %w", err)
			}
			return nil
		case <-ctx.Done():
			ss.wg.Wait()
			return nil
		}
	}
}

func (s *Server) logf(format string, a ...any) {
	if s.Logf != nil {
		s.Logf(format, a...)
	}
}

func (ss *session) send(r response) {
	r.JSONRPC = "2.0"
	if r.ID == nil {
		r.ID = json.RawMessage("null")
	}
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(response{JSONRPC: "2.0", ID: r.ID, Error: &rpcError{CodeInternalError, "encoding the answer: " + err.Error()}})
	}
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	if _, err := ss.out.Write(append(b, '\n')); err != nil {
		ss.s.logf("MCP server error: writing an answer: %v", err)
	}
}

func (ss *session) fail(id json.RawMessage, code int, format string, a ...any) {
	ss.send(response{ID: id, Error: &rpcError{code, fmt.Sprintf(format, a...)}})
}

func (ss *session) handle(ctx context.Context, line []byte) {
	line = bytes.TrimSpace(line)
	if line[0] == '[' {
		ss.fail(nil, CodeInvalidRequest, "Batches are not supported")
		return
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		ss.fail(nil, CodeParseError, "Parse error: %v", err)
		return
	}
	isRequest := len(m.ID) > 0 && string(m.ID) != "null"
	if m.Method == "" {
		if !isRequest || (m.Result == nil && m.Error == nil) {
			ss.fail(m.ID, CodeInvalidRequest, "Invalid request: no method")
		}
		// Otherwise an answer to a request the server never sends.
		return
	}
	if m.JSONRPC != "2.0" {
		if isRequest {
			ss.fail(m.ID, CodeInvalidRequest, "Invalid request: jsonrpc must be \"2.0\"")
		}
		return
	}
	if !isRequest {
		ss.notification(m)
		return
	}
	if m.ID[0] != '"' && (m.ID[0] < '0' || m.ID[0] > '9') && m.ID[0] != '-' {
		ss.fail(nil, CodeInvalidRequest, "Invalid request: id must be a string or a number")
		return
	}
	switch m.Method {
	case "initialize":
		ss.initialize(m)
	case "ping":
		ss.send(response{ID: m.ID, Result: struct{}{}})
	case "tools/list":
		ss.send(response{ID: m.ID, Result: map[string]any{"tools": ss.s.toolList()}})
	case "tools/call":
		ss.startCall(ctx, m)
	default:
		ss.fail(m.ID, CodeMethodNotFound, "Method not found: %s", m.Method)
	}
}

func (ss *session) notification(m message) {
	switch m.Method {
	case "notifications/cancelled":
		var p struct {
			RequestID json.RawMessage `json:"requestId"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			ss.cmu.Lock()
			if cancel := ss.cancel[string(p.RequestID)]; cancel != nil {
				cancel()
			}
			ss.cmu.Unlock()
		}
	case "notifications/initialized", "notifications/roots/list_changed", "notifications/progress":
	default:
		ss.s.logf("MCP server: ignoring notification %s", m.Method)
	}
}

func (ss *session) initialize(m message) {
	var p struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if len(m.Params) > 0 {
		if err := json.Unmarshal(m.Params, &p); err != nil {
			ss.fail(m.ID, CodeInvalidParams, "Invalid params: %v", err)
			return
		}
	}
	version := ProtocolVersions[0]
	for _, v := range ProtocolVersions {
		if v == p.ProtocolVersion {
			version = v
		}
	}
	ss.send(response{ID: m.ID, Result: map[string]any{
		"protocolVersion": version,
		"capabilities":    map[string]any{"tools": map[string]any{}},
		"serverInfo":      map[string]any{"name": ss.s.Name, "version": ss.s.Version},
	}})
}

func (s *Server) toolList() []map[string]any {
	list := make([]map[string]any, 0, len(s.Tools))
	for _, t := range s.Tools {
		list = append(list, map[string]any{"name": t.Name, "description": t.Description, "inputSchema": t.InputSchema})
	}
	return list
}

func (s *Server) tool(name string) *Tool {
	for i := range s.Tools {
		if s.Tools[i].Name == name {
			return &s.Tools[i]
		}
	}
	return nil
}

func (ss *session) startCall(ctx context.Context, m message) {
	var p struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(m.Params, &p); err != nil || p.Name == "" {
		ss.fail(m.ID, CodeInvalidParams, "Invalid params: tools/call needs a tool name")
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	key := string(m.ID)
	ss.cmu.Lock()
	ss.cancel[key] = cancel
	ss.cmu.Unlock()
	prev, mine := ss.last, make(chan struct{})
	ss.last = mine
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		defer close(mine)
		if prev != nil {
			<-prev
		}
		defer func() {
			ss.cmu.Lock()
			delete(ss.cancel, key)
			ss.cmu.Unlock()
			cancel()
		}()
		res, err := ss.call(ctx, p.Name, p.Arguments)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // the client gave up on it: no answer is expected
		}
		ss.send(response{ID: m.ID, Result: toolResult(res, err)})
	}()
}

// call finds, checks and runs one tool. The errors it returns become tool
// results, not protocol errors, so the model reads them.
func (ss *session) call(ctx context.Context, name string, raw json.RawMessage) (any, error) {
	t := ss.s.tool(name)
	if t == nil {
		return nil, fmt.Errorf("Tool %s not found", name)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("No arguments provided")
	}
	var args map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil || args == nil {
		return nil, errors.New("Invalid arguments: expected a JSON object")
	}
	if err := Validate(t.InputSchema, args); err != nil {
		return nil, fmt.Errorf("Invalid arguments for %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.Call(ctx, args)
}

type content struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func toolResult(res any, err error) map[string]any {
	if err == nil {
		b, merr := json.Marshal(res)
		if merr == nil {
			return map[string]any{"content": []content{{"text", string(b)}}}
		}
		err = fmt.Errorf("encoding the result: %w", merr)
	}
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	return map[string]any{"content": []content{{"text", string(b)}}, "isError": true}
}

// Validate checks args against the subset of JSON Schema the tools use:
// an object's properties, required names, and each property's type
// (string, number, integer, boolean, object, array), enum, minimum,
// maximum and exclusiveMinimum. Unknown properties are allowed.
func Validate(schema map[string]any, args map[string]any) error {
	props, _ := schema["properties"].(map[string]any)
	if req, ok := schema["required"].([]string); ok {
		for _, name := range req {
			if _, ok := args[name]; !ok {
				return fmt.Errorf("argument %s is required", name)
			}
		}
	}
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, ok := args[name]
		ps, _ := props[name].(map[string]any)
		if !ok || ps == nil {
			continue
		}
		if err := validateValue(ps, v); err != nil {
			return fmt.Errorf("argument %s %w", name, err)
		}
	}
	return nil
}

func validateValue(s map[string]any, v any) error {
	typ, _ := s["type"].(string)
	switch typ {
	case "string":
		str, ok := v.(string)
		if !ok {
			return errors.New("must be a string")
		}
		if enum, ok := s["enum"].([]string); ok {
			for _, e := range enum {
				if e == str {
					return nil
				}
			}
			return fmt.Errorf("must be one of %s", strings.Join(enum, ", "))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return errors.New("must be a boolean")
		}
	case "number", "integer":
		n, ok := Number(v)
		if !ok {
			return errors.New("must be a number")
		}
		if typ == "integer" && n != float64(int64(n)) {
			return errors.New("must be an integer")
		}
		if m, ok := Number(s["maximum"]); ok && n > m {
			return fmt.Errorf("must be at most %v", m)
		}
		if m, ok := Number(s["minimum"]); ok && n < m {
			return fmt.Errorf("must be at least %v", m)
		}
		if m, ok := Number(s["exclusiveMinimum"]); ok && n <= m {
			return fmt.Errorf("must be greater than %v", m)
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return errors.New("must be an object")
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return errors.New("must be an array")
		}
	}
	return nil
}

// Number reads a JSON number decoded as json.Number or a Go number.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}
