// Package bundler turns a Convex functions directory into the modules a
// deployment receives: esbuild (in-process) bundles for the isolate runtime,
// for "use node" actions, for the schema, auth config and app definition.
package bundler

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
)

// Environment is where a module runs on the deployment.
type Environment string

const (
	Isolate Environment = "isolate"
	Node    Environment = "node"
)

// entryExtensions are the file types that can define Convex functions.
var entryExtensions = []string{".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".jsx"}

// tsModuleLine finds a line that makes a TypeScript file a module; files
// without one are skipped because tsc would reject them anyway.
var tsModuleLine = lazy.Regexp(`(?m)^\s{0,100}(import|export)`)

var httpRouterImport = lazy.Regexp(`import\s*\{[^}]*\bhttpRouter\b[^}]*\}\s*from\s*["']convex/server["']`)

// EntryPoints lists the function entry files under dir (absolute paths),
// walking directories in code-unit order. warn receives non-fatal notices.
func EntryPoints(dir string, warn func(string)) ([]string, error) {
	if warn == nil {
		warn = func(string) {}
	}
	var out []string
	err := walk(dir, dir, 0, func(path string, depth int) error {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		base := filepath.Base(path)
		ext := strings.ToLower(filepath.Ext(base))
		if strings.HasPrefix(rel, "_deps/") {
			return &Error{Kind: InvalidFiles, Msg: `The path "` + path + `" is within the "_deps" directory, which is reserved for dependencies. Please move your code to another directory.`}
		}
		if depth == 0 && strings.HasPrefix(strings.ToLower(base), "https.") {
			if src, err := os.ReadFile(path); err == nil && httpRouterImport.Get().Match(src) {
				warn("Found " + path + ". HTTP action routes will not be imported from this file. Did you mean to include http" + ext + "?")
			}
		}
		switch {
		case !hasEntryExtension(rel):
		case strings.HasPrefix(rel, "_generated/"):
		case strings.HasPrefix(base, "."), strings.HasPrefix(base, "#"):
		case base == "schema.ts" || base == "schema.js":
		case strings.Count(base, ".") > 1:
		case strings.Contains(rel, " "):
		default:
			if strings.HasSuffix(path, ".ts") || strings.HasSuffix(path, ".tsx") {
				src, err := os.ReadFile(path)
				if err != nil {
					return &Error{Kind: InvalidFiles, Msg: "cannot read " + path, Err: err}
				}
				if !tsModuleLine.Get().Match(src) {
					return nil
				}
			}
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

func hasEntryExtension(rel string) bool {
	for _, e := range entryExtensions {
		if strings.HasSuffix(rel, e) {
			return true
		}
	}
	return false
}

// walk visits the files below dir, skipping nested component directories
// (those holding their own convex.config.ts) so they are not pushed twice.
// Symbolic links inside dir are not followed, as the reference's directory
// listing (Node's Dirent types) does not: a linked folder of shared code is
// importable, but its files are not modules of their own. (dir itself may
// be a link.)
func walk(root, dir string, depth int, visit func(path string, depth int) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &Error{Kind: InvalidFiles, Msg: "cannot read directory " + dir, Err: err}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(p, "convex.config.ts")); err == nil {
				continue
			}
			if err := walk(root, p, depth+1, visit); err != nil {
				return err
			}
			continue
		}
		if e.Type().IsRegular() {
			if err := visit(p, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// mustBeIsolate names the modules the deployment loads in its own runtime,
// where "use node" is not allowed.
func mustBeIsolate(rel string) bool {
	rel = filepath.ToSlash(rel)
	if i := strings.LastIndexByte(rel, '.'); i > strings.LastIndexByte(rel, '/') {
		rel = rel[:i]
	}
	switch rel {
	case "http", "crons", "schema", "auth.config":
		return true
	}
	return false
}

// DetermineEnvironment decides where the entry file path (inside dir) runs.
func DetermineEnvironment(dir, path string) (Environment, error) {
	rel, _ := filepath.Rel(dir, path)
	src, err := os.ReadFile(path)
	if err != nil {
		return "", &Error{Kind: InvalidFiles, Msg: "cannot read " + path, Err: err}
	}
	if HasUseNodeDirective(string(src)) {
		if mustBeIsolate(rel) {
			return "", &Error{Kind: InvalidFiles, Msg: `"use node" directive is not allowed for ` + rel + ".",
				Advice: rel + ` is loaded by the Convex runtime itself, not by Node.js. Remove the directive, and move the code that needs Node.js into actions in a separate "use node" file that ` + rel + " refers to."}
		}
		return Node, nil
	}
	if strings.HasPrefix(filepath.ToSlash(rel), "actions/") {
		return "", &Error{Kind: InvalidFiles, Msg: rel + ` is in /actions subfolder but has no "use node"; directive. ` +
			`Actions can live in any folder; add the "use node" directive to run a file in Node.js. ` +
			`Every file in /actions needs it because that folder used to select Node.js implicitly. ` +
			`See https://docs.convex.dev/functions/actions for more details`}
	}
	return Isolate, nil
}

// EntryPointsByEnvironment splits EntryPoints into isolate and node files.
func EntryPointsByEnvironment(dir string, warn func(string)) (isolate, node []string, err error) {
	all, err := EntryPoints(dir, warn)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range all {
		if err := checkModulePath(dir, p); err != nil {
			return nil, nil, err
		}
		env, err := DetermineEnvironment(dir, p)
		if err != nil {
			return nil, nil, err
		}
		if env == Node {
			node = append(node, p)
		} else {
			isolate = append(isolate, p)
		}
	}
	return isolate, node, nil
}

// checkModulePath refuses an entry file whose module path deployments
// reject: every folder and file name of a module path may only hold letters,
// digits, "_" and "." (so no "-", "+", "@", …). Deployments refuse the whole
// push for it; saying so before bundling names the file and the fix.
// Characters beyond ASCII are left for the deployment to judge.
func checkModulePath(dir, path string) error {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	parts := strings.Split(rel, "/")
	for n, name := range parts {
		if i := strings.LastIndexByte(name, '.'); i > 0 && n == len(parts)-1 {
			name = name[:i] // the extension is replaced by .js
		}
		for _, r := range name {
			if r < 0x80 && !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				fixed := strings.Map(func(r rune) rune {
					if r < 0x80 && !(r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
						return '_'
					}
					return r
				}, name)
				return &Error{Kind: InvalidFiles,
					Msg: fmt.Sprintf("%s cannot be a Convex module: %q contains %q, and module paths may only contain letters, digits, underscores and periods.", rel, name, string(r)),
					Advice: fmt.Sprintf("Every file in the functions directory is a module named by its path. Rename %q (for example to %q), "+
						"or move helpers that are not functions to a folder outside the functions directory.", name, fixed)}
			}
		}
	}
	return nil
}

// HasUseNodeDirective reports whether src begins with a "use node"
// directive: a string-literal statement in the directive prologue, after
// any comments, a hashbang, or other directives.
func HasUseNodeDirective(src string) bool {
	if !strings.Contains(src, "use node") {
		return false
	}
	i := 0
	if strings.HasPrefix(src, "#!") {
		for i < len(src) && src[i] != '\n' {
			i++
		}
	}
	for {
		i = skipSpaceAndComments(src, i)
		if i >= len(src) || (src[i] != '"' && src[i] != '\'') {
			return false
		}
		q := src[i]
		j := i + 1
		for j < len(src) && src[j] != q && src[j] != '\n' {
			if src[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(src) || src[j] != q {
			return false
		}
		value := src[i+1 : j]
		// The literal must be a whole statement: followed by ';', a newline,
		// a comment or the end of the file (not `"a" + b`).
		k := j + 1
		for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
			k++
		}
		end := k >= len(src) || src[k] == ';' || src[k] == '\n' || src[k] == '\r' || strings.HasPrefix(src[k:], "//") || strings.HasPrefix(src[k:], "/*")
		if !end {
			return false
		}
		if value == "use node" {
			return true
		}
		if k < len(src) && src[k] == ';' {
			k++
		}
		i = k
	}
}

func skipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "\ufeff"):
			i += len("\ufeff")
		case strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			e := strings.Index(s[i+2:], "*/")
			if e < 0 {
				return len(s)
			}
			i += e + 4
		default:
			return i
		}
	}
	return i
}
