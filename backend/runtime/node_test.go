package runtime

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

const nodeActionSource = `"use node";
import { actionGeneric, internalActionGeneric, makeFunctionReference } from "convex/server";
import { v, ConvexError } from "convex/values";
import { createHash } from "node:crypto";

export const hash = actionGeneric({
  args: { s: v.string() },
  handler: async (ctx, { s }) => {
    console.log("hashing", s);
    const n: number = await ctx.runQuery(makeFunctionReference<"query">("probe:count"), {});
    return { h: createHash("sha256").update(s).digest("hex"), n, env: process.env.MY_VAR ?? null };
  },
});

export const fail = internalActionGeneric({
  args: {},
  handler: async () => { throw new ConvexError({ code: "NODE" }); },
});

export const slow = actionGeneric({ args: {}, handler: async () => { await new Promise((r) => setTimeout(r, 60000)); } });
`

func TestNodeActions(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	p := newProbe(t, Options{})
	isolate := bundleFiles(t, map[string]string{"probe.ts": probeSource})
	node := bundleFilesFor(t, map[string]string{"nodeact.ts": nodeActionSource}, api.PlatformNode)
	if len(node) < 1 || node[0].Environment != "node" {
		t.Fatalf("node bundle: %+v", node)
	}
	ms, err := New(Options{ActionTimeout: 2 * time.Second}).Load(append(isolate, node...))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	p.ms = ms

	a, err := ms.AnalyzeEnv(context.Background(), p.env)
	if err != nil {
		t.Fatal(err)
	}
	fns := a["nodeact.js"].Functions
	if len(fns) != 3 || fns[0].Name != "fail" || fns[0].Visibility.Kind != "internal" || fns[1].Name != "hash" || fns[1].UdfType != "Action" {
		t.Fatalf("node analysis: %+v", fns)
	}
	if _, ok := a["probe.js"]; !ok {
		t.Fatal("isolate modules missing from the analysis")
	}

	res := p.run(KindAction, "nodeact:hash", `{"s":"abc"}`, false)
	if res.Err != nil {
		t.Fatal(res.Err.Message)
	}
	if got := string(res.Value); got != `{"env":"set","h":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","n":0}` {
		t.Fatalf("hash: %s", got)
	}
	if len(res.Logs) != 1 || res.Logs[0].String() != "[LOG] 'hashing' 'abc'" {
		t.Fatalf("node logs: %+v", res.Logs)
	}
	// Argument validation and visibility apply as for every function.
	fe := p.fails(KindAction, "nodeact:hash", `{"s":1}`)
	mustContain(t, fe.Message, "ArgumentValidationError")
	fe = p.fails(KindAction, "nodeact:fail", `{}`)
	mustContain(t, fe.Message, "Could not find public function")
	res = p.run(KindAction, "nodeact:fail", `{}`, true)
	if res.Err == nil || string(res.Err.Data) != `{"code":"NODE"}` {
		t.Fatalf("ConvexError from Node.js: %+v", res.Err)
	}
	// A timed-out Node.js call kills the process; the next call starts a new one.
	fe = p.fails(KindAction, "nodeact:slow", `{}`)
	mustContain(t, fe.Message, "timed out")
	if res := p.run(KindAction, "nodeact:hash", `{"s":"x"}`, false); res.Err != nil {
		t.Fatalf("after a timeout: %s", res.Err.Message)
	}
	dir := ms.node.dir
	ms.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("module directory %s left behind", dir)
	}

	// "use node" modules may only export actions.
	bad := bundleFilesFor(t, map[string]string{"badnode.ts": "\"use node\";\nimport { queryGeneric } from \"convex/server\";\nexport const q = queryGeneric({ args: {}, handler: async () => 1 });\n"}, api.PlatformNode)
	ms2, err := New(Options{}).Load(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer ms2.Close()
	if _, err := ms2.Analyze(); err == nil || !strings.Contains(err.Error(), "may only export actions") {
		t.Fatalf("query in a node module: %v", err)
	}
}
