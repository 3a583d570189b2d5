package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/convex-go/convex/ui"
)

// GlobalConfig is the user token file (~/.convex/config.json). Very old
// CLIs read the same file, so everything except accessToken is optional and
// keys this program does not know are kept, in order, when it is rewritten.
type GlobalConfig struct {
	AccessToken string

	order []string                   // key order as read
	extra map[string]json.RawMessage // keys other than accessToken
}

const accessTokenKey = "accessToken"

// Extra returns the raw JSON of a key other than accessToken.
func (c *GlobalConfig) Extra(key string) (json.RawMessage, bool) {
	v, ok := c.extra[key]
	return v, ok
}

// ReadGlobalConfig reads the token file. A missing file is (nil, nil): not
// logged in. A file that cannot be read or parsed is a *ui.Error naming the
// file; callers that only need to know "logged in or not" should treat it as
// logged out but show the error, as the reference does.
func ReadGlobalConfig(path string) (*GlobalConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "cannot read the Convex login file %s", path).
			WithHint("Check the file's permissions, or delete it and run `convex login` again.")
	}
	c, err := parseGlobalConfig(data)
	if err != nil {
		return nil, ui.Wrap(err, "cannot parse the Convex login file %s", path).
			WithHint("Fix the file or delete it, then run `convex login` again.")
	}
	return c, nil
}

func parseGlobalConfig(data []byte) (*GlobalConfig, error) {
	order, fields, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	c := &GlobalConfig{order: order, extra: map[string]json.RawMessage{}}
	for _, k := range order {
		if k == accessTokenKey {
			if err := json.Unmarshal(fields[k], &c.AccessToken); err != nil {
				return nil, fmt.Errorf("field %q must be a string", accessTokenKey)
			}
			continue
		}
		c.extra[k] = fields[k]
	}
	return c, nil
}

// decodeObject reads a JSON object keeping its key order. Duplicate keys keep
// the last value (as JSON.parse does) at the first key's position.
func decodeObject(data []byte) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("expected a JSON object")
	}
	var order []string
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("invalid JSON: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if _, seen := fields[key]; !seen {
			order = append(order, key)
		}
		fields[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, nil, errors.New("invalid JSON: unexpected data after the object")
	}
	return order, fields, nil
}

// WriteGlobalConfig writes c to path (mode 0600, atomically), keeping any
// keys the file already has that c does not mention. An existing file that
// cannot be parsed is not overwritten: the error says which file to fix.
func WriteGlobalConfig(path string, c *GlobalConfig) error {
	merged := &GlobalConfig{extra: map[string]json.RawMessage{}}
	old, err := ReadGlobalConfig(path)
	if err != nil {
		return err
	}
	for _, src := range []*GlobalConfig{old, c} {
		if src == nil {
			continue
		}
		for _, k := range src.order {
			if !contains(merged.order, k) {
				merged.order = append(merged.order, k)
			}
			if k != accessTokenKey {
				merged.extra[k] = src.extra[k]
			}
		}
		for k, v := range src.extra { // keys added without order
			if !contains(merged.order, k) {
				merged.order = append(merged.order, k)
			}
			merged.extra[k] = v
		}
	}
	merged.AccessToken = c.AccessToken
	if !contains(merged.order, accessTokenKey) {
		merged.order = append([]string{accessTokenKey}, merged.order...)
	}
	data, err := merged.marshal()
	if err != nil {
		return ui.Wrap(err, "cannot encode the Convex login file %s", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return ui.Wrap(err, "cannot create %s", filepath.Dir(path))
	}
	if err := WriteFileAtomic(path, data, 0o600); err != nil {
		return ui.Wrap(err, "cannot write the Convex login file %s", path)
	}
	return nil
}

// marshal renders the file as the reference does: 2-space indent, no
// trailing newline.
func (c *GlobalConfig) marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, k := range c.order {
		var val []byte
		if k == accessTokenKey {
			val, _ = json.Marshal(c.AccessToken)
		} else {
			val = c.extra[k]
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, val, "  ", "  "); err != nil {
			return nil, err
		}
		key, _ := json.Marshal(k)
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n  ")
		buf.Write(key)
		buf.WriteString(": ")
		buf.Write(ind.Bytes())
	}
	if len(c.order) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("}")
	return buf.Bytes(), nil
}

// SetExtra sets a key other than accessToken to a raw JSON value.
func (c *GlobalConfig) SetExtra(key string, raw json.RawMessage) {
	if key == accessTokenKey {
		_ = json.Unmarshal(raw, &c.AccessToken)
		return
	}
	if c.extra == nil {
		c.extra = map[string]json.RawMessage{}
	}
	if !contains(c.order, key) {
		c.order = append(c.order, key)
	}
	c.extra[key] = raw
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WriteFileAtomic replaces path with data so that readers see either the old
// or the new file, never a half-written one: write a temporary file in the
// same directory, fsync it, then rename it over path. perm is applied to the
// new file regardless of the umask. A symlink at path is followed, so the
// link survives and its target is replaced.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	ok = true
	return nil
}
