// Package codegen writes convex/_generated: the typed `api`, the server
// function builders and the data model types the app imports.
package codegen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/convex-go/convex/bundler"
	"github.com/convex-go/convex/ui"
)

// Options says where and how to generate.
type Options struct {
	// FunctionsDir is the absolute path of the functions directory.
	FunctionsDir string
	// TypeScript selects .ts files (convex.json codegen.fileType "ts")
	// instead of .js + .d.ts.
	TypeScript bool
	// CommonJS also writes api_cjs.cjs and api_cjs.d.cts
	// (convex.json generateCommonJSApi or `codegen --commonjs`).
	CommonJS bool
	// DryRun prints "Command would write file: <path>" instead of writing.
	DryRun bool
	// Debug prints "# <path>" and each file's content instead of writing.
	Debug bool
	// StaticAPI writes api.d.ts from the deployment's analysis instead of
	// from the modules' types (convex.json codegen.staticApi).
	StaticAPI bool
	// StaticDataModel writes dataModel from the analysed schema instead of
	// deriving it from schema.ts (convex.json codegen.staticDataModel).
	StaticDataModel bool
	// Stdout receives dry-run and debug output; Stderr notices.
	Stdout, Stderr io.Writer
}

func (o *Options) out() io.Writer {
	if o.Stdout == nil {
		return io.Discard
	}
	return o.Stdout
}

func (o *Options) errw() io.Writer {
	if o.Stderr == nil {
		return io.Discard
	}
	return o.Stderr
}

// preserved reports the entries of _generated codegen never deletes.
func preserved(name string) bool { return name == "ai" }

// importPath is a module path without its extension, with "/" separators.
func importPath(modulePath string) string {
	p := strings.ReplaceAll(modulePath, "\\", "/")
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		p = p[:i]
	}
	return p
}

// reservedWord reports whether w is a JavaScript reserved word (including
// the strict-mode ones), which cannot name an import.
func reservedWord(w string) bool {
	switch w {
	case "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "export",
		"extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true",
		"try", "typeof", "var", "void", "while", "with", "let", "static", "yield", "await", "enum", "implements", "interface", "package", "private", "protected", "public":
		return true
	}
	return false
}

// moduleIdentifier is the local name api.d.ts imports a module under.
func moduleIdentifier(modulePath string) string {
	id := strings.NewReplacer("/", "_", "-", "_").Replace(importPath(modulePath))
	switch id {
	case "fullApi", "api", "internal", "components":
		id += "_"
	}
	if reservedWord(id) {
		id += "_"
	}
	return id
}

// ModulePaths lists the entry modules of dir relative to it, with "/"
// separators, in code-unit order: the modules api.d.ts exposes.
func ModulePaths(dir string) ([]string, error) {
	abs, err := bundler.EntryPoints(dir, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(abs))
	for _, p := range abs {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out, nil
}

func hasSchema(dir string) bool {
	for _, n := range []string{"schema.ts", "schema.js"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

func dataModel(dir string) string {
	if hasSchema(dir) {
		return dataModelFromSchema()
	}
	return dataModelNoSchema()
}

// prepare creates _generated and removes the legacy _generated.ts.
func prepare(o *Options) (string, error) {
	legacy := filepath.Join(o.FunctionsDir, "_generated.ts")
	if _, err := os.Stat(legacy); err == nil {
		if o.DryRun {
			fmt.Fprintf(o.errw(), "Command would delete legacy codegen file: %s\n", legacy)
		} else {
			fmt.Fprintf(o.errw(), "Deleting legacy codegen file: %s\n", legacy)
			if err := os.Remove(legacy); err != nil {
				return "", fmt.Errorf("deleting %s: %w", legacy, err)
			}
		}
	}
	dir := filepath.Join(o.FunctionsDir, "_generated")
	if o.DryRun || o.Debug {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, nil
}

// Initial writes the files needed for bundling before the deployment has
// analysed the code: an untyped api, the server builders and the data model.
// Richer files from an earlier final pass are kept.
func Initial(o Options) error {
	gen, err := prepare(&o)
	if err != nil {
		return err
	}
	var written []string
	w := func(name, content string, keepExisting bool) error {
		written = append(written, name)
		if keepExisting && exists(filepath.Join(gen, name)) {
			return nil
		}
		return o.write(filepath.Join(gen, name), content)
	}
	if o.TypeScript {
		if err := w("dataModel.ts", dataModel(o.FunctionsDir), true); err != nil {
			return err
		}
		if err := w("server.ts", serverTS(false, nil), true); err != nil {
			return err
		}
		if err := w("api.ts", apiStubTS(), true); err != nil {
			return err
		}
	} else {
		if err := w("dataModel.d.ts", dataModel(o.FunctionsDir), true); err != nil {
			return err
		}
		keepServer := exists(filepath.Join(gen, "server.js"))
		if err := w("server.js", serverJS(), keepServer); err != nil {
			return err
		}
		if err := w("server.d.ts", serverDTS(false, nil), keepServer); err != nil {
			return err
		}
		if err := w("api.js", apiJS(), false); err != nil {
			return err
		}
		if err := w("api.d.ts", apiStubDTS(), true); err != nil {
			return err
		}
		if o.CommonJS {
			if err := w("api_cjs.cjs", apiCJS(), false); err != nil {
				return err
			}
			if err := w("api_cjs.d.cts", apiStubDTS(), true); err != nil {
				return err
			}
		}
	}
	return o.cleanup(gen, written)
}

// Final writes the typed files after a push, from the deployment's
// analysis of the root component (nil analysis: nothing is known about
// child components or declared environment variables).
func Final(o Options, a *ComponentAnalysis) error {
	gen, err := prepare(&o)
	if err != nil {
		return err
	}
	mods, err := ModulePaths(o.FunctionsDir)
	if err != nil {
		return err
	}
	children := childComponents(a)
	var vars []EnvVar
	if a != nil {
		vars = a.Definition.envVars()
	}
	var written []string
	w := func(name, content string) error {
		written = append(written, name)
		return o.write(filepath.Join(gen, name), content)
	}
	model := dataModel(o.FunctionsDir)
	if o.StaticDataModel && a != nil && hasSchema(o.FunctionsDir) && len(a.Schema) > 0 && string(a.Schema) != "null" {
		if model, err = staticDataModel(a.Schema); err != nil {
			return err
		}
	}
	if o.TypeScript {
		if err := w("dataModel.ts", model); err != nil {
			return err
		}
		if err := w("server.ts", serverTS(true, vars)); err != nil {
			return err
		}
		api := apiTS(mods, children)
		if o.StaticAPI && a != nil {
			if api, err = staticAPITS(a, children); err != nil {
				return err
			}
		}
		if err := w("api.ts", api); err != nil {
			return err
		}
	} else {
		api := apiDTS(mods, children)
		if o.StaticAPI && a != nil {
			if api, err = staticAPIDTS(a, children); err != nil {
				return err
			}
		}
		steps := []struct{ name, content string }{
			{"dataModel.d.ts", model},
			{"server.js", serverJS()},
			{"server.d.ts", serverDTS(true, vars)},
			{"api.js", apiJS()},
			{"api.d.ts", api},
		}
		if o.CommonJS {
			steps = append(steps,
				struct{ name, content string }{"api_cjs.cjs", apiCJS()},
				struct{ name, content string }{"api_cjs.d.cts", api})
		}
		for _, s := range steps {
			if err := w(s.name, s.content); err != nil {
				return err
			}
		}
	}
	return o.cleanup(gen, written)
}

// InitFolder writes convex/README.md (only when the functions directory did
// not exist before) and convex/tsconfig.json (only when absent).
func InitFolder(o Options) error {
	if st, err := os.Stat(o.FunctionsDir); err == nil && !st.IsDir() {
		return notADirectory(o.FunctionsDir)
	}
	existed := exists(o.FunctionsDir)
	if !o.DryRun && !o.Debug {
		if err := os.MkdirAll(o.FunctionsDir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", o.FunctionsDir, err)
		}
	}
	if !existed {
		if err := o.write(filepath.Join(o.FunctionsDir, "README.md"), readmeMD()); err != nil {
			return err
		}
	}
	ts := filepath.Join(o.FunctionsDir, "tsconfig.json")
	if !exists(ts) {
		if err := o.write(ts, tsconfigJSON()); err != nil {
			return err
		}
	}
	return nil
}

// notADirectory is the error for a functions directory path that names a
// file (a convex.json "functions" typo, or a file where convex/ belongs).
func notADirectory(dir string) error {
	return (&ui.Error{Msg: "The functions directory " + dir + " is a file, not a directory", Code: ui.ExitError}).
		WithHint("Point \"functions\" in convex.json at the directory that holds your Convex functions (the default is convex/), or move the file out of the way.")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// write replaces path with content only when it differs, through a temporary
// file so a watching bundler never sees half a file.
func (o *Options) write(path, content string) error {
	if o.Debug {
		abs, _ := filepath.Abs(path)
		fmt.Fprintf(o.out(), "# %s\n%s\n", abs, content)
		return nil
	}
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return nil
	}
	if o.DryRun {
		fmt.Fprintf(o.out(), "Command would write file: %s\n", path)
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.WriteString(content)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// cleanup deletes every entry of _generated this run did not write.
func (o *Options) cleanup(gen string, written []string) error {
	if o.Debug {
		return nil
	}
	keep := map[string]bool{}
	for _, w := range written {
		keep[w] = true
	}
	entries, err := os.ReadDir(gen)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if keep[e.Name()] || preserved(e.Name()) {
			continue
		}
		p := filepath.Join(gen, e.Name())
		if o.DryRun {
			fmt.Fprintf(o.out(), "Command would delete file: %s\n", p)
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing stale %s: %w", p, err)
		}
	}
	return nil
}

// ComponentAnalysis is the deployment's analysis of one component, one
// value of the start_push response's "analysis" object. Unknown fields are
// ignored.
type ComponentAnalysis struct {
	Definition DefinitionAnalysis        `json:"definition"`
	Schema     json.RawMessage           `json:"schema"`
	Functions  map[string]AnalyzedModule `json:"functions"`
	UDFConfig  json.RawMessage           `json:"udfConfig,omitempty"`
}

// DefinitionAnalysis is analysis[...].definition.
type DefinitionAnalysis struct {
	Path           string `json:"path"`
	DefinitionType struct {
		Type string `json:"type"`
	} `json:"definitionType"`
	ChildComponents []struct {
		Name string `json:"name"`
		Path string `json:"path"`
	} `json:"childComponents"`
	// EnvVars are [name, {type:"value", value:"<validator JSON>", optional?}]
	// pairs, or null.
	EnvVars []json.RawMessage `json:"envVars"`
	// Exports is what a component exposes to its parent (see component.ts).
	Exports json.RawMessage `json:"exports"`
}

func (d DefinitionAnalysis) envVars() []EnvVar {
	var out []EnvVar
	for _, raw := range d.EnvVars {
		var pair []json.RawMessage
		if json.Unmarshal(raw, &pair) != nil || len(pair) != 2 {
			continue
		}
		var name string
		var decl struct {
			Value    string `json:"value"`
			Optional bool   `json:"optional"`
		}
		if json.Unmarshal(pair[0], &name) != nil || json.Unmarshal(pair[1], &decl) != nil {
			continue
		}
		t := "unknown"
		var v Validator
		if json.Unmarshal([]byte(decl.Value), &v) == nil && v.Type != "" {
			t = v.TSType()
		}
		out = append(out, EnvVar{Name: name, TSType: t, Optional: decl.Optional})
	}
	return out
}

// AnalyzedModule is analysis[...].functions[<module path>].
type AnalyzedModule struct {
	Functions []AnalyzedFunction `json:"functions"`
}

// AnalyzedFunction is one exported function found by the deployment.
type AnalyzedFunction struct {
	Name       string `json:"name"`
	UDFType    string `json:"udfType"` // "Query" | "Mutation" | "Action"
	Visibility *struct {
		Kind string `json:"kind"` // "public" | "internal"
	} `json:"visibility"`
	Args    string `json:"args"`    // validator JSON text
	Returns string `json:"returns"` // validator JSON text or "null"
}
