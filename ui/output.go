package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Style is an ANSI text style, applied only when colour is enabled.
type Style string

const (
	Bold   Style = "1"
	Dim    Style = "2"
	Red    Style = "31"
	Green  Style = "32"
	Yellow Style = "33"
	Gray   Style = "90"
)

// Printer is how commands talk to a person. Results (data a script may
// capture) go to stdout; every message, warning and spinner goes to stderr.
// Colour is used only when stderr is a terminal and NO_COLOR is unset;
// spinners only when stderr is a terminal, CI is unset and TERM is not dumb.
// It is safe for concurrent use; messages printed while a spinner runs
// appear above it.
type Printer struct {
	out, err    io.Writer
	color       bool
	interactive bool

	mu   sync.Mutex
	spin *Spinner
}

// NewPrinter decides colour and interactivity once, from stderr and the
// environment (getenv is config.Env's Get or os.Getenv).
func NewPrinter(stdout, stderr io.Writer, getenv func(string) string) *Printer {
	interactive := IsTerminal(stderr) && getenv("CI") == "" && getenv("TERM") != "dumb"
	return &Printer{
		out:         stdout,
		err:         stderr,
		color:       ColorEnabled(stderr, getenv),
		interactive: interactive,
	}
}

// Stdout and Stderr expose the underlying writers for commands that stream.
func (p *Printer) Stdout() io.Writer { return p.out }
func (p *Printer) Stderr() io.Writer { return p.err }

// Color reports whether styles are rendered on stderr.
func (p *Printer) Color() bool { return p.color }

// Interactive reports whether spinners animate on stderr.
func (p *Printer) Interactive() bool { return p.interactive }

// Paint applies styles to s when colour is on.
func (p *Printer) Paint(s string, styles ...Style) string {
	if !p.color || len(styles) == 0 {
		return s
	}
	codes := make([]string, len(styles))
	for i, st := range styles {
		codes[i] = string(st)
	}
	return "\x1b[" + strings.Join(codes, ";") + "m" + s + "\x1b[0m"
}

// Result writes one line of data to stdout.
func (p *Printer) Result(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// Message writes a plain line to stderr.
func (p *Printer) Message(format string, args ...any) {
	p.line(fmt.Sprintf(format, args...))
}

// Success writes "✔ msg" (green check) to stderr.
func (p *Printer) Success(format string, args ...any) {
	p.line(p.Paint("✔", Green) + " " + fmt.Sprintf(format, args...))
}

// Failure writes "✖ msg" (red cross) to stderr.
func (p *Printer) Failure(format string, args ...any) {
	p.line(p.Paint("✖", Red) + " " + fmt.Sprintf(format, args...))
}

// Warn writes a yellow line to stderr.
func (p *Printer) Warn(format string, args ...any) {
	p.line(p.Paint(fmt.Sprintf(format, args...), Yellow))
}

// Hint writes a gray, indented line to stderr.
func (p *Printer) Hint(format string, args ...any) {
	p.line(p.Paint("  "+fmt.Sprintf(format, args...), Gray))
}

// line writes s to stderr, keeping a running spinner below it.
func (p *Printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spin != nil && p.interactive {
		p.spin.clearLocked()
	}
	fmt.Fprintln(p.err, s)
	if p.spin != nil && p.interactive {
		p.spin.drawLocked()
	}
}

// PrintError writes err the way the CLI reports failures: "✖ <message>"
// and, when the error carries one, its hint on the following lines.
func (p *Printer) PrintError(err error) {
	if err == nil {
		return
	}
	p.Failure("%s", err.Error())
	if h := HintOf(err); h != "" {
		for _, l := range strings.Split(h, "\n") {
			p.Hint("%s", l)
		}
	}
}
