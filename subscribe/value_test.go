package subscribe

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1", -1: "-1", 0.5: "0.5", 1700000000000.5: "1700000000000.5", 1e21: "1e+21", 1e20: "100000000000000000000",
		123e-9: "1.23e-7", 0.000001: "0.000001", 1.5e-7: "1.5e-7", 12345.678: "12345.678", -2.5e30: "-2.5e+30",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", math.NaN(): "NaN", math.Copysign(0, -1): "0",
	} {
		if got := FormatNumber(f); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestDecodeAndDisplay(t *testing.T) {
	raw := `{"_id":"abc","_creationTime":1700000000000.5,"body":"hi <b>","n":{"$integer":"AQAAAAAAAAA="},"neg":{"$integer":"//////////8="},` +
		`"b":{"$bytes":"aGk="},"f":{"$float":"AAAAAAAA+H8="},"list":[1,true,null,[]],"obj":{"z":1,"a":{}}}`
	v, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := `{ "_id": "abc", "_creationTime": 1700000000000.5, "body": "hi <b>", "n": 1n, "neg": -1n, "b": Bytes("aGk="), "f": NaN, "list": [1, true, null, []], "obj": { "z": 1, "a": {  } } }`
	if got := Display(v); got != want {
		t.Errorf("Display =\n%s\nwant\n%s", got, want)
	}
	if n, ok := v.(Object).Get("n"); !ok || n != int64(1) {
		t.Errorf("Get(n) = %v %v", n, ok)
	}
	if _, ok := v.(Object).Get("missing"); ok {
		t.Error("Get(missing) found something")
	}
	if got := Display("a\"b\\c\n"); got != `"a\"b\\c\n"` {
		t.Errorf("string display %s", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, bad := range []string{
		``, `{`, `[1,]`, `{"$integer":"AQ=="}`, `{"$integer":5}`, `{"$bytes":"!!"}`, `{"$set":"AA=="}`,
		`{"a":1,"$b":2}`, `1 2`, `{"$float":"AAAA"}`,
	} {
		if v, err := Decode(json.RawMessage(bad)); err == nil {
			t.Errorf("Decode(%s) = %v, want an error", bad, v)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	raw := `{"b":1.5,"a":[{"$integer":"AQAAAAAAAAA="},{"$bytes":"aGk="},{"$float":"AAAAAAAA+H8="},{"$float":"AAAAAAAAAIA="}],"s":"<é>\"\n\u0001","e":{},"l":[],"n":null,"t":true,"big":1e21}`
	v, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":1.5,"a":[{"$integer":"AQAAAAAAAAA="},{"$bytes":"aGk="},{"$float":"AAAAAAAA+H8="},{"$float":"AAAAAAAAAIA="}],"s":"<é>\"\n\u0001","e":{},"l":[],"n":null,"t":true,"big":1e+21}`
	if got := Encode(v, ""); got != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}
	indented := Encode(Object{{"url", "http://x"}, {"functions", []any{Object{{"k", 1.0}}, []any{}}}}, "  ")
	wantIndented := "{\n  \"url\": \"http://x\",\n  \"functions\": [\n    {\n      \"k\": 1\n    },\n    []\n  ]\n}"
	if indented != wantIndented {
		t.Errorf("indented =\n%s\nwant\n%s", indented, wantIndented)
	}
	if !json.Valid([]byte(indented)) || !json.Valid([]byte(Encode(v, "\t"))) {
		t.Error("Encode wrote invalid JSON")
	}
}
