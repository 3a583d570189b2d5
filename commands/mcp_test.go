package commands

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// mcpClient drives `convex mcp start` in-process through pipes.
type mcpClient struct {
	t      *testing.T
	in     *io.PipeWriter
	out    *bufio.Reader
	stderr *syncBuffer
	done   chan int
	nextID int
}

func startMCP(t *testing.T, dir string, args ...string) *mcpClient {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	m := &mcpClient{t: t, in: inW, out: bufio.NewReader(outR), stderr: &syncBuffer{}, done: make(chan int, 1)}
	d := &Deps{Stdin: inR, Stdout: outW, Stderr: m.stderr, Env: config.MapEnv{"HOME": t.TempDir()}, Cwd: dir}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		code := RunWith(ctx, d, append([]string{"mcp", "start"}, args...))
		outW.Close()
		m.done <- code
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
			t.Error("the MCP server did not stop at the end of its input")
		}
		cancel()
	})
	return m
}

// send writes one raw line and reads the answer line.
func (m *mcpClient) send(line string) map[string]any {
	m.t.Helper()
	if _, err := m.in.Write([]byte(line + "\n")); err != nil {
		m.t.Fatalf("writing to the server: %v (stderr: %s)", err, m.stderr.String())
	}
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		l, err := m.out.ReadString('\n')
		got <- answer{l, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			m.t.Fatalf("reading the answer to %s: %v (stderr: %s)", line, a.err, m.stderr.String())
		}
		var msg map[string]any
		if err := json.Unmarshal([]byte(a.line), &msg); err != nil {
			m.t.Fatalf("answer is not one JSON line: %q", a.line)
		}
		return msg
	case <-time.After(30 * time.Second):
		m.t.Fatalf("no answer to %s (stderr: %s)", line, m.stderr.String())
	}
	return nil
}

func (m *mcpClient) request(method string, params any) map[string]any {
	m.t.Helper()
	m.nextID++
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.nextID, "method": method, "params": params})
	msg := m.send(string(b))
	if id, _ := msg["id"].(float64); int(id) != m.nextID {
		m.t.Fatalf("answer to %d has id %v", m.nextID, msg["id"])
	}
	return msg
}

// call runs a tool and returns the decoded JSON of its text result.
func (m *mcpClient) call(tool string, args map[string]any) (map[string]any, bool) {
	m.t.Helper()
	msg := m.request("tools/call", map[string]any{"name": tool, "arguments": args})
	res, ok := msg["result"].(map[string]any)
	if !ok {
		m.t.Fatalf("%s: not a tool result: %v", tool, msg)
	}
	content := res["content"].([]any)
	text := content[0].(map[string]any)["text"].(string)
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		// Some tools return an array or a scalar: wrap it.
		var v any
		if json.Unmarshal([]byte(text), &v) != nil {
			m.t.Fatalf("%s: result text is not JSON: %q", tool, text)
		}
		out = map[string]any{"value": v}
	}
	isErr, _ := res["isError"].(bool)
	return out, isErr
}

func TestMCPServerAgainstBackend(t *testing.T) {
	r := startDataBackend(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json": `{"name":"app","dependencies":{"convex":"1.48.0"}}`,
		"convex/messages.ts": `import { query, mutation } from "./_generated/server";
import { v } from "convex/values";

export const list = query({ args: {}, handler: async (ctx) => await ctx.db.query("messages").collect() });

export const send = mutation({
  args: { body: v.string() },
  handler: async (ctx, args) => {
    console.log("sending", args.body);
    return await ctx.db.insert("messages", { body: args.body });
  },
});
`,
		"convex/schema.ts": `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({ messages: defineTable({ body: v.string() }) });
`,
	})
	pushed := false
	if nm, err := filepath.Abs("../e2e/node/node_modules"); err == nil {
		if _, err := os.Stat(filepath.Join(nm, "convex", "package.json")); err == nil {
			if err := os.Symlink(nm, filepath.Join(dir, "node_modules")); err != nil {
				t.Fatal(err)
			}
			res := runIn(t, dir, r, "deploy", "--typecheck", "disable", "-y")
			if res.code != 0 {
				t.Fatalf("pushing the app: %+v", res)
			}
			pushed = true
		}
	}

	m := startMCP(t, dir, "--url", r.CloudURL, "--admin-key", r.AdminKey)
	init := m.request("initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "test", "version": "0"}})
	info := init["result"].(map[string]any)["serverInfo"].(map[string]any)
	if info["name"] != "Convex MCP Server" {
		t.Errorf("serverInfo: %v", info)
	}
	if _, err := m.in.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	tools := m.request("tools/list", nil)["result"].(map[string]any)["tools"].([]any)
	var names []string
	for _, tl := range tools {
		tm := tl.(map[string]any)
		names = append(names, tm["name"].(string))
		if tm["description"] == "" || tm["inputSchema"].(map[string]any)["type"] != "object" {
			t.Errorf("tool %v lacks a description or an object schema", tm["name"])
		}
	}
	if len(names) != 12 {
		t.Errorf("tools: %v", names)
	}
	for _, want := range mcpTools {
		if !strings.Contains(","+strings.Join(names, ",")+",", ","+want+",") {
			t.Errorf("tool %s missing from %v", want, names)
		}
	}

	// status without a project directory fails; with one it lists the deployment.
	if out, isErr := m.call("status", map[string]any{}); !isErr || !strings.Contains(out["error"].(string), "No project directory provided") {
		t.Errorf("status without projectDir: %v", out)
	}
	out, isErr := m.call("status", map[string]any{"projectDir": dir})
	if isErr {
		t.Fatalf("status: %v", out)
	}
	deps := out["availableDeployments"].([]any)
	dep := deps[0].(map[string]any)
	if len(deps) != 1 || dep["url"] != r.CloudURL || dep["kind"] != "unspecified" {
		t.Fatalf("status: %v", out)
	}
	sel := dep["deploymentSelector"].(string)

	out, isErr = m.call("envSet", map[string]any{"deploymentSelector": sel, "name": "GREETING", "value": "hello"})
	if isErr || out["success"] != true {
		t.Errorf("envSet: %v", out)
	}
	if out, isErr = m.call("envGet", map[string]any{"deploymentSelector": sel, "name": "GREETING"}); isErr || out["value"] != "hello" {
		t.Errorf("envGet: %v", out)
	}
	if out, _ = m.call("envList", map[string]any{"deploymentSelector": sel}); !strings.Contains(jsonText(out), `{"name":"GREETING"}`) {
		t.Errorf("envList without values: %v", out)
	}
	if out, _ = m.call("envList", map[string]any{"deploymentSelector": sel, "includeValues": true}); !strings.Contains(jsonText(out), `{"name":"GREETING","value":"hello"}`) {
		t.Errorf("envList with values: %v", out)
	}
	m.call("envRemove", map[string]any{"deploymentSelector": sel, "name": "GREETING"})
	if out, isErr = m.call("envGet", map[string]any{"deploymentSelector": sel, "name": "GREETING"}); isErr || out["value"] != nil {
		t.Errorf("envGet after envRemove: %v", out)
	}

	// Bad input: a selector that is not one, a missing required argument.
	if out, isErr = m.call("tables", map[string]any{"deploymentSelector": "junk"}); !isErr || !strings.Contains(out["error"].(string), "Invalid deployment selector") {
		t.Errorf("junk selector: %v", out)
	}
	if out, isErr = m.call("envGet", map[string]any{"deploymentSelector": sel}); !isErr || !strings.Contains(out["error"].(string), "argument name is required") {
		t.Errorf("envGet without name: %v", out)
	}
	if out, isErr = m.call("noSuchTool", map[string]any{}); !isErr || out["error"] != "Tool noSuchTool not found" {
		t.Errorf("unknown tool: %v", out)
	}
	if msg := m.send(`{"jsonrpc":"2.0","id":99,"method":"tools/list"`); msg["error"].(map[string]any)["code"] != float64(-32700) {
		t.Errorf("malformed line: %v", msg)
	}

	out, isErr = m.call("functionSpec", map[string]any{"deploymentSelector": sel})
	if isErr {
		t.Fatalf("functionSpec: %v", out)
	}
	if pushed {
		if !strings.Contains(jsonText(out), `"identifier":"messages.js:send"`) {
			t.Errorf("functionSpec: %s", jsonText(out))
		}
		out, isErr = m.call("run", map[string]any{"deploymentSelector": sel, "functionName": "messages:send", "args": `{body: "hi"}`})
		if isErr || out["result"] == nil || !strings.Contains(jsonText(out["logLines"]), "sending") {
			t.Errorf("run: %v", out)
		}
		out, isErr = m.call("run", map[string]any{"deploymentSelector": sel, "functionName": "messages:list", "args": "{}"})
		if isErr || !strings.Contains(jsonText(out["result"]), `"body":"hi"`) {
			t.Errorf("run list: %v", out)
		}
		if out, isErr = m.call("run", map[string]any{"deploymentSelector": sel, "functionName": "messages:send", "args": "{body: 1}"}); !isErr || !strings.Contains(out["error"].(string), `Failed to run function "messages:send"`) {
			t.Errorf("run with bad args: %v", out)
		}
		if out, isErr = m.call("run", map[string]any{"deploymentSelector": sel, "functionName": "messages:send", "args": "[1"}); !isErr || !strings.Contains(out["error"].(string), "Failed to parse arguments") {
			t.Errorf("run with unparsable args: %v", out)
		}
		out, isErr = m.call("data", map[string]any{"deploymentSelector": sel, "tableName": "messages", "order": "asc"})
		if isErr || len(out["page"].([]any)) != 1 || out["isDone"] != true {
			t.Errorf("data: %v", out)
		}
		out, isErr = m.call("tables", map[string]any{"deploymentSelector": sel})
		tables, _ := out["tables"].(map[string]any)
		if msgs, _ := tables["messages"].(map[string]any); isErr || msgs["schema"] == nil {
			t.Errorf("tables: %v", out)
		}
		out, isErr = m.call("runOneoffQuery", map[string]any{"deploymentSelector": sel, "query": `import { query } from "convex:/_system/repl/wrappers.js";
export default query({ handler: async (ctx) => { console.log("counting"); return (await ctx.db.query("messages").collect()).length; } });`})
		if isErr || out["result"] != float64(1) || !strings.Contains(jsonText(out["logLines"]), "counting") {
			t.Errorf("runOneoffQuery: %v", out)
		}
		out, isErr = m.call("runOneoffQuery", map[string]any{"deploymentSelector": sel, "query": `(await ctx.db.query("messages").first()).body`})
		if isErr || out["result"] != "hi" {
			t.Errorf("runOneoffQuery of an expression: %v", out)
		}
		out, isErr = m.call("runOneoffQuery", map[string]any{"deploymentSelector": sel, "query": `await ctx.db.insert("messages", {body: "no"})`})
		if !isErr || !strings.Contains(out["error"].(string), "Query failed") {
			t.Errorf("runOneoffQuery writing: %v", out)
		}
		out, isErr = m.call("logs", map[string]any{"deploymentSelector": sel, "jsonl": true})
		if isErr || !strings.Contains(out["entries"].(string), "messages") {
			t.Errorf("logs: %v", out)
		}
		// Nothing new after the cursor: an empty batch, without waiting for
		// the deployment's long poll.
		start := time.Now()
		out, isErr = m.call("logs", map[string]any{"deploymentSelector": sel, "cursor": out["newCursor"], "status": "failure"})
		if isErr || out["entries"] != "" || time.Since(start) > 10*time.Second {
			t.Errorf("logs with nothing new: %v after %v", out, time.Since(start))
		}
		if out, isErr = m.call("logs", map[string]any{"deploymentSelector": sel, "entriesLimit": 0}); !isErr || !strings.Contains(out["error"].(string), "argument entriesLimit must be greater than 0") {
			t.Errorf("logs with entriesLimit 0: %v", out)
		}
	} else {
		t.Log("e2e/node/node_modules is not installed: the app was not pushed, so run, data and logs are not covered")
	}
	if out, isErr = m.call("insights", map[string]any{"deploymentSelector": sel}); !isErr || !strings.Contains(out["error"].(string), "only available for cloud deployments") {
		t.Errorf("insights on a URL deployment: %v", out)
	}
	if ping := m.request("ping", nil); ping["result"] == nil {
		t.Errorf("ping: %v", ping)
	}
	if strings.Contains(m.stderr.String(), r.AdminKey) {
		t.Errorf("stderr shows the admin key: %s", m.stderr.String())
	}
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }

// A production selector is refused by tools that change data or read user
// data, unless the flags allow it.
func TestMCPProductionGuard(t *testing.T) {
	dir := t.TempDir()
	prod := encodeSelector(dir, mcpSelection{Kind: "prod"})
	m := startMCP(t, dir, "--disable-tools", "insights, logs")
	if out, isErr := m.call("envSet", map[string]any{"deploymentSelector": prod, "name": "A", "value": "b"}); !isErr || !strings.Contains(out["error"].(string), "cannot be used with production deployments") {
		t.Errorf("envSet on prod: %v", out)
	}
	if out, isErr := m.call("data", map[string]any{"deploymentSelector": prod, "tableName": "t", "order": "asc"}); !isErr || !strings.Contains(out["error"].(string), "--cautiously-allow-production-pii") {
		t.Errorf("data on prod: %v", out)
	}
	if out, isErr := m.call("logs", map[string]any{"deploymentSelector": prod}); !isErr || out["error"] != "Tool logs not found" {
		t.Errorf("disabled tool: %v", out)
	}
	tools := m.request("tools/list", nil)["result"].(map[string]any)["tools"].([]any)
	if len(tools) != 10 {
		t.Errorf("%d tools with two disabled", len(tools))
	}

	// With PII allowed, data gets past the guard (and fails later: there
	// is no project here).
	m2 := startMCP(t, dir, "--cautiously-allow-production-pii")
	if out, isErr := m2.call("data", map[string]any{"deploymentSelector": prod, "tableName": "t", "order": "asc"}); !isErr || strings.Contains(out["error"].(string), "production") && strings.Contains(out["error"].(string), "--cautiously") {
		t.Errorf("data on prod with PII allowed: %v", out)
	}
	if out, isErr := m2.call("run", map[string]any{"deploymentSelector": prod, "functionName": "a:b", "args": "{}"}); !isErr || !strings.Contains(out["error"].(string), "--dangerously-enable-production-deployments") {
		t.Errorf("run on prod with only PII allowed: %v", out)
	}
}

func TestMCPStartBadFlags(t *testing.T) {
	res := run(t, nil, "mcp", "start", "--disable-tools", "status,bogus")
	if res.code != 1 || !strings.Contains(res.stderr, "Failed to start MCP server: Disabled tool bogus not found (valid tools: data, envGet") || res.stdout != "" {
		t.Errorf("bad --disable-tools: %+v", res)
	}
}

func TestMCPSelectorRoundTrip(t *testing.T) {
	for _, sel := range []mcpSelection{{Kind: "unspecified"}, {Kind: "prod"}, {Kind: "previewName", PreviewName: "pr-1"}, {Kind: "deploymentName", DeploymentName: "happy-cat-1"}} {
		enc := encodeSelector("/p", sel)
		if !strings.HasPrefix(enc, sel.Kind+":") {
			t.Errorf("%v encodes as %s", sel, enc)
		}
		got, err := decodeSelector(enc)
		if err != nil || got.ProjectDir != "/p" || got.Deployment != sel {
			t.Errorf("%v: decoded %v, %v", sel, got, err)
		}
	}
	for _, bad := range []string{"", "prod", "prod:!!!", "prod:" + "eyJ4IjoxfQ==", encodeSelector("", mcpSelection{Kind: "prod"}), encodeSelector("/p", mcpSelection{Kind: "weird"})} {
		if _, err := decodeSelector(bad); err == nil {
			t.Errorf("decodeSelector(%q) succeeded", bad)
		}
	}
}

func TestMCPInsightsSummaryAndHints(t *testing.T) {
	if got := insightsSummary(nil); got != "No issues found. The deployment is healthy over the last 72 hours." {
		t.Errorf("no insights: %q", got)
	}
	list := []*insight{{Severity: "error"}, {Severity: "warning"}, {Severity: "warning"}}
	if got := insightsSummary(list); got != "Found 1 error and 2 warnings in the last 72 hours." {
		t.Errorf("summary: %q", got)
	}
	if got := insightsSummary(list[1:2]); got != "Found 1 warning in the last 72 hours." {
		t.Errorf("summary: %q", got)
	}
	call := withHint(func(context.Context, map[string]any) (any, error) {
		return nil, ui.Errorf("it is not running").WithHint("Run `convex dev` first.")
	})
	if _, err := call(context.Background(), nil); err == nil || err.Error() != "it is not running\nRun `convex dev` first." {
		t.Errorf("error with hint: %v", err)
	}
	canceled := withHint(func(context.Context, map[string]any) (any, error) {
		return nil, ui.Wrap(context.Canceled, "stopped").WithHint("try again")
	})
	if _, err := canceled(context.Background(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("the cause is lost: %v", err)
	}
}
