package codegen

import (
	"github.com/convex-go/convex/internal/testapp"
	"github.com/convex-go/convex/ui"

	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func chatProject(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	return testapp.Chat(t, "..", "typescript/bin/tsc")
}

func tsc(t *testing.T, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", filepath.Join(dir, "convex"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// usesGenerated exercises every generated export so tsc checks their types.
const usesGenerated = `import { v } from "convex/values";
import { query, internalMutation, action, httpAction, env, type QueryCtx } from "./_generated/server";
import { api, internal, components } from "./_generated/api";
import type { Doc, Id, TableNames, DataModel } from "./_generated/dataModel";

export const byName = query({
  args: { name: v.string() },
  handler: async (ctx: QueryCtx, { name }): Promise<Doc<"users"> | null> => {
    return await ctx.db.query("users").withIndex("by_name", (q) => q.eq("name", name)).unique();
  },
});

export const rename = internalMutation({
  args: { id: v.id("users"), name: v.string() },
  handler: async (ctx, { id, name }) => {
    const typed: Id<"users"> = id;
    await ctx.db.patch(typed, { name });
  },
});

export const lookup = action({
  args: { name: v.string() },
  handler: async (ctx, { name }): Promise<string | null> => {
    const user: Doc<"users"> | null = await ctx.runQuery(api.gen_user.byName, { name });
    await ctx.runMutation(internal.gen_user.rename, { id: user!._id, name: name + "!" });
    return user === null ? null : user.name;
  },
});

export const ping = httpAction(async () => new Response(env.CONVEX_SITE_URL ?? ""));

const t: TableNames = "messages";
type _dm = DataModel;
const _c = components;
export const unused = [t, _c];
`

func TestGeneratedFilesTypeCheck(t *testing.T) {
	dir := chatProject(t)
	fn := filepath.Join(dir, "convex")
	if err := os.WriteFile(filepath.Join(fn, "gen_user.ts"), []byte(usesGenerated), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{FunctionsDir: fn, CommonJS: true}
	if err := Initial(o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"api.js", "api.d.ts", "server.js", "server.d.ts", "dataModel.d.ts", "api_cjs.cjs", "api_cjs.d.cts"} {
		if _, err := os.Stat(filepath.Join(fn, "_generated", f)); err != nil {
			t.Errorf("initial codegen did not write %s", f)
		}
	}
	// The stub api is untyped, so the strict file still compiles
	// (api.gen_user is any).
	if out, err := tsc(t, dir); err != nil {
		t.Fatalf("tsc after initial codegen: %v\n%s", err, out)
	}
	if err := Final(o, &ComponentAnalysis{}); err != nil {
		t.Fatal(err)
	}
	apiDTS, _ := os.ReadFile(filepath.Join(fn, "_generated", "api.d.ts"))
	for _, want := range []string{`import type * as gen_user from "../gen_user.js";`, `messages: typeof messages;`, "export declare const components: {};"} {
		if !strings.Contains(string(apiDTS), want) {
			t.Errorf("api.d.ts lacks %q:\n%s", want, apiDTS)
		}
	}
	if out, err := tsc(t, dir); err != nil {
		t.Fatalf("tsc after final codegen: %v\n%s", err, out)
	}

	// A type error through the generated api must be caught: the api is
	// really typed.
	bad := strings.Replace(usesGenerated, "api.gen_user.byName, { name }", "api.gen_user.byName, { name: 1 }", 1)
	os.WriteFile(filepath.Join(fn, "gen_user.ts"), []byte(bad), 0o644)
	if out, err := tsc(t, dir); err == nil {
		t.Fatalf("tsc accepted a wrong argument type through the generated api:\n%s", out)
	}
}

func TestTypeScriptFileType(t *testing.T) {
	dir := chatProject(t)
	fn := filepath.Join(dir, "convex")
	os.WriteFile(filepath.Join(fn, "gen_user.ts"), []byte(usesGenerated), 0o644)
	o := Options{FunctionsDir: fn, TypeScript: true}
	if err := Initial(o); err != nil {
		t.Fatal(err)
	}
	analysis := &ComponentAnalysis{}
	json.Unmarshal([]byte(`{"definition":{"path":"","definitionType":{"type":"app"},"childComponents":[],"envVars":[["CHAT_BOT_NAME",{"type":"value","value":"{\"type\":\"string\"}","optional":true}]]}}`), analysis)
	if err := Final(o, analysis); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(fn, "_generated"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "api.ts dataModel.ts server.ts" {
		t.Errorf("_generated = %v", names)
	}
	server, _ := os.ReadFile(filepath.Join(fn, "_generated", "server.ts"))
	if !strings.Contains(string(server), "readonly CHAT_BOT_NAME: string | undefined;") {
		t.Errorf("server.ts lacks the declared env var:\n%s", server)
	}
	if out, err := tsc(t, dir); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
}

func TestNoSchemaAndCleanup(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "convex")
	os.MkdirAll(filepath.Join(fn, "_generated", "ai"), 0o755)
	os.WriteFile(filepath.Join(fn, "_generated", "stale.js"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(fn, "_generated.ts"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(fn, "my-module.ts"), []byte("export const a = 1;\n"), 0o644)
	os.WriteFile(filepath.Join(fn, "default.ts"), []byte("export const a = 1;\n"), 0o644)
	var stderr bytes.Buffer
	o := Options{FunctionsDir: fn, Stderr: &stderr}
	if err := Final(o, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fn, "_generated", "stale.js")); err == nil {
		t.Error("stale file kept")
	}
	if _, err := os.Stat(filepath.Join(fn, "_generated", "ai")); err != nil {
		t.Error("ai directory deleted")
	}
	if _, err := os.Stat(filepath.Join(fn, "_generated.ts")); err == nil || !strings.Contains(stderr.String(), "Deleting legacy codegen file") {
		t.Errorf("legacy file not deleted; stderr %q", stderr.String())
	}
	dm, _ := os.ReadFile(filepath.Join(fn, "_generated", "dataModel.d.ts"))
	if !strings.Contains(string(dm), "export type Doc = any;") || !strings.Contains(string(dm), "export type DataModel = AnyDataModel;") {
		t.Errorf("dataModel without schema:\n%s", dm)
	}
	api, _ := os.ReadFile(filepath.Join(fn, "_generated", "api.d.ts"))
	for _, want := range []string{`import type * as default_ from "../default.js";`, `import type * as my_module from "../my-module.js";`, `"my-module": typeof my_module;`, `default: typeof default_;`} {
		if !strings.Contains(string(api), want) {
			t.Errorf("api.d.ts lacks %q", want)
		}
	}

	// Unchanged content is not rewritten.
	p := filepath.Join(fn, "_generated", "api.d.ts")
	st1, _ := os.Stat(p)
	os.Chtimes(p, st1.ModTime().Add(-3600e9), st1.ModTime().Add(-3600e9))
	st1, _ = os.Stat(p)
	if err := Final(o, nil); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p)
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Error("unchanged api.d.ts was rewritten")
	}

	// Dry run reports instead of writing.
	os.WriteFile(filepath.Join(fn, "other.ts"), []byte("export const b = 1;\n"), 0o644)
	var out bytes.Buffer
	if err := Final(Options{FunctionsDir: fn, DryRun: true, Stdout: &out}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Command would write file: "+p) {
		t.Errorf("dry run output %q", out.String())
	}
	if b, _ := os.ReadFile(p); strings.Contains(string(b), "../other.js") {
		t.Error("dry run wrote api.d.ts")
	}
}

func TestInitFolder(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "convex")
	if err := InitFolder(Options{FunctionsDir: fn}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", "tsconfig.json"} {
		if _, err := os.Stat(filepath.Join(fn, f)); err != nil {
			t.Errorf("%s missing", f)
		}
	}
	// An existing directory gets no README; a custom tsconfig is kept.
	fn2 := filepath.Join(dir, "convex2")
	os.MkdirAll(fn2, 0o755)
	os.WriteFile(filepath.Join(fn2, "tsconfig.json"), []byte("{}"), 0o644)
	if err := InitFolder(Options{FunctionsDir: fn2}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fn2, "README.md")); err == nil {
		t.Error("README written into an existing directory")
	}
	if b, _ := os.ReadFile(filepath.Join(fn2, "tsconfig.json")); string(b) != "{}" {
		t.Error("tsconfig overwritten")
	}
	// A functions path naming a file is refused with what to do about it.
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("hi"), 0o644)
	err := InitFolder(Options{FunctionsDir: file})
	if err == nil || !strings.Contains(err.Error(), file+" is a file, not a directory") ||
		!strings.Contains(ui.HintOf(err), "convex.json") {
		t.Errorf("InitFolder(file) = %v (hint %q)", err, ui.HintOf(err))
	}
}

func TestModuleIdentifier(t *testing.T) {
	cases := map[string]string{
		"messages.ts": "messages", "dir/sub-file.ts": "dir_sub_file", "api.ts": "api_",
		"components.js": "components_", "delete.ts": "delete_", "fullApi.ts": "fullApi_",
	}
	for in, want := range cases {
		if got := moduleIdentifier(in); got != want {
			t.Errorf("moduleIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidatorTypes(t *testing.T) {
	cases := map[string]string{
		`{"type":"string"}`: "string",
		`{"type":"bytes"}`:  "ArrayBuffer",
		`{"type":"union","value":[{"type":"literal","value":"a"},{"type":"null"}]}`: `"a" | null`,
		`{"type":"array","value":{"type":"number"}}`:                                "Array<number>",
		`{"type":"object","value":{"b":{"fieldType":{"type":"boolean"},"optional":true},"a":{"fieldType":{"type":"id","tableName":"t"},"optional":false}}}`: `{ b?: boolean, a: string }`,
		`{"type":"object","value":{}}`:                                                                      "{}",
		`{"type":"literal","value":{"$integer":"AQAAAAAAAAA="}}`:                                            "1n",
		`{"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"any"},"optional":false}}`: "Record<string, any>",
	}
	for in, want := range cases {
		var v Validator
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		if got := v.TSType(); got != want {
			t.Errorf("%s -> %q, want %q", in, got, want)
		}
	}
}

func TestComponentCodegenTypeChecks(t *testing.T) {
	dir := chatProject(t)
	fn := filepath.Join(dir, "convex")
	comp := filepath.Join(fn, "components", "counter")
	os.MkdirAll(comp, 0o755)
	os.WriteFile(filepath.Join(comp, "convex.config.ts"), []byte("import { defineComponent } from \"convex/server\";\nexport default defineComponent(\"counter\");\n"), 0o644)
	os.WriteFile(filepath.Join(comp, "lib.ts"), []byte(`import { v } from "convex/values";
import { query } from "./_generated/server";
export const get = query({ args: { name: v.string() }, returns: v.number(), handler: async () => 1 });
`), 0o644)
	os.WriteFile(filepath.Join(fn, "uses_component.ts"), []byte(`import { v } from "convex/values";
import { action } from "./_generated/server";
import { components } from "./_generated/api";
export const count = action({
  args: {},
  handler: async (ctx): Promise<number> => {
    const n: number = await ctx.runQuery(components.counter.lib.get, { name: "x" });
    return n;
  },
});
export const unused = v;
`), 0o644)
	if err := InitialComponent(Options{FunctionsDir: comp}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"api.ts", "server.ts", "dataModel.ts"} {
		if !exists(filepath.Join(comp, "_generated", f)) {
			t.Errorf("initial component codegen lacks %s", f)
		}
	}
	var compAnalysis ComponentAnalysis
	json.Unmarshal([]byte(`{"definition":{"path":"components/counter","definitionType":{"type":"childComponent"},"childComponents":[],
	  "exports":{"type":"branch","branch":[["lib",{"type":"branch","branch":[["get",{"type":"leaf","leaf":"_reference/function/lib:get"}]]}]]}},
	  "functions":{"lib.js":{"functions":[{"name":"get","udfType":"Query","visibility":{"kind":"public"},"args":"{\"type\":\"object\",\"value\":{\"name\":{\"fieldType\":{\"type\":\"string\"},\"optional\":false}}}","returns":"{\"type\":\"number\"}"}]}}}`), &compAnalysis)
	if err := FinalComponent(Options{FunctionsDir: comp}, &compAnalysis); err != nil {
		t.Fatal(err)
	}
	ct, _ := os.ReadFile(filepath.Join(comp, "_generated", "component.ts"))
	if !strings.Contains(string(ct), `get: FunctionReference<"query", "internal", { name: string }, number, Name>;`) {
		t.Errorf("component.ts:\n%s", ct)
	}
	var root ComponentAnalysis
	json.Unmarshal([]byte(`{"definition":{"path":"","definitionType":{"type":"app"},"childComponents":[{"name":"counter","path":"components/counter"}]}}`), &root)
	if err := Final(Options{FunctionsDir: fn}, &root); err != nil {
		t.Fatal(err)
	}
	api, _ := os.ReadFile(filepath.Join(fn, "_generated", "api.d.ts"))
	if !strings.Contains(string(api), `counter: import("../components/counter/_generated/component.js").ComponentApi<"counter">;`) {
		t.Errorf("api.d.ts:\n%s", api)
	}
	if out, err := tsc(t, dir); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
	bad := strings.Replace(string(mustRead(t, filepath.Join(fn, "uses_component.ts"))), `{ name: "x" }`, `{ name: 1 }`, 1)
	os.WriteFile(filepath.Join(fn, "uses_component.ts"), []byte(bad), 0o644)
	if out, err := tsc(t, dir); err == nil {
		t.Fatalf("tsc accepted a wrong argument to a component function:\n%s", out)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// usesStaticAPI reads the typed references of staticAnalysis.
const usesStaticAPI = `import { api, internal } from "./_generated/api";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";

const list: FunctionReference<"query", "public", {}, Array<string>> = api.admin.users.list;
const args: FunctionArgs<typeof api.items.add> = { name: "bolt", qty: 1 };
const secret: FunctionReturnType<typeof internal.items.secret> = "x";
const dashed = api["my-mod"].f;
export const all = [list, args, secret, dashed];
`

const staticAnalysis = `{"definition":{"path":"","definitionType":{"type":"app"},"childComponents":[]},
 "functions":{
  "admin/users.js":{"functions":[{"name":"list","udfType":"Query","visibility":{"kind":"public"},"args":"{\"type\":\"object\",\"value\":{}}","returns":"{\"type\":\"array\",\"value\":{\"type\":\"string\"}}"}]},
  "items.js":{"functions":[
   {"name":"add","udfType":"Mutation","visibility":{"kind":"public"},"args":"{\"type\":\"object\",\"value\":{\"name\":{\"fieldType\":{\"type\":\"string\"},\"optional\":false},\"qty\":{\"fieldType\":{\"type\":\"number\"},\"optional\":false}}}","returns":"{\"type\":\"id\",\"tableName\":\"items\"}"},
   {"name":"secret","udfType":"Query","visibility":{"kind":"internal"},"args":"{\"type\":\"object\",\"value\":{}}","returns":"{\"type\":\"string\"}"}]},
  "my-mod.js":{"functions":[{"name":"f","udfType":"Action","visibility":{"kind":"public"},"args":"{\"type\":\"any\"}","returns":"null"}]},
  "_deps/ABC.js":{"functions":[]}
 }}`

// TestStaticAPI checks codegen.staticApi for both file types: the api is
// nested by module path, keys are quoted only where TypeScript needs it,
// and tsc accepts right and refuses wrong uses of the references.
func TestStaticAPI(t *testing.T) {
	for _, ts := range []bool{false, true} {
		dir := chatProject(t)
		fn := filepath.Join(dir, "convex")
		mods, _ := filepath.Glob(filepath.Join(fn, "*.ts"))
		for _, m := range mods {
			if filepath.Base(m) != "schema.ts" {
				os.Remove(m)
			}
		}
		os.WriteFile(filepath.Join(fn, "uses.ts"), []byte(usesStaticAPI), 0o644)
		var a ComponentAnalysis
		if err := json.Unmarshal([]byte(staticAnalysis), &a); err != nil {
			t.Fatal(err)
		}
		o := Options{FunctionsDir: fn, TypeScript: ts, StaticAPI: true}
		if err := Final(o, &a); err != nil {
			t.Fatal(err)
		}
		name := "api.d.ts"
		if ts {
			name = "api.ts"
		}
		api, _ := os.ReadFile(filepath.Join(fn, "_generated", name))
		for _, want := range []string{
			"  admin: {\n    users: {\n      list: FunctionReference<\"query\", \"public\", {}, Array<string>>;",
			`"my-mod": {`,
			`secret: FunctionReference<"query", "internal", {}, string>;`,
		} {
			if !strings.Contains(string(api), want) {
				t.Errorf("%s lacks %q:\n%s", name, want, api)
			}
		}
		if strings.Contains(string(api), "_deps") || strings.Contains(string(api), "ApiFromModules") {
			t.Errorf("%s is not the static api:\n%s", name, api)
		}
		if out, err := tsc(t, dir); err != nil {
			t.Fatalf("tsc (%s): %v\n%s", name, err, out)
		}
		bad := strings.Replace(usesStaticAPI, `name: "bolt"`, `name: 1`, 1)
		os.WriteFile(filepath.Join(fn, "uses.ts"), []byte(bad), 0o644)
		if out, err := tsc(t, dir); err == nil {
			t.Errorf("tsc (%s) accepted a wrong argument type:\n%s", name, out)
		}
	}
}
