package bundler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/convex-go/convex/internal/lazy"
)

// ErrorKind tells the dev loop how to react to a failure.
type ErrorKind int

const (
	// InvalidFiles: the user's files are wrong; wait for them to change.
	InvalidFiles ErrorKind = iota
	// Transient: try again (a file changed while it was being bundled).
	Transient
	// Fatal: nothing to wait for.
	Fatal
)

// Diagnostic is one esbuild message with its position in the user's file.
type Diagnostic struct {
	File   string // relative to the project directory, as esbuild reports it
	Line   int    // 1-based
	Column int    // 1-based
	Text   string
	Notes  []string
}

func (d Diagnostic) String() string {
	if d.File == "" {
		return d.Text
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Text)
}

// Error is a bundling failure. Formatted holds esbuild's own rendering of the
// messages (with source excerpts) for printing to a terminal.
type Error struct {
	Kind        ErrorKind
	Msg         string
	Diagnostics []Diagnostic
	Formatted   string
	Advice      string // extra guidance printed after the diagnostics
	Err         error
}

func (e *Error) Error() string {
	parts := []string{}
	if e.Msg != "" {
		parts = append(parts, e.Msg)
	}
	for _, d := range e.Diagnostics {
		parts = append(parts, d.String())
	}
	if e.Advice != "" {
		parts = append(parts, e.Advice)
	}
	s := strings.Join(parts, "\n")
	if e.Err != nil {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// nodeBuiltin reports whether esbuild failed on a Node.js built-in module
// (its note says the package "is built into node").
func nodeBuiltin(m api.Message) bool {
	for _, n := range m.Notes {
		if strings.Contains(n.Text, "built into node") {
			return true
		}
	}
	return false
}

const useNodeAdvice = "\nIt looks like you are using Node APIs from a file without the \"use node\" directive.\n" +
	"Move the actions that need Node.js APIs into their own file that starts with \"use node\" " +
	"so they run in the Node.js runtime.\n" +
	"For more information see https://docs.convex.dev/functions/runtimes#nodejs-runtime\n"

// unresolvedSpec is the import specifier of esbuild's `Could not resolve`.
var unresolvedSpec = lazy.Regexp(`^Could not resolve "([^"]+)"$`)

// npmPackage is the package name at the start of a bare specifier that can
// name an npm package ("zod", "@scope/pkg/sub"); others ("@/lib/x",
// "~/utils") can only be path aliases.
var npmPackage = lazy.Regexp(`^((?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*)(?:/|$)`)

// unresolvedAdvice says what to do about imports esbuild could not resolve:
// install the packages, or declare the path aliases where esbuild reads them.
func unresolvedAdvice(msgs []api.Message) string {
	var packages, aliases []string
	for _, m := range msgs {
		sub := unresolvedSpec.Get().FindStringSubmatch(m.Text)
		if sub == nil || nodeBuiltin(m) {
			continue
		}
		spec := sub[1]
		if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") {
			continue // a relative or absolute path: esbuild's message says it all
		}
		if p := npmPackage.Get().FindStringSubmatch(spec); p != nil {
			if !slices.Contains(packages, p[1]) {
				packages = append(packages, p[1])
			}
		} else if !slices.Contains(aliases, spec) {
			aliases = append(aliases, spec)
		}
	}
	var parts []string
	if len(packages) > 0 {
		parts = append(parts, "Not installed: "+strings.Join(packages, ", ")+". Add the package to package.json and install it "+
			"(`npm install "+strings.Join(packages, " ")+"` or your package manager's equivalent), or fix the import.")
	}
	if len(aliases) > 0 || slices.ContainsFunc(packages, func(p string) bool { return strings.HasPrefix(p, "@") }) {
		what := "A path alias"
		if len(aliases) > 0 {
			q := make([]string, len(aliases))
			for i, a := range aliases {
				q[i] = `"` + a + `"`
			}
			what = strings.Join(q, ", ") + " can only be a path alias, which"
			if len(aliases) > 1 {
				what = strings.Join(q, ", ") + " can only be path aliases, which"
			}
		}
		parts = append(parts, what+` must be declared under "compilerOptions.paths" in the tsconfig.json nearest to the importing file: `+
			`for the functions directory that is its own tsconfig.json (it may "extends" the project's).`)
	}
	return strings.Join(parts, "\n")
}

// esbuildOnlyNote drops the parts of esbuild's notes that speak of build
// options a Convex project cannot set (its Go API names, "mark as external").
func esbuildOnlyNote(text string) string {
	if strings.HasPrefix(text, "You can mark the path ") {
		return ""
	}
	if i := strings.Index(text, ` You can use "Platform: api.PlatformNode"`); i >= 0 {
		return text[:i]
	}
	return text
}

// buildError converts esbuild messages into an Error.
func buildError(msgs []api.Message, platform api.Platform, prefix string) *Error {
	e := &Error{Kind: InvalidFiles}
	recommendNode := false
	msgs = append([]api.Message(nil), msgs...)
	for i := range msgs {
		notes := msgs[i].Notes[:0:0]
		for _, n := range msgs[i].Notes {
			if n.Text = esbuildOnlyNote(n.Text); n.Text != "" {
				notes = append(notes, n)
			}
		}
		msgs[i].Notes = notes
	}
	for _, m := range msgs {
		d := Diagnostic{Text: m.Text}
		if prefix != "" {
			d.Text = prefix + m.Text
		}
		if m.Location != nil {
			d.File, d.Line, d.Column = m.Location.File, m.Location.Line, m.Location.Column+1
		}
		for _, n := range m.Notes {
			d.Notes = append(d.Notes, n.Text)
			if platform != api.PlatformNode && strings.Contains(n.Text, "Are you trying to bundle for node?") {
				recommendNode = true
			}
		}
		e.Diagnostics = append(e.Diagnostics, d)
	}
	e.Formatted = strings.Join(api.FormatMessages(msgs, api.FormatMessagesOptions{Kind: api.ErrorMessage}), "")
	for _, m := range msgs {
		if strings.HasPrefix(m.Text, `Could not resolve "convex/`) || m.Text == `Could not resolve "convex"` {
			e.Advice = "The `convex` npm package is not installed here. Run `npm install` (or your package manager's install) in the project directory."
			break
		}
	}
	if e.Advice == "" {
		e.Advice = unresolvedAdvice(msgs)
	}
	if recommendNode {
		e.Advice = useNodeAdvice
	}
	return e
}
