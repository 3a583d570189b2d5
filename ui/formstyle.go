package ui

import (
	"io"
	"os"
	"strconv"
	"strings"

	// Imported for its initialiser, which must have run before TERM is put
	// back (see termhold).
	_ "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/convex-go/convex/ui/internal/termhold"
)

// The prompt forms are styled through lipgloss's default renderer, whose
// adaptive colours would otherwise query the terminal for its background.
// Decide everything once, from the environment, and never ask the terminal.
func init() {
	termhold.Release()
	// termenv sized up stdout while TERM was held; measure it again.
	out := termenv.DefaultOutput()
	out.Profile = out.EnvColorProfile()
	lipgloss.SetHasDarkBackground(DarkBackground(os.Getenv("COLORFGBG")))
	lipgloss.SetColorProfile(FormProfile(os.Stderr, os.Getenv))
}

// DarkBackground reports whether the terminal background is dark, judged
// from COLORFGBG ("fg;bg", as rxvt and Konsole export it) without asking
// the terminal. Without a readable value it assumes dark, the common case.
func DarkBackground(colorfgbg string) bool {
	i := strings.LastIndex(colorfgbg, ";")
	if i < 0 {
		return true
	}
	n, err := strconv.Atoi(colorfgbg[i+1:])
	if err != nil || n < 0 || n > 255 {
		return true
	}
	_, _, l := termenv.ConvertToRGB(termenv.ANSI256Color(n)).Hsl()
	return l < 0.5
}

// FormProfile is the colour depth prompt forms drawn on w use: none when
// ColorEnabled says no (NO_COLOR, TERM=dumb, not a terminal), otherwise
// what TERM and COLORTERM advertise, and at least 16 colours.
func FormProfile(w io.Writer, getenv func(string) string) termenv.Profile {
	if !ColorEnabled(w, getenv) {
		return termenv.Ascii
	}
	p := termenv.NewOutput(w, termenv.WithUnsafe(), termenv.WithEnvironment(envFunc(getenv))).ColorProfile()
	if p == termenv.Ascii {
		return termenv.ANSI
	}
	return p
}

// envFunc adapts a getenv function to termenv.Environ.
type envFunc func(string) string

func (f envFunc) Getenv(k string) string { return f(k) }
func (f envFunc) Environ() []string      { return nil }
