// Package lazy builds package-level values on first use instead of at
// program start.
//
// Every package initialiser runs on every start of the binary, even for
// `convex --version`, so a regular expression compiled or a table filled
// in a package variable costs start-up time whether or not the command
// needs it. A variable declared as
//
//	var keyRe = lazy.Regexp(`^[\w.-]+$`)
//
// or
//
//	var table = lazy.Value[map[string]int]{New: buildTable}
//
// is laid out by the compiler in the binary's data and does no work at
// start-up; the value is built by the first Get, once, safe for concurrent
// use.
package lazy

import (
	"regexp"
	"sync"
)

// Value holds the result of New, computed by the first call to Get.
// Declare it as a package variable with a composite literal so the
// compiler initialises it statically; it must not be copied after first
// use.
type Value[T any] struct {
	// New builds the value. It runs at most once; if it panics, the panic
	// reaches that first caller and later calls of Get return the zero T.
	New func() T

	once sync.Once
	v    T
}

// Get returns the value, building it on the first call.
func (l *Value[T]) Get() T {
	l.once.Do(l.build)
	return l.v
}

func (l *Value[T]) build() { l.v = l.New() }

// Pattern is a regular expression compiled the first time it is used.
type Pattern struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// Regexp returns a Pattern for expr. Calling it in a package variable's
// initialiser costs nothing at start-up: the compiler inlines it into
// static data. An invalid expr panics at the first Get, as
// regexp.MustCompile would at start-up.
func Regexp(expr string) *Pattern { return &Pattern{expr: expr} }

// Get returns the compiled expression, compiling it on the first call.
func (p *Pattern) Get() *regexp.Regexp {
	p.once.Do(p.compile)
	return p.re
}

// String returns the source text of the expression.
func (p *Pattern) String() string { return p.expr }

func (p *Pattern) compile() { p.re = regexp.MustCompile(p.expr) }
