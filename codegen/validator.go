package codegen

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
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

// TSType renders the TypeScript type a value passing v has, with ids as
// plain strings.
func (v Validator) TSType() string { return v.tsType(false) }

// tsType renders v; useID writes id validators as Id<"table">.
func (v Validator) tsType(useID bool) string {
	switch v.Type {
	case "null", "number", "bigint", "boolean", "string", "any":
		return v.Type
	case "bytes":
		return "ArrayBuffer"
	case "commitTs":
		return `bigint | import("convex/values").CommitTsPlaceholder`
	case "id":
		if useID {
			return "Id<" + strconv.Quote(v.TableName) + ">"
		}
		return "string"
	case "literal":
		return literalType(v.Value)
	case "array":
		var inner Validator
		if json.Unmarshal(v.Value, &inner) != nil {
			return "Array<unknown>"
		}
		return "Array<" + inner.tsType(useID) + ">"
	case "record":
		k, val := "string", "unknown"
		if v.Keys != nil {
			k = v.Keys.tsType(useID)
		}
		if v.Values != nil {
			val = v.Values.FieldType.tsType(useID)
		}
		return "Record<" + k + ", " + val + ">"
	case "union":
		var members []Validator
		if json.Unmarshal(v.Value, &members) != nil || len(members) == 0 {
			return "never"
		}
		parts := make([]string, len(members))
		for i, m := range members {
			parts[i] = m.tsType(useID)
		}
		return strings.Join(parts, " | ")
	case "object":
		fields, err := orderedFields(v.Value)
		if err != nil {
			return "Record<string, unknown>"
		}
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			opt := ""
			if f.v.Optional {
				opt = "?"
			}
			parts = append(parts, propertyName(f.name)+opt+": "+f.v.FieldType.tsType(useID))
		}
		if len(parts) == 0 {
			return "{}" // as Prettier prints an empty type literal
		}
		return "{ " + strings.Join(parts, ", ") + " }"
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

type namedField struct {
	name string
	v    FieldValidator
}

// orderedFields decodes an object validator's fields in declaration order.
func orderedFields(raw json.RawMessage) ([]namedField, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("object validator value is not an object")
	}
	var out []namedField
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var f FieldValidator
		if err := dec.Decode(&f); err != nil {
			return nil, err
		}
		out = append(out, namedField{t.(string), f})
	}
	return out, nil
}

// propertyName writes a field name bare when it is an identifier.
func propertyName(k string) string { return propertyKey(k) }
