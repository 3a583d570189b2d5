package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFunctionsAndEnv(t *testing.T) {
	var got []map[string]any
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		json.Unmarshal(data, &body)
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
		switch r.URL.Path {
		case "/api/function":
			if r.Header.Get("Convex-Client") != "npm-1.48.0" {
				t.Errorf("Convex-Client %q", r.Header.Get("Convex-Client"))
			}
			if body["path"] == "bad:fn" {
				io.WriteString(w, `{"status":"error","errorMessage":"Uncaught Error: nope","errorData":{"code":1},"logLines":[]}`)
				return
			}
			if strings.Contains(r.Header.Get("Authorization"), ":") {
				io.WriteString(w, `{"status":"success","value":"as-user","logLines":[]}`)
				return
			}
			io.WriteString(w, `{"status":"success","value":{"n":1},"logLines":["[LOG] 'hi'"]}`)
		case "/api/query":
			io.WriteString(w, `{"status":"success","value":[{"name":"A","value":"1"},{"name":"B","value":"two"}],"logLines":[]}`)
		case "/api/update_environment_variables":
			w.WriteHeader(200)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "key|abc")
	ctx := context.Background()
	res, err := c.RunFunction(ctx, "messages:list", json.RawMessage(`{"x":1}`), "", nil)
	if err != nil || string(res.Value) != `{"n":1}` || len(res.LogLines) != 1 {
		t.Fatalf("run: %v %+v", err, res)
	}
	if got[0]["format"] != "convex_encoded_json" || got[0]["args"].(map[string]any)["x"] != float64(1) {
		t.Errorf("body %v", got[0])
	}
	_, err = c.RunFunction(ctx, "bad:fn", nil, "", nil)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Message != "Uncaught Error: nope" || string(fe.Data) != `{"code":1}` {
		t.Errorf("error: %v", err)
	}
	res, err = c.RunFunction(ctx, "who:ami", nil, "", json.RawMessage(`{"subject":"u"}`))
	if err != nil || string(res.Value) != `"as-user"` {
		t.Errorf("identity: %v %+v", err, res)
	}
	vars, err := c.EnvList(ctx)
	if err != nil || len(vars) != 2 || vars[1] != (EnvVar{"B", "two"}) {
		t.Errorf("env list: %v %v", err, vars)
	}
	v := "x"
	if err := c.UpdateEnv(ctx, []EnvChange{{Name: "A", Value: &v}, {Name: "B"}}); err != nil {
		t.Fatal(err)
	}
	last, _ := json.Marshal(got[len(got)-1])
	if string(last) != `{"changes":[{"name":"A","value":"x"},{"name":"B","value":null}]}` {
		t.Errorf("update body %s", last)
	}
}

func TestLogFormat(t *testing.T) {
	f := LogFormat{Time: func(t time.Time) string { return t.UTC().Format("15:04:05") }}
	e := LogEntry{Kind: "Completion", UDFType: "Mutation", Identifier: "messages:send", Timestamp: 1700000000.5, ExecutionTime: 0.0123,
		LogLines: []json.RawMessage{json.RawMessage(`{"messages":["'hi'","42"],"level":"LOG","timestamp":1700000001000,"isTruncated":true}`), json.RawMessage(`"[WARN] old style"`)}}
	lines := f.Lines(e)
	want := []string{"22:13:21 [CONVEX M(messages:send)] [LOG] 'hi' 42 (truncated due to length)", "22:13:20 [CONVEX M(messages:send)] [WARN] old style"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s", strings.Join(lines, "\n"))
	}
	f.Success = true
	lines = f.Lines(LogEntry{Kind: "Completion", UDFType: "Query", Identifier: "q", Timestamp: 1700000000, ExecutionTime: 0.0121})
	if len(lines) != 1 || lines[0] != "22:13:20 [CONVEX Q(q)] Function executed in 13 ms" {
		t.Errorf("success line %v", lines)
	}
	msg := "Uncaught Error: boom"
	lines = f.Lines(LogEntry{Kind: "Completion", UDFType: "Action", Identifier: "a", Timestamp: 1700000000, Error: &msg})
	if len(lines) != 1 || !strings.HasSuffix(lines[0], "[CONVEX A(a)] Uncaught Error: boom") {
		t.Errorf("error line %v", lines)
	}
	raw := json.RawMessage(`{"kind":"Progress","x":1}`)
	if l := (LogFormat{JSONL: true}).Lines(LogEntry{Raw: raw}); l[0] != string(raw) {
		t.Errorf("jsonl %v", l)
	}
}

func TestLogTail(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		cursor := r.URL.Query().Get("cursor")
		switch n {
		case 1:
			if cursor != "0" {
				t.Errorf("first cursor %s", cursor)
			}
			io.WriteString(w, `{"entries":[{"kind":"Completion","udfType":"Query","identifier":"old1","logLines":["[LOG] a"],"timestamp":1},{"kind":"Completion","udfType":"Query","identifier":"old2","logLines":["[LOG] b"],"timestamp":2}],"newCursor":2000}`)
		case 2:
			w.WriteHeader(500)
		case 3:
			if cursor != "2000" {
				t.Errorf("cursor after first poll %s", cursor)
			}
			io.WriteString(w, `{"entries":[{"kind":"Completion","udfType":"Query","identifier":"new","logLines":["[LOG] c"],"timestamp":3}],"newCursor":3000}`)
		default:
			w.WriteHeader(403)
			io.WriteString(w, `{"code":"Forbidden","message":"no"}`)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "k")
	c.RetryDelay = func(int) time.Duration { return 0 }
	var out bytes.Buffer
	tail := &LogTail{Client: c, Out: &out, History: 1, Format: LogFormat{Time: func(time.Time) string { return "T" }},
		Sleep: func(context.Context, time.Duration) error { return nil }}
	err := tail.Run(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 403 {
		t.Errorf("err = %v", err)
	}
	if out.String() != "T [CONVEX Q(old2)] [LOG] b\nT [CONVEX Q(new)] [LOG] c\n" {
		t.Errorf("output:\n%s", out.String())
	}

	// Paused output is held until Resume.
	out.Reset()
	tail.Pause()
	tail.emit([]string{"held"})
	if out.Len() != 0 {
		t.Error("printed while paused")
	}
	tail.Resume()
	if out.String() != "held\n" {
		t.Errorf("after resume %q", out.String())
	}
}

func TestInlineQuerySource(t *testing.T) {
	got := InlineQuerySource(` await ctx.db.query("messages").take(5); `)
	want := replPreamble + "\nexport default query({\n  handler: async (ctx) => {\n    return (await ctx.db.query(\"messages\").take(5));\n  },\n});"
	if got != want {
		t.Errorf("expression:\n%s", got)
	}
	got = InlineQuerySource("const a = 1;\nreturn a;")
	if !strings.Contains(got, "    const a = 1;\n    return a;\n") {
		t.Errorf("statements:\n%s", got)
	}
	mod := "export default query({ handler: async () => 1 });"
	if got = InlineQuerySource(mod); got != replPreamble+"\n\n"+mod {
		t.Errorf("module:\n%s", got)
	}
}

func TestRunTestQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Bundle struct{ Path, Source string }
		}
		json.NewDecoder(r.Body).Decode(&body)
		if body.Bundle.Path != "testQuery.js" {
			t.Errorf("bundle path %q", body.Bundle.Path)
		}
		if strings.Contains(body.Bundle.Source, "fail") {
			io.WriteString(w, `{"status":"error","errorMessage":"boom"}`)
			return
		}
		io.WriteString(w, `{"status":"success","value":[1,2],"logLines":[]}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "k")
	res, err := c.RunTestQuery(context.Background(), InlineQuerySource("1+1"), "")
	if err != nil || string(res.Value) != "[1,2]" {
		t.Errorf("%v %+v", err, res)
	}
	_, err = c.RunTestQuery(context.Background(), InlineQuerySource("fail"), "")
	if err == nil || !strings.Contains(err.Error(), "Query failed:") || !strings.Contains(err.Error(), `"errorMessage": "boom"`) {
		t.Errorf("err = %v", err)
	}
}

func TestLogTailRefusedLocally(t *testing.T) {
	u := closedURL(t)
	newTail := func(failFast bool) (*LogTail, *int) {
		c := NewClient(u, "k")
		c.RetryDelay = func(int) time.Duration { return 0 }
		sleeps := 0
		return &LogTail{Client: c, Out: io.Discard, FailWhenRefused: failFast,
			Sleep: func(ctx context.Context, d time.Duration) error {
				sleeps++
				if sleeps >= 3 {
					return context.Canceled
				}
				return nil
			}}, &sleeps
	}
	tail, sleeps := newTail(true)
	err := tail.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Nothing is listening at "+u) {
		t.Errorf("err = %v", err)
	}
	if *sleeps != 0 {
		t.Errorf("waited %d times before giving up", *sleeps)
	}
	// Without the option (the dev loop) a refused backend is waited for.
	tail, sleeps = newTail(false)
	if err := tail.Run(context.Background()); err != nil {
		t.Errorf("err = %v", err)
	}
	if *sleeps != 3 {
		t.Errorf("sleeps = %d", *sleeps)
	}
}

func TestLogTailRetriesRemoteFailures(t *testing.T) {
	// A refused connection to a host that is not this machine is a
	// transient failure: keep waiting even with FailWhenRefused.
	c := NewClient("https://example.invalid", "k")
	c.HTTP = &http.Client{Transport: refusingTransport{}}
	c.RetryDelay = func(int) time.Duration { return 0 }
	sleeps := 0
	var warn bytes.Buffer
	tail := &LogTail{Client: c, Out: io.Discard, Warn: &warn, FailWhenRefused: true,
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps++
			if sleeps >= 7 {
				return context.Canceled
			}
			return nil
		}}
	if err := tail.Run(context.Background()); err != nil {
		t.Errorf("err = %v", err)
	}
	if sleeps != 7 || !strings.Contains(warn.String(), "Convex [WARN] Failed to fetch logs. Waiting ") {
		t.Errorf("sleeps = %d, warnings %q", sleeps, warn.String())
	}
}
