package api

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// nodeModuleSrc mimics a bundled "use node" module (the markers
// convex/server sets), using a Node.js built-in.
const nodeModuleSrc = `import crypto from "node:crypto";
function action(vis, handler, args) {
  const fn = async () => {};
  fn.isAction = true;
  fn["is" + vis] = true;
  fn.exportArgs = () => args ?? '{"type":"any"}';
  fn.exportReturns = () => "null";
  fn.invokeAction = async (requestId, argsJson) => JSON.stringify((await handler(JSON.parse(argsJson)[0])) ?? null);
  return fn;
}
const sys = (op, a) => Convex.asyncSyscall(op, JSON.stringify(a)).then(JSON.parse);
export const hash = action("Public", async ({ text }) => {
  console.log("hashing", text);
  process.stdout.write("raw output\n");
  const before = await sys("1.0/actions/query", { name: "notes:count", args: {} });
  await sys("1.0/actions/mutation", { name: "notes:add", args: { text } });
  return { sha: crypto.createHash("sha256").update(text).digest("hex"), before, env: process.env.GREETING ?? null };
}, '{"type":"object","value":{"text":{"fieldType":{"type":"string"},"optional":false}}}');
export const boom = action("Internal", async () => {
  const e = new Error("bad thing");
  e[Symbol.for("ConvexError")] = true;
  e.ConvexErrorSymbol = Symbol.for("ConvexError");
  e.data = JSON.stringify({ code: "X" });
  throw e;
});
export const fails = action("Public", async () => sys("1.0/actions/mutation", { name: "notes:fail", args: { text: "t" } }));
`

func TestNodeActions(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipping: node is not on PATH")
	}
	e := newTestEnv(t)
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{map[string]any{"name": "GREETING", "value": "hi"}}}, e.admin())
	start, _, _ := e.push(pushRequest(e.key, []map[string]any{
		{"path": "notes.js", "source": notesModule, "environment": "isolate"},
		{"path": "crypto.js", "source": nodeModuleSrc, "environment": "node"},
	}, nil, nil))
	fns, _ := get(start, "analysis", "", "functions", "crypto.js", "functions").([]any)
	if len(fns) != 3 || get(fns[0], "udfType") != "Action" {
		t.Fatalf("node analysis: %v", get(start, "analysis", "", "functions", "crypto.js"))
	}
	_, hashes, _ := e.do("POST", "/api/get_config_hashes", map[string]any{"adminKey": e.key}, nil)
	if !strings.Contains(fmtJSON(hashes), `"environment":"node"`) {
		t.Errorf("config hashes lack the node module: %v", hashes)
	}

	r := e.call("action", "crypto:hash", map[string]any{"text": "abc"}, nil)
	if get(r, "value", "sha") != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || get(r, "value", "before") != 0.0 || get(r, "value", "env") != "hi" {
		t.Fatalf("node action: %v", r)
	}
	if lines, _ := r["logLines"].([]any); len(lines) != 2 || lines[0] != "[LOG] 'hashing' 'abc'" || lines[1] != "[LOG] raw output" {
		t.Errorf("node logs: %v", r["logLines"])
	}
	if r := e.call("query", "notes:count", map[string]any{}, nil); r["value"] != 1.0 {
		t.Errorf("mutation from a node action: %v", r)
	}
	// Validation, visibility and kind checks happen before Node runs.
	if r := e.call("action", "crypto:hash", map[string]any{"text": 5}, nil); !strings.Contains(fmtJSON(r), "ArgumentValidationError") {
		t.Errorf("bad args: %v", r)
	}
	if r := e.call("action", "crypto:boom", map[string]any{}, nil); !strings.Contains(fmtJSON(r), "Could not find public function for 'crypto:boom'") {
		t.Errorf("internal node action via public API: %v", r)
	}
	if r := e.call("query", "crypto:hash", map[string]any{"text": "x"}, nil); !strings.Contains(fmtJSON(r), "defined as Action") {
		t.Errorf("node action as query: %v", r)
	}
	// ConvexError data crosses the process boundary, both ways.
	r = e.call("function", "crypto:boom", map[string]any{}, e.admin())
	if get(r, "errorData", "code") != "X" || !strings.Contains(r["errorMessage"].(string), "bad thing") {
		t.Errorf("ConvexError from node: %v", r)
	}
	if r := e.call("action", "crypto:fails", map[string]any{}, nil); r["status"] != "error" || !strings.Contains(r["errorMessage"].(string), "boom") {
		t.Errorf("failing nested mutation: %v", r)
	}
	// A "use node" module may only export actions.
	bad := strings.Replace(nodeModuleSrc, "fn.isAction = true;", "fn.isQuery = true;", 1)
	code, m, _ := e.do("POST", "/api/deploy2/start_push", pushRequest(e.key, []map[string]any{{"path": "bad.js", "source": bad, "environment": "node"}}, nil, nil), nil)
	if code != 400 || !strings.Contains(m["message"].(string), "may only export actions") {
		t.Errorf("node query accepted: %d %v", code, m)
	}
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
