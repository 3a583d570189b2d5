package subscribe

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Encode writes a decoded value back as Convex-encoded JSON, the way
// JavaScript's JSON.stringify(convexToJson(v), null, indent) does: keys in
// their order, numbers as JavaScript prints them, no HTML escaping, and
// with indent != "" one member per line.
func Encode(v any, indent string) string {
	var b strings.Builder
	encode(&b, v, indent, "")
	return b.String()
}

func encode(b *strings.Builder, v any, indent, prefix string) {
	marker := func(key string, bits []byte) {
		encode(b, Object{{Key: key, Value: base64.StdEncoding.EncodeToString(bits)}}, indent, prefix)
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) || (t == 0 && math.Signbit(t)) {
			var bits [8]byte
			binary.LittleEndian.PutUint64(bits[:], math.Float64bits(t))
			marker("$float", bits[:])
			return
		}
		b.WriteString(FormatNumber(t))
	case int64:
		var bits [8]byte
		binary.LittleEndian.PutUint64(bits[:], uint64(t))
		marker("$integer", bits[:])
	case []byte:
		marker("$bytes", t)
	case string:
		b.WriteString(quoteJS(t))
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return
		}
		inner := prefix + indent
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(b, indent, inner)
			encode(b, e, indent, inner)
		}
		newline(b, indent, prefix)
		b.WriteByte(']')
	case Object:
		if len(t) == 0 {
			b.WriteString("{}")
			return
		}
		inner := prefix + indent
		b.WriteByte('{')
		for i, f := range jsKeyOrder(t) {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(b, indent, inner)
			b.WriteString(quoteJS(f.Key))
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			encode(b, f.Value, indent, inner)
		}
		newline(b, indent, prefix)
		b.WriteByte('}')
	default:
		b.WriteString(quoteJS(fmt.Sprint(t)))
	}
}

func newline(b *strings.Builder, indent, prefix string) {
	if indent != "" {
		b.WriteByte('\n')
		b.WriteString(prefix)
	}
}

// quoteJS quotes s as JSON.stringify does: only ", \ and control
// characters are escaped.
func quoteJS(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\u%04x`, s[i]) // not UTF-8: keep the byte visible
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
