package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
	"github.com/convex-go/convex/ui"
)

// EnvFile is a parsed env file that remembers its exact bytes, so the CLI
// can change the few lines it owns (CONVEX_DEPLOYMENT, the URL variables)
// and leave every other byte — comments, order, CRLF endings, a BOM, a
// missing final newline — exactly as the user wrote it.
type EnvFile struct {
	Path    string
	exists  bool
	mode    os.FileMode
	data    string
	changed bool
	err     error // first failed Set, reported by Save
}

// ReadEnvFile reads path. A missing file gives an empty EnvFile (Save
// creates it); an unreadable one is a *ui.Error naming it.
func ReadEnvFile(path string) (*EnvFile, error) {
	f := &EnvFile{Path: path, mode: 0o644}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "cannot read %s", path)
	}
	if st.IsDir() {
		return nil, ui.Errorf("cannot read %s: it is a directory", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ui.Wrap(err, "cannot read %s", path)
	}
	f.exists, f.mode, f.data = true, st.Mode().Perm(), string(data)
	return f, nil
}

// NewEnvFile wraps content as if read from path (for tests and for callers
// that already hold the bytes).
func NewEnvFile(path string, content []byte) *EnvFile {
	return &EnvFile{Path: path, exists: true, mode: 0o644, data: string(content)}
}

// Exists reports whether the file existed when read (or has been saved).
func (f *EnvFile) Exists() bool { return f.exists }

// Changed reports whether Set or Delete modified the content.
func (f *EnvFile) Changed() bool { return f.changed }

// Bytes is the current content.
func (f *EnvFile) Bytes() []byte { return []byte(f.data) }

// Values is every variable the file defines.
func (f *EnvFile) Values() map[string]string { return ParseDotenv([]byte(f.data)) }

// Get returns the value of key as dotenv would see it.
func (f *EnvFile) Get(key string) (string, bool) {
	v, ok := f.Values()[key]
	return v, ok
}

// Set assigns value to key with an optional trailing comment, keeping the
// rest of the file byte-identical. See SetValue; an error is kept and
// returned by Save.
func (f *EnvFile) Set(key, value, comment string) {
	if err := f.SetValue(key, value, comment, ""); err != nil && f.err == nil {
		f.err = err
	}
}

var envKeyRe = lazy.Regexp(`^[\w.-]+$`)

// SetValue assigns value to key.
//
//   - Same value already there: nothing changes (even if the comment differs,
//     matching the reference).
//   - Key present: its last definition (the one dotenv uses) is rewritten in
//     place as `KEY=value[ # comment]`; indentation and an `export ` prefix
//     before it are kept, the old value and its inline comment are replaced.
//   - Key absent: appended after one blank line, preceded by commentAbove
//     (a full comment line such as "# Deployment used by `convex dev`") when
//     given, using the file's own line ending (CRLF if it has any).
//
// The value is written bare when dotenv reads it back unchanged, otherwise
// quoted; the result is re-parsed to prove the key reads back as value and
// no other variable changed. Values no quoting can carry are refused.
func (f *EnvFile) SetValue(key, value, comment, commentAbove string) error {
	if !envKeyRe.Get().MatchString(key) {
		return ui.Errorf("cannot write %s: %q is not a valid variable name", f.Path, key)
	}
	comment = strings.NewReplacer("\r", " ", "\n", " ").Replace(comment)
	before := parseEntries(f.data)
	oldVals := map[string]string{}
	last := -1
	for i, e := range before {
		oldVals[e.key] = e.value
		if e.key == key {
			last = i
		}
	}
	if last >= 0 && before[last].value == value {
		return nil
	}
	eol := "\n"
	if strings.Contains(f.data, "\r\n") {
		eol = "\r\n"
	}
	suffix := ""
	if comment != "" {
		suffix = " # " + comment
	}
	for _, enc := range encodings(value) {
		line := key + "=" + enc + suffix
		var next string
		if last >= 0 {
			e := before[last]
			end := lineEnd(f.data, e.valueEnd)
			next = f.data[:e.keyStart] + line + f.data[end:]
		} else {
			var b strings.Builder
			b.WriteString(f.data)
			switch {
			case f.data == "":
			case strings.HasSuffix(f.data, "\n"):
				b.WriteString(eol)
			default:
				b.WriteString(eol + eol)
			}
			if commentAbove != "" {
				b.WriteString(strings.NewReplacer("\r", " ", "\n", " ").Replace(commentAbove) + eol)
			}
			b.WriteString(line + eol)
			next = b.String()
		}
		if sameExcept(oldVals, ParseDotenv([]byte(next)), key, value) {
			f.data, f.changed = next, true
			return nil
		}
	}
	return ui.Errorf("cannot write %s to %s: the value cannot be expressed in an env file", key, f.Path)
}

// Delete removes the last definition of key together with its line ending.
// It reports whether anything was removed.
func (f *EnvFile) Delete(key string) bool {
	entries := parseEntries(f.data)
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.key != key {
			continue
		}
		start := strings.LastIndexAny(f.data[:e.keyStart], "\r\n") + 1
		end := lineEnd(f.data, e.valueEnd)
		if strings.HasPrefix(f.data[end:], "\r\n") {
			end += 2
		} else if end < len(f.data) {
			end++
		}
		f.data = f.data[:start] + f.data[end:]
		f.changed = true
		return true
	}
	return false
}

// lineEnd is the offset of the first '\r' or '\n' at or after i, or len(s).
func lineEnd(s string, i int) int {
	if j := strings.IndexAny(s[i:], "\r\n"); j >= 0 {
		return i + j
	}
	return len(s)
}

// encodings lists ways to write value, plainest first.
func encodings(v string) []string {
	esc := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(v)
	return []string{v, `"` + esc + `"`, "'" + v + "'", "`" + v + "`"}
}

func sameExcept(old, now map[string]string, key, value string) bool {
	if v, ok := now[key]; !ok || v != value {
		return false
	}
	for k, v := range old {
		if k == key {
			continue
		}
		if nv, ok := now[k]; !ok || nv != v {
			return false
		}
	}
	for k := range now {
		if _, ok := old[k]; !ok && k != key {
			return false
		}
	}
	return true
}

// Save writes the file if anything changed (atomically, keeping its mode),
// or returns the first error a Set hit.
func (f *EnvFile) Save() error {
	if f.err != nil {
		return f.err
	}
	if !f.changed {
		return nil
	}
	if err := WriteFileAtomic(f.Path, []byte(f.data), f.mode); err != nil {
		return ui.Wrap(err, "cannot write %s", f.Path)
	}
	f.exists, f.changed = true, false
	return nil
}

// String describes the file for messages.
func (f *EnvFile) String() string { return fmt.Sprintf("env file %s", f.Path) }
