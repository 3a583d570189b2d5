//go:build linux || darwin

package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// parityModule adds functions returning every kind of Convex value, so
// `run` is compared on each of them.
const parityModule = `import { actionGeneric, queryGeneric, mutationGeneric } from "convex/server";
import { ConvexError, v } from "convex/values";

export const obj = queryGeneric({ args: {}, handler: async () => ({ b: 1, a: "x", nested: { list: [1, "two", null, { deep: true }] } }) });
export const arr = queryGeneric({ args: {}, handler: async () => [1, 2.5, -3, "s", false, null] });
export const str = queryGeneric({ args: {}, handler: async () => "line one\nline \"two\" ünïcode" });
export const num = queryGeneric({ args: {}, handler: async () => 42 });
export const frac = queryGeneric({ args: {}, handler: async () => 0.1 + 0.2 });
export const special = queryGeneric({ args: {}, handler: async () => [NaN, Infinity, -Infinity, -0] });
export const nul = queryGeneric({ args: {}, handler: async () => null });
export const undef = queryGeneric({ args: {}, handler: async () => undefined });
export const big = queryGeneric({ args: {}, handler: async () => BigInt("9007199254740993") });
export const bytes = queryGeneric({ args: {}, handler: async () => new Uint8Array([0, 1, 2, 250, 255]).buffer });
export const empty = queryGeneric({ args: {}, handler: async () => ({}) });
export const echo = queryGeneric({ args: { name: v.string(), n: v.optional(v.number()) }, handler: async (_ctx, args) => args });
export const boom = queryGeneric({ args: {}, handler: async () => { throw new Error("boom from parity"); } });
export const convexBoom = queryGeneric({ args: {}, handler: async () => { throw new ConvexError({ code: "PARITY", n: 1 }); } });
export const nums = queryGeneric({ args: {}, handler: async () => [1e21, 1e-7, 5e-324, 1.7976931348623157e308, 123456789.123, -1.5, 1e20, 2 ** 53, 0.000001, 1.5e-10, -1e-7, 1e300] });
export const ctl = queryGeneric({ args: {}, handler: async () => "nul\u0000 us\u001f del\u007f ls\u2028 ps\u2029 <a&b> \u00e9 😀 \\ \t\r\b\f" });
export const intKeys = queryGeneric({ args: {}, handler: async () => ({ b: 1, "10": 2, "2": 3, a: 4, "01": 5, "-1": 6 }) });
export const logs = queryGeneric({ args: {}, handler: async () => { console.log("log line", { a: 1 }); console.warn("warned"); console.error("errored"); return "done"; } });
export const who = queryGeneric({ args: {}, handler: async (ctx) => await ctx.auth.getUserIdentity() });
export const oddLogs = queryGeneric({ args: {}, handler: async () => { console.log("<a&b> \u2028 ünï 😀 \"q\"", 1e21, [1, "x"], null, undefined, 10n); console.info("%s and %d", "fmt", 3); return null; } });
export const addOdd = mutationGeneric({ args: {}, handler: async (ctx) => { await ctx.db.insert("things", { value: [NaN, Infinity, -Infinity, -0, 2 ** 53, 1e-7] }); return null; } });
export const act = actionGeneric({ args: {}, handler: async () => { console.log("from the action", [1, 2]); return { ok: true, at: "<&>" }; } });
export const mut = mutationGeneric({ args: {}, handler: async () => { console.log("from the mutation"); return [null, "x"]; } });
export const actFail = actionGeneric({ args: {}, handler: async () => { console.log("before failing"); throw new Error("action failed"); } });
export default queryGeneric({ args: {}, handler: async () => "default export" });
export const addThing = mutationGeneric({ args: { value: v.any() }, handler: async (ctx, { value }) => await ctx.db.insert("things", { value }) });
`

// cliResult is what one CLI printed and how it exited.
type cliResult struct {
	stdout, stderr string
	code           int
}

// parityRun runs one CLI binary with args in dir.
func parityRun(t *testing.T, bin, dir string, env []string, args ...string) cliResult {
	t.Helper()
	return parityRunIn(t, bin, dir, env, "", args...)
}

// parityRunIn is parityRun with stdin.
func parityRunIn(t *testing.T, bin, dir string, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return res
}

// parity runs both CLIs against one deployment.
type parity struct {
	t        *testing.T
	dir      string
	env      []string
	ref, our string
	norm     []func(string) string
	stdin    string
}

// both runs args with the reference CLI and ours and returns both results.
func (p *parity) both(args ...string) (ref, our cliResult) {
	p.t.Helper()
	return parityRunIn(p.t, p.ref, p.dir, p.env, p.stdin, args...), parityRunIn(p.t, p.our, p.dir, p.env, p.stdin, args...)
}

func (p *parity) normalise(s string) string {
	for _, f := range p.norm {
		s = f(s)
	}
	return s
}

// same checks that both CLIs print the same stdout and exit with the same code.
func (p *parity) same(args ...string) (ref, our cliResult) {
	p.t.Helper()
	ref, our = p.both(args...)
	p.compare(strings.Join(args, " "), ref, our)
	return ref, our
}

func (p *parity) compare(what string, ref, our cliResult) {
	p.t.Helper()
	// PARITY_DEBUG=1 logs every comparison, to see what a case covers.
	if os.Getenv("PARITY_DEBUG") != "" {
		p.t.Logf("convex %s: exit %d/%d\nref: %q\nour: %q\nref stderr: %q\nour stderr: %q", what, ref.code, our.code, ref.stdout, our.stdout, ref.stderr, our.stderr)
	}
	if got, want := p.normalise(our.stdout), p.normalise(ref.stdout); got != want {
		p.t.Errorf("convex %s: stdout differs\n%s\n--- npm CLI (exit %d):\n%q\n--- ours (exit %d):\n%q\n--- ours stderr:\n%s",
			what, firstDiff(want, got), ref.code, clip(want), our.code, clip(got), our.stderr)
	}
	if ref.code != our.code {
		p.t.Errorf("convex %s: exit code %d, npm CLI %d\n--- npm CLI stderr:\n%s\n--- ours stderr:\n%s",
			what, our.code, ref.code, ref.stderr, our.stderr)
	}
}

// idPattern matches Convex document ids (base32, 31–37 characters).
var idPattern = regexp.MustCompile(`\b[0-9a-z]{31,37}\b`)

func normaliseIDs(s string) string { return idPattern.ReplaceAllString(s, "<id>") }

// TestStdoutParity runs the commands that print results with the npm CLI
// and with ours against the same deployment and compares what they print
// on stdout and their exit codes: scripts parse both.
func TestStdoutParity(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI and the built program")
	}
	nm := nodeModules(t)
	bin, err := buildConvex()
	if err != nil {
		t.Fatalf("building convex: %v", err)
	}
	r := startBackend(t, "e2e-parity")
	app := chatApp(t, nm)
	if err := os.WriteFile(filepath.Join(app, "convex", "parity.ts"), []byte(parityModule), 0o644); err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(app, "convex", "schema.ts")
	schema, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	schema = bytes.Replace(schema, []byte("export default defineSchema({"),
		[]byte("export default defineSchema({\n  things: defineTable({ value: v.any() }),\n  empty: defineTable({ x: v.number() }),"), 1)
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(t, r.CloudURL, r.AdminKey)
	p := &parity{t: t, dir: app, env: env, ref: filepath.Join(app, "node_modules", ".bin", "convex"), our: bin}
	runCLI(t, app, env, 3*time.Minute, "deploy", "--typecheck", "disable")

	// Seed: a channel with messages, and documents with nested values.
	out, _ := runCLI(t, app, env, time.Minute, "run", "channels:create", `{"name":"general","topic":"chat"}`)
	channel := strings.Trim(strings.TrimSpace(out), `"`)
	for i, body := range []string{"hello", "second message", "third, with \"quotes\""} {
		runCLI(t, app, env, time.Minute, "run", "messages:postAsBot",
			`{"channelId":"`+channel+`","author":"bot`+string(rune('a'+i))+`","body":`+jsonString(body)+`}`)
	}
	runCLI(t, app, env, time.Minute, "run", "parity:addThing", `{"value":{"list":[1,2,{"x":null}],"s":"ünïcode","b":true,"n":1.5}}`)
	runCLI(t, app, env, time.Minute, "run", "parity:addThing", `{"value":{"$integer":"AQAAAAAAAAA="}}`)
	runCLI(t, app, env, time.Minute, "run", "parity:addThing", `{"value":{"$bytes":"AAEC"}}`)

	t.Run("run", func(t *testing.T) {
		p := p.on(t)
		for _, fn := range []string{"parity:obj", "parity:arr", "parity:str", "parity:num", "parity:frac",
			"parity:special", "parity:nul", "parity:undef", "parity:big", "parity:bytes", "parity:empty",
			"channels:list", "users:list"} {
			p.same("run", fn)
		}
		p.same("run", "parity:echo", `{name: 'x', n: 3}`)
		p.same("run", "parity:echo", `{"name":"json"}`)
		for _, n := range []string{"12345678901234567890", "1e400", "-0", "0x10", ".5", "+1", "5.", "Infinity", "-Infinity", "NaN",
			"1e21", "1E-7", "0.1e1", "123.4560", "-.5", "+Infinity", "-NaN", "1e-400", "-0x1F"} {
			p.same("run", "parity:echo", `{name: "n", n: `+n+`}`)
		}
		for _, args := range []string{`{name: 'it\'s', /* c */ n: 1,}`, `{"name": "\u2028<&>\t"}`, `{name: "a\
b"}`, `// c
{name: "x"}`, `{name: "x", extra: 1}`, `{name: "x"} trailing`, `{name: "x",,}`, `{'name': "é"}`, `{name: "\x41\xe9\v"}`, "{name: 'a\\\r\nb'}"} {
			p.same("run", "parity:echo", args)
		}
		p.same("run", "channels:get", `{"channelId":"`+channel+`"}`)
		p.same("run", "messages:list", `{"channelId":"`+channel+`"}`)
		p.same("run", "--inline-query", `await ctx.db.query("things").collect()`)
		p.same("run", "--inline-query", `null`)
		p.same("run", "--inline-query", `"<&> \u2028"`)
		p.same("run", "--inline-query", `await ctx.db.query("nosuchtable").first()`)
		p.same("run", "--inline-query", `throw new Error("inline failure")`)
		p.same("run", "parity:act")
		p.same("run", "parity:mut")
		p.same("run", "parity:actFail")
		p.same("run", "parity:who", "--identity", `{not json`)
		p.same("run", "parity:nums")
		p.same("run", "parity:ctl")
		p.same("run", "parity:intKeys")
		p.same("run", "parity:logs")
		p.same("run", "parity:who")
		p.same("run", "parity:who", "--identity", `{"name":"Ada","email":"ada@example.com"}`)
		p.same("run", "parity")
		p.same("run", "api.parity.num")
		p.same("run", "convex/parity:num")
		p.same("run", "convex/parity.ts:num")
		p.same("run", "parity.js:num")
		p.same("run", "parity:num", "{}")
		p.same("run", "parity:num", "")
		p.same("run", "parity:num", "[1]")
		p.same("run", "parity:num", `"x"`)
		p.same("run", "parity:num", "null")
		p.same("run", "parity:echo", "{}")
		p.same("run", "parity:echo", `{name: "big", n: {"$integer": "AQAAAAAAAAA="}}`)
		// Errors: nothing on stdout, exit 1.
		p.same("run", "parity:boom")
		p.same("run", "parity:convexBoom")
		// A name not found lists the functions there are, as the npm CLI does.
		if _, our := p.same("run", "parity:nope"); !strings.Contains(our.stderr, "Available functions:\n• actions:summarize\n") ||
			!strings.Contains(our.stderr, "\n• parity:num\n") || strings.Contains(our.stderr, "http:") {
			t.Errorf("run of a missing function does not list the functions:\n%s", our.stderr)
		}
		p.same("run", "parity:echo", `{"name": 1}`)
		p.same("run", "parity:echo", `{not json`)
		ref, our := p.tail(4*time.Second, "run", "--watch", "parity:obj")
		p.compare("run --watch parity:obj", ref, our)
		ref, our = p.tail(4*time.Second, "run", "--watch", "channels:list")
		p.compare("run --watch channels:list", ref, our)
		ref, our = p.tailDuring(8*time.Second, func() {
			runCLI(t, app, env, time.Minute, "run", "channels:create", `{"name":"watched"}`)
		}, "run", "--watch", "channels:list")
		if strings.Count(ref.stdout, `"general"`) < 2 {
			t.Errorf("run --watch did not print an update:\n%s", ref.stdout)
		}
		p.compare("run --watch channels:list (with an update)", ref, our)
		p.same("run", "--push", "--typecheck", "disable", "parity:num")
		// A mutation returns a new id each time.
		pn := p.with(normaliseIDs)
		pn.same("run", "parity:addThing", `{"value":[1,2,3]}`)
	})

	t.Run("env", func(t *testing.T) {
		p := p.on(t)
		p.same("env", "list")
		ref, our := p.both("env", "set", "PARITY_A", "first value")
		p.compare("env set PARITY_A", ref, our)
		p.same("env", "set", "PARITY_B", "multi\nline")
		p.same("env", "set", "PARITY_EMPTY", "")
		p.same("env", "list")
		p.same("env", "get", "PARITY_A")
		p.same("env", "get", "PARITY_B")
		p.same("env", "get", "PARITY_MISSING")
		p.same("env", "remove", "PARITY_B")
		p.same("env", "remove", "PARITY_MISSING")
		p.same("env", "list")
		for name, value := range map[string]string{
			"Q_SINGLE": "it's", "Q_DOUBLE": `say "hi"`, "Q_HASH": "a#b", "Q_BOTH": `it's "x" #1`,
			"Q_NL_SQ": "it's\nnext", "Q_NL_ALL": "it's\n\\n #", "Q_WRAPPED": `"wrapped"`, "Q_TICK": "`tick",
			"Q_SPACES": "  padded  ", "Q_DOLLAR": "$HOME and ${X}", "Q_EQ": "a=b=c", "Q_UNICODE": "ünï 😀",
		} {
			p.same("env", "set", name, value)
		}
		p.same("env", "list")
		p.same("env", "list", "--names-only")
		p.same("env", "list", "--include-values")
		// A coding agent gets names only unless it asks for values.
		for _, agent := range []string{"AI_AGENT=parity-check", "AI_AGENT= ", "CURSOR_TRACE_ID=1", "CODEX_THREAD_ID=1",
			"CLAUDE_CODE=1", "REPL_ID=1", "COPILOT_MODEL=m", "OPENCODE_CLIENT=1", "CURSOR_EXTENSION_HOST_ROLE=agent-exec"} {
			pa := p.withEnv(agent)
			pa.same("env", "list")
			pa.same("env", "list", "--include-values")
		}
		p.same("env", "set", "Q_FORM=name=value")
		p.same("env", "get", "Q_FORM")
		p.same("env", "get", "Q_HASH")
		p.same("env", "get", "Q_NL_ALL")
		file := filepath.Join(t.TempDir(), "vars.env")
		if err := os.WriteFile(file, []byte("F_ONE=1\nF_TWO='two words'\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p.same("env", "set", "--from-file", file)
		p.same("env", "set", "--from-file", file)
		p.same("env", "get", "F_TWO")
		p.same("env", "set", "--from-file", filepath.Join(t.TempDir(), "missing.env"))
		p.withStdin("from stdin\n").same("env", "set", "S_IN")
		p.same("env", "get", "S_IN")
		p.withStdin("").same("env", "set", "S_EMPTY")
		p.withStdin("S_A=1\nS_B=2\n").same("env", "set")
		p.same("env", "set", "S_A")
		p.same("env", "set", "S_CR", "cr\rhere")
		p.same("env", "get", "S_CR")
		p.same("env", "list")
	})

	t.Run("data", func(t *testing.T) {
		p := p.on(t)
		p.same("data")
		for _, table := range []string{"messages", "channels", "things", "users"} {
			p.same("data", table)
			p.same("data", table, "--format", "jsonArray")
			p.same("data", table, "--format", "jsonLines")
			p.same("data", table, "--format", "json")
			p.same("data", table, "--format", "jsonl")
			p.same("data", table, "--format", "pretty")
		}
		p.same("data", "messages", "--limit", "2")
		p.same("data", "messages", "--order", "asc")
		p.same("data", "messages", "--order", "asc", "--limit", "1", "--format", "jsonl")
		p.same("data", "nosuchtable")
		for _, format := range []string{"pretty", "jsonl", "json"} {
			p.same("data", "empty", "--format", format)
			p.same("data", "--format", format)
		}
		p.same("data", "things", "--limit", "1000")
		p.same("data", "_scheduled_functions")
		p.same("data", "_storage")
		runCLI(t, app, env, time.Minute, "run", "channels:create", `{"name":"sparse"}`)
		runCLI(t, app, env, time.Minute, "run", "parity:addOdd")
		p.same("data", "channels")
		p.same("data", "channels", "--format", "jsonl")
		p.same("data", "things", "--limit", "1")
		p.same("data", "things", "--limit", "1", "--format", "json")
		long := strings.Repeat("long words here ", 20)
		runCLI(t, app, env, time.Minute, "run", "parity:addThing", `{"value":{"text":"`+long+`","n":1e21,"small":1e-7,"ctl":"a\u0000b\u2028c<&>"}}`)
		runCLI(t, app, env, time.Minute, "run", "parity:addThing", `{"value":"`+long+`"}`)
		for _, format := range []string{"pretty", "jsonl", "json"} {
			p.same("data", "things", "--limit", "2", "--format", format)
		}
		// JavaScript puts integer-like keys first, in numeric order.
		if r := parityRun(t, p.ref, app, env, "run", "parity:addThing", `{"value":{"b":1,"10":2,"2":3,"a":4,"01":5,"-1":6}}`); r.code != 0 {
			t.Fatalf("inserting integer-like keys: %s", r.stderr)
		}
		for _, format := range []string{"pretty", "jsonl"} {
			p.same("data", "things", "--limit", "1", "--format", format)
		}
		p.same("run", "--inline-query", `(await ctx.db.query("things").order("desc").first()).value`)
	})

	t.Run("function-spec", func(t *testing.T) {
		p := p.on(t)
		p.same("function-spec")
		pf := p.with(func(s string) string {
			return regexp.MustCompile(`function_spec_\d+\.json`).ReplaceAllString(s, "function_spec_<ms>.json")
		})
		pf.same("function-spec", "--file")
	})

	t.Run("export-import", func(t *testing.T) {
		p := p.on(t)
		// Each CLI writes its own file; the paths are made the same before comparing.
		refDir, ourDir := t.TempDir(), t.TempDir()
		pe := p.with(func(s string) string { return strings.ReplaceAll(s, ourDir, refDir) })
		for _, path := range []string{"snap.zip", "missing/dir/snap.zip", "."} {
			ref := parityRun(t, p.ref, p.dir, p.env, "export", "--path", filepath.Join(refDir, path))
			our := parityRun(t, p.our, p.dir, p.env, "export", "--path", filepath.Join(ourDir, path))
			pe.compare("export --path "+path, ref, our)
		}
		lines := filepath.Join(t.TempDir(), "rows.jsonl")
		if err := os.WriteFile(lines, []byte("{\"a\":1}\n{\"a\":2}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p.same("import", "--table", "imported_a", "--append", "-y", lines)
		p.same("import", "--table", "imported_a", "--replace", "-y", lines)
		p.same("import", "--table", "imported_a", "-y", lines)
		p.same("import", "-y", filepath.Join(t.TempDir(), "nope.jsonl"))
	})

	t.Run("logs", func(t *testing.T) {
		p := p.on(t)
		// Entries with log lines, an error and plain completions.
		runCLI(t, app, env, time.Minute, "run", "parity:logs")
		parityRun(t, p.ref, app, env, "run", "parity:boom")
		runCLI(t, app, env, time.Minute, "run", "parity:num")
		runCLI(t, app, env, time.Minute, "run", "parity:oddLogs")
		for _, args := range [][]string{{"logs"}, {"logs", "--success"}, {"logs", "--jsonl"}} {
			ref, our := p.tailDuring(8*time.Second, func() {
				runCLI(t, app, env, time.Minute, "run", "parity:oddLogs")
				parityRun(t, p.ref, app, env, "run", "parity:actFail")
				runCLI(t, app, env, time.Minute, "run", "parity:act")
			}, args...)
			if !strings.Contains(ref.stdout, "from the action") {
				t.Errorf("convex %s did not print the new entries:\n%s", strings.Join(args, " "), ref.stdout)
			}
			p.compare(strings.Join(args, " ")+" (live)", ref, our)
		}
		for _, args := range [][]string{
			{"logs", "--history", "30"},
			{"logs", "--history", "30", "--success"},
			{"logs", "--history", "3"},
			{"logs", "--history", "30", "--jsonl"},
		} {
			ref, our := p.tail(4*time.Second, args...)
			if ref.stdout == "" {
				t.Errorf("convex %s printed nothing; the comparison would prove nothing", strings.Join(args, " "))
			}
			p.compare(strings.Join(args, " "), ref, our)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		p.on(t).same("dashboard", "--no-open")
	})

	t.Run("empty-deployment", func(t *testing.T) {
		fresh := startBackend(t, "e2e-parity-empty")
		pf := p.on(t).withEnv("CONVEX_SELF_HOSTED_URL="+fresh.CloudURL, "CONVEX_SELF_HOSTED_ADMIN_KEY="+fresh.AdminKey)
		pf.same("data")
		pf.same("data", "messages")
		pf.same("env", "list")
		pf.same("function-spec")
		if _, our := pf.same("run", "parity:num"); !strings.Contains(our.stderr, "No functions found.") {
			t.Errorf("run on an empty deployment does not say there are no functions:\n%s", our.stderr)
		}
		pf.same("run", "--inline-query", "1 + 1")
		ref, our := pf.tail(3*time.Second, "logs", "--history", "5")
		pf.compare("logs --history 5", ref, our)
	})

	t.Run("refused", func(t *testing.T) {
		// The npm CLI's sync client logs its retries, with a random delay,
		// on stdout ("Attempting reconnect in 909ms", "WebSocket reconnected
		// at t=1s after disconnect due to AuthError") before it gives up:
		// noise with random delays, not a result; ours prints none.
		reconnect := regexp.MustCompile(`(?m)^(Attempting reconnect in \d+ms|WebSocket reconnected at t=[\d.]+s after disconnect due to \w+)\n`)
		pb := p.on(t).withEnv("CONVEX_SELF_HOSTED_ADMIN_KEY=self-hosted|bm90LWEta2V5").
			with(func(s string) string { return reconnect.ReplaceAllString(s, "") })
		for _, args := range [][]string{{"run", "parity:num"}, {"run", "--inline-query", "1"}, {"env", "list"},
			{"env", "get", "PARITY_A"}, {"data"}, {"data", "things"}, {"function-spec"}} {
			pb.same(args...)
		}
		pc := p.on(t)
		pc.same("run", "--component", "nosuch", "parity:num")
		pc.same("data", "--component", "nosuch")
		pc.same("data", "things", "--component", "nosuch")
	})

	// Usage errors exit 2 here and 1 in the npm CLI, on purpose
	// (docs/differences.md); stdout stays empty in both.
	t.Run("usage-errors", func(t *testing.T) {
		for _, args := range [][]string{{"data", "--limit", "0"}, {"data", "--order", "up"}, {"data", "--format", "csv"},
			{"run"}, {"run", "parity:num", "{}", "extra"}, {"env", "list", "--names-only", "--include-values"}, {"logs", "--nope"}} {
			ref, our := p.both(args...)
			if ref.stdout != "" || our.stdout != "" || ref.code != 1 || our.code != 2 {
				t.Errorf("convex %s: npm CLI exit %d stdout %q; ours exit %d stdout %q; want 1 and 2, nothing on stdout\n%s",
					strings.Join(args, " "), ref.code, ref.stdout, our.code, our.stdout, our.stderr)
			}
		}
	})

	t.Run("cloud-only", func(t *testing.T) {
		p := p.on(t)
		p.same("deployment", "token", "create", "parity")
		p.same("insights")
	})

	// The files in convex/_generated export the same names and types but
	// are written in this project's own words, so `codegen --dry-run
	// --debug` (which prints them) cannot match byte for byte, and each CLI
	// reports the other's files as out of date. What scripts can rely on:
	// over a CLI's own files, --dry-run prints nothing and exits 0.
	t.Run("codegen-dry-run", func(t *testing.T) {
		// run --push above wrote our files; the npm CLI writes its own first.
		runCLI(t, app, env, 2*time.Minute, "codegen", "--typecheck", "disable")
		ref := parityRun(t, p.ref, app, env, "codegen", "--dry-run", "--typecheck", "disable")
		if r := parityRun(t, bin, app, env, "codegen", "--typecheck", "disable"); r.code != 0 {
			t.Fatalf("codegen exited %d:\n%s", r.code, r.stderr)
		}
		our := parityRun(t, bin, app, env, "codegen", "--dry-run", "--typecheck", "disable")
		if ref.stdout != "" {
			t.Errorf("the npm CLI's codegen --dry-run over its own files printed %q", ref.stdout)
		}
		p.on(t).compare("codegen --dry-run (over its own files)", ref, our)
	})
}

// on returns a copy of p reporting to t.
func (p *parity) on(t *testing.T) *parity {
	c := *p
	c.t = t
	return &c
}

// firstDiff names the first line where got differs from want.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("first difference on line %d:\n  npm CLI: %q\n  ours:    %q", i+1, wl, gl)
		}
	}
	return ""
}

// clip shortens long output in failure messages.
func clip(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}

// tail runs a command that does not end by itself (logs) with both CLIs at
// once, stops both after d and returns what they printed; exit codes are
// those of the interrupt and not compared.
func (p *parity) tail(d time.Duration, args ...string) (ref, our cliResult) {
	p.t.Helper()
	return p.tailDuring(d, nil, args...)
}

// tailDuring is tail that calls during (when not nil) half way, so both
// CLIs see the same new events.
func (p *parity) tailDuring(d time.Duration, during func(), args ...string) (ref, our cliResult) {
	p.t.Helper()
	start := func(bin string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = p.dir, p.env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			p.t.Fatal(err)
		}
		return cmd, &out, &errb
	}
	rc, rout, rerr := start(p.ref)
	oc, oout, oerr := start(p.our)
	if during != nil {
		time.Sleep(d / 2)
		during()
		time.Sleep(d / 2)
	} else {
		time.Sleep(d)
	}
	for _, c := range []*exec.Cmd{rc, oc} {
		_ = c.Process.Signal(os.Interrupt)
	}
	for _, c := range []*exec.Cmd{rc, oc} {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	return cliResult{stdout: rout.String(), stderr: rerr.String()}, cliResult{stdout: oout.String(), stderr: oerr.String()}
}

// withStdin returns a copy of p whose CLIs read in on stdin.
func (p *parity) withStdin(in string) *parity {
	c := *p
	c.stdin = in
	return &c
}

// withEnv returns a copy of p whose CLIs also get the variables kv.
func (p *parity) withEnv(kv ...string) *parity {
	c := *p
	c.env = append(append([]string{}, p.env...), kv...)
	return &c
}

// with returns a copy of p that also applies f before comparing.
func (p *parity) with(f func(string) string) *parity {
	c := *p
	c.norm = append(append([]func(string) string{}, p.norm...), f)
	return &c
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
