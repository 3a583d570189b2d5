package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/convex-go/convex/internal/lazy"
)

// Intrinsics. Converting values between Convex JSON and JavaScript is most
// of the work of a small query or mutation, and it happens in the convex npm
// package's own code (bundled into the pushed modules): jsonToConvex on every
// argument and database result, convexToJsonInternal on every return value
// and written document, validateObjectField on every field name. Interpreted
// by goja, their iterator-heavy loops cost more than the database access.
//
// When a pushed module defines one of these functions with exactly the text
// of a known convex release (compared by hash after esbuild has reprinted the
// module, ignoring the numeric suffixes esbuild adds when renaming), a guarded
// fast path is put at the top of its body. The fast path, written in Go,
// handles plain data only (null, booleans, strings, ordinary numbers, plain
// arrays and objects with valid field names) and returns undefined for
// anything else, so the original code still handles every other case and
// produces every error message itself.

// intrinsicsGlobal is the global holding the fast paths; the name is unlikely
// to clash with anything in a bundle.
const intrinsicsGlobal = "__convexGoIntrinsics"

type intrinsic struct {
	// hashes of the normalized function text of the releases whose
	// behaviour the fast path reproduces.
	hashes map[string]bool
	// guard returns the statement placed first in the body.
	guard func(params []string) string
}

// intrinsics are the recognised functions by name, built on first use.
var intrinsics = lazy.Value[map[string]intrinsic]{New: func() map[string]intrinsic {
	return map[string]intrinsic{
		// convex 1.48.0 values/value.js
		"validateObjectField": {
			hashes: map[string]bool{
				"fb7dfd52d7f82fca71a5d492839b3eb8e543ed48672d5d7535d757e1573504de": true, // bundled as the Convex CLI does
				"e7462699810b393cb6a2eb9238251a983f64c5e1a5c1111388b9a5408ce6c0dd": true, // bundled without minification
			},
			guard: func(p []string) string {
				return "if (" + intrinsicsGlobal + ".validField(" + p[0] + ")) return;"
			},
		},
		"jsonToConvex": {
			hashes: map[string]bool{
				"cdfe1aa59df549c889e7c47b69726d575ca4d213843dec91a003bb5f7bf63107": true,
				"4f45e4f576e915f9415922b78619107a77e55b7e56d6832878e56a78a490f3b0": true,
			},
			guard: func(p []string) string {
				return "{ const fast$ = " + intrinsicsGlobal + ".jsonToConvex(" + p[0] + "); if (fast$ !== void 0) return fast$; }"
			},
		},
		"convexToJsonInternal": {
			hashes: map[string]bool{
				"8b6c638aff0179e0bd4fb8f049a66138420d111554957461afe00dcd1232eb24": true,
				"50069ac5bab3113103a7009bd8789e462393b73deab732e2e4a9641dc2cd4a4f": true,
			},
			guard: func(p []string) string {
				return "{ const fast$ = " + intrinsicsGlobal + ".convexToJson(" + p[0] + ", " + p[3] + "); if (fast$ !== void 0) return fast$; }"
			},
		},
	}
}}

var (
	// A top-level function as esbuild prints it, and the name esbuild's
	// keepNames option records for it when identifiers are minified (as the
	// Convex bundler does): `fn(h, "jsonToConvex");` on the next line.
	// functionHeader is tried only where a line starts with "function "
	// (see functionHeaders), hence \A.
	functionHeader = lazy.Regexp(`(?m)\Afunction ([A-Za-z_$][\w$]*)\(([^)]*)\) \{$`)
	keptName       = lazy.Regexp(`^[A-Za-z_$][\w$]*\(([A-Za-z_$][\w$]*), "([A-Za-z_$][\w$]*)"\);`)
)

// intrinsicHash identifies a function's code independently of how its
// local names were minified or renamed: identifiers other than property
// names and a few globals are replaced by one placeholder; string and
// template text is kept.
func intrinsicHash(text string) string {
	sum := sha256.Sum256([]byte(normalizeIdentifiers(text)))
	return hex.EncodeToString(sum[:])
}

// keptIdentifier reports whether normalizeIdentifiers keeps word as it is:
// keywords and the globals the recognised functions use.
func keptIdentifier(word string) bool {
	switch word {
	case "function", "if", "else", "for", "of", "in", "let", "const", "var", "return", "throw", "new",
		"typeof", "instanceof", "void", "null", "true", "false", "undefined", "this", "Error", "Array",
		"Object", "Number", "String", "JSON", "Math", "DataView", "ArrayBuffer", "Uint8Array", "BigInt",
		"Set", "Map":
		return true
	}
	return false
}

func normalizeIdentifiers(text string) string {
	var b strings.Builder
	var braces []int // template nesting: brace depth where each ${ started
	depth := 0
	lastSig := byte(0) // last non-space character written in code
	i := 0
	inTemplate := false
	for i < len(text) {
		c := text[i]
		if inTemplate {
			switch {
			case c == '\\' && i+1 < len(text):
				b.WriteString(text[i : i+2])
				i += 2
				continue
			case c == '`':
				inTemplate = false
			case c == '$' && i+1 < len(text) && text[i+1] == '{':
				b.WriteString("${")
				i += 2
				braces = append(braces, depth)
				depth++
				inTemplate = false
				lastSig = '{'
				continue
			}
			b.WriteByte(c)
			i++
			continue
		}
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(text) {
				j = len(text) - 1
			}
			b.WriteString(text[i : j+1])
			i = j + 1
			lastSig = c
			continue
		case c == '`':
			inTemplate = true
			b.WriteByte(c)
			i++
			continue
		case c == '.' && strings.HasPrefix(text[i:], "..."):
			b.WriteString("...") // spread: what follows is not a property
			i += 3
			lastSig = ','
			continue
		case c == '{':
			depth++
		case c == '}':
			depth--
			if n := len(braces); n > 0 && braces[n-1] == depth {
				braces = braces[:n-1]
				inTemplate = true
			}
		case c == '_' || c == '$' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i
			for j < len(text) && (text[j] == '_' || text[j] == '$' || (text[j]|0x20 >= 'a' && text[j]|0x20 <= 'z') || (text[j] >= '0' && text[j] <= '9')) {
				j++
			}
			word := text[i:j]
			switch {
			case word == "const":
				// Minifiers turn const into let; either means the same here.
				b.WriteString("let")
			case lastSig == '.' || keptIdentifier(word):
				b.WriteString(word)
			default:
				b.WriteString("_")
			}
			i = j
			lastSig = 'a'
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(text) && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.' || text[j]|0x20 == 'e' || text[j] == 'n') {
				j++
			}
			b.WriteString(text[i:j])
			i = j
			lastSig = '0'
			continue
		}
		b.WriteByte(c)
		if c != ' ' && c != '\n' && c != '\t' {
			lastSig = c
		}
		i++
	}
	return b.String()
}

// functionHeaders finds the top-level function headers of code, as
// FindAllStringSubmatchIndex would with the header pattern anchored at line
// starts. Running the pattern over the whole module cost milliseconds on a
// large bundle (its inline source map included); only lines that start with
// "function " can match.
func functionHeaders(code string) [][]int {
	const prefix = "function "
	var out [][]int
	end := 0 // matches do not overlap
	try := func(at int) {
		if at < end {
			return
		}
		m := functionHeader.Get().FindStringSubmatchIndex(code[at:])
		if m == nil {
			return
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += at
			}
		}
		out = append(out, m)
		end = m[1]
	}
	if strings.HasPrefix(code, prefix) {
		try(0)
	}
	for i := 0; ; {
		j := strings.Index(code[i:], "\n"+prefix)
		if j < 0 {
			return out
		}
		i += j + 1
		try(i)
	}
}

// injectIntrinsics adds the fast-path guards to known functions in code (a
// module as reprinted by esbuild). Anything unrecognised is left alone.
func injectIntrinsics(code string) string {
	matches := functionHeaders(code)
	if matches == nil {
		return code
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, headerEnd := m[0], m[1]
		fname := code[m[2]:m[3]]
		end := strings.Index(code[headerEnd:], "\n}\n")
		if end < 0 {
			continue
		}
		bodyEnd := headerEnd + end + 3
		name := fname
		if k := keptName.Get().FindStringSubmatch(code[bodyEnd:min(len(code), bodyEnd+200)]); k != nil && k[1] == fname {
			name = k[2]
		}
		in, ok := intrinsics.Get()[name]
		if !ok || !in.hashes[intrinsicHash(code[start:bodyEnd])] {
			continue
		}
		params := strings.Split(code[m[4]:m[5]], ", ")
		b.WriteString(code[last:headerEnd])
		// Same line as the header: the following lines keep their
		// positions for the source map.
		b.WriteString(" " + in.guard(params))
		last = headerEnd
	}
	b.WriteString(code[last:])
	return b.String()
}

// fastPaths holds what the fast paths need from one VM.
type fastPaths struct {
	rt         *goja.Runtime
	objectProt *goja.Object
	arrayProt  *goja.Object
}

// maxFastDepth bounds the fast paths' recursion (Convex values nest at most
// 64 levels).
const maxFastDepth = 128

// maxFieldName is the longest field name convex accepts.
const maxFieldName = 1024

func installIntrinsics(rt *goja.Runtime) error {
	f := &fastPaths{
		rt:         rt,
		objectProt: rt.Get("Object").ToObject(rt).Get("prototype").ToObject(rt),
		arrayProt:  rt.Get("Array").ToObject(rt).Get("prototype").ToObject(rt),
	}
	obj := rt.NewObject()
	if err := obj.Set("validField", func(call goja.FunctionCall) goja.Value {
		s, ok := call.Argument(0).Export().(string)
		return rt.ToValue(ok && validField(s))
	}); err != nil {
		return err
	}
	if err := obj.Set("jsonToConvex", func(call goja.FunctionCall) goja.Value {
		if v, ok := f.fromJSON(call.Argument(0), 0); ok {
			return v
		}
		return goja.Undefined()
	}); err != nil {
		return err
	}
	if err := obj.Set("convexToJson", func(call goja.FunctionCall) goja.Value {
		if v, ok := f.toJSON(call.Argument(0), call.Argument(1).ToBoolean(), 0); ok {
			return v
		}
		return goja.Undefined()
	}); err != nil {
		return err
	}
	// Frozen: a request must not be able to change them for later ones.
	freeze, ok := goja.AssertFunction(rt.Get("Object").ToObject(rt).Get("freeze"))
	if !ok {
		return errors.New("Object.freeze is missing")
	}
	if _, err := freeze(goja.Undefined(), obj); err != nil {
		return err
	}
	return rt.GlobalObject().DefineDataProperty(intrinsicsGlobal, obj, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
}

// validField is validateObjectField's acceptance test: at most 1024
// UTF-16 units (all ASCII here, so bytes), no leading '$', only printable
// ASCII.
func validField(k string) bool {
	if len(k) > maxFieldName || strings.HasPrefix(k, "$") {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 32 || c >= 127 {
			return false
		}
	}
	return true
}

// plainKind classifies an object the fast paths may handle: 1 for an
// ordinary object whose prototype is Object.prototype or null, 2 for an
// ordinary array with Array.prototype, 0 for anything else (proxies,
// class instances, typed arrays, functions, ...).
func (f *fastPaths) plainKind(o *goja.Object) int {
	switch o.ExportType() {
	case reflect.TypeFor[map[string]any]():
		if o.ClassName() != "Object" {
			return 0
		}
		if p := o.Prototype(); p == nil || p == f.objectProt {
			return 1
		}
	case reflect.TypeFor[[]any]():
		if o.ClassName() == "Array" && o.Prototype() == f.arrayProt {
			return 2
		}
	}
	return 0
}

// elements returns an array's elements, or false if it has holes.
func elements(o *goja.Object) ([]goja.Value, bool) {
	n := o.Get("length").ToInteger()
	// Grown as elements are found: a huge length set on an empty array
	// must not allocate for the holes.
	out := make([]goja.Value, 0, min(n, 1024))
	for i := int64(0); i < n; i++ {
		v := o.Get(strconv.FormatInt(i, 10))
		if v == nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// fromJSON is jsonToConvex for plain data.
// mapArray converts each element of a plain array with conv into a new
// array, or gives up (false) when conv does for any element.
func (f *fastPaths) mapArray(o *goja.Object, conv func(goja.Value) (goja.Value, bool)) (goja.Value, bool) {
	elems, ok := elements(o)
	if !ok {
		return nil, false
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		c, ok := conv(e)
		if !ok {
			return nil, false
		}
		out[i] = c
	}
	return f.rt.NewArray(out...), true
}

func (f *fastPaths) fromJSON(v goja.Value, depth int) (goja.Value, bool) {
	o, ok := v.(*goja.Object)
	if !ok {
		if v == nil || goja.IsUndefined(v) {
			return nil, false
		}
		if goja.IsNull(v) || goja.IsNumber(v) || goja.IsString(v) {
			return v, true
		}
		_, isBool := v.Export().(bool)
		return v, isBool
	}
	if depth > maxFastDepth {
		return nil, false // far deeper than any Convex value: the library decides
	}
	switch f.plainKind(o) {
	case 2:
		return f.mapArray(o, func(e goja.Value) (goja.Value, bool) { return f.fromJSON(e, depth+1) })
	case 1:
		keys := o.Keys()
		if len(keys) == 1 && strings.HasPrefix(keys[0], "$") {
			return nil, false // an encoded special value
		}
		out := f.rt.NewObject()
		for _, k := range keys {
			if !validField(k) || k == "__proto__" {
				return nil, false
			}
			c, ok := f.fromJSON(o.Get(k), depth+1)
			if !ok {
				return nil, false
			}
			if out.Set(k, c) != nil {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// toJSON is convexToJsonInternal for plain data: fields sorted, undefined
// fields dropped (below the top level, or when top-level undefined is not
// wanted).
func (f *fastPaths) toJSON(v goja.Value, keepTopUndefined bool, depth int) (goja.Value, bool) {
	o, ok := v.(*goja.Object)
	if !ok {
		if v == nil || goja.IsUndefined(v) {
			return nil, false
		}
		if goja.IsNull(v) || goja.IsString(v) {
			return v, true
		}
		switch x := v.Export().(type) {
		case bool:
			return v, true
		case int64:
			return v, true
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) || (x == 0 && math.Signbit(x)) {
				return nil, false // written as {$float}
			}
			return v, true
		}
		return nil, false
	}
	if depth > maxFastDepth {
		return nil, false // far deeper than any Convex value: the library decides
	}
	switch f.plainKind(o) {
	case 2:
		return f.mapArray(o, func(e goja.Value) (goja.Value, bool) { return f.toJSON(e, false, depth+1) })
	case 1:
		keys := o.Keys()
		type field struct {
			k string
			v goja.Value
		}
		fields := make([]field, 0, len(keys))
		for _, k := range keys {
			fields = append(fields, field{k, o.Get(k)})
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].k < fields[j].k })
		out := f.rt.NewObject()
		for _, fl := range fields {
			if fl.v == nil || goja.IsUndefined(fl.v) {
				if keepTopUndefined {
					return nil, false
				}
				continue
			}
			if !validField(fl.k) || fl.k == "__proto__" {
				return nil, false
			}
			c, ok := f.toJSON(fl.v, false, depth+1)
			if !ok {
				return nil, false
			}
			if out.Set(fl.k, c) != nil {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}
