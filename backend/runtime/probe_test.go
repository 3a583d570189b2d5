package runtime

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/store"
)

const probeSource = `
import { queryGeneric, mutationGeneric, actionGeneric, internalMutationGeneric, internalQueryGeneric, makeFunctionReference } from "convex/server";
import { v, ConvexError } from "convex/values";

export const logs = queryGeneric({ args: {}, handler: async () => {
  console.log("hello", 42, { a: "it's", b: [1, 2], c: null, d: undefined, "e-f": true }, [1, "two"]);
  console.info("info");
  console.warn("warn");
  console.error(new Error("bad"));
  console.debug(1n, Symbol("s"), () => 1, function named() {});
  console.log(new Map([["k", 1]]), new Set([1]), [], {});
  return null;
}});

export const spin = queryGeneric({ args: {}, handler: async () => { for (;;) {} } });

export const det = queryGeneric({ args: {}, handler: async () => ({ r: Math.random(), now: Date.now(), d: new Date().getTime() }) });

export const throws = queryGeneric({ args: {}, handler: async () => { throw new Error("boom"); } });

export const throwsString = queryGeneric({ args: {}, handler: async () => { throw "plain"; } });

export const web = queryGeneric({ args: {}, handler: async () => {
  const enc = new TextEncoder().encode("héllo €😀");
  const dec = new TextDecoder().decode(enc);
  const u = new URL("https://user@Example.com:8443/a/b/../c?x=1&y=two#frag");
  u.searchParams.append("z", "a b");
  const rel = new URL("../up?q", "http://h.test/a/b/c").href;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("The quick brown fox jumps over the lazy dog"));
  const sigHex = [...new Uint8Array(sig)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const clone = structuredClone({ a: [1, { b: 2 }], d: new Date(0), m: new Map([[1, 2]]) });
  const form = new URLSearchParams({ a: "1 2", b: "x&y" }).toString();
  const blob = new Blob(["ab", new Uint8Array([99])], { type: "text/plain" });
  const resp = new Response(JSON.stringify({ k: 1 }), { status: 201, headers: { "X-A": "1" } });
  return {
    len: enc.length, dec, href: u.href, host: u.host, path: u.pathname, q: u.searchParams.get("y"), rel,
    hex, sigHex, b64: btoa("hi!"), unb64: atob("aGkh"), uuid: crypto.randomUUID().length,
    env: process.env.MY_VAR ?? null, missing: process.env.NOPE === undefined, site: process.env.CONVEX_SITE_URL ?? null,
    clone: clone.a[1].b, cloneDate: clone.d instanceof Date, cloneMap: clone.m.get(1),
    aborted: new AbortController().signal.aborted, header: new Headers({ "X-A": "1" }).get("x-a"),
    json: await resp.json(), status: resp.status, ok: resp.ok, form, blobText: await blob.text(), blobSize: blob.size,
    asyncIter: typeof Symbol.asyncIterator, self: self === globalThis,
    grouped: Object.keys((Object as any).groupBy([1, 2, 3], (x: number) => (x % 2 ? "odd" : "even"))).sort().join(","),
    fromAsync: (await (Array as any).fromAsync([Promise.resolve(1), 2])).join(","),
    resolvers: typeof (Promise as any).withResolvers().resolve, wellFormed: ("a\ud800" as any).isWellFormed(),
    money: new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(1234.5),
    num: new Intl.NumberFormat().format(-1234567.891), tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
    day: new Intl.DateTimeFormat("en-US").format(new Date(Date.UTC(2024, 0, 2))),
    list: new Intl.ListFormat("en", { type: "conjunction" }).format(["a", "b", "c"]),
    streamed: (() => { const td = new TextDecoder(); const b = new TextEncoder().encode("€!"); return td.decode(b.subarray(0, 2), { stream: true }) + "|" + td.decode(b.subarray(2)); })(),
  };
}});

export const fetchInQuery = queryGeneric({ args: {}, handler: async () => { await fetch("http://127.0.0.1:1/"); return null; } });

export const timerInQuery = queryGeneric({ args: {}, handler: async () => { await new Promise((r) => setTimeout(r, 10)); return 1; } });

export const fetchAction = actionGeneric({ args: { url: v.string() }, handler: async (_, { url }) => {
  const r = await fetch(url, { method: "POST", body: "ping", headers: { "X-Test": "1" } });
  const before = Date.now();
  await new Promise((res) => setTimeout(res, 20));
  const waited = Date.now() - before;
  return { status: r.status, text: await r.text(), ct: r.headers.get("content-type"), waited: waited >= 15 };
}});

export const badReturn = queryGeneric({ args: {}, returns: v.string(), handler: async () => 5 });

export const nested = mutationGeneric({ args: {}, handler: async (ctx) => {
  await ctx.db.insert("things", { n: 1 });
  let caught = "";
  try {
    await ctx.runMutation(makeFunctionReference<"mutation">("probe:insertAndThrow"), {});
  } catch (e: any) {
    caught = e instanceof ConvexError ? "convex:" + JSON.stringify(e.data) : "error";
  }
  const n: number = await ctx.runQuery(makeFunctionReference<"query">("probe:count"), {});
  return { n, caught };
}});

export const insertAndThrow = internalMutationGeneric({ args: {}, handler: async (ctx) => {
  await ctx.db.insert("things", { n: 2 });
  throw new ConvexError({ why: "rolled back" });
}});

export const count = internalQueryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("things").collect()).length });

export const whoami = queryGeneric({ args: {}, handler: async (ctx) => await ctx.auth.getUserIdentity() });

export const writeInQuery = queryGeneric({ args: {}, handler: async () => {
  await (globalThis as any).Convex.asyncSyscall("1.0/insert", JSON.stringify({ table: "things", value: {} }));
  return null;
}});

export const leak = queryGeneric({ args: {}, handler: async () => {
  const before = (globalThis as any).leaked ?? null;
  const fetchReplaced = (globalThis as any).fetch.name !== "fetch";
  (globalThis as any).leaked = 1;
  (globalThis as any).fetch = function replaced() {};
  return before ?? (fetchReplaced ? "fetch leaked" : null);
}});

export const replaceGlobal = queryGeneric({ args: {}, handler: async () => {
  const replaced = (globalThis as any).setTimeout.probeReplaced === true;
  (globalThis as any).setTimeout = Object.assign(() => 0, { probeReplaced: true });
  return replaced ? "setTimeout leaked" : null;
}});

export const storage = actionGeneric({ args: {}, handler: async (ctx) => {
  const id = await ctx.storage.store(new Blob(["file body"], { type: "text/plain" }));
  const blob = await ctx.storage.get(id);
  const missing = await ctx.storage.get("nope");
  const url = await ctx.storage.getUrl(id);
  return { id, text: await blob!.text(), type: blob!.type, missing, url };
}});

export const scheduleFromAction = actionGeneric({ args: {}, handler: async (ctx) => {
  return await ctx.scheduler.runAfter(1000, makeFunctionReference<"mutation">("probe:insertAndThrow"), {});
}});

export const unhandled = queryGeneric({ args: {}, handler: async () => {
  Promise.reject(new Error("forgotten"));
  const handledLater = Promise.reject(new Error("handled"));
  await null;
  handledLater.catch(() => {});
  return 1;
}});

export const streams = queryGeneric({ args: {}, handler: async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const parts: string[] = [];
  for await (const x of rs as any) parts.push(x);
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(String(chunk).toUpperCase()); } });
  const out = (ReadableStream as any).from(["x", "y"]).pipeThrough(upper);
  const got: string[] = [];
  const r = out.getReader();
  for (;;) { const { done, value } = await r.read(); if (done) break; got.push(value); }
  const enc = new TextEncoder();
  const text = await new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode("hi ")); c.enqueue(enc.encode("there")); c.close(); } })).text();
  const original = new Response("body");
  const copy = original.clone();
  let reread = "";
  try { await original.text(); await original.text(); } catch (e: any) { reread = e.message; }
  return { parts, got, text, copy: await copy.text(), reread, hasReader: typeof new Response("z").body!.getReader };
}});

export const echo = actionGeneric({ args: { x: v.any() }, handler: async (_, { x }) => x });
`

const probeHTTPSource = `
import { httpRouter, httpActionGeneric } from "convex/server";
import { ConvexError } from "convex/values";

const http = httpRouter();
http.route({ path: "/boom", method: "GET", handler: httpActionGeneric(async () => { throw new Error("kaboom"); }) });
http.route({ path: "/cerr", method: "POST", handler: httpActionGeneric(async () => { throw new ConvexError({ code: 7 }); }) });
http.route({ pathPrefix: "/files/", method: "GET", handler: httpActionGeneric(async (_, req) =>
  new Response("file " + new URL(req.url).pathname + " " + req.headers.get("x-h") + " " + new URL(req.url).searchParams.get("q"), { headers: { "x-out": "1" } })) });
http.route({ path: "/echo", method: "PUT", handler: httpActionGeneric(async (_, req) =>
  new Response(await req.arrayBuffer(), { status: 202, headers: { "content-type": req.headers.get("content-type") ?? "none" } })) });
http.route({ path: "/stream", method: "GET", handler: httpActionGeneric(async () => {
  let i = 0;
  return new Response(new ReadableStream({ pull(c) { if (i < 3) c.enqueue(new TextEncoder().encode(String(i++) + ",")); else c.close(); } }));
}) });
http.route({ path: "/who", method: "GET", handler: httpActionGeneric(async (ctx) => Response.json(await ctx.auth.getUserIdentity())) });
http.route({ path: "/notresponse", method: "GET", handler: httpActionGeneric(async () => "nope" as any) });
export default http;
`

const badModuleSource = `
import { queryGeneric } from "convex/server";
export const q = queryGeneric({ args: {}, handler: async () => 1 });
throw new Error("module exploded");
`

type probe struct {
	*deployment
}

func newProbe(t *testing.T, opts Options) *probe {
	t.Helper()
	mods := bundleFiles(t, map[string]string{"probe.ts": probeSource, "http.ts": probeHTTPSource})
	ms, err := New(opts).Load(mods)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &probe{&deployment{t: t, ms: ms, st: st, env: map[string]string{"MY_VAR": "set"}}}
}

func TestConsoleLogs(t *testing.T) {
	p := newProbe(t, Options{})
	res := p.run(KindQuery, "probe:logs", `{}`, false)
	if res.Err != nil {
		t.Fatal(res.Err.Message)
	}
	if len(res.Logs) != 6 {
		t.Fatalf("got %d log lines: %+v", len(res.Logs), res.Logs)
	}
	want := []struct{ level, text string }{
		{"LOG", "[LOG] 'hello' 42 {\n  a: 'it\\'s',\n  b: [ 1, 2 ],\n  c: null,\n  d: undefined,\n  'e-f': true\n} [ 1, 'two' ]"},
		{"INFO", `[INFO] 'info'`},
		{"WARN", `[WARN] 'warn'`},
		{"ERROR", `[ERROR] [Error: bad]`},
		{"DEBUG", `[DEBUG] 1n Symbol(s) [Function (anonymous)] [Function: named]`},
		{"LOG", "[LOG] Map (1) {\n  'k' => 1\n} Set (1) {\n  1\n} [] {}"},
	}
	for i, w := range want {
		l := res.Logs[i]
		if l.Level != w.level || l.String() != w.text {
			t.Errorf("line %d = %q (%s), want %q", i, l.String(), l.Level, w.text)
		}
		if l.Timestamp == 0 || l.IsTruncated {
			t.Errorf("line %d: timestamp %d truncated %v", i, l.Timestamp, l.IsTruncated)
		}
	}
	var streamed []LogLine
	tx, _ := p.st.Begin(false)
	defer tx.Rollback()
	p.ms.Run(context.Background(), Request{Path: "probe:logs", DB: tx, OnLog: func(l LogLine) { streamed = append(streamed, l) }})
	if len(streamed) != 6 || streamed[1].String() != "[INFO] 'info'" {
		t.Errorf("OnLog saw %+v", streamed)
	}
	if got := res.Logs[5].Messages; len(got) != 4 {
		t.Errorf("messages are per argument: %q", got)
	}
}

func TestTimeoutOfInfiniteLoop(t *testing.T) {
	p := newProbe(t, Options{QueryTimeout: 300 * time.Millisecond})
	start := time.Now()
	fe := p.fails(KindQuery, "probe:spin", `{}`)
	mustContain(t, fe.Message, "timed out")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	// The engine still works afterwards (the interrupted VM was dropped).
	if got := p.ok(KindAction, "probe:echo", `{"x":"after"}`); got != `"after"` {
		t.Fatalf("after timeout: %s", got)
	}
	// An endless loop in a module's top-level code is stopped too.
	ms, err := New(Options{QueryTimeout: 200 * time.Millisecond}).Load(bundleFiles(t, map[string]string{
		"loop.ts": "import { queryGeneric } from \"convex/server\";\nexport const q = queryGeneric({ args: {}, handler: async () => 1 });\nwhile (Date.now() > 0) {}\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if fe := ms.Run(context.Background(), Request{Path: "loop:q", DB: nopDB{}}).Err; fe == nil || !strings.Contains(fe.Message, "timed out") {
		t.Fatalf("top-level loop: %+v", fe)
	}
	if _, err := ms.Analyze(); err == nil || !strings.Contains(err.Error(), "Failed to analyze loop.js") {
		t.Fatalf("analysis of a looping module: %v", err)
	}
	// A per-request timeout wins over the default.
	res := p.ms.Run(context.Background(), Request{Path: "probe:spin", DB: nopDB{}, Timeout: 50 * time.Millisecond})
	if res.Err == nil || !strings.Contains(res.Err.Message, "50ms") {
		t.Fatalf("per-request timeout: %+v", res.Err)
	}
}

func TestDeterminismAndFrozenTime(t *testing.T) {
	p := newProbe(t, Options{})
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	run := func(seed int64) string {
		res := p.ms.Run(context.Background(), Request{Path: "probe:det", DB: nopDB{}, Now: now, Seed: seed})
		if res.Err != nil {
			t.Fatal(res.Err.Message)
		}
		return string(res.Value)
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Fatalf("same seed, different results: %s vs %s", a, b)
	}
	if a == c {
		t.Fatalf("different seeds, same random: %s", a)
	}
	want := `"now":1714979289000`
	if !strings.Contains(a, want) || !strings.Contains(a, `"d":1714979289000`) {
		t.Fatalf("time not frozen: %s", a)
	}
}

func TestWebAPIs(t *testing.T) {
	p := newProbe(t, Options{SiteURL: "http://127.0.0.1:3211"})
	got := decodeJSON(t, p.ok(KindQuery, "probe:web", `{}`)).(map[string]any)
	want := map[string]any{
		"len": 14.0, "dec": "héllo €😀", "href": "https://user@example.com:8443/a/c?x=1&y=two&z=a+b#frag",
		"host": "example.com:8443", "path": "/a/c", "q": "two", "rel": "http://h.test/a/up?q",
		"hex":    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"sigHex": "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
		"b64":    "aGkh", "unb64": "hi!", "uuid": 36.0, "env": "set", "missing": true, "site": "http://127.0.0.1:3211",
		"clone": 2.0, "cloneDate": true, "cloneMap": 2.0, "aborted": false, "header": "1",
		"json": map[string]any{"k": 1.0}, "status": 201.0, "ok": true, "form": "a=1+2&b=x%26y",
		"blobText": "abc", "blobSize": 3.0, "asyncIter": "symbol", "self": true,
		"grouped": "even,odd", "fromAsync": "1,2", "resolvers": "function", "wellFormed": false,
		"money": "$1,234.50", "num": "-1,234,567.891", "tz": "UTC", "day": "1/2/2024", "list": "a, b, and c", "streamed": "|€!",
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !equalJSON(g, w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
}

func equalJSON(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k := range am {
			if !equalJSON(am[k], bm[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestStreams(t *testing.T) {
	p := newProbe(t, Options{})
	got := p.ok(KindQuery, "probe:streams", `{}`)
	want := `{"copy":"body","got":["X","Y"],"hasReader":"function","parts":["a","b"],"reread":"Body is unusable: Body has already been read","text":"hi there"}`
	if got != want {
		t.Fatalf("streams:\n got %s\nwant %s", got, want)
	}
}

func TestQueryRestrictions(t *testing.T) {
	p := newProbe(t, Options{})
	fe := p.fails(KindQuery, "probe:fetchInQuery", `{}`)
	mustContain(t, fe.Message, "Can't use fetch() in queries and mutations")
	fe = p.fails(KindQuery, "probe:timerInQuery", `{}`)
	mustContain(t, fe.Message, "can never settle")
	fe = p.fails(KindQuery, "probe:writeInQuery", `{}`)
	mustContain(t, fe.Message, "not allowed in a query")
	fe = p.fails(KindQuery, "probe:badReturn", `{}`)
	mustContain(t, fe.Message, "ReturnsValidationError")
	fe = p.fails(KindQuery, "probe:throws", `{}`)
	if !strings.HasPrefix(fe.Message, "Uncaught Error: boom\n    at handler (../convex/probe.ts:") {
		t.Fatalf("thrown error: %q", fe.Message)
	}
	fe = p.fails(KindQuery, "probe:unhandled", `{}`)
	if !strings.HasPrefix(fe.Message, "Uncaught (in promise) Error: forgotten\n    at handler (../convex/probe.ts:") || !strings.HasSuffix(fe.Message, ")") {
		t.Fatalf("unhandled rejection: %q", fe.Message)
	}
	fe = p.fails(KindQuery, "probe:throwsString", `{}`)
	if fe.Message != "Uncaught plain" {
		t.Fatalf("thrown string: %q", fe.Message)
	}
	// Globals set by one request do not leak into the next.
	for i := 0; i < 3; i++ {
		if got := p.ok(KindQuery, "probe:leak", `{}`); got != "null" {
			t.Fatalf("run %d saw leaked global: %s", i, got)
		}
	}
	// Replacing a global without adding one is undone as well.
	for i := 0; i < 3; i++ {
		if got := p.ok(KindQuery, "probe:replaceGlobal", `{}`); got != "null" {
			t.Fatalf("run %d saw a replaced global: %s", i, got)
		}
	}
}

func TestNestedMutationRollsBack(t *testing.T) {
	p := newProbe(t, Options{})
	got := p.ok(KindMutation, "probe:nested", `{}`)
	if got != `{"caught":"convex:{\"why\":\"rolled back\"}","n":1}` {
		t.Fatalf("nested: %s", got)
	}
	if n := p.run(KindQuery, "probe:count", `{}`, true); string(n.Value) != "1" {
		t.Fatalf("count after commit: %s %v", n.Value, n.Err)
	}
}

func TestIdentity(t *testing.T) {
	p := newProbe(t, Options{})
	if got := p.ok(KindQuery, "probe:whoami", `{}`); got != "null" {
		t.Fatalf("anonymous identity: %s", got)
	}
	tx, _ := p.st.Begin(false)
	defer tx.Rollback()
	res := p.ms.Run(context.Background(), Request{Path: "probe:whoami", DB: tx, Identity: []byte(`{"subject":"u1","issuer":"https://x","tokenIdentifier":"https://x|u1"}`)})
	if res.Err != nil || !strings.Contains(string(res.Value), `"subject":"u1"`) {
		t.Fatalf("identity: %s %v", res.Value, res.Err)
	}
}

func TestActionFetchAndTimers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(202)
		_, _ = w.Write([]byte(r.Method + " " + string(body) + " " + r.Header.Get("X-Test")))
	}))
	defer srv.Close()
	p := newProbe(t, Options{})
	got := p.ok(KindAction, "probe:fetchAction", `{"url":"`+srv.URL+`"}`)
	if got != `{"ct":"text/plain","status":202,"text":"POST ping 1","waited":true}` {
		t.Fatalf("fetch action: %s", got)
	}
}

func TestModuleErrors(t *testing.T) {
	e := New(Options{})
	_, err := e.Load([]Module{{Path: "bad.js", Source: "export const x = ;\n"}})
	var me *ModuleError
	if !errors.As(err, &me) || me.Path != "bad.js" || me.Line != 1 {
		t.Fatalf("syntax error: %v", err)
	}
	mustContain(t, err.Error(), "bad.js:1:")

	// A broken source map does not stop a module from loading.
	if _, err := e.Load([]Module{{Path: "ok.js", Source: "export const x = 1;\n", SourceMap: "not json"}}); err != nil {
		t.Fatalf("module with a bad source map: %v", err)
	}
	// Syntax errors are reported through the source map when there is one.
	_, err = e.Load([]Module{{Path: "m.js", Source: "export const a = 1;\nexport const b = ;\n",
		SourceMap: `{"version":3,"sources":["../convex/m.ts"],"names":[],"mappings":"AAAA;AACA"}`}})
	if !errors.As(err, &me) || me.Line != 2 || me.Original != "../convex/m.ts:2:18" {
		t.Fatalf("mapped syntax error: %v (%+v)", err, me)
	}

	for _, bad := range []string{"../x.js", "/abs.js", "a.ts", "a//b.js", ""} {
		if _, err := e.Load([]Module{{Path: bad, Source: "export {}"}}); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}

	// Top-level await is refused, with the user's file and line from the source map.
	mods := bundleFiles(t, map[string]string{"tla.ts": "import { queryGeneric } from \"convex/server\";\n\nconst x: number = await Promise.resolve(1);\nexport const q = queryGeneric({ args: {}, handler: async () => x });\n"})
	_, err = e.Load(mods)
	if !errors.As(err, &me) || me.Path != "tla.js" {
		t.Fatalf("top-level await: %v", err)
	}
	mustContain(t, err.Error(), "Top-level awaits in source files are unsupported")
	mustContain(t, err.Error(), "../convex/tla.ts:3:")

	// A module that throws while loading fails analysis with its name.
	mods = bundleFiles(t, map[string]string{"boom.ts": badModuleSource})
	ms, err := e.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ms.Analyze()
	if err == nil {
		t.Fatal("analysis of a throwing module succeeded")
	}
	mustContain(t, err.Error(), "Failed to analyze boom.js: Uncaught Error: module exploded")
	fe := ms.Run(context.Background(), Request{Path: "boom:q", DB: nopDB{}}).Err
	if fe == nil {
		t.Fatal("running a function of a throwing module succeeded")
	}
	mustContain(t, fe.Message, "module exploded")
}

// nopDB answers no syscalls; for functions that do not touch the database.
type nopDB struct{}

func (nopDB) Syscall(op string, args []byte) ([]byte, error) {
	return nil, errors.New("nopDB: no database")
}
func (nopDB) Savepoint() int    { return 0 }
func (nopDB) RollbackTo(sp int) {}

func TestActionStorageAndScheduler(t *testing.T) {
	p := newProbe(t, Options{})
	got := p.ok(KindAction, "probe:storage", `{}`)
	if got != `{"id":"blob1","missing":null,"text":"file body","type":"text/plain","url":"http://127.0.0.1:3210/api/storage/blob1"}` {
		t.Fatalf("storage: %s", got)
	}
	if got := p.ok(KindAction, "probe:scheduleFromAction", `{}`); got != `"job1"` || len(p.scheduled) != 1 || p.scheduled[0] != "probe:insertAndThrow" {
		t.Fatalf("schedule: %s %v", got, p.scheduled)
	}
	// Actions cannot reach the database directly.
	res := p.ms.Run(context.Background(), Request{Path: "probe:count", Kind: KindQuery, Internal: true})
	if res.Err == nil {
		t.Fatal("query without a transaction ran")
	}
}

func TestOneOffTestQuery(t *testing.T) {
	// What `convex run --inline-query` pushes through run_test_function: an
	// unbundled module importing the host's query wrappers.
	src := `import { query, internalQuery } from "convex:/_system/repl/wrappers.js";

export default query({
  handler: async (ctx) => {
    const all = await ctx.db.query("things").collect();
    const big = await ctx.db.query("things").filter((q) => q.gt(q.field("n"), 1)).order("desc").take(5);
    const first = await ctx.db.query("things").first();
    const again = await ctx.db.get(first._id);
    let n = 0;
    for await (const doc of ctx.db.query("things")) n += doc.n;
    console.log("found", all.length);
    return { count: all.length, big: big.map((d) => d.n), same: again._id === first._id, sum: n, i: 5n, who: await ctx.auth.getUserIdentity() };
  },
});`
	p := newProbe(t, Options{})
	tx, _ := p.st.Begin(true)
	for _, n := range []string{"1", "2", "3"} {
		if _, err := tx.Syscall("1.0/insert", []byte(`{"table":"things","value":{"n":`+n+`}}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ms, err := New(Options{}).Load([]Module{{Path: "testQuery.js", Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	rtx, _ := p.st.Begin(false)
	defer rtx.Rollback()
	res := ms.Run(context.Background(), Request{Path: "testQuery", Kind: KindQuery, DB: rtx, Internal: true})
	if res.Err != nil {
		t.Fatal(res.Err.Message)
	}
	if got := string(res.Value); got != `{"big":[3,2],"count":3,"i":{"$integer":"BQAAAAAAAAA="},"same":true,"sum":6,"who":null}` {
		t.Fatalf("test query: %s", got)
	}
	if len(res.Logs) != 1 || res.Logs[0].String() != "[LOG] 'found' 3" {
		t.Fatalf("logs: %+v", res.Logs)
	}
}

func TestHTTPActions(t *testing.T) {
	p := newProbe(t, Options{})
	do := func(method, target string, body []byte, header http.Header, identity []byte) *HTTPResponse {
		t.Helper()
		resp, _, err := p.ms.RunHTTPRequest(context.Background(), HTTPRequest{
			Method: method, URL: "http://127.0.0.1:3211" + target, Path: strings.SplitN(target, "?", 2)[0],
			Header: header, Body: body, Host: p, Identity: identity, RequestID: "req1",
		})
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		return resp
	}
	r := do("GET", "/boom", nil, nil, nil)
	if r.Status != 500 || r.Err == nil {
		t.Fatalf("/boom: %d %s", r.Status, r.Body)
	}
	doc := decodeJSON(t, string(r.Body)).(map[string]any)
	if doc["code"] != "[Request ID: req1] Server Error: Uncaught Error: kaboom" || !strings.Contains(doc["trace"].(string), "../convex/http.ts:") {
		t.Fatalf("/boom body: %s", r.Body)
	}
	r = do("POST", "/cerr", nil, nil, nil)
	if r.Status != 500 || !strings.Contains(string(r.Body), `"data":{"code":7}`) {
		t.Fatalf("/cerr: %d %s", r.Status, r.Body)
	}
	r = do("GET", "/files/a/b?q=1", nil, http.Header{"X-H": {"hv"}}, nil)
	if r.Status != 200 || string(r.Body) != "file /files/a/b hv 1" || r.Header.Get("X-Out") != "1" {
		t.Fatalf("/files prefix route: %d %s %v", r.Status, r.Body, r.Header)
	}
	bin := []byte{0, 1, 2, 255, 254}
	r = do("PUT", "/echo", bin, http.Header{"Content-Type": {"application/octet-stream"}}, nil)
	if r.Status != 202 || string(r.Body) != string(bin) || r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("/echo: %d %v %v", r.Status, r.Body, r.Header)
	}
	r = do("GET", "/stream", nil, nil, nil)
	if r.Status != 200 || string(r.Body) != "0,1,2," {
		t.Fatalf("/stream: %d %q", r.Status, r.Body)
	}
	r = do("GET", "/who", nil, nil, []byte(`{"subject":"s1"}`))
	if string(r.Body) != `{"subject":"s1"}` {
		t.Fatalf("/who: %s", r.Body)
	}
	// A refused bearer token: getUserIdentity() throws why, in HTTP actions.
	refused, _, err := p.ms.RunHTTPRequest(context.Background(), HTTPRequest{
		Method: "GET", URL: "http://127.0.0.1:3211/who", Path: "/who", Host: p, RequestID: "req2",
		IdentityErr: errors.New("InvalidAuthHeader: the token expired"),
	})
	if err != nil || refused.Status != 500 || !strings.Contains(string(refused.Body), "the token expired") {
		t.Fatalf("/who with a refused token: %v %d %s", err, refused.Status, refused.Body)
	}
	r = do("GET", "/notresponse", nil, nil, nil)
	if r.Status != 500 || !strings.Contains(string(r.Body), "HTTP actions must return a Response") {
		t.Fatalf("/notresponse: %d %s", r.Status, r.Body)
	}
	r = do("DELETE", "/boom", nil, nil, nil)
	if r.Status != 404 {
		t.Fatalf("DELETE /boom: %d %s", r.Status, r.Body)
	}
	// Without http.js every request is a 404.
	ms, err := New(Options{}).Load(bundleFiles(t, map[string]string{"probe.ts": probeSource}))
	if err != nil {
		t.Fatal(err)
	}
	resp, _, err := ms.RunHTTP(context.Background(), httptest.NewRequest("GET", "/boom", nil), p, nil)
	if err != nil || resp.Status != 404 {
		t.Fatalf("no http.js: %v %+v", err, resp)
	}
}

func TestAuthConfigAndSchemaAbsent(t *testing.T) {
	mods := bundleFiles(t, map[string]string{
		"auth.config.ts": `export default { providers: [{ domain: process.env.AUTH_DOMAIN, applicationID: "convex" }] };`,
	})
	ms, err := New(Options{}).Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ms.AuthConfig(map[string]string{"AUTH_DOMAIN": "https://issuer.test"})
	if err != nil || string(got) != `{"providers":[{"domain":"https://issuer.test","applicationID":"convex"}]}` {
		t.Fatalf("AuthConfig: %s %v", got, err)
	}
	if s, err := ms.Schema(); s != nil || err != nil {
		t.Fatalf("Schema without schema.js: %s %v", s, err)
	}
	a, err := ms.Analyze()
	if err != nil || len(a["auth.config.js"].Functions) != 0 {
		t.Fatalf("analysis of auth.config.js: %+v %v", a, err)
	}
	// Without auth.config.js there is no config.
	ms2, _ := New(Options{}).Load(bundleFiles(t, map[string]string{"probe.ts": probeSource}))
	if c, err := ms2.AuthConfig(nil); c != nil || err != nil {
		t.Fatalf("AuthConfig without the module: %s %v", c, err)
	}
}

// Modules compile concurrently, yet the error reported is that of the
// first module in push order that cannot be loaded, whatever finishes first.
func TestLoadErrorOrder(t *testing.T) {
	big := "export const big = [" + strings.Repeat("1, ", 20000) + "];\n"
	cases := []struct {
		mods []Module
		path string
		msg  string
	}{
		{[]Module{{Path: "a.js", Source: big}, {Path: "b.js", Source: "export const b = ;\n"}, {Path: "c.js", Source: "export const c = ;\n"}}, "b.js", "b.js:1:"},
		{[]Module{{Path: "a.js", Source: "export const a = ;\n"}, {Path: "b.js", Source: big}, {Path: "../c.js", Source: "export {}"}}, "a.js", "a.js:1:"},
		{[]Module{{Path: "a.js", Source: big}, {Path: "a.js", Source: "export const a = ;\n"}}, "a.js", "module pushed twice"},
		{[]Module{{Path: "a.js", Source: big}, {Path: "n.js", Source: "export {}", Environment: "deno"}, {Path: "z.js", Source: "export const z = ;\n"}}, "n.js", "unknown environment"},
		{[]Module{{Path: "b.js", Source: "export const b = ;\n"}, {Path: "n.js", Source: "export {}", Environment: "deno"}}, "b.js", "b.js:1:"},
	}
	for i, c := range cases {
		_, err := New(Options{}).Load(c.mods)
		var me *ModuleError
		if !errors.As(err, &me) || me.Path != c.path {
			t.Errorf("case %d: got %v, want an error about %s", i, err, c.path)
			continue
		}
		mustContain(t, err.Error(), c.msg)
	}
	// Every module of a good push is there, isolate and node alike.
	ms, err := New(Options{}).Load([]Module{{Path: "a.js", Source: big}, {Path: "b.js", Source: "export const b = 1;\n"},
		{Path: "n.js", Source: "export const n = 1;\n", Environment: "node"}, {Path: "c.js", Source: "export const c = 1;\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ms.Paths(), ","); got != "a.js,b.js,c.js,n.js" {
		t.Fatalf("paths %s", got)
	}
}
