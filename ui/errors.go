// Package ui owns how the CLI talks to a person: the error type every layer
// returns, exit codes, colour and spinner decisions, and secret redaction.
// It imports nothing from the rest of the project so every layer can use it.
package ui

import (
	"errors"
	"fmt"
)

// Exit codes, documented in docs/exit-codes.md.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// Error is the one error type a command returns to the user: what happened
// (Msg), what to do about it (Hint) and the process exit code (Code).
// Wrapped errors keep their chain for errors.Is/As.
type Error struct {
	Msg  string
	Hint string
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an exit-1 error with no hint.
func Errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Code: ExitError}
}

// WithHint returns a copy of e carrying a hint for the user.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// Wrap attaches a user-facing message to a lower-level error.
func Wrap(err error, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Err: err, Code: ExitError}
}

// Usage is an exit-2 error for bad command-line input.
func Usage(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Code: ExitUsage}
}

// Interrupted is returned when the user pressed Ctrl-C (in a prompt or a loop).
var Interrupted = &Error{Msg: "interrupted", Code: ExitInterrupted}

// ExitCode maps any error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return e.Code
	}
	return ExitError
}

// HintOf returns the hint carried anywhere in err's chain, or "".
func HintOf(err error) string {
	var e *Error
	for err != nil {
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}
