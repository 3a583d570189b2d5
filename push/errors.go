package push

import (
	"errors"

	"github.com/convex-go/convex/bundler"
)

// Kind classifies a push failure the way the dev loop reacts to it (§11.1).
type Kind int

const (
	// Fatal: needs the user; dev stops.
	Fatal Kind = iota
	// Transient: network trouble; retry with backoff.
	Transient
	// InvalidFiles: the local files are wrong; wait for a file change.
	InvalidFiles
	// InvalidFilesOrEnv: wait for a file or deployment env-var change.
	InvalidFilesOrEnv
	// InvalidFilesOrData: schema validation failed; wait for a file change
	// or a change of the data in TableName.
	InvalidFilesOrData
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case InvalidFiles:
		return "invalid filesystem data"
	case InvalidFilesOrEnv:
		return "invalid filesystem or env vars"
	case InvalidFilesOrData:
		return "invalid filesystem or db data"
	}
	return "fatal"
}

// Error is a failed push. Msg is printed after "✖ "; Detail (esbuild's
// rendering of diagnostics, a schema error) is printed below it.
type Error struct {
	Kind          Kind
	Msg           string
	Detail        string
	Hint          string
	TableName     string
	ComponentPath string
	// Printed means the details were already shown (tsc output).
	Printed bool
	Err     error
	// detailFirst prints Detail (esbuild's diagnostics) before the summary.
	detailFirst bool
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns how err should be handled; errors that are not *Error
// count as fatal, bundler errors keep their own classification.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	var be *bundler.Error
	if errors.As(err, &be) {
		switch be.Kind {
		case bundler.Transient:
			return Transient
		case bundler.InvalidFiles:
			return InvalidFiles
		}
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		return Transient
	}
	return Fatal
}

func fromBundler(err error) error {
	var be *bundler.Error
	if !errors.As(err, &be) {
		return err
	}
	// The advice becomes the hint, printed once below the message.
	msg := *be
	msg.Advice = ""
	return &Error{Kind: KindOf(err), Msg: msg.Error(), Detail: be.Formatted, Hint: be.Advice, detailFirst: true}
}

// DetailFirst reports whether Detail is esbuild's rendering of the errors,
// which already says everything and is printed on its own.
func (e *Error) DetailFirst() bool { return e.detailFirst }

// Display is the error as shown to a person: the summary, then the cause
// on its own line(s).
func (e *Error) Display() string {
	if e.Err == nil || e.Msg == "" {
		return e.Error()
	}
	return e.Msg + "\n" + e.Err.Error()
}
