package ui

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IsTerminal reports whether w is an interactive terminal.
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorEnabled reports whether colour escapes may be written to w: only on a
// terminal, never with NO_COLOR set or TERM=dumb, always with FORCE_COLOR set.
func ColorEnabled(w io.Writer, getenv func(string) string) bool {
	if v := getenv("FORCE_COLOR"); v != "" && v != "0" {
		return true
	}
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}
