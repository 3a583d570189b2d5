package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	convexsync "github.com/convex-go/convex/backend/sync"
)

// fakeDeployment is a sync.Backend with a few queries:
//
//	counter:get             reads "counter"
//	echo:args               returns {args, component, identity}
//	fail:query              throws a ConvexError
//	perm:query              refuses like a deployment without permission
//	_system/cli/tables:default  a pagination result
type fakeDeployment struct {
	hub *convexsync.Hub

	mu      gosync.Mutex
	ts      int64
	counter float64
	paths   []string
}

func (f *fakeDeployment) bump() {
	f.mu.Lock()
	f.counter++
	f.ts++
	ts := f.ts
	f.mu.Unlock()
	f.hub.Committed(ts, []string{"counter"})
}

func (f *fakeDeployment) RunQuery(ctx context.Context, req convexsync.Request) (convexsync.QueryResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths = append(f.paths, req.Path)
	res := convexsync.QueryResult{TS: f.ts}
	switch req.Path {
	case "counter:get":
		res.Value, _ = json.Marshal(f.counter)
		res.LogLines = []string{"[LOG] 'reading'"}
		res.Reads = convexsync.ReadSet{Tables: []string{"counter"}}
	case "echo:args":
		res.Value, _ = json.Marshal(map[string]any{"args": req.Args, "component": req.ComponentPath, "identity": string(req.Identity)})
	case "fail:query":
		res.Error = &convexsync.FunctionError{Message: "Uncaught ConvexError: nope", Data: json.RawMessage(`{"code":"NOPE"}`)}
	case "perm:query":
		res.Error = &convexsync.FunctionError{Message: "[Request ID: 1] Server Error\nYou do not have permission to perform this operation.\n    at x"}
	case "_system/cli/tables:default":
		res.Value = json.RawMessage(`{"page":[{"name":"b"},{"name":"a"}],"isDone":true,"continueCursor":"end"}`)
	default:
		res.Error = &convexsync.FunctionError{Message: "Could not find public function for '" + req.Path + "'"}
	}
	return res, nil
}

func (f *fakeDeployment) RunMutation(ctx context.Context, req convexsync.Request) (convexsync.MutationResult, error) {
	return convexsync.MutationResult{}, errors.New("no mutations")
}

func (f *fakeDeployment) RunAction(ctx context.Context, req convexsync.Request) (convexsync.ActionResult, error) {
	return convexsync.ActionResult{}, errors.New("no actions")
}

func (f *fakeDeployment) Authenticate(ctx context.Context, a convexsync.Auth) (convexsync.Identity, error) {
	if a.TokenType == "Admin" && a.Token == "admin-key" {
		if a.Impersonating != nil {
			return convexsync.Identity("acting:" + string(a.Impersonating)), nil
		}
		return convexsync.Identity("admin"), nil
	}
	return nil, &convexsync.AuthError{Message: "Invalid admin key"}
}

// serve runs h on 127.0.0.1 and returns its http URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func startHub(t *testing.T) (*fakeDeployment, string) {
	t.Helper()
	f := &fakeDeployment{ts: 100}
	hub := convexsync.NewHub(f, convexsync.Options{})
	f.hub = hub
	hub.Committed(f.ts, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/{version}/sync", hub)
	url := serve(t, mux)
	t.Cleanup(func() { hub.Close() })
	return f, url
}

func dial(t *testing.T, url string, o Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSyncURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:3210":                  "ws://127.0.0.1:3210/api/1.48.0/sync",
		"https://happy-animal-123.convex.cloud/": "wss://happy-animal-123.convex.cloud/api/1.48.0/sync",
		"https://example.com/prefix":             "wss://example.com/prefix/api/1.48.0/sync",
	} {
		got, err := SyncURL(in, "")
		if err != nil || got != want {
			t.Errorf("SyncURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "not a url", "", "/relative"} {
		if _, err := SyncURL(bad, ""); err == nil {
			t.Errorf("SyncURL(%q) succeeded", bad)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"_system/cli/tables":                 "_system/cli/tables:default",
		"_system/cli/modules:apiSpec":        "_system/cli/modules:apiSpec",
		"messages.js:list":                   "messages:list",
		"dir/messages":                       "dir/messages:default",
		"_system/cli/queryImport.js:default": "_system/cli/queryImport:default",
	} {
		if got := CanonicalPath(in); got != want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryOnce(t *testing.T) {
	f, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "admin-key"})
	u, err := c.Query(timeout(t), "_system/cli/tables", map[string]any{"paginationOpts": map[string]any{"cursor": nil, "numItems": 10000}}, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Decode(u.Value)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := v.(Object).Get("page")
	if got := Display(page); got != `[{ "name": "b" }, { "name": "a" }]` {
		t.Errorf("page = %s", got)
	}
	// A second query on the same connection, with a component and args.
	u, err = c.Query(timeout(t), "echo:args", json.RawMessage(`{"x":{"$integer":"AQAAAAAAAAA="}}`), "child")
	if err != nil {
		t.Fatal(err)
	}
	var echo struct {
		Args      json.RawMessage
		Component string
		Identity  string
	}
	if err := json.Unmarshal(u.Value, &echo); err != nil {
		t.Fatal(err)
	}
	if string(echo.Args) != `{"x":{"$integer":"AQAAAAAAAAA="}}` || echo.Component != "child" || echo.Identity != "admin" {
		t.Errorf("echo = %+v", echo)
	}
	f.mu.Lock()
	paths := strings.Join(f.paths, ",")
	f.mu.Unlock()
	if paths != "_system/cli/tables:default,echo:args" {
		t.Errorf("deployment ran %s", paths)
	}
}

func TestImpersonating(t *testing.T) {
	_, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "admin-key", Impersonating: json.RawMessage(`{"subject":"u1"}`)})
	u, err := c.Query(timeout(t), "echo:args", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(u.Value), `acting:{\"subject\":\"u1\"}`) {
		t.Errorf("identity not passed: %s", u.Value)
	}
	ctx := context.Background()
	if _, err := Dial(ctx, url, Options{AdminKey: "admin-key", Impersonating: json.RawMessage(`[1]`)}); err == nil {
		t.Error("an identity that is not an object was accepted")
	}
}

func TestWatchSeesEveryChange(t *testing.T) {
	f, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "admin-key"})
	var got []string
	var logs int
	err := c.Watch(timeout(t), "counter:get", nil, "", func(u Update) error {
		got = append(got, string(u.Value))
		logs += len(u.LogLines)
		if len(got) == 3 {
			return ErrStop
		}
		go f.bump()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "0,1,2" || logs != 3 {
		t.Errorf("values %v, %d log lines", got, logs)
	}
	// The watch ends cleanly when its context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- c.Watch(ctx, "counter:get", nil, "", func(Update) error { cancel(); return nil })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("cancelled watch returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end on cancel")
	}
	// A callback error is returned as is.
	boom := errors.New("boom")
	if err := c.Watch(timeout(t), "counter:get", nil, "", func(Update) error { return boom }); err != boom {
		t.Errorf("Watch = %v, want boom", err)
	}
}

func TestQueryFailed(t *testing.T) {
	_, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "admin-key"})
	_, err := c.Query(timeout(t), "fail:query", nil, "")
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("err = %v, want *QueryError", err)
	}
	if qe.Path != "fail:query" || qe.Message != "Uncaught ConvexError: nope" || string(qe.Data) != `{"code":"NOPE"}` {
		t.Errorf("QueryError = %+v", qe)
	}
	if qe.Error() != "[CONVEX Q(fail:query)] Uncaught ConvexError: nope" {
		t.Errorf("Error() = %q", qe.Error())
	}
	if _, ok := qe.PermissionDenied(); ok {
		t.Error("not a permission error")
	}
	_, err = c.Query(timeout(t), "perm:query", nil, "")
	if !errors.As(err, &qe) {
		t.Fatalf("err = %v", err)
	}
	if msg, ok := qe.PermissionDenied(); !ok || msg != "You do not have permission to perform this operation." {
		t.Errorf("PermissionDenied = %q, %v", msg, ok)
	}
	// The connection survives a failed query.
	if _, err := c.Query(timeout(t), "counter:get", nil, ""); err != nil {
		t.Errorf("query after a failure: %v", err)
	}
	// Watch ends with the failure.
	err = c.Watch(timeout(t), "fail:query", nil, "", func(Update) error { return nil })
	if !errors.As(err, &qe) {
		t.Errorf("Watch = %v", err)
	}
}

func TestBadAdminKey(t *testing.T) {
	_, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "wrong"})
	_, err := c.Query(timeout(t), "counter:get", nil, "")
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Invalid admin key") {
		t.Fatalf("err = %v, want *AuthError", err)
	}
	if !errors.As(c.Err(), &ae) {
		t.Errorf("Err() = %v", c.Err())
	}
	if _, err := c.Subscribe(timeout(t), "counter:get", nil, ""); !errors.As(err, &ae) {
		t.Errorf("Subscribe after the end = %v", err)
	}
}

func TestBadArgs(t *testing.T) {
	_, url := startHub(t)
	c := dial(t, url, Options{AdminKey: "admin-key"})
	for _, args := range []any{json.RawMessage(`[1]`), []byte(`{bad`), 3, "x"} {
		if _, err := c.Query(timeout(t), "counter:get", args, ""); err == nil {
			t.Errorf("args %v accepted", args)
		}
	}
}

func TestDialFailures(t *testing.T) {
	ctx := timeout(t)
	// Nothing listening.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	if _, err := Dial(ctx, "http://"+addr, Options{}); err == nil || !strings.Contains(err.Error(), "could not open a WebSocket") {
		t.Errorf("Dial to a closed port = %v", err)
	}
	// An HTTP server that is not a deployment.
	url := serve(t, http.NotFoundHandler())
	if _, err := Dial(ctx, url, Options{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Dial to a 404 server = %v", err)
	}
}

// scripted serves one WebSocket connection: it reads the client's
// messages into got and answers with script(conn).
func scripted(t *testing.T, script func(ctx context.Context, ws *websocket.Conn)) string {
	t.Helper()
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		script(r.Context(), ws)
	}))
}

func readMsg(ctx context.Context, ws *websocket.Conn) map[string]any {
	_, data, err := ws.Read(ctx)
	if err != nil {
		return nil
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

func write(ctx context.Context, ws *websocket.Conn, s string) {
	ws.Write(ctx, websocket.MessageText, []byte(s))
}

const ts0 = `"AAAAAAAAAAA="`

func TestProtocolMessagesInOrder(t *testing.T) {
	got := make(chan []map[string]any, 1)
	url := scripted(t, func(ctx context.Context, ws *websocket.Conn) {
		var msgs []map[string]any
		for i := 0; i < 3; i++ {
			msgs = append(msgs, readMsg(ctx, ws))
		}
		write(ctx, ws, `{"type":"Ping"}`)
		write(ctx, ws, `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":`+ts0+`},"endVersion":{"querySet":1,"identity":1,"ts":"AQAAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0,"value":"hi","logLines":[],"journal":null}]}`)
		msgs = append(msgs, readMsg(ctx, ws))
		got <- msgs
		readMsg(ctx, ws)
	})
	c := dial(t, url, Options{AdminKey: "k|secret"})
	u, err := c.Query(timeout(t), "_system/cli/convexUrl:cloudUrl", nil, "comp")
	if err != nil || string(u.Value) != `"hi"` {
		t.Fatalf("Query = %s, %v", u.Value, err)
	}
	msgs := <-got
	if msgs[0]["type"] != "Connect" || msgs[0]["connectionCount"] != 0.0 || msgs[0]["lastCloseReason"] != "InitialConnect" {
		t.Errorf("Connect = %v", msgs[0])
	}
	if sid, _ := msgs[0]["sessionId"].(string); len(sid) != 36 || sid[14] != '4' {
		t.Errorf("session id %q is not a UUID v4", sid)
	}
	if msgs[1]["type"] != "Authenticate" || msgs[1]["tokenType"] != "Admin" || msgs[1]["value"] != "k|secret" || msgs[1]["baseVersion"] != 0.0 {
		t.Errorf("Authenticate = %v", msgs[1])
	}
	add := fmt.Sprint(msgs[2])
	if !strings.Contains(add, "baseVersion:0") || !strings.Contains(add, "newVersion:1") ||
		!strings.Contains(add, "type:Add") || !strings.Contains(add, "udfPath:_system/cli/convexUrl:cloudUrl") ||
		!strings.Contains(add, "args:[map[]]") || !strings.Contains(add, "componentPath:comp") {
		t.Errorf("ModifyQuerySet = %v", add)
	}
	rm := fmt.Sprint(msgs[3])
	if !strings.Contains(rm, "baseVersion:1") || !strings.Contains(rm, "newVersion:2") || !strings.Contains(rm, "type:Remove") {
		t.Errorf("Remove = %v", rm)
	}
}

func TestTransitionChunks(t *testing.T) {
	full := `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":` + ts0 + `},"endVersion":{"querySet":1,"identity":0,"ts":"AQAAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0,"value":[1,2,3],"logLines":[],"journal":null}]}`
	n := len(full) / 3
	parts := []string{full[:n], full[n : 2*n], full[2*n:]}
	url := scripted(t, func(ctx context.Context, ws *websocket.Conn) {
		readMsg(ctx, ws)
		readMsg(ctx, ws)
		for i, p := range parts {
			b, _ := json.Marshal(map[string]any{"type": "TransitionChunk", "chunk": p, "partNumber": i, "totalParts": 3, "transitionId": "t1"})
			write(ctx, ws, string(b))
		}
		readMsg(ctx, ws)
	})
	c := dial(t, url, Options{})
	u, err := c.Query(timeout(t), "x:y", nil, "")
	if err != nil || string(u.Value) != "[1,2,3]" {
		t.Fatalf("Query = %s, %v", u.Value, err)
	}
}

func TestServerErrors(t *testing.T) {
	cases := []struct {
		name, reply string
		check       func(error) bool
	}{
		{"fatal", `{"type":"FatalError","error":"BaseVersionMismatch"}`, func(err error) bool {
			var fe *FatalError
			return errors.As(err, &fe) && fe.Message == "BaseVersionMismatch"
		}},
		{"broken chain", `{"type":"Transition","startVersion":{"querySet":5,"identity":0,"ts":` + ts0 + `},"endVersion":{"querySet":6,"identity":0,"ts":` + ts0 + `},"modifications":[]}`, func(err error) bool {
			var pe *ProtocolError
			return errors.As(err, &pe) && strings.Contains(pe.Message, "previous one ended")
		}},
		{"chunk out of order", `{"type":"TransitionChunk","chunk":"{","partNumber":1,"totalParts":2,"transitionId":"a"}`, func(err error) bool {
			var pe *ProtocolError
			return errors.As(err, &pe) && strings.Contains(pe.Message, "out of order")
		}},
		{"not json", `{nope`, func(err error) bool {
			var pe *ProtocolError
			return errors.As(err, &pe)
		}},
		{"closed", "", func(err error) bool {
			var ce *ClosedError
			return errors.As(err, &ce) && ce.Code == websocket.StatusTryAgainLater && strings.Contains(err.Error(), "overloaded")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := scripted(t, func(ctx context.Context, ws *websocket.Conn) {
				readMsg(ctx, ws)
				readMsg(ctx, ws)
				if tc.reply == "" {
					ws.Close(websocket.StatusTryAgainLater, "overloaded")
					return
				}
				write(ctx, ws, tc.reply)
				readMsg(ctx, ws)
			})
			c := dial(t, url, Options{})
			_, err := c.Query(timeout(t), "x:y", nil, "")
			if err == nil || !tc.check(err) {
				t.Errorf("Query error = %v (%T)", err, err)
			}
		})
	}
}

func TestQueryContextCancelled(t *testing.T) {
	url := scripted(t, func(ctx context.Context, ws *websocket.Conn) {
		for readMsg(ctx, ws) != nil {
		}
	})
	c := dial(t, url, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Query(ctx, "x:y", nil, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query = %v, want deadline exceeded", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	url := scripted(t, func(ctx context.Context, ws *websocket.Conn) {
		for readMsg(ctx, ws) != nil {
		}
	})
	ctx := timeout(t)
	c, err := Dial(ctx, url, Options{IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Query(ctx, "x:y", nil, "")
	var ce *ClosedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nothing received for 200ms") {
		t.Errorf("Query on a silent server = %v", err)
	}
}
