package values

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Validator is a parsed validator (§5.9).
type Validator struct {
	Type      string                    // null, number, bigint, boolean, string, bytes, any, literal, id, array, record, union, object, commitTs
	Literal   Value                     // literal
	TableName string                    // id
	Element   *Validator                // array element; record values
	Keys      *Validator                // record keys
	Members   []*Validator              // union
	Fields    map[string]FieldValidator // object
}

// FieldValidator is one object field (or the values of a record).
type FieldValidator struct {
	Type     *Validator
	Optional bool
}

// TableResolver maps a table name to its number, for id validators. It
// reports false for an unknown table.
type TableResolver func(tableName string) (uint32, bool)

// ValidationError says where a value failed its validator and why.
type ValidationError struct {
	Path      string // like ".author" or "[2].tags"; empty for the root
	Reason    string
	Value     Value
	Validator string // the validator in v.* notation
	objectErr bool   // about an object's fields: print "Object:" after a blank line
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	if e.objectErr {
		b.WriteString("\n")
	}
	if e.Path != "" {
		b.WriteString("\nPath: " + e.Path)
	}
	label := "Value"
	if e.objectErr {
		label = "Object"
	}
	if !IsUndefined(e.Value) {
		b.WriteString("\n" + label + ": " + ShortString(e.Value, 200))
	}
	if e.Validator != "" {
		b.WriteString("\nValidator: " + e.Validator)
	}
	return b.String()
}

type rawValidator struct {
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value"`
	TableName string          `json:"tableName"`
	Keys      json.RawMessage `json:"keys"`
	Values    json.RawMessage `json:"values"`
}

type rawField struct {
	FieldType json.RawMessage `json:"fieldType"`
	Optional  bool            `json:"optional"`
}

// ParseValidator parses validator JSON as produced by exportArgs(),
// exportReturns() and the schema's documentType.
func ParseValidator(validatorJSON []byte) (*Validator, error) {
	v, err := parseValidator(validatorJSON)
	if err != nil {
		return nil, fmt.Errorf("invalid validator: %w", err)
	}
	return v, nil
}

func parseValidator(data []byte) (*Validator, error) {
	var r rawValidator
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	v := &Validator{Type: r.Type}
	switch r.Type {
	case "null", "any", "boolean", "string", "bytes", "commitTs":
	case "number", "float64":
		v.Type = "number"
	case "bigint", "int64":
		v.Type = "bigint"
	case "literal":
		if len(r.Value) == 0 {
			return nil, fmt.Errorf("literal validator without a value")
		}
		lit, err := Decode(r.Value)
		if err != nil {
			return nil, fmt.Errorf("literal validator: %w", err)
		}
		v.Literal = lit
	case "id":
		if r.TableName == "" {
			return nil, fmt.Errorf("id validator without a tableName")
		}
		v.TableName = r.TableName
	case "array":
		el, err := parseValidator(r.Value)
		if err != nil {
			return nil, fmt.Errorf("array element: %w", err)
		}
		v.Element = el
	case "record":
		k, err := parseValidator(r.Keys)
		if err != nil {
			return nil, fmt.Errorf("record keys: %w", err)
		}
		var f rawField
		if err := json.Unmarshal(r.Values, &f); err != nil {
			return nil, fmt.Errorf("record values: %w", err)
		}
		el, err := parseValidator(f.FieldType)
		if err != nil {
			return nil, fmt.Errorf("record values: %w", err)
		}
		v.Keys, v.Element = k, el
	case "union":
		var members []json.RawMessage
		if err := json.Unmarshal(r.Value, &members); err != nil {
			return nil, fmt.Errorf("union members: %w", err)
		}
		for _, m := range members {
			mv, err := parseValidator(m)
			if err != nil {
				return nil, fmt.Errorf("union member: %w", err)
			}
			v.Members = append(v.Members, mv)
		}
	case "object":
		var fields map[string]rawField
		if err := json.Unmarshal(r.Value, &fields); err != nil {
			return nil, fmt.Errorf("object fields: %w", err)
		}
		v.Fields = make(map[string]FieldValidator, len(fields))
		for name, f := range fields {
			fv, err := parseValidator(f.FieldType)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", name, err)
			}
			v.Fields[name] = FieldValidator{Type: fv, Optional: f.Optional}
		}
	case "":
		return nil, fmt.Errorf("validator without a type")
	default:
		return nil, fmt.Errorf("unknown validator type %q", r.Type)
	}
	return v, nil
}

// Validate checks v against validator JSON. Id validators accept any valid
// id; use ValidateWith to also check the table.
func Validate(validatorJSON []byte, v Value) error {
	return ValidateWith(validatorJSON, v, nil)
}

// ValidateWith is Validate with a table resolver for id validators.
func ValidateWith(validatorJSON []byte, v Value, tables TableResolver) error {
	val, err := ParseValidator(validatorJSON)
	if err != nil {
		return err
	}
	return val.Check(v, tables)
}

// Check validates v. tables may be nil.
func (val *Validator) Check(v Value, tables TableResolver) error {
	return val.check(v, "", tables)
}

func (val *Validator) fail(path string, v Value, format string, args ...any) error {
	return &ValidationError{Path: path, Reason: fmt.Sprintf(format, args...), Value: v, Validator: val.String()}
}

func (val *Validator) mismatch(path string, v Value) error {
	return val.fail(path, v, "Value does not match validator.")
}

func (val *Validator) check(v Value, path string, tables TableResolver) error {
	if IsUndefined(v) && val.Type != "any" {
		return &ValidationError{Path: path, Reason: "Value is undefined, which is not a valid Convex value.", Value: Undefined, Validator: val.String()}
	}
	switch val.Type {
	case "any":
		return nil
	case "null":
		if v != nil {
			return val.mismatch(path, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return val.mismatch(path, v)
		}
	case "bigint":
		if rank(v) != rankInt {
			return val.mismatch(path, v)
		}
	case "commitTs":
		if rank(v) != rankInt && !IsCommitTs(v) {
			return val.mismatch(path, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return val.mismatch(path, v)
		}
	case "string":
		if _, ok := v.(string); !ok {
			return val.mismatch(path, v)
		}
	case "bytes":
		if _, ok := v.([]byte); !ok {
			return val.mismatch(path, v)
		}
	case "literal":
		if rank(v) != rank(val.Literal) || Compare(v, val.Literal) != 0 {
			return val.mismatch(path, v)
		}
	case "id":
		s, ok := v.(string)
		if !ok {
			return val.mismatch(path, v)
		}
		num, _, err := DecodeID(s)
		if err != nil {
			return val.fail(path, v, "Value does not match validator: it is not a valid document id.")
		}
		if tables != nil {
			want, known := tables(val.TableName)
			if !known || want != num {
				return val.fail(path, v, "Value does not match validator: the id is not for table %q.", val.TableName)
			}
		}
	case "array":
		arr, ok := v.([]Value)
		if !ok {
			return val.mismatch(path, v)
		}
		for i, e := range arr {
			if err := val.Element.check(e, path+"["+strconv.Itoa(i)+"]", tables); err != nil {
				return err
			}
		}
	case "record":
		obj, ok := v.(map[string]Value)
		if !ok {
			return val.mismatch(path, v)
		}
		for _, k := range sortedKeys(obj) {
			if IsUndefined(obj[k]) {
				continue
			}
			if err := val.Keys.check(k, path+"."+k+" (key)", tables); err != nil {
				return err
			}
			if err := val.Element.check(obj[k], path+"."+k, tables); err != nil {
				return err
			}
		}
	case "union":
		for _, m := range val.Members {
			if m.check(v, path, tables) == nil {
				return nil
			}
		}
		return val.mismatch(path, v)
	case "object":
		obj, ok := v.(map[string]Value)
		if !ok {
			return val.mismatch(path, v)
		}
		names := make([]string, 0, len(val.Fields))
		for name := range val.Fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			f := val.Fields[name]
			fv, present := obj[name]
			if !present || IsUndefined(fv) {
				if f.Optional {
					continue
				}
				err := val.fail(path, v, "Object is missing the required field `%s`. Consider wrapping the field validator in `v.optional(...)` if this is expected.", name)
				err.(*ValidationError).objectErr = true
				return err
			}
			if err := f.Type.check(fv, path+"."+name, tables); err != nil {
				return err
			}
		}
		for _, k := range sortedKeys(obj) {
			if _, ok := val.Fields[k]; !ok && !IsUndefined(obj[k]) {
				err := val.fail(path, v, "Object contains extra field `%s` that is not in the validator.", k)
				err.(*ValidationError).objectErr = true
				return err
			}
		}
	default:
		return val.fail(path, v, "unknown validator type %q", val.Type)
	}
	return nil
}

// String renders the validator in v.* notation, for error messages.
func (val *Validator) String() string {
	switch val.Type {
	case "number":
		return "v.float64()"
	case "bigint":
		return "v.int64()"
	case "null", "any", "boolean", "string", "bytes":
		return "v." + val.Type + "()"
	case "commitTs":
		return "v.commitTs()"
	case "literal":
		return "v.literal(" + ShortString(val.Literal, 80) + ")"
	case "id":
		return "v.id(" + strconv.Quote(val.TableName) + ")"
	case "array":
		return "v.array(" + val.Element.String() + ")"
	case "record":
		return "v.record(" + val.Keys.String() + ", " + val.Element.String() + ")"
	case "union":
		parts := make([]string, len(val.Members))
		for i, m := range val.Members {
			parts[i] = m.String()
		}
		return "v.union(" + strings.Join(parts, ", ") + ")"
	case "object":
		names := make([]string, 0, len(val.Fields))
		for name := range val.Fields {
			names = append(names, name)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, name := range names {
			f := val.Fields[name]
			s := f.Type.String()
			if f.Optional {
				s = "v.optional(" + s + ")"
			}
			parts[i] = name + ": " + s
		}
		return "v.object({" + strings.Join(parts, ", ") + "})"
	}
	return val.Type
}

// ShortString renders v for messages (JavaScript-like: bigints end in n),
// cut to about max characters.
func ShortString(v Value, max int) string {
	var b strings.Builder
	writeShort(&b, v)
	s := b.String()
	if max > 0 && len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

func writeShort(b *strings.Builder, v Value) {
	switch x := v.(type) {
	case int64, int:
		b.WriteString(strconv.FormatInt(asInt(x), 10) + "n")
	case float64:
		switch e := ExportJSON(x).(type) {
		case string:
			b.WriteString(e)
		case json.Number:
			s := string(e)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			b.WriteString(s)
		}
	case string:
		b.WriteString(strconv.Quote(x))
	case []byte:
		b.WriteString("ArrayBuffer(" + strconv.Itoa(len(x)) + " bytes)")
	case []Value:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeShort(b, e)
		}
		b.WriteByte(']')
	case map[string]Value:
		b.WriteByte('{')
		for i, k := range presentKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			writeShort(b, x[k])
		}
		b.WriteByte('}')
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case undefinedValue:
		b.WriteString("undefined")
	default:
		b.WriteString(TypeName(v))
	}
}
