package values

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

func TestDecodeEncodeRoundTrip(t *testing.T) {
	cases := []struct{ in, want string }{
		{`null`, `null`},
		{`true`, `true`},
		{`1.5`, `1.5`},
		{`1`, `1`},
		{`1e21`, `1e+21`},
		{`"a<b>&"`, `"a<b>&"`},
		{`"q\"b\\s\n\u00e9\u0001"`, `"q\"b\\s\né\u0001"`},
		{`{"k\"":"v"}`, `{"k\"":"v"}`},
		{`{"$integer":"AQAAAAAAAAA="}`, `{"$integer":"AQAAAAAAAAA="}`},
		{`{"$integer":"//////////8="}`, `{"$integer":"//////////8="}`},
		{`{"$bytes":"AAEC"}`, `{"$bytes":"AAEC"}`},
		{`{"$float":"AAAAAAAA+H8="}`, `{"$float":"AAAAAAAA+H8="}`},
		{`{"$float":"AAAAAAAAAIA="}`, `{"$float":"AAAAAAAAAIA="}`},
		{`{"b":1,"a":[1,"x",null]}`, `{"a":[1,"x",null],"b":1}`},
		{`{"_id":"x","nested":{"z":{"$integer":"AgAAAAAAAAA="}}}`, `{"_id":"x","nested":{"z":{"$integer":"AgAAAAAAAAA="}}}`},
		{`{"$undefined":null}`, `{"$undefined":null}`},
		{`{"$commitTs":null}`, `{"$commitTs":null}`},
		{`{"a":{"$undefined":null},"b":2}`, `{"b":2}`},
	}
	for _, c := range cases {
		v, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", c.in, err)
		}
		out, err := Encode(v)
		if err != nil {
			t.Fatalf("Encode(%s): %v", c.in, err)
		}
		if string(out) != c.want {
			t.Errorf("round trip %s: got %s want %s", c.in, out, c.want)
		}
	}
}

func TestDecodeTypes(t *testing.T) {
	v, err := Decode([]byte(`{"i":{"$integer":"/v///////38="},"f":{"$float":"AAAAAAAA8P8="},"b":{"$bytes":"aGk="}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]Value)
	if m["i"] != int64(math.MaxInt64-1) {
		t.Errorf("int: %#v", m["i"])
	}
	if f := m["f"].(float64); !math.IsInf(f, -1) {
		t.Errorf("float: %v", f)
	}
	if string(m["b"].([]byte)) != "hi" {
		t.Errorf("bytes: %v", m["b"])
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := []string{
		``, `{`, `[1,]`, `1 2`,
		`{"$integer":"AQ=="}`,        // 1 byte
		`{"$integer":5}`,             // not a string
		`{"$float":"AAAAAAAA8D8="}`,  // 1.0 must be a plain number
		`{"$bytes":"!!"}`,            // bad base64
		`{"$set":[]}`, `{"$map":[]}`, // removed types
		`{"$foo":1}`,           // reserved field
		`{"a":{"$x":1,"y":2}}`, // reserved field inside
		`{"a\u0001":1}`,        // control character
		`{"$undefined":1}`,
		`{"` + strings.Repeat("k", 1025) + `":1}`,
	}
	for _, b := range bad {
		if _, err := Decode([]byte(b)); err == nil {
			t.Errorf("Decode(%q) succeeded", b)
		}
	}
}

func TestEncodeRejectsUnknown(t *testing.T) {
	if _, err := Encode(struct{}{}); err == nil {
		t.Error("struct encoded")
	}
	if _, err := Encode(map[string]Value{"a": []Value{uint8(1)}}); err == nil {
		t.Error("uint8 encoded")
	}
}

func TestExportJSON(t *testing.T) {
	v, err := Decode([]byte(`{"i":{"$integer":"KgAAAAAAAAA="},"n":{"$float":"AAAAAAAA+H8="},"p":{"$float":"AAAAAAAA8H8="},"b":{"$bytes":"aGk="},"f":2.5,"w":3,"z":{"$undefined":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := json.Marshal(ExportJSON(v))
	if want := `{"b":"aGk=","f":2.5,"i":"42","n":"NaN","p":"Infinity","w":3}`; string(clean) != want {
		t.Errorf("clean: %s want %s", clean, want)
	}
	lossless, _ := json.Marshal(LosslessJSON(v))
	if want := `{"b":{"$bytes":"aGk="},"f":2.5,"i":42,"n":{"$float":"AAAAAAAA+H8="},"p":{"$float":"AAAAAAAA8H8="},"w":3.0}`; string(lossless) != want {
		t.Errorf("lossless: %s want %s", lossless, want)
	}
}

// ordered lists values in strictly increasing order.
func ordered() []Value {
	return []Value{
		Undefined,
		nil,
		int64(math.MinInt64), int64(-1), int64(0), int64(1), int64(math.MaxInt64),
		math.Float64frombits(0xFFF8000000000000), // -NaN
		math.Inf(-1), -1e300, -1.5, math.Copysign(0, -1), 0.0, 1e-300, 1.5, math.Inf(1),
		math.NaN(),
		false, true,
		"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "ab", "b", "é", "\U0001F600",
		[]byte{}, []byte{0}, []byte{0, 0}, []byte{0, 0xFF}, []byte{1}, []byte{0xFF},
		[]Value{}, []Value{Undefined}, []Value{nil}, []Value{nil, nil}, []Value{int64(1)}, []Value{"a"}, []Value{"a", nil}, []Value{"a\x00"}, []Value{[]Value{}},
		map[string]Value{},
		map[string]Value{"a": nil},
		map[string]Value{"a": nil, "b": nil},
		map[string]Value{"a": int64(1)},
		map[string]Value{"a": "x"},
		map[string]Value{"ab": nil},
		map[string]Value{"b": nil},
	}
}

func TestCompareTotalOrder(t *testing.T) {
	vs := ordered()
	for i := range vs {
		for j := range vs {
			want := cmpInt(i, j)
			if got := Compare(vs[i], vs[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ShortString(vs[i], 0), ShortString(vs[j], 0), got, want)
			}
			if got := bytes.Compare(IndexKey(vs[i]), IndexKey(vs[j])); got != want {
				t.Errorf("IndexKey order (%s, %s) = %d, want %d", ShortString(vs[i], 0), ShortString(vs[j], 0), got, want)
			}
			if i != j && bytes.HasPrefix(IndexKey(vs[j]), IndexKey(vs[i])) {
				t.Errorf("key of %s is a prefix of the key of %s", ShortString(vs[i], 0), ShortString(vs[j], 0))
			}
		}
	}
}

func TestIndexKeyTuples(t *testing.T) {
	vs := ordered()
	type tuple []Value
	var tuples []tuple
	for _, a := range vs {
		tuples = append(tuples, tuple{a})
		for _, b := range vs[:12] {
			tuples = append(tuples, tuple{a, b})
		}
	}
	cmpTuple := func(x, y tuple) int {
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := Compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	}
	for i := range tuples {
		for j := range tuples {
			want := cmpTuple(tuples[i], tuples[j])
			got := bytes.Compare(IndexKey(tuples[i]...), IndexKey(tuples[j]...))
			if got != want {
				t.Fatalf("tuple order %v vs %v: got %d want %d", tuples[i], tuples[j], got, want)
			}
		}
	}
}

// randomValue builds a small random value biased towards edge cases.
func randomValue(r *rand.Rand, depth int) Value {
	k := r.Intn(10)
	if depth > 2 && k >= 7 {
		k = r.Intn(7)
	}
	strs := []string{"", "a", "ab", "\x00", "a\x00", "b", "\xff"}
	switch k {
	case 0:
		return nil
	case 1:
		return []int64{math.MinInt64, -2, -1, 0, 1, 2, math.MaxInt64}[r.Intn(7)]
	case 2:
		return []float64{math.Inf(-1), -1, math.Copysign(0, -1), 0, 0.5, 1, math.Inf(1), math.NaN()}[r.Intn(8)]
	case 3:
		return r.Intn(2) == 0
	case 4:
		return strs[r.Intn(len(strs))]
	case 5:
		return []byte(strs[r.Intn(len(strs))])
	case 6:
		return Undefined
	case 7, 8:
		n := r.Intn(3)
		out := make([]Value, n)
		for i := range out {
			out[i] = randomValue(r, depth+1)
		}
		return out
	default:
		m := map[string]Value{}
		for i := r.Intn(3); i > 0; i-- {
			v := randomValue(r, depth+1)
			if IsUndefined(v) {
				continue
			}
			m[[]string{"a", "b", "ab"}[r.Intn(3)]] = v
		}
		return m
	}
}

func TestIndexKeyRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	vs := make([]Value, 400)
	for i := range vs {
		vs[i] = randomValue(r, 0)
	}
	for i := range vs {
		for j := range vs {
			if Compare(vs[i], vs[j]) != bytes.Compare(IndexKey(vs[i]), IndexKey(vs[j])) {
				t.Fatalf("disagree on %s vs %s", ShortString(vs[i], 0), ShortString(vs[j], 0))
			}
		}
	}
	// Sorting by either must give the same sequence.
	a := append([]Value(nil), vs...)
	sort.SliceStable(a, func(i, j int) bool { return Compare(a[i], a[j]) < 0 })
	for i := 1; i < len(a); i++ {
		if bytes.Compare(IndexKey(a[i-1]), IndexKey(a[i])) > 0 {
			t.Fatal("sorted sequence not increasing in key order")
		}
	}
}

func FuzzIndexKeyOrder(f *testing.F) {
	f.Add([]byte(`[1,"a"]`), []byte(`[1,"a\u0000"]`))
	f.Add([]byte(`{"a":null}`), []byte(`{"a":{"$integer":"AQAAAAAAAAA="}}`))
	f.Add([]byte(`{"$float":"AAAAAAAAAIA="}`), []byte(`0`))
	f.Add([]byte(`{"$bytes":"AA=="}`), []byte(`{"$bytes":"AP8="}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		va, err := Decode(a)
		if err != nil {
			return
		}
		vb, err := Decode(b)
		if err != nil {
			return
		}
		c := Compare(va, vb)
		if c != -Compare(vb, va) {
			t.Fatalf("Compare not antisymmetric")
		}
		ka, kb := IndexKey(va), IndexKey(vb)
		if k := bytes.Compare(ka, kb); k != c {
			t.Fatalf("key order %d != Compare %d for %s vs %s", k, c, a, b)
		}
		// Prefix-free: range scans over "equal to x" rely on it.
		if c != 0 && (bytes.HasPrefix(ka, kb) || bytes.HasPrefix(kb, ka)) {
			t.Fatalf("keys of unequal values %s and %s are prefixes", a, b)
		}
		// Encoding is invertible.
		ea, err := Encode(va)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(ea)
		if err != nil || Compare(back, va) != 0 {
			t.Fatalf("round trip of %s changed the value: %s", a, ea)
		}
	})
}

func TestSize(t *testing.T) {
	cases := []struct {
		v    Value
		want int
	}{
		{nil, 1}, {true, 1}, {int64(5), 9}, {1.5, 9}, {"abc", 5}, {"é", 4}, {[]byte{1, 2}, 4},
		{[]Value{nil, "a"}, 2 + 1 + 3},
		{map[string]Value{"ab": int64(1)}, 2 + 3 + 9},
		{Undefined, 0},
	}
	for _, c := range cases {
		if got := Size(c.v); got != c.want {
			t.Errorf("Size(%s) = %d, want %d", ShortString(c.v, 0), got, c.want)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	deep := Value(nil)
	for i := 0; i < 20; i++ {
		deep = []Value{deep}
	}
	if err := CheckLimits(deep); err == nil {
		t.Error("too deep accepted")
	}
	if err := CheckLimits(make([]Value, MaxArrayLen+1)); err == nil {
		t.Error("long array accepted")
	}
	if err := CheckLimits(map[string]Value{"a": []Value{int64(1)}}); err != nil {
		t.Error(err)
	}
}

func TestFormatJSON(t *testing.T) {
	v := map[string]Value{"i": int64(7), "f": 1.0, "s": "<&>"}
	cases := map[string]string{
		"":                    `{"f":1,"i":{"$integer":"BwAAAAAAAAA="},"s":"<&>"}`,
		"convex_json":         `{"f":1,"i":{"$integer":"BwAAAAAAAAA="},"s":"<&>"}`,
		"json":                `{"f":1,"i":"7","s":"<&>"}`,
		"convex_clean_json":   `{"f":1,"i":"7","s":"<&>"}`,
		"export_json":         `{"f":1.0,"i":7,"s":"<&>"}`,
		"convex_encoded_json": `{"f":1,"i":{"$integer":"BwAAAAAAAAA="},"s":"<&>"}`,
	}
	for format, want := range cases {
		got, err := FormatJSON(v, format)
		if err != nil || string(got) != want {
			t.Errorf("FormatJSON(%q) = %s, %v; want %s", format, got, err, want)
		}
	}
	if _, err := FormatJSON(v, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}
