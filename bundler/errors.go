package bundler

import (
	"fmt"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
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

const useNodeAdvice = "\nIt looks like you are using Node APIs from a file without the \"use node\" directive.\n" +
	"Move the actions that need Node.js APIs into their own file that starts with \"use node\" " +
	"so they run in the Node.js runtime.\n" +
	"For more information see https://docs.convex.dev/functions/runtimes#nodejs-runtime\n"

// buildError converts esbuild messages into an Error.
func buildError(msgs []api.Message, platform api.Platform, prefix string) *Error {
	e := &Error{Kind: InvalidFiles}
	recommendNode := false
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
		}
	}
	if recommendNode {
		e.Advice = useNodeAdvice
	}
	return e
}
