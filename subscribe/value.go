package subscribe

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

// Decoded Convex values are plain Go values: nil, bool, float64, int64
// (from {"$integer"}), []byte (from {"$bytes"}), string, []any, and
// Object, which keeps the key order the deployment sent.

// Field is one key of an Object.
type Field struct {
	Key   string
	Value any
}

// Object is a Convex object with its keys in their original order.
type Object []Field

// Get returns the value of key and whether it is present.
func (o Object) Get(key string) (any, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// Decode parses Convex-encoded JSON (the sync protocol's value format).
func Decode(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("decoding a Convex value: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding a Convex value: data after the value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil, bool, string:
		return t, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", t, err)
		}
		return f, nil
	case json.Delim:
		switch t {
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		case '{':
			var obj Object
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, Field{Key: kt.(string), Value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = Object{}
			}
			return special(obj)
		}
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}

// special turns the one-key marker objects into their values.
func special(obj Object) (any, error) {
	if len(obj) != 1 || !strings.HasPrefix(obj[0].Key, "$") {
		for _, f := range obj {
			if strings.HasPrefix(f.Key, "$") {
				return nil, fmt.Errorf("field names may not start with '$' (found %q)", f.Key)
			}
		}
		return obj, nil
	}
	key := obj[0].Key
	s, ok := obj[0].Value.(string)
	if !ok {
		return nil, fmt.Errorf("%s must hold a base64 string", key)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not base64: %w", key, s, err)
	}
	switch key {
	case "$bytes":
		return b, nil
	case "$integer":
		if len(b) != 8 {
			return nil, fmt.Errorf("$integer %q is not 8 bytes", s)
		}
		return int64(binary.LittleEndian.Uint64(b)), nil
	case "$float":
		if len(b) != 8 {
			return nil, fmt.Errorf("$float %q is not 8 bytes", s)
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	}
	return nil, fmt.Errorf("unknown special field %q", key)
}

// FormatNumber writes a float64 the way JavaScript's Number#toString does
// (so printed data matches what other Convex tools show).
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-tripping digits d1d2…dk and exponent: f = 0.d1…dk × 10^n.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	n, k := exp+1, len(digits)
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	return sign + m + "e" + es + strconv.Itoa(abs(n-1))
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// Display renders a value the compact way `convex data` prints document
// fields: strings JSON-quoted, int64 as 12n, bytes as Bytes("<base64>"),
// arrays [a, b] and objects { "k": v }.
func Display(v any) string {
	var b strings.Builder
	display(&b, v)
	return b.String()
}

func display(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case float64:
		b.WriteString(FormatNumber(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10) + "n")
	case string:
		b.WriteString(jsString(t))
	case []byte:
		b.WriteString(`Bytes("` + base64.StdEncoding.EncodeToString(t) + `")`)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			display(b, e)
		}
		b.WriteByte(']')
	case Object:
		b.WriteString("{ ")
		for i, f := range jsKeyOrder(t) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsString(f.Key) + ": ")
			display(b, f.Value)
		}
		b.WriteString(" }")
	default:
		fmt.Fprintf(b, "%v", t)
	}
}

// jsKeyOrder orders fields as a JavaScript object lists its keys, which is
// how the npm CLI prints them: integer-like keys ("2", "10") first in
// numeric order, then the others in their original order.
func jsKeyOrder(o Object) Object {
	index := func(k string) (uint64, bool) {
		if k == "" || (len(k) > 1 && k[0] == '0') {
			return 0, false
		}
		n, err := strconv.ParseUint(k, 10, 32)
		return n, err == nil && n < 1<<32-1
	}
	var ints, rest Object
	for _, f := range o {
		if _, ok := index(f.Key); ok {
			ints = append(ints, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(ints) == 0 {
		return o
	}
	sort.SliceStable(ints, func(i, j int) bool {
		a, _ := index(ints[i].Key)
		b, _ := index(ints[j].Key)
		return a < b
	})
	return append(ints, rest...)
}

// jsString quotes s as JSON.stringify does: only ", \ and control
// characters below U+0020 are escaped; HTML characters, U+007F and the
// line and paragraph separators U+2028/U+2029 stay as they are.
func jsString(s string) string { return quoteJS(s) }

// QuoteJS quotes s as JavaScript's JSON.stringify does, so what the CLI
// prints matches the npm CLI byte for byte.
func QuoteJS(s string) string { return quoteJS(s) }

// RequoteJSON rewrites every string in the JSON text v the way
// JSON.stringify writes it (the npm CLI re-serialises what it prints): a
// deployment may escape "<", "&" or U+2028 where JSON.stringify does not.
// Text that is not valid JSON is returned unchanged.
func RequoteJSON(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); {
		if v[i] != '"' {
			out = append(out, v[i])
			i++
			continue
		}
		end := i + 1
		for end < len(v) && v[end] != '"' {
			if v[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(v) {
			return v
		}
		var s string
		if json.Unmarshal(v[i:end+1], &s) != nil {
			return v
		}
		out = append(out, QuoteJS(s)...)
		i = end + 1
	}
	return out
}
