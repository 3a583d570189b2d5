package bundler

import (
	"github.com/convex-go/convex/internal/testapp"
	"runtime/debug"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chatProject copies the chat fixture into a temp dir with the e2e
// node_modules linked in, or skips when they are not installed.
func chatProject(t *testing.T) string { return testapp.Chat(t, "..") }

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBundleChat(t *testing.T) {
	dir := chatProject(t)
	res, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Definition.Path != "convex.config.js" || !strings.Contains(res.Definition.Source, "defineApp") && len(res.Definition.Source) == 0 {
		t.Errorf("definition = %q (%d bytes)", res.Definition.Path, len(res.Definition.Source))
	}
	if res.Schema == nil || res.Schema.Path != "schema.js" || res.Schema.SourceMap == "" {
		t.Fatalf("schema = %+v", res.Schema)
	}
	paths := map[string]Module{}
	for _, m := range res.Modules {
		paths[m.Path] = m
	}
	for _, want := range []string{"actions.js", "channels.js", "crons.js", "http.js", "messages.js", "users.js"} {
		m, ok := paths[want]
		if !ok {
			t.Errorf("missing module %s; have %v", want, keys(paths))
			continue
		}
		if m.Environment != Isolate || m.SourceMap == "" {
			t.Errorf("%s: env %s, map %d bytes", want, m.Environment, len(m.SourceMap))
		}
	}
	deps := 0
	for p := range paths {
		if strings.HasPrefix(p, "_deps/") {
			deps++
		}
	}
	if deps == 0 {
		t.Errorf("expected shared chunks under _deps/, got %v", keys(paths))
	}
	if !strings.Contains(paths["messages.js"].Source, "from \"./_deps/") {
		t.Errorf("messages.js does not import a chunk:\n%s", paths["messages.js"].Source[:200])
	}
	found := false
	for _, in := range res.Inputs {
		if strings.HasSuffix(in, filepath.Join("convex", "messages.ts")) {
			found = true
		}
	}
	if !found {
		t.Errorf("inputs do not include messages.ts: %v", res.Inputs[:3])
	}
}

func keys(m map[string]Module) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestEntryPointRules(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.ts":                  "export const x = 1;\n",
		"b.js":                  "export const y = 1;\n",
		"empty.ts":              "const z = 1;\n",
		"schema.ts":             "export default 1;\n",
		"auth.config.ts":        "export default {};\n",
		"x.test.ts":             "export const t = 1;\n",
		".hidden.ts":            "export const h = 1;\n",
		"#tmp.ts":               "export const e = 1;\n",
		"notes.txt":             "hi",
		"has space.ts":          "export const s = 1;\n",
		"_generated/api.js":     "export const api = 1;\n",
		"dir/nested.tsx":        "export const n = 1;\n",
		"comp/convex.config.ts": "export default 1;\n",
		"comp/inner.ts":         "export const i = 1;\n",
	}
	for p, c := range files {
		write(t, filepath.Join(dir, p), c)
	}
	got, err := EntryPoints(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := "a.ts b.js dir/nested.tsx"
	if strings.Join(rel, " ") != want {
		t.Errorf("entry points = %v, want %s", rel, want)
	}

	write(t, filepath.Join(dir, "_deps", "x.ts"), "export const d = 1;\n")
	if _, err := EntryPoints(dir, nil); err == nil || !strings.Contains(err.Error(), `reserved for dependencies`) {
		t.Errorf("_deps file: err = %v", err)
	}
}

func TestModulePathCharacters(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ok_1", "Mixed.Case_2.ts"), "export const a = 1;\n")
	write(t, filepath.Join(dir, "café.ts"), "export const a = 1;\n") // left to the deployment
	if _, _, err := EntryPointsByEnvironment(dir, nil); err != nil {
		t.Fatalf("valid names refused: %v", err)
	}
	for _, c := range []struct{ file, name, char, fixed string }{
		{"lib/identity-signing.ts", "identity-signing", "-", "identity_signing"},
		{"my-dir/users.ts", "my-dir", "-", "my_dir"},
		{"a+b.js", "a+b", "+", "a_b"},
	} {
		sub := t.TempDir()
		write(t, filepath.Join(sub, filepath.FromSlash(c.file)), "export const a = 1;\n")
		_, _, err := EntryPointsByEnvironment(sub, nil)
		var be *Error
		if !asError(err, &be) || be.Kind != InvalidFiles ||
			!strings.HasPrefix(be.Msg, c.file+` cannot be a Convex module: "`+c.name+`" contains "`+c.char+`"`) ||
			!strings.Contains(be.Advice, `"`+c.fixed+`"`) {
			t.Errorf("%s: err = %v", c.file, err)
		}
	}
}

func TestPathAliasAdvice(t *testing.T) {
	// tsconfig "paths" are read from the tsconfig.json nearest to each file:
	// the project's does not apply once convex/ has its own.
	dir := chatProject(t)
	write(t, filepath.Join(dir, "tsconfig.json"), `{ "compilerOptions": { "paths": { "@/*": ["./src/*"], "~/*": ["./src/*"] } } }`)
	write(t, filepath.Join(dir, "src", "math.ts"), "export const double = (n: number) => n * 2;\n")
	write(t, filepath.Join(dir, "convex", "alias.ts"), "import { double } from \"@/math\";\nimport { double as d2 } from \"~/math\";\nexport const x = [double, d2];\n")
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if !asError(err, &be) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(be.Advice, "Not installed") || !strings.Contains(be.Advice, `"@/math", "~/math" can only be path aliases`) ||
		!strings.Contains(be.Advice, "nearest to the importing file") {
		t.Errorf("advice = %q", be.Advice)
	}
	// Declared in convex/tsconfig.json (extending the project's), they resolve.
	write(t, filepath.Join(dir, "convex", "tsconfig.json"), `{ "extends": "../tsconfig.json", "compilerOptions": { "strict": true } }`)
	if _, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")}); err != nil {
		t.Errorf("with convex/tsconfig.json extending the project's: %v", err)
	}
}

func TestEntryPointsSkipSymlinks(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "convex")
	write(t, filepath.Join(dir, "real.ts"), "export const a = 1;\n")
	write(t, filepath.Join(root, "shared", "util.ts"), "export const u = 1;\n")
	if err := os.Symlink(filepath.Join(root, "shared"), filepath.Join(dir, "shared")); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	os.Symlink(filepath.Join(root, "shared", "util.ts"), filepath.Join(dir, "linked.ts"))
	got, err := EntryPoints(dir, nil)
	if err != nil || len(got) != 1 || filepath.Base(got[0]) != "real.ts" {
		t.Errorf("entry points = %v, %v; want only real.ts", got, err)
	}
	// The functions directory itself may be a link.
	link := filepath.Join(root, "fnlink")
	os.Symlink(dir, link)
	if got, err := EntryPoints(link, nil); err != nil || len(got) != 1 {
		t.Errorf("through a linked functions dir: %v, %v", got, err)
	}
}

func TestHTTPSWarning(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "https.ts"), "import { httpRouter } from \"convex/server\";\nexport default httpRouter();\n")
	var warnings []string
	if _, err := EntryPoints(dir, func(s string) { warnings = append(warnings, s) }); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "Did you mean to include http.ts?") {
		t.Errorf("warnings = %v", warnings)
	}
}

func TestUseNodeDirective(t *testing.T) {
	cases := map[string]bool{
		"\"use node\";\nexport const a = 1;":       true,
		"'use node'\nexport const a = 1;":          true,
		"// comment\n/* block */\n\"use node\";\n": true,
		"\"use strict\";\n\"use node\";\n":         true,
		"#!/usr/bin/env node\n\"use node\";":       true,
		"import x from 'y';\n\"use node\";\n":      false,
		"const s = \"use node\";\n":                false,
		"\"use node\" + x;\n":                      false,
		"export const a = 1; // \"use node\"\n":    false,
		"\ufeff\"use node\";":                      true,
	}
	for src, want := range cases {
		if got := HasUseNodeDirective(src); got != want {
			t.Errorf("HasUseNodeDirective(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestEnvironmentRules(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "n.ts"), "\"use node\";\nexport const a = 1;\n")
	write(t, filepath.Join(dir, "i.ts"), "export const a = 1;\n")
	isolate, node, err := EntryPointsByEnvironment(dir, nil)
	if err != nil || len(isolate) != 1 || len(node) != 1 || !strings.HasSuffix(node[0], "n.ts") {
		t.Fatalf("isolate=%v node=%v err=%v", isolate, node, err)
	}
	write(t, filepath.Join(dir, "http.ts"), "\"use node\";\nexport default 1;\n")
	var be *Error
	if _, _, err := EntryPointsByEnvironment(dir, nil); !asError(err, &be) || be.Msg != `"use node" directive is not allowed for http.ts.` ||
		!strings.Contains(be.Advice, "Remove the directive") {
		t.Errorf("http with use node: %v", err)
	}
	os.Remove(filepath.Join(dir, "http.ts"))
	write(t, filepath.Join(dir, "actions", "x.ts"), "export const a = 1;\n")
	_, _, err = EntryPointsByEnvironment(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "actions/x.ts is in /actions subfolder") {
		t.Errorf("actions without use node: %v", err)
	} else if !asError(err, &be) || be.Kind != InvalidFiles {
		t.Errorf("kind = %v", be)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestSyntaxErrorPosition(t *testing.T) {
	dir := chatProject(t)
	write(t, filepath.Join(dir, "convex", "broken.ts"), "export const a = 1;\nexport const b = ;\n")
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if err == nil || !asError(err, &be) {
		t.Fatalf("err = %v", err)
	}
	if be.Kind != InvalidFiles || len(be.Diagnostics) == 0 {
		t.Fatalf("error = %+v", be)
	}
	d := be.Diagnostics[0]
	if d.File != "convex/broken.ts" || d.Line != 2 || d.Column != 18 {
		t.Errorf("diagnostic = %+v", d)
	}
	if !strings.Contains(err.Error(), "convex/broken.ts:2:18:") || !strings.Contains(be.Formatted, "broken.ts") {
		t.Errorf("message = %q formatted = %q", err.Error(), be.Formatted)
	}
}

func TestNodeBuiltinInIsolateAdvice(t *testing.T) {
	dir := chatProject(t)
	write(t, filepath.Join(dir, "convex", "fsuser.ts"), "import { readFileSync } from \"fs\";\nexport const a = () => readFileSync(\"x\");\n")
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if err == nil || !asError(err, &be) || !strings.Contains(be.Advice, "use node") {
		t.Fatalf("err = %v", err)
	}
	// esbuild's note names its own Go option, which a project cannot set.
	if strings.Contains(be.Formatted, "api.PlatformNode") || !strings.Contains(be.Formatted, "built into node") {
		t.Errorf("formatted diagnostics:\n%s", be.Formatted)
	}
}

func TestUnresolvedPackageAdvice(t *testing.T) {
	dir := chatProject(t)
	write(t, filepath.Join(dir, "convex", "deps.ts"), `import { nanoid } from "nanoid";
import sub from "@scope/pkg/sub";
import again from "nanoid/non-secure";
import local from "./missing";
export const all = [nanoid, sub, again, local];
`)
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if !asError(err, &be) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(be.Advice, "Not installed: nanoid, @scope/pkg.") || !strings.Contains(be.Advice, "`npm install nanoid @scope/pkg`") {
		t.Errorf("advice = %q", be.Advice)
	}
	if strings.Contains(be.Advice, "missing") {
		t.Errorf("a relative import is not a package: %q", be.Advice)
	}
	if !strings.Contains(be.Advice, "path alias") {
		t.Errorf("a scoped name may be an alias; advice = %q", be.Advice)
	}
	// Marking packages external is not something a Convex project does.
	if strings.Contains(be.Formatted, "mark the path") || !strings.Contains(be.Formatted, `Could not resolve "nanoid"`) {
		t.Errorf("formatted diagnostics:\n%s", be.Formatted)
	}
}

func TestNodeBundleAndExternals(t *testing.T) {
	dir := chatProject(t)
	// A fake installed package to keep external.
	nm := filepath.Join(dir, "node_modules")
	os.Remove(nm)
	os.Mkdir(nm, 0o755)
	real, _ := filepath.Abs("../e2e/node/node_modules")
	entries, _ := os.ReadDir(real)
	for _, e := range entries {
		os.Symlink(filepath.Join(real, e.Name()), filepath.Join(nm, e.Name()))
	}
	write(t, filepath.Join(nm, "leftpad", "package.json"), `{"name":"leftpad","version":"1.2.3","main":"index.js"}`)
	write(t, filepath.Join(nm, "leftpad", "index.js"), "module.exports = (s) => ' ' + s;\n")
	write(t, filepath.Join(dir, "package.json"), `{"dependencies":{"convex":"1.48.0","leftpad":"^1.0.0"}}`)
	write(t, filepath.Join(dir, "convex", "nodey.ts"), "\"use node\";\nimport pad from \"leftpad\";\nimport { actionGeneric } from \"convex/server\";\nexport const p = actionGeneric({ args: {}, handler: async () => pad(\"x\") });\n")
	write(t, filepath.Join(dir, "convex", "hooks.ts"), "import { AsyncLocalStorage } from \"node:async_hooks\";\nexport const s = () => new AsyncLocalStorage();\n")

	res, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex"), ExternalPackages: []string{"leftpad"}})
	if err != nil {
		t.Fatal(err)
	}
	var nodey, hooks *Module
	for i, m := range res.Modules {
		switch m.Path {
		case "nodey.js":
			nodey = &res.Modules[i]
		case "hooks.js":
			hooks = &res.Modules[i]
		}
		if strings.HasPrefix(m.Path, "_deps/node/") && m.Environment != Node {
			t.Errorf("%s has environment %s", m.Path, m.Environment)
		}
	}
	if nodey == nil || nodey.Environment != Node || !strings.Contains(nodey.Source, `"leftpad"`) {
		t.Fatalf("nodey = %+v", nodey)
	}
	if hooks == nil || !strings.Contains(hooks.Source, "globalThis.AsyncLocalStorage") {
		t.Errorf("async_hooks shim missing: %+v", hooks)
	}
	if len(res.NodeDependencies) != 1 || res.NodeDependencies[0] != (NodeDependency{"leftpad", "1.2.3"}) {
		t.Errorf("node deps = %+v", res.NodeDependencies)
	}

	// Without the allow-list the package is bundled in.
	res, err = Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NodeDependencies) != 0 {
		t.Errorf("node deps without allow-list = %+v", res.NodeDependencies)
	}
}

func TestAuthConfigAndDefinition(t *testing.T) {
	dir := chatProject(t)
	write(t, filepath.Join(dir, "convex", "auth.config.ts"), "export default { providers: [{ domain: \"https://x\", applicationID: \"convex\" }] };\n")
	res, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Modules[len(res.Modules)-1]
	if last.Path != "auth.config.js" || !strings.Contains(last.Source, "applicationID") {
		t.Errorf("last module = %s", last.Path)
	}
	write(t, filepath.Join(dir, "convex", "auth.config.js"), "export default {};\n")
	if _, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")}); err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Errorf("both auth configs: %v", err)
	}
	os.Remove(filepath.Join(dir, "convex", "auth.config.js"))

	write(t, filepath.Join(dir, "convex", "convex.config.ts"), "import { defineApp } from \"convex/server\";\nconst app = defineApp();\nexport default app;\n")
	res, err = Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Definition.Path != "convex.config.js" || res.Definition.SourceMap == "" {
		t.Errorf("definition = %s map %d", res.Definition.Path, len(res.Definition.SourceMap))
	}
}

func TestNotADirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if !asError(err, &be) || !strings.Contains(be.Msg, "Invalid component root directory (No such directory)") ||
		!strings.Contains(be.Advice, "convex.json") {
		t.Errorf("err = %v", err)
	}
	write(t, filepath.Join(dir, "backend"), "a file\n")
	_, err = Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "backend")})
	if !asError(err, &be) || !strings.Contains(be.Msg, "(Not a directory): "+filepath.Join(dir, "backend")) {
		t.Errorf("err = %v", err)
	}
}

func TestMissingConvexPackageAdvice(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "convex", "a.ts"), "import { queryGeneric } from \"convex/server\";\nexport const q = queryGeneric({ args: {}, handler: async () => 1 });\n")
	_, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	var be *Error
	if !asError(err, &be) || !strings.Contains(be.Advice, "npm install") {
		t.Errorf("err = %v", err)
	}
}

func TestComponents(t *testing.T) {
	dir := chatProject(t)
	write(t, filepath.Join(dir, "convex", "convex.config.ts"), "import { defineApp } from \"convex/server\";\nimport counter from \"./components/counter/convex.config\";\nconst app = defineApp();\napp.use(counter);\napp.use(counter, { name: \"counter2\" });\nexport default app;\n")
	write(t, filepath.Join(dir, "convex", "components", "counter", "convex.config.ts"), "import { defineComponent } from \"convex/server\";\nimport inner from \"../inner/convex.config\";\nconst c = defineComponent(\"counter\");\nc.use(inner);\nexport default c;\n")
	write(t, filepath.Join(dir, "convex", "components", "counter", "lib.ts"), "import { queryGeneric } from \"convex/server\";\nexport const get = queryGeneric({ args: {}, handler: async () => 1 });\n")
	write(t, filepath.Join(dir, "convex", "components", "counter", "schema.ts"), "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({ counters: defineTable({ n: v.number() }) });\n")
	write(t, filepath.Join(dir, "convex", "components", "inner", "convex.config.ts"), "import { defineComponent } from \"convex/server\";\nexport default defineComponent(\"inner\");\n")
	res, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.AppDependencies, ",") != "components/counter" {
		t.Errorf("app dependencies = %v", res.AppDependencies)
	}
	if !strings.Contains(res.Definition.Source, `from"./_componentDeps/Y29tcG9uZW50cy9jb3VudGVy"`) {
		t.Errorf("app definition does not import the component: ...%s", res.Definition.Source[len(res.Definition.Source)-300:])
	}
	if len(res.Components) != 2 {
		t.Fatalf("components = %+v", res.Components)
	}
	c := res.Components[0]
	if c.DefinitionPath != "components/counter" || c.Definition.Path != "convex.config.js" || strings.Join(c.Dependencies, ",") != "components/inner" || c.Published {
		t.Errorf("counter = %+v", c)
	}
	if c.Schema == nil || len(c.Functions) == 0 || c.Functions[0].Path != "lib.js" {
		t.Errorf("counter schema %v functions %v", c.Schema, c.Functions)
	}
	if res.Components[1].DefinitionPath != "components/inner" || len(res.Components[1].Dependencies) != 0 {
		t.Errorf("inner = %+v", res.Components[1])
	}
	for _, m := range res.Modules {
		if strings.HasPrefix(m.Path, "components/") {
			t.Errorf("component module %s pushed as an app module", m.Path)
		}
	}
}

func TestSyntheticComponentRoot(t *testing.T) {
	dir := chatProject(t)
	comp := filepath.Join(dir, "convex", "components", "counter")
	write(t, filepath.Join(comp, "convex.config.ts"), "import { defineComponent } from \"convex/server\";\nexport default defineComponent(\"counter\");\n")
	write(t, filepath.Join(comp, "lib.ts"), "import { queryGeneric } from \"convex/server\";\nexport const get = queryGeneric({ args: {}, handler: async () => 1 });\n")
	res, err := Bundle(Options{ProjectDir: dir, FunctionsDir: filepath.Join(dir, "convex"), SyntheticComponent: filepath.Join(comp, "convex.config.ts")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Modules) != 0 || res.Schema != nil {
		t.Errorf("app code bundled: %d modules, schema %v", len(res.Modules), res.Schema != nil)
	}
	if strings.Join(res.AppDependencies, ",") != "components/counter" || len(res.Components) != 1 || !strings.Contains(res.Definition.Source, "exampleComponentInstance") {
		t.Errorf("deps %v components %d", res.AppDependencies, len(res.Components))
	}
}

func TestRelaxGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	for _, c := range []struct{ before, during int }{{100, bundleGCPercent}, {50, bundleGCPercent}, {-1, -1}, {800, 800}} {
		debug.SetGCPercent(c.before)
		restore := relaxGC()
		if got := debug.SetGCPercent(c.during); got != c.during {
			t.Errorf("GOGC %d: %d while bundling, want %d", c.before, got, c.during)
		}
		restore()
		if got := debug.SetGCPercent(c.before); got != c.before {
			t.Errorf("GOGC %d: %d after bundling", c.before, got)
		}
	}
}
