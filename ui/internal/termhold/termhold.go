// Package termhold keeps the terminal from being queried while the
// terminal libraries initialise.
//
// The prompt library's event loop, in its package initialiser, asks the
// terminal on stdout for its background colour (OSC 11 followed by a
// cursor-position request) and waits up to five seconds for an answer. A
// terminal that never answers stalls every command before main runs, and
// one that answers late leaves the replies on screen. The query is skipped
// when TERM names a dumb terminal, so this package sets TERM=dumb while it
// is initialised and ui puts the real value back once those initialisers
// have run.
//
// Go initialises packages in import-path order among those whose imports
// are ready. This package imports nothing but os, which the colour
// library (github.com/muesli/termenv) imports too, and its path sorts
// before that library's, so it is always initialised first, before any
// query can run. Keep it that way: add no imports.
package termhold

import "os"

const name = "TERM"

// saved is the caller's TERM, held from program start until Release.
var (
	saved, had = hold()
	released   bool
)

func hold() (string, bool) {
	v, ok := os.LookupEnv(name)
	os.Setenv(name, "dumb")
	return v, ok
}

// Release puts the caller's TERM back. Only the first call does anything,
// so a later change to TERM is never undone. It is meant for package
// initialisers, which run one at a time.
func Release() {
	if released {
		return
	}
	released = true
	if had {
		os.Setenv(name, saved)
	} else {
		os.Unsetenv(name)
	}
}
