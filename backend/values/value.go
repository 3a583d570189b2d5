// Package values implements Convex values: their JSON encodings, the total
// order between them, an order-preserving key encoding, document ids and
// validators.
//
// A Value's dynamic type is one of nil (null), bool, int64, float64, string,
// []byte, []Value or map[string]Value. Two sentinels exist besides these:
// Undefined (a missing field, used in filters, index ranges and patches) and
// CommitTs (the placeholder for a pending commit timestamp).
package values

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Value is a Convex value. See the package comment for the allowed dynamic types.
type Value = any

type undefinedValue struct{}

type commitTsValue struct{}

// Undefined stands for a missing value. It sorts below every other value and
// is encoded as {"$undefined":null}.
var Undefined Value = undefinedValue{}

// CommitTs is the placeholder {"$commitTs":null} for the commit timestamp of a
// pending write. The store replaces it with the int64 commit timestamp.
var CommitTs Value = commitTsValue{}

// IsUndefined reports whether v is the Undefined sentinel.
func IsUndefined(v Value) bool { _, ok := v.(undefinedValue); return ok }

// IsCommitTs reports whether v is the CommitTs placeholder.
func IsCommitTs(v Value) bool { _, ok := v.(commitTsValue); return ok }

// MaxFieldNameLen is the longest allowed object field name.
const MaxFieldNameLen = 1024

// Decode parses Convex-encoded JSON text.
func Decode(encoded []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(encoded))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: trailing data after value")
	}
	return FromJSON(raw)
}

// FromJSON converts a tree produced by encoding/json (with UseNumber, or with
// plain float64 numbers) holding Convex-encoded JSON into a Value.
func FromJSON(v any) (Value, error) {
	return fromJSON(v, "")
}

func fromJSON(v any, path string) (Value, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case float64:
		return x, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			// Out-of-range literals become ±Inf in JavaScript too.
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return f, nil
			}
			return nil, fmt.Errorf("invalid number %s%s", x, at(path))
		}
		return f, nil
	case []any:
		out := make([]Value, len(x))
		for i, e := range x {
			d, err := fromJSON(e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if strings.HasPrefix(k, "$") {
					return decodeMarker(k, inner, path)
				}
			}
		}
		out := make(map[string]Value, len(x))
		for k, e := range x {
			if err := CheckFieldName(k); err != nil {
				return nil, fmt.Errorf("%v%s", err, at(path))
			}
			d, err := fromJSON(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = d
		}
		return out, nil
	case int64, []byte:
		return x, nil
	case undefinedValue, commitTsValue:
		return x, nil
	}
	return nil, fmt.Errorf("unsupported JSON value of type %T%s", v, at(path))
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return " at path " + path
}

func decodeMarker(k string, inner any, path string) (Value, error) {
	str := func() (string, error) {
		s, ok := inner.(string)
		if !ok {
			return "", fmt.Errorf("malformed %s field%s: expected a string", k, at(path))
		}
		return s, nil
	}
	switch k {
	case "$bytes":
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("malformed $bytes field%s: %v", at(path), err)
		}
		return b, nil
	case "$integer":
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 8 {
			return nil, fmt.Errorf("malformed $integer field%s: expected base64 of 8 bytes", at(path))
		}
		return int64(binary.LittleEndian.Uint64(b)), nil
	case "$float":
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 8 {
			return nil, fmt.Errorf("malformed $float field%s: expected base64 of 8 bytes", at(path))
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if !isSpecialFloat(f) {
			return nil, fmt.Errorf("float %v%s should be encoded as a number", f, at(path))
		}
		return f, nil
	case "$undefined":
		if inner != nil {
			return nil, fmt.Errorf("malformed $undefined field%s: expected null", at(path))
		}
		return Undefined, nil
	case "$commitTs":
		if inner != nil {
			return nil, fmt.Errorf("malformed $commitTs field%s: expected null", at(path))
		}
		return CommitTs, nil
	case "$set":
		return nil, fmt.Errorf("received a Set%s, which is no longer a supported Convex type", at(path))
	case "$map":
		return nil, fmt.Errorf("received a Map%s, which is no longer a supported Convex type", at(path))
	}
	return nil, fmt.Errorf("field name %s starts with a '$', which is reserved%s", k, at(path))
}

// CheckFieldName reports whether k may be an object field name: at most 1024
// characters of non-control ASCII, not starting with '$'.
func CheckFieldName(k string) error {
	if len(k) > MaxFieldNameLen {
		return fmt.Errorf("field name %.40s... exceeds maximum field name length %d", k, MaxFieldNameLen)
	}
	if strings.HasPrefix(k, "$") {
		return fmt.Errorf("field name %s starts with a '$', which is reserved", k)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 32 || k[i] >= 127 {
			return fmt.Errorf("field name %q has invalid character: field names can only contain non-control ASCII characters", k)
		}
	}
	return nil
}

func isSpecialFloat(f float64) bool {
	return math.IsNaN(f) || math.IsInf(f, 0) || (f == 0 && math.Signbit(f))
}

// Encode writes v as Convex-encoded JSON text with object keys sorted.
// Undefined object fields are omitted; an Undefined elsewhere is written
// {"$undefined":null}.
func Encode(v Value) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeTo(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MustEncode is Encode for values known to be valid (it panics otherwise).
func MustEncode(v Value) []byte {
	b, err := Encode(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSONString(buf *bytes.Buffer, s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	buf.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
}

func writeMarker(buf *bytes.Buffer, key string, b []byte) {
	buf.WriteString(`{"` + key + `":"`)
	buf.WriteString(base64.StdEncoding.EncodeToString(b))
	buf.WriteString(`"}`)
}

func le64(u uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], u)
	return b[:]
}

// formatFloat writes a finite float the way JavaScript's Number#toString does.
func formatFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func encodeTo(buf *bytes.Buffer, v Value) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case int64:
		writeMarker(buf, "$integer", le64(uint64(x)))
	case int:
		writeMarker(buf, "$integer", le64(uint64(int64(x))))
	case float64:
		if isSpecialFloat(x) {
			writeMarker(buf, "$float", le64(math.Float64bits(x)))
		} else {
			buf.WriteString(formatFloat(x))
		}
	case string:
		writeJSONString(buf, x)
	case []byte:
		writeMarker(buf, "$bytes", x)
	case []Value:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeTo(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]Value:
		keys := sortedKeys(x)
		buf.WriteByte('{')
		first := true
		for _, k := range keys {
			if IsUndefined(x[k]) {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			writeJSONString(buf, k)
			buf.WriteByte(':')
			if err := encodeTo(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case undefinedValue:
		buf.WriteString(`{"$undefined":null}`)
	case commitTsValue:
		buf.WriteString(`{"$commitTs":null}`)
	default:
		return fmt.Errorf("%T is not a supported Convex value", v)
	}
	return nil
}

func sortedKeys(m map[string]Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ExportJSON converts v to the lossy "clean JSON" form (format "json"):
// int64 as a decimal string, bytes as a base64 string, non-finite floats as
// "NaN"/"Infinity"/"-Infinity". The result is a plain tree (map[string]any,
// []any, string, bool, nil, json.Number) that encoding/json writes with
// sorted object keys.
func ExportJSON(v Value) any {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
		return json.Number(formatFloat(x))
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	if out, ok := exportShared(v, ExportJSON); ok {
		return out
	}
	return v
}

// LosslessJSON converts v to the "export_json" form: int64 as a JSON integer,
// finite floats always with a decimal point, non-finite floats as $float and
// bytes as $bytes.
func LosslessJSON(v Value) any {
	switch x := v.(type) {
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		if isSpecialFloat(x) {
			return map[string]any{"$float": base64.StdEncoding.EncodeToString(le64(math.Float64bits(x)))}
		}
		s := formatFloat(x)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return json.Number(s)
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(x)}
	}
	if out, ok := exportShared(v, LosslessJSON); ok {
		return out
	}
	return v
}

// exportShared converts what ExportJSON and LosslessJSON convert alike:
// arrays and objects element by element with conv (leaving out undefined
// fields), undefined as null and the commit timestamp placeholder. ok is
// false for any other value.
func exportShared(v Value, conv func(Value) any) (out any, ok bool) {
	switch x := v.(type) {
	case []Value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = conv(e)
		}
		return out, true
	case map[string]Value:
		o := make(map[string]any, len(x))
		for k, e := range x {
			if !IsUndefined(e) {
				o[k] = conv(e)
			}
		}
		return o, true
	case undefinedValue:
		return nil, true
	case commitTsValue:
		return map[string]any{"$commitTs": nil}, true
	}
	return nil, false
}

// TypeName names v's Convex type, for error messages.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, int:
		return "bigint"
	case float64:
		return "number"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []Value:
		return "array"
	case map[string]Value:
		return "object"
	case undefinedValue:
		return "undefined"
	case commitTsValue:
		return "commitTs"
	}
	return fmt.Sprintf("%T", v)
}

// FormatJSON writes v in one of the value formats of the HTTP API:
// "convex_encoded_json"/"convex_json" (encoded), "json"/"convex_clean_json"
// (clean) or "export_json" (clean lossless). An empty format means encoded.
func FormatJSON(v Value, format string) ([]byte, error) {
	var tree any
	switch format {
	case "", "convex_encoded_json", "convex_json":
		return Encode(v)
	case "json", "convex_clean_json":
		tree = ExportJSON(v)
	case "export_json":
		tree = LosslessJSON(v)
	default:
		return nil, fmt.Errorf("unknown value format %q", format)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
