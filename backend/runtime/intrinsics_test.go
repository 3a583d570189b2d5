package runtime

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	esbuild "github.com/evanw/esbuild/pkg/api"

	"github.com/convex-go/convex/backend/store"
)

// The fixture bundle's copy of the convex package gets every fast path; a
// new convex or esbuild release that changes the functions' text shows up
// here (the fast paths then stay off, which is safe but slow).
func TestIntrinsicsRecognised(t *testing.T) {
	mods, _ := bundleConvexDir(t, fixtureDir)
	found := map[string]int{}
	for _, m := range mods {
		code, err := transformModule(m)
		if err != nil {
			t.Fatal(err)
		}
		out := injectIntrinsics(code)
		for name := range intrinsics.Get() {
			if strings.Contains(out, "function "+name) && strings.Contains(out, intrinsicsGlobal) {
				found[name] += strings.Count(out, intrinsicsGlobal+"."+map[string]string{
					"validateObjectField": "validField", "jsonToConvex": "jsonToConvex", "convexToJsonInternal": "convexToJson",
				}[name])
			}
		}
	}
	for name := range intrinsics.Get() {
		if found[name] == 0 {
			t.Errorf("%s was not recognised in the fixture bundle", name)
		}
	}
}

// A function of the same name but different text is left alone.
func TestIntrinsicsIgnoreOtherFunctions(t *testing.T) {
	code := "function jsonToConvex(value) {\n  return value;\n}\n"
	if got := injectIntrinsics(code); got != code {
		t.Fatalf("changed an unknown function:\n%s", got)
	}
}

const conversionSource = `
import { queryGeneric } from "convex/server";
import { convexToJson, jsonToConvex } from "convex/values";

function describe(v: any): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "bigint") return v + "n";
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v !== "object") return typeof v + ":" + String(v);
  if (v instanceof ArrayBuffer) return "ArrayBuffer(" + Array.from(new Uint8Array(v)).join(",") + ")";
  if (Array.isArray(v)) return "[" + v.map(describe).join(",") + "]" + (v.length !== Object.keys(v).length ? "(holes)" : "");
  const proto = Object.getPrototypeOf(v);
  const kind = proto === Object.prototype ? "" : proto === null ? "null-proto" : "other-proto";
  return kind + "{" + Object.keys(v).map((k) => JSON.stringify(k) + ":" + describe(v[k])).join(",") + "}";
}

function attempt(f: () => any): string {
  try {
    return describe(f());
  } catch (e: any) {
    return "ERR " + e.message;
  }
}

class Thing { x = 1; }

export const convert = queryGeneric({ args: {}, handler: async () => {
  const nullProto = Object.create(null);
  nullProto.b = 2;
  nullProto.a = 1;
  const withGetter = { get x() { return 5; }, y: 1 };
  const throwing = { a: 1, get boom(): number { throw new Error("getter failed"); } };
  const proxied = new Proxy({ a: 1 }, {});
  const proxiedArray = new Proxy([1, 2], {});
  const sparse = [1, , 3];
  const huge: any[] = [];
  huge.length = 100000;
  let deep: any = { end: true };
  for (let i = 0; i < 200; i++) deep = i % 2 ? { d: deep } : [deep];
  const toJson: any[] = [
    null, true, false, 0, -0, 1.5, NaN, Infinity, -Infinity, "s", "", 10n, -(2n ** 63n), 2n ** 64n,
    new ArrayBuffer(2), [1, [2, {}]], { b: 1, a: 2, c: { z: [], y: "" } }, { a: undefined, b: 1 },
    { $x: 1 }, { "é": 1 }, { ["x".repeat(1025)]: 1 }, { ["x".repeat(1024)]: 1 }, { "\u0001": 1 },
    JSON.parse('{"__proto__":1}'), { x: new Map() }, { x: new Set([1]) }, new Thing(), nullProto,
    { nested: { deep: [undefined] } }, sparse, { "10": 1, "2": 2, a: 3, B: 4 }, { f() {} }, { s: Symbol("q") },
    withGetter, { a: { b: -0 } }, { a: [1n, NaN] }, [undefined], undefined, () => 1, new Date(0),
    new Uint8Array(2), { a: null, "": 1 }, throwing, { nested: throwing }, proxied, proxiedArray, { p: proxiedArray }, { h: huge }, deep,
  ];
  const fromJson: any[] = [
    null, true, 1, 2.5, "s", [1, "a", null, [{}]], { $integer: "AQAAAAAAAAA=" }, { $bytes: "AQI=" },
    { $float: "AAAAAAAA+H8=" }, { $float: "AAAAAAAA8D8=" }, { a: { $integer: "AQAAAAAAAAA=" } }, { $x: 1 },
    { a: 1, $b: 2 }, { "é": 1 }, { "10": 1, "2": 2, a: 3 }, JSON.parse('{"__proto__":{"x":1}}'),
    [[{ a: [1] }]], undefined, { $set: [] }, { $map: [] }, { $commitTs: 1 }, { $integer: 5 },
    { ["y".repeat(1025)]: 1 }, 10n, new Thing(), nullProto, sparse, { a: undefined }, throwing, proxied, proxiedArray, deep,
  ];
  return {
    toJson: toJson.map((v) => attempt(() => convexToJson(v))),
    fromJson: fromJson.map((v) => attempt(() => jsonToConvex(v))),
    roundTrip: attempt(() => jsonToConvex(convexToJson({ n: 1, s: "x", l: [true, null, { k: "v" }], i: 3n, b: new ArrayBuffer(1) }))),
  };
}});
`

// The fast paths agree with the convex package's own code on every kind of
// input, including the ones they leave to it.
func TestIntrinsicsMatchLibrary(t *testing.T) {
	plain := bundleFiles(t, map[string]string{"conv.ts": conversionSource})
	// The Convex CLI minifies syntax and identifiers and keeps names.
	var minified []Module
	for _, m := range plain {
		res := esbuild.Transform(m.Source, esbuild.TransformOptions{
			Loader: esbuild.LoaderJS, Format: esbuild.FormatESModule, MinifySyntax: true,
			MinifyIdentifiers: true, KeepNames: true, LogLevel: esbuild.LogLevelSilent,
		})
		if len(res.Errors) > 0 {
			t.Fatalf("minifying %s: %s", m.Path, res.Errors[0].Text)
		}
		minified = append(minified, Module{Path: m.Path, Source: string(res.Code)})
	}
	runs := []struct {
		mods []Module
		opts Options
	}{{plain, Options{NoIntrinsics: true}}, {plain, Options{}}, {minified, Options{NoIntrinsics: true}}, {minified, Options{}}}
	results := make([]string, len(runs))
	for i, run := range runs {
		ms, err := New(run.opts).Load(run.mods)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		st, err := store.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		d := &deployment{t: t, ms: ms, st: st}
		d.t = t
		// Twice: the second call runs on a warm VM.
		first := d.ok(KindQuery, "conv:convert", `{}`)
		if again := d.ok(KindQuery, "conv:convert", `{}`); again != first {
			t.Fatalf("second run differs:\n%s\n%s", first, again)
		}
		results[i] = first
		st.Close()
	}
	for i := 1; i < len(results); i++ {
		if results[i] != results[0] {
			t.Fatalf("run %d differs from the library:\nlibrary: %s\nrun %d:   %s", i, results[0], i, results[i])
		}
	}
	for _, want := range []string{`"ERR undefined is not a valid Convex value`, `Field name $x starts with a '$'`, `{\"a\":2,\"b\":1`, `ArrayBuffer(1,2)`} {
		if !strings.Contains(results[1], want) {
			t.Errorf("results lack %s: %s", want, results[1])
		}
	}
	// The comparison means something only if the fast paths were in use.
	for _, mods := range [][]Module{plain, minified} {
		found := 0
		for _, m := range mods {
			code, err := transformModule(m)
			if err != nil {
				t.Fatal(err)
			}
			found += strings.Count(injectIntrinsics(code), intrinsicsGlobal+".")
		}
		if found < 3 {
			t.Fatalf("only %d of the test bundle's convex functions were recognised", found)
		}
	}
}

// functionHeaders finds exactly what the header pattern finds when run over
// the whole text with ^ matching at every line start.
func TestFunctionHeadersMatchWholeTextSearch(t *testing.T) {
	whole := regexp.MustCompile(`(?m)^function ([A-Za-z_$][\w$]*)\(([^)]*)\) \{$`)
	mods := bundleFiles(t, map[string]string{"probe.ts": probeSource})
	texts := []string{
		"",
		"function a(x) {\n}\n",
		"function a(x) {",
		"const f = 1; function notAtLineStart(x) {\n}\n",
		"function multi(a,\nb) {\n  return a;\n}\nfunction next() {\n}\n",
		"function a(x) {\r\n}\n",
		"function a(x) { return x; }\nfunction $b_1(u, v, w) {\n}\n  function indented() {\n}\n",
		"function unclosed(a,\nfunction b() {\n}\n",
		"\n\nfunction afterBlankLines() {\n}",
		"function a(b) {\nfunction inner(c) {\n}\n}\n",
	}
	for _, m := range mods {
		code, err := transformModule(m)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, m.Source, code)
	}
	found := 0
	for i, text := range texts {
		want := whole.FindAllStringSubmatchIndex(text, -1)
		got := functionHeaders(text)
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		found += len(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("text %d: got %v, want %v", i, got, want)
		}
	}
	if found < 10 {
		t.Fatalf("only %d headers in the samples: the test checks too little", found)
	}
}
