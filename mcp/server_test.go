package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func testServer() *Server {
	return &Server{Name: "Test Server", Version: "1.2.3", Tools: []Tool{
		{
			Name: "echo", Description: "Echo the text back.",
			InputSchema: map[string]any{"type": "object", "required": []string{"text"}, "properties": map[string]any{
				"text":  map[string]any{"type": "string"},
				"mode":  map[string]any{"type": "string", "enum": []string{"plain", "loud"}},
				"count": map[string]any{"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
				"flag":  map[string]any{"type": "boolean"},
			}},
			Call: func(_ context.Context, args map[string]any) (any, error) {
				text := args["text"].(string)
				if args["mode"] == "loud" {
					text = strings.ToUpper(text)
				}
				return map[string]any{"text": text}, nil
			},
		},
		{
			Name: "fail", InputSchema: map[string]any{"type": "object"},
			Call: func(context.Context, map[string]any) (any, error) { return nil, errors.New("it broke") },
		},
	}}
}

// exchange feeds lines to a server and returns its answers by id ("null"
// for answers without one).
func exchange(t *testing.T, s *Server, lines ...string) map[string]map[string]any {
	t.Helper()
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Serve(ctx, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("answer is not JSON: %q", l)
		}
		if m["jsonrpc"] != "2.0" {
			t.Errorf("answer without jsonrpc 2.0: %s", l)
		}
		id, _ := json.Marshal(m["id"])
		got[string(id)] = m
	}
	return got
}

func toolText(t *testing.T, m map[string]any) (string, bool) {
	t.Helper()
	res, ok := m["result"].(map[string]any)
	if !ok {
		t.Fatalf("no result: %v", m)
	}
	content := res["content"].([]any)
	if len(content) != 1 || content[0].(map[string]any)["type"] != "text" {
		t.Fatalf("content: %v", content)
	}
	isErr, _ := res["isError"].(bool)
	return content[0].(map[string]any)["text"].(string), isErr
}

func errCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func TestProtocol(t *testing.T) {
	got := exchange(t, testServer(),
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":"p","method":"ping"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi","mode":"loud"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"fail","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"resources/list"}`,
		`{not json`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"1.0","id":9,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":10,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}`,
	)
	init := got["1"]["result"].(map[string]any)
	if init["protocolVersion"] != "2025-06-18" {
		t.Errorf("protocolVersion: %v", init["protocolVersion"])
	}
	if info := init["serverInfo"].(map[string]any); info["name"] != "Test Server" || info["version"] != "1.2.3" {
		t.Errorf("serverInfo: %v", info)
	}
	if _, ok := init["capabilities"].(map[string]any)["tools"]; !ok {
		t.Errorf("capabilities: %v", init["capabilities"])
	}
	if v := got["10"]["result"].(map[string]any)["protocolVersion"]; v != ProtocolVersions[0] {
		t.Errorf("unknown version answered with %v", v)
	}
	tools := got["2"]["result"].(map[string]any)["tools"].([]any)
	if len(tools) != 2 || tools[0].(map[string]any)["name"] != "echo" || tools[0].(map[string]any)["inputSchema"] == nil {
		t.Errorf("tools/list: %v", tools)
	}
	if r, ok := got[`"p"`]["result"].(map[string]any); !ok || len(r) != 0 {
		t.Errorf("ping: %v", got[`"p"`])
	}
	if text, isErr := toolText(t, got["3"]); isErr || text != `{"text":"HI"}` {
		t.Errorf("echo: %q %v", text, isErr)
	}
	if text, isErr := toolText(t, got["4"]); !isErr || text != `{"error":"it broke"}` {
		t.Errorf("fail: %q %v", text, isErr)
	}
	if text, isErr := toolText(t, got["5"]); !isErr || text != `{"error":"Tool nope not found"}` {
		t.Errorf("unknown tool: %q %v", text, isErr)
	}
	if text, isErr := toolText(t, got["7"]); !isErr || !strings.Contains(text, "No arguments provided") {
		t.Errorf("no arguments: %q %v", text, isErr)
	}
	if errCode(got["6"]) != CodeMethodNotFound {
		t.Errorf("unknown method: %v", got["6"])
	}
	if errCode(got["null"]) != CodeParseError {
		t.Errorf("malformed line: %v", got["null"])
	}
	if errCode(got["8"]) != CodeInvalidParams {
		t.Errorf("tools/call without a name: %v", got["8"])
	}
	if errCode(got["9"]) != CodeInvalidRequest {
		t.Errorf("jsonrpc 1.0: %v", got["9"])
	}
	// The notification got no answer: 12 answers for 13 lines with ids or errors.
	if len(got) != 12 {
		t.Errorf("%d answers: %v", len(got), got)
	}
}

func TestArgumentValidation(t *testing.T) {
	bad := map[string]string{
		`{}`:                             `Invalid arguments for echo: argument text is required`,
		`{"text":1}`:                     `argument text must be a string`,
		`{"text":"a","mode":"quiet"}`:    `argument mode must be one of plain, loud`,
		`{"text":"a","count":0}`:         `argument count must be greater than 0`,
		`{"text":"a","count":11}`:        `argument count must be at most 10`,
		`{"text":"a","count":1.5}`:       `argument count must be an integer`,
		`{"text":"a","flag":"yes"}`:      `argument flag must be a boolean`,
		`["text"]`:                       `expected a JSON object`,
		`{"text":"a","count":"3"}`:       `argument count must be a number`,
		`{"text":"a","count":10,"x":[]}`: ``,
	}
	i := 0
	var lines []string
	var want []string
	for args, msg := range bad {
		i++
		lines = append(lines, `{"jsonrpc":"2.0","id":`+itoa(i)+`,"method":"tools/call","params":{"name":"echo","arguments":`+args+`}}`)
		want = append(want, msg)
	}
	got := exchange(t, testServer(), lines...)
	for j, msg := range want {
		text, isErr := toolText(t, got[itoa(j+1)])
		if msg == "" {
			if isErr {
				t.Errorf("valid arguments refused: %s", text)
			}
			continue
		}
		var e struct{ Error string }
		json.Unmarshal([]byte(text), &e)
		if !isErr || !strings.Contains(e.Error, msg) {
			t.Errorf("%s: got %q (isError %v), want %q", lines[j], text, isErr, msg)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// A tool call still running when input ends is answered before Serve
// returns, and pings are answered while it runs.
func TestCallsRunBesideReading(t *testing.T) {
	release := make(chan struct{})
	s := &Server{Name: "s", Version: "0", Tools: []Tool{{Name: "slow", InputSchema: map[string]any{"type": "object"},
		Call: func(ctx context.Context, _ map[string]any) (any, error) {
			select {
			case <-release:
				return "done", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}}}
	pr, pw := ioPipe()
	var out syncBuilder
	done := make(chan error)
	go func() { done <- s.Serve(context.Background(), pr, &out) }()
	pw.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}` + "\n"))
	pw.Write([]byte(`{"jsonrpc":"2.0","id":2,"method":"ping"}` + "\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), `"id":2`) {
		if time.Now().After(deadline) {
			t.Fatal("ping not answered while a call runs")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(out.String(), `"id":1`) {
		t.Fatal("slow call answered early")
	}
	pw.Close()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"id":1,"result":{"content":[{"type":"text","text":"\"done\""}]}`) {
		t.Errorf("output: %s", out.String())
	}
}

// Tool calls run one at a time in the order they arrived.
func TestCallsRunInOrder(t *testing.T) {
	var seen []string
	running := 0
	s := &Server{Name: "s", Version: "0", Tools: []Tool{{Name: "note", InputSchema: map[string]any{"type": "object"},
		Call: func(_ context.Context, args map[string]any) (any, error) {
			running++
			defer func() { running-- }()
			if running != 1 {
				t.Errorf("%d calls running at once", running)
			}
			time.Sleep(time.Millisecond)
			seen = append(seen, args["n"].(json.Number).String())
			return nil, nil
		}}}}
	var lines, want []string
	for i := 1; i <= 20; i++ {
		lines = append(lines, `{"jsonrpc":"2.0","id":`+itoa(i)+`,"method":"tools/call","params":{"name":"note","arguments":{"n":`+itoa(i)+`}}}`)
		want = append(want, itoa(i))
	}
	if got := exchange(t, s, lines...); len(got) != 20 {
		t.Errorf("%d answers", len(got))
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("calls ran in the order %v", seen)
	}
}

// A cancelled call gets no answer, and its tool sees the cancellation.
func TestCancelledCall(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan struct{})
	s := &Server{Name: "s", Version: "0", Tools: []Tool{{Name: "wait", InputSchema: map[string]any{"type": "object"},
		Call: func(ctx context.Context, _ map[string]any) (any, error) {
			close(started)
			<-ctx.Done()
			close(stopped)
			return nil, ctx.Err()
		}}}}
	pr, pw := ioPipe()
	var out syncBuilder
	done := make(chan error)
	go func() { done <- s.Serve(context.Background(), pr, &out) }()
	pw.Write([]byte(`{"jsonrpc":"2.0","id":"w","method":"tools/call","params":{"name":"wait","arguments":{}}}` + "\n"))
	<-started
	pw.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w","reason":"bored"}}` + "\n"))
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the tool did not see the cancellation")
	}
	pw.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != `{"jsonrpc":"2.0","id":1,"result":{}}` {
		t.Errorf("output: %s", got)
	}
}
