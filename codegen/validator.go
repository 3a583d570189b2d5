package codegen

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Validator is the JSON form of a Convex validator (args, returns, schema
// fields and declared environment variables).
type Validator struct {
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value,omitempty"`
	TableName string          `json:"tableName,omitempty"`
	Keys      *Validator      `json:"keys,omitempty"`
	Values    *FieldValidator `json:"values,omitempty"`
}

// FieldValidator is an object field or record value validator.
type FieldValidator struct {
	FieldType Validator `json:"fieldType"`
	Optional  bool      `json:"optional"`
}

// TSType renders the TypeScript type a value passing v has.
func (v Validator) TSType() string {
	switch v.Type {
	case "null", "number", "bigint", "boolean", "string", "any":
		return v.Type
	case "bytes":
		return "ArrayBuffer"
	case "commitTs":
		return `bigint | import("convex/values").CommitTsPlaceholder`
	case "id":
		return "string"
	case "literal":
		return literalType(v.Value)
	case "array":
		var inner Validator
		if json.Unmarshal(v.Value, &inner) != nil {
			return "Array<unknown>"
		}
		return "Array<" + inner.TSType() + ">"
	case "record":
		k, val := "string", "unknown"
		if v.Keys != nil {
			k = v.Keys.TSType()
		}
		if v.Values != nil {
			val = v.Values.FieldType.TSType()
		}
		return "Record<" + k + ", " + val + ">"
	case "union":
		var members []Validator
		if json.Unmarshal(v.Value, &members) != nil || len(members) == 0 {
			return "never"
		}
		parts := make([]string, len(members))
		for i, m := range members {
			parts[i] = m.TSType()
		}
		return strings.Join(parts, " | ")
	case "object":
		var fields map[string]FieldValidator
		if json.Unmarshal(v.Value, &fields) != nil {
			return "Record<string, unknown>"
		}
		names := make([]string, 0, len(fields))
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		b.WriteString("{")
		for _, n := range names {
			f := fields[n]
			opt := ""
			if f.Optional {
				opt = "?"
			}
			fmt.Fprintf(&b, " %s%s: %s;", strconv.Quote(n), opt, f.FieldType.TSType())
		}
		b.WriteString(" }")
		return b.String()
	}
	return "unknown"
}

// literalType renders a Convex-JSON literal as a TypeScript literal type.
func literalType(raw json.RawMessage) string {
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return "unknown"
	}
	switch t := x.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	case string:
		q, _ := json.Marshal(t)
		return string(q)
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case map[string]any:
		if s, ok := t["$integer"].(string); ok {
			b, err := base64.StdEncoding.DecodeString(s)
			if err == nil && len(b) == 8 {
				return strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10) + "n"
			}
		}
		if s, ok := t["$float"].(string); ok {
			b, err := base64.StdEncoding.DecodeString(s)
			if err == nil && len(b) == 8 {
				f := math.Float64frombits(binary.LittleEndian.Uint64(b))
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return "number"
				}
				return "-0"
			}
		}
	}
	return "unknown"
}
