package values

import (
	"strings"
	"testing"
)

func mustDecode(t *testing.T, s string) Value {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%s): %v", s, err)
	}
	return v
}

func TestValidate(t *testing.T) {
	msgID := EncodeID(10001, [16]byte{1})
	userID := EncodeID(10002, [16]byte{2})
	tables := func(name string) (uint32, bool) {
		switch name {
		case "messages":
			return 10001, true
		case "users":
			return 10002, true
		}
		return 0, false
	}
	obj := `{"type":"object","value":{"author":{"fieldType":{"type":"string"},"optional":false},"n":{"fieldType":{"type":"number"},"optional":true}}}`
	cases := []struct {
		validator, value string
		ok               bool
		wantErr          string // substring
	}{
		{`{"type":"any"}`, `{"x":[1,{"$bytes":""}]}`, true, ""},
		{`{"type":"null"}`, `null`, true, ""},
		{`{"type":"null"}`, `0`, false, "does not match"},
		{`{"type":"number"}`, `1.5`, true, ""},
		{`{"type":"number"}`, `{"$float":"AAAAAAAA+H8="}`, true, ""},
		{`{"type":"number"}`, `{"$integer":"AQAAAAAAAAA="}`, false, "v.float64()"},
		{`{"type":"float64"}`, `1`, true, ""},
		{`{"type":"bigint"}`, `{"$integer":"AQAAAAAAAAA="}`, true, ""},
		{`{"type":"int64"}`, `1`, false, "v.int64()"},
		{`{"type":"boolean"}`, `false`, true, ""},
		{`{"type":"boolean"}`, `"true"`, false, "Value: \"true\""},
		{`{"type":"string"}`, `""`, true, ""},
		{`{"type":"string"}`, `null`, false, "v.string()"},
		{`{"type":"bytes"}`, `{"$bytes":"AA=="}`, true, ""},
		{`{"type":"bytes"}`, `"AA=="`, false, "v.bytes()"},
		{`{"type":"literal","value":"a"}`, `"a"`, true, ""},
		{`{"type":"literal","value":"a"}`, `"b"`, false, `v.literal("a")`},
		{`{"type":"literal","value":{"$integer":"AQAAAAAAAAA="}}`, `{"$integer":"AQAAAAAAAAA="}`, true, ""},
		{`{"type":"literal","value":{"$integer":"AQAAAAAAAAA="}}`, `1`, false, "v.literal(1n)"},
		{`{"type":"literal","value":1}`, `1`, true, ""},
		{`{"type":"id","tableName":"messages"}`, `"` + msgID + `"`, true, ""},
		{`{"type":"id","tableName":"messages"}`, `"` + userID + `"`, false, `not for table "messages"`},
		{`{"type":"id","tableName":"messages"}`, `"nope"`, false, "not a valid document id"},
		{`{"type":"id","tableName":"ghosts"}`, `"` + msgID + `"`, false, "ghosts"},
		{`{"type":"array","value":{"type":"string"}}`, `["a","b"]`, true, ""},
		{`{"type":"array","value":{"type":"string"}}`, `["a",2]`, false, "Path: [1]"},
		{`{"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"number"},"optional":false}}`, `{"a":1,"b":2}`, true, ""},
		{`{"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"number"},"optional":false}}`, `{"a":1,"b":"x"}`, false, "Path: .b"},
		{`{"type":"record","keys":{"type":"union","value":[{"type":"literal","value":"a"}]},"values":{"fieldType":{"type":"any"},"optional":false}}`, `{"z":1}`, false, "Path: .z (key)"},
		{`{"type":"union","value":[{"type":"string"},{"type":"null"}]}`, `null`, true, ""},
		{`{"type":"union","value":[{"type":"string"},{"type":"null"}]}`, `1`, false, "v.union(v.string(), v.null())"},
		{obj, `{"author":"a"}`, true, ""},
		{obj, `{"author":"a","n":2}`, true, ""},
		{obj, `{"author":"a","n":{"$undefined":null}}`, true, ""},
		{obj, `{"n":2}`, false, "missing the required field `author`"},
		{obj, `{"author":"a","x":1}`, false, "extra field `x`"},
		{obj, `{"author":1}`, false, "Path: .author"},
		{obj, `[]`, false, "does not match"},
		{`{"type":"object","value":{"a":{"fieldType":` + obj + `,"optional":false}}}`, `{"a":{"author":"x","n":"y"}}`, false, "Path: .a.n"},
		{`{"type":"commitTs"}`, `{"$commitTs":null}`, true, ""},
		{`{"type":"commitTs"}`, `{"$integer":"AQAAAAAAAAA="}`, true, ""},
		{`{"type":"commitTs"}`, `1`, false, "commitTs"},
	}
	for _, c := range cases {
		err := ValidateWith([]byte(c.validator), mustDecode(t, c.value), tables)
		if c.ok != (err == nil) {
			t.Errorf("Validate(%s, %s) = %v, want ok=%v", c.validator, c.value, err, c.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("Validate(%s, %s) error %q does not contain %q", c.validator, c.value, err, c.wantErr)
		}
	}
}

func TestValidationErrorText(t *testing.T) {
	obj := `{"type":"object","value":{"channelId":{"fieldType":{"type":"id","tableName":"channels"},"optional":false}}}`
	err := Validate([]byte(obj), map[string]Value{})
	want := "Object is missing the required field `channelId`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n\nObject: {}\nValidator: v.object({channelId: v.id(\"channels\")})"
	if err == nil || err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	err = Validate([]byte(obj), map[string]Value{"channelId": int64(3)})
	want = "Value does not match validator.\nPath: .channelId\nValue: 3n\nValidator: v.id(\"channels\")"
	if err == nil || err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
}

func TestValidateWithoutResolver(t *testing.T) {
	id := EncodeID(10001, [16]byte{1})
	if err := Validate([]byte(`{"type":"id","tableName":"x"}`), id); err != nil {
		t.Errorf("a valid id without a resolver: %v", err)
	}
}

func TestBadValidators(t *testing.T) {
	for _, bad := range []string{
		``, `{}`, `{"type":"wat"}`, `{"type":"array"}`, `{"type":"literal"}`,
		`{"type":"id"}`, `{"type":"union","value":{}}`, `{"type":"object","value":{"a":{"fieldType":{}}}}`,
		`{"type":"literal","value":{"$set":[]}}`,
	} {
		if _, err := ParseValidator([]byte(bad)); err == nil {
			t.Errorf("ParseValidator(%q) succeeded", bad)
		}
	}
}
