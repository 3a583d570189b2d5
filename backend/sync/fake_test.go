package sync

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeBackend is an in-memory deployment with a chat-like API:
//
//	messages:list        query, reads "messages"
//	messages:send        mutation {author, body}, writes "messages"
//	messages:page        query, reads "messages", keeps a journal
//	counter:get          query, reads "counter", logs a line
//	counter:inc          mutation, writes "counter"
//	both:inc             mutation writing "counter" and "messages" atomically
//	auth:whoami          query returning the identity (string) or null
//	fail:query           query throwing a ConvexError
//	fail:mutation        mutation throwing
//	broken:query         query with an internal error
//	slow:send            mutation that waits for release before committing
//	noop:mutation        mutation that writes nothing
//	actions:echo         action returning its arguments
type fakeBackend struct {
	hub *Hub

	mu       gosync.Mutex
	ts       int64
	messages []map[string]any
	counter  int64
	env      map[string]string

	runs      gosync.Map // path -> *atomic.Int64
	mutations atomic.Int64
	batches   atomic.Int64
	release   chan struct{}
	timedSlow atomic.Bool // slow:send sleeps instead of waiting for release
	slowStart chan struct{}
	queryCost time.Duration
}

func newFake() *fakeBackend {
	return &fakeBackend{release: make(chan struct{}), slowStart: make(chan struct{}, 16), ts: 1000}
}

func (f *fakeBackend) count(path string) *atomic.Int64 {
	v, _ := f.runs.LoadOrStore(path, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// commit must be called with f.mu held: it advances the timestamp and
// reports the commit while still holding the "write lock".
func (f *fakeBackend) commit(tables ...string) int64 {
	f.ts += 1 + int64(len(tables))
	f.hub.Committed(f.ts, tables)
	return f.ts
}

func (f *fakeBackend) RunQuery(ctx context.Context, req Request) (QueryResult, error) {
	if f.queryCost > 0 {
		time.Sleep(f.queryCost)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.query(req)
}

// query runs one query; f.mu must be held.
func (f *fakeBackend) query(req Request) (QueryResult, error) {
	f.count(req.Path).Add(1)
	var args map[string]any
	if err := json.Unmarshal(req.Args, &args); err != nil {
		return QueryResult{}, fmt.Errorf("fake: bad args %s", req.Args)
	}
	res := QueryResult{TS: f.ts}
	switch req.Path {
	case "messages:list":
		res.Value = mustJSON(f.messagesCopy())
		res.Reads = ReadSet{Tables: []string{"messages"}}
	case "messages:page":
		// Like a paginated query: the first run pins its end in the
		// journal, later runs report the journal they were given.
		pinned := fmt.Sprintf("end@%d", len(f.messages))
		if req.Journal != nil {
			pinned = *req.Journal
		}
		res.Value = mustJSON(map[string]any{"given": req.Journal, "n": len(f.messages)})
		res.Journal = &pinned
		res.Reads = ReadSet{Tables: []string{"messages"}}
	case "counter:get":
		res.Value = mustJSON(f.counter)
		res.LogLines = []string{"[LOG] 'reading counter'"}
		res.Reads = ReadSet{Tables: []string{"counter"}}
	case "auth:whoami":
		if req.Identity == nil {
			res.Value = json.RawMessage("null")
		} else {
			res.Value = mustJSON(string(req.Identity))
		}
	case "fail:query":
		res.Error = &FunctionError{Message: "Uncaught ConvexError: nope", Data: json.RawMessage(`{"code":"NOPE"}`)}
		res.Reads = ReadSet{Tables: []string{"counter"}}
	case "broken:query":
		return QueryResult{}, errors.New("database is on fire")
	case "panic:query":
		panic("query bug")
	case "expired:query":
		return QueryResult{}, &AuthError{Message: "Token expired"}
	case "_system/cli/queryEnvironmentVariables:default":
		if string(req.Identity) != "admin" {
			res.Error = &FunctionError{Message: "You do not have permission to perform this operation."}
			break
		}
		vars := []map[string]string{}
		for _, k := range sortedKeys(f.env) {
			vars = append(vars, map[string]string{"name": k, "value": f.env[k]})
		}
		res.Value = mustJSON(vars)
		res.Reads = ReadSet{Tables: []string{"_env"}}
	case "all:query":
		res.Value = mustJSON(f.counter)
		res.Reads = ReadSet{All: true}
	default:
		res.Error = &FunctionError{Message: fmt.Sprintf("Could not find public function for '%s'", req.Path)}
	}
	return res, nil
}

// setEnv changes an environment variable the way the deployment's env
// API would: outside any mutation, reported on a pseudo table.
func (f *fakeBackend) setEnv(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.env == nil {
		f.env = map[string]string{}
	}
	f.env[name] = value
	f.commit("_env")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// batchFake adds SnapshotQuerier: queries of one batch see one state.
type batchFake struct{ *fakeBackend }

func (f batchFake) RunQueries(ctx context.Context, reqs []Request) ([]QueryResult, error) {
	f.batches.Add(1)
	if f.queryCost > 0 {
		time.Sleep(f.queryCost)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]QueryResult, len(reqs))
	for i, req := range reqs {
		res, err := f.query(req)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

func (f *fakeBackend) messagesCopy() []map[string]any {
	out := make([]map[string]any, len(f.messages))
	copy(out, f.messages)
	return out
}

func (f *fakeBackend) RunMutation(ctx context.Context, req Request) (MutationResult, error) {
	f.count(req.Path).Add(1)
	var args map[string]any
	if err := json.Unmarshal(req.Args, &args); err != nil {
		return MutationResult{}, fmt.Errorf("fake: bad args %s", req.Args)
	}
	if req.Path == "slow:send" {
		if f.timedSlow.Load() {
			time.Sleep(300 * time.Millisecond)
		} else {
			f.slowStart <- struct{}{}
			<-f.release
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.Path {
	case "messages:send", "slow:send":
		f.mutations.Add(1)
		f.messages = append(f.messages, map[string]any{"author": args["author"], "body": args["body"]})
		ts := f.commit("messages")
		return MutationResult{Value: mustJSON(len(f.messages)), TS: ts, LogLines: []string{"[LOG] 'sent'"}}, nil
	case "counter:inc":
		f.mutations.Add(1)
		f.counter++
		return MutationResult{Value: mustJSON(f.counter), TS: f.commit("counter")}, nil
	case "both:inc":
		f.mutations.Add(1)
		f.counter++
		f.messages = append(f.messages, map[string]any{"author": "both", "body": fmt.Sprint(f.counter)})
		return MutationResult{Value: json.RawMessage("null"), TS: f.commit("counter", "messages")}, nil
	case "unreported:inc":
		// A backend that forgets to call Committed.
		f.counter++
		f.ts += 5
		return MutationResult{Value: mustJSON(f.counter), TS: f.ts}, nil
	case "noop:mutation":
		return MutationResult{Value: json.RawMessage(`"nothing"`), TS: f.ts}, nil
	case "fail:mutation":
		return MutationResult{Error: &FunctionError{Message: "Uncaught Error: refused", Data: json.RawMessage(`{"why":"because"}`)}, LogLines: []string{"[ERROR] 'no'"}}, nil
	case "broken:mutation":
		return MutationResult{}, errors.New("disk full")
	}
	return MutationResult{Error: &FunctionError{Message: fmt.Sprintf("Could not find public function for '%s'", req.Path)}}, nil
}

func (f *fakeBackend) RunAction(ctx context.Context, req Request) (ActionResult, error) {
	f.count(req.Path).Add(1)
	switch req.Path {
	case "actions:echo":
		return ActionResult{Value: req.Args, LogLines: []string{"[INFO] 'echo'"}}, nil
	case "actions:panic":
		panic("action bug")
	case "actions:fail":
		return ActionResult{Error: &FunctionError{Message: "Uncaught Error: action failed"}}, nil
	}
	return ActionResult{Error: &FunctionError{Message: "Could not find public function for '" + req.Path + "'"}}, nil
}

func (f *fakeBackend) Authenticate(ctx context.Context, auth Auth) (Identity, error) {
	switch {
	case auth.TokenType == "Admin" && auth.Token == "admin-key":
		if auth.Impersonating != nil {
			return Identity("admin-as:" + string(auth.Impersonating)), nil
		}
		return Identity("admin"), nil
	case auth.TokenType == "User" && strings.HasPrefix(auth.Token, "jwt-"):
		return Identity("user:" + strings.TrimPrefix(auth.Token, "jwt-")), nil
	case auth.TokenType == "User" && strings.Count(auth.Token, ".") == 2:
		// An unsigned JWT from the Node check: trust its subject.
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(auth.Token, ".")[1])
		var claims struct{ Sub string }
		if err == nil && json.Unmarshal(payload, &claims) == nil && claims.Sub != "" && claims.Sub != "forged" {
			return Identity("user:" + claims.Sub), nil
		}
	}
	return nil, &AuthError{Message: "Could not verify token claim"}
}

// testServer serves a hub on 127.0.0.1 with the fake backend.
type testServer struct {
	t    testing.TB
	fake *fakeBackend
	hub  *Hub
	srv  *httptest.Server
}

func newTestServer(t testing.TB, opts Options) *testServer {
	return newTestServerWith(t, opts, false)
}

// newTestServerWith optionally exposes the fake as a SnapshotQuerier.
func newTestServerWith(t testing.TB, opts Options, batch bool) *testServer {
	t.Helper()
	fake := newFake()
	var b Backend = fake
	if batch {
		b = batchFake{fake}
	}
	hub := NewHub(b, opts)
	fake.hub = hub
	// What the deployment does at startup: tell the hub the latest commit.
	hub.Committed(fake.ts, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/{version}/sync", hub)
	mux.Handle("/api/sync", hub)
	srv := httptest.NewUnstartedServer(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	ts := &testServer{t: t, fake: fake, hub: hub, srv: srv}
	t.Cleanup(func() {
		if err := hub.Close(); err != nil {
			t.Errorf("hub.Close: %v", err)
		}
		srv.Close()
	})
	return ts
}

func (s *testServer) wsURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/api/1.48.0/sync"
}

// client is a protocol-level test client. Like the reference client it
// checks that every Transition starts where the previous one ended and
// that timestamps never go back.
type client struct {
	t   testing.TB
	ws  *websocket.Conn
	ver struct {
		QuerySet, Identity int64
		TS                 string
	}
	lastTS int64
}

func (s *testServer) dial() *client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.wsURL(), nil)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(64 << 20)
	c := &client{t: s.t, ws: ws}
	c.ver.TS = EncodeTS(0)
	s.t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func (c *client) connect(session string) {
	c.t.Helper()
	c.send(map[string]any{"type": "Connect", "sessionId": session, "connectionCount": 0, "lastCloseReason": "InitialConnect", "clientTs": time.Now().UnixMilli()})
}

type msg map[string]any

func (m msg) str(k string) string {
	s, _ := m[k].(string)
	return s
}

// read returns the next message other than Ping, checking Transition chaining.
func (c *client) read(timeout time.Duration) (msg, []byte, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return nil, nil, err
		}
		if typ != websocket.MessageText {
			c.t.Fatalf("server sent a binary frame")
		}
		var m msg
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("server sent invalid JSON %q: %v", data, err)
		}
		if m.str("type") == "Ping" {
			continue
		}
		if m.str("type") == "Transition" {
			c.checkTransition(data)
		}
		return m, data, nil
	}
}

func (c *client) checkTransition(data []byte) {
	c.t.Helper()
	var tr struct {
		StartVersion, EndVersion struct {
			QuerySet, Identity *int64
			TS                 *string
		}
		Modifications []json.RawMessage
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		c.t.Fatalf("bad transition %s: %v", data, err)
	}
	sv, ev := tr.StartVersion, tr.EndVersion
	if sv.QuerySet == nil || sv.Identity == nil || sv.TS == nil || ev.QuerySet == nil || ev.Identity == nil || ev.TS == nil {
		c.t.Fatalf("transition with incomplete versions: %s", data)
	}
	if *sv.QuerySet != c.ver.QuerySet || *sv.Identity != c.ver.Identity || *sv.TS != c.ver.TS {
		c.t.Fatalf("transition starts at %d/%d/%s, previous ended at %d/%d/%s: %s",
			*sv.QuerySet, *sv.Identity, *sv.TS, c.ver.QuerySet, c.ver.Identity, c.ver.TS, data)
	}
	if tr.Modifications == nil {
		c.t.Fatalf("transition without a modifications array: %s", data)
	}
	ts, err := DecodeTS(*ev.TS)
	if err != nil {
		c.t.Fatalf("end ts: %v", err)
	}
	if ts < c.lastTS {
		c.t.Fatalf("timestamp went back from %d to %d", c.lastTS, ts)
	}
	c.lastTS = ts
	c.ver.QuerySet, c.ver.Identity, c.ver.TS = *ev.QuerySet, *ev.Identity, *ev.TS
}

func (c *client) expect(typ string) (msg, []byte) {
	c.t.Helper()
	m, data, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.str("type") != typ {
		c.t.Fatalf("want %s, got %s", typ, data)
	}
	return m, data
}

// expectClosed reads until the connection closes and returns the close status.
func (c *client) expectClosed() websocket.StatusCode {
	c.t.Helper()
	for {
		m, data, err := c.read(5 * time.Second)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatalf("connection was not closed")
			}
			return websocket.CloseStatus(err)
		}
		c.t.Fatalf("want close, got %s (%v)", data, m)
	}
}

func addQuery(base, id int64, path string, args any) map[string]any {
	return map[string]any{"type": "ModifyQuerySet", "baseVersion": base, "newVersion": base + 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": id, "udfPath": path, "args": []any{args}},
	}}
}

func mutation(id int64, path string, args any) map[string]any {
	return map[string]any{"type": "Mutation", "requestId": id, "udfPath": path, "args": []any{args}}
}

// modsOf returns a Transition's modifications by query id.
func modsOf(t testing.TB, m msg) map[int64]msg {
	t.Helper()
	out := map[int64]msg{}
	for _, raw := range m["modifications"].([]any) {
		mod := msg(raw.(map[string]any))
		out[int64(mod["queryId"].(float64))] = mod
	}
	return out
}

// tsOf decodes a base64 timestamp field.
func tsOf(t testing.TB, v any) int64 {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("timestamp %v is not a string", v)
	}
	ts, err := DecodeTS(s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// mutate sends a mutation and reads until its response and, on success, a
// Transition at or past its commit (Transitions may also come before the
// response). It returns the response and the modifications of all
// Transitions read, by query id, later ones winning.
func (c *client) mutate(id int64, path string, args any) (msg, []byte, map[int64]msg) {
	c.t.Helper()
	c.send(mutation(id, path, args))
	mods := map[int64]msg{}
	var resp msg
	var respRaw []byte
	commit := int64(-1)
	for {
		m, raw := c.expectAny()
		switch m.str("type") {
		case "MutationResponse":
			if int64(m["requestId"].(float64)) != id {
				c.t.Fatalf("response to another request: %s", raw)
			}
			resp, respRaw = m, raw
			if m["success"] != true {
				return resp, respRaw, mods
			}
			commit = tsOf(c.t, m["ts"])
			if c.lastTS >= commit && len(mods) > 0 {
				// Already reflected; the server still owes a Transition.
				commit = c.lastTS
			}
		case "Transition":
			for qid, mod := range modsOf(c.t, m) {
				mods[qid] = mod
			}
		default:
			c.t.Fatalf("unexpected %s", raw)
		}
		if resp != nil && m.str("type") == "Transition" && c.lastTS >= commit {
			return resp, respRaw, mods
		}
	}
}
