package aifiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// DefaultSchema is the "$schema" written into a convex.json that has none.
const DefaultSchema = "node_modules/convex/schemas/convex.schema.json"

// member is one key of a JSON object, in file order.
type member struct {
	key   string
	value json.RawMessage
}

// parseObject reads a JSON object keeping its key order. A repeated key
// keeps its first place and its last value, as JSON.parse does.
func parseObject(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = set(out, key, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

func set(obj []member, key string, v json.RawMessage) []member {
	for i := range obj {
		if obj[i].key == key {
			obj[i].value = v
			return obj
		}
	}
	return append(obj, member{key, v})
}

func without(obj []member, key string) []member {
	out := obj[:0:0]
	for _, m := range obj {
		if m.key != key {
			out = append(out, m)
		}
	}
	return out
}

func get(obj []member, key string) (json.RawMessage, bool) {
	for _, m := range obj {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// encodeObject renders obj as 2-space indented JSON, like
// JSON.stringify(obj, null, 2).
func encodeObject(obj []member) ([]byte, error) {
	var buf bytes.Buffer
	if len(obj) == 0 {
		return []byte("{}"), nil
	}
	buf.WriteString("{\n")
	for i, m := range obj {
		var k bytes.Buffer
		enc := json.NewEncoder(&k)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		buf.WriteString("  ")
		buf.Write(bytes.TrimRight(k.Bytes(), "\n"))
		buf.WriteString(": ")
		if err := json.Indent(&buf, m.value, "  ", "  "); err != nil {
			return nil, err
		}
		if i < len(obj)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("}")
	return buf.Bytes(), nil
}

// SetEnabled writes aiFiles.enabled = enabled into projectDir/convex.json
// (creating it if needed): "$schema" first (the default one when absent),
// every other key kept in its place, and the deprecated
// aiFiles.disableStalenessMessage dropped.
func SetEnabled(projectDir string, enabled bool) error {
	path := filepath.Join(projectDir, config.ProjectConfigFile)
	var top []member
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return ui.Wrap(err, "cannot read %s", path)
	default:
		if top, err = parseObject(data); err != nil {
			return ui.Wrap(err, "cannot parse %s", path).WithHint("convex.json must be a JSON object.")
		}
	}
	var ai []member
	if raw, ok := get(top, "aiFiles"); ok {
		if ai, err = parseObject(raw); err != nil {
			return ui.Errorf("%s: field `aiFiles` must be an object", path)
		}
	}
	ai = without(ai, "disableStalenessMessage")
	ai = set(ai, "enabled", json.RawMessage(fmt.Sprint(enabled)))
	aiRaw, err := encodeObject(ai)
	if err != nil {
		return err
	}
	schema, ok := get(top, "$schema")
	if !ok {
		schema, _ = json.Marshal(DefaultSchema)
	}
	out := []member{{"$schema", schema}}
	for _, m := range top {
		if m.key != "$schema" && m.key != "aiFiles" {
			out = append(out, m)
		}
	}
	out = append(out, member{"aiFiles", aiRaw})
	encoded, err := encodeObject(out)
	if err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := config.WriteFileAtomic(path, append(encoded, '\n'), perm); err != nil {
		return ui.Wrap(err, "cannot write %s", path)
	}
	return nil
}
