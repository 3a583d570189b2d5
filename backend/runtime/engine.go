package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// jsEngine is the seam between the host and a concrete JavaScript engine
// (goja today). Everything that crosses it is a string, so another engine
// (QuickJS, a Node subprocess) can replace it without touching the host.
type jsEngine interface {
	// compile turns a wrapped CommonJS module (an expression evaluating to
	// function(exports, require, module)) or the shim into an immutable
	// program that any VM of this engine may run concurrently.
	compile(name, code string) (any, error)
	// newVM creates a VM with the shim evaluated; load resolves module
	// paths to compiled programs.
	newVM(shim any, load func(path string) (any, bool)) (jsVM, error)
}

// jsVM is one JavaScript realm. It is used by one goroutine at a time.
type jsVM interface {
	// call runs the shim's entry point with arg (JSON of entryRequest) and
	// the host h answering host operations, drives promises and async host
	// operations until the returned value settles, and returns the string
	// it settles to ("ok:<json>" or "err:<json>"). A value thrown past the
	// shim is returned as *jsThrow.
	call(ctx context.Context, h host, arg string) (string, error)
	// interrupt stops the running call from another goroutine.
	interrupt(reason error)
	// idle reports whether the VM has no pending async operations (it can
	// be reused safely).
	idle() bool
	// discard releases a VM that will not be used again (goroutines still
	// waiting on its async operations give up).
	discard()
}

// host answers operations the JS side cannot do itself. Both the Convex
// syscalls and the shim's own needs (logging, randomness, fetch, timers)
// arrive here, as op name and JSON text.
type host interface {
	syncOp(op, arg string) (string, error)
	// asyncOp either completes at once (done == true) or returns a channel
	// that receives exactly one result later.
	asyncOp(op, arg string) (res asyncResult, done bool, later <-chan asyncResult)
	// now is what Date sees; random feeds Math.random.
	now() time.Time
	random() float64
}

type asyncResult struct {
	value string
	err   error
}

// jsThrow is a value thrown out of an entry point that the shim could not
// turn into an envelope (it should not happen; the shim catches).
type jsThrow struct{ msg string }

func (e *jsThrow) Error() string { return e.msg }

// unhandledRejection is a promise rejected with no handler by the time the
// function finished.
type unhandledRejection struct{ reason string }

func (e *unhandledRejection) Error() string { return e.reason }

// opError is a failed async host operation. Data, when present, is the
// encoded ConvexError data, so the JS side can rebuild a ConvexError.
type opError struct {
	Message string
	Data    json.RawMessage
}

func (e *opError) Error() string { return e.Message }

// Engine transforms and compiles modules, caching by content hash, and
// creates ModuleSets. It is safe for concurrent use.
type Engine struct {
	opts Options
	js   jsEngine

	shimOnce sync.Once
	shim     any
	shimErr  error

	sysOnce sync.Once
	sys     map[string]any // compiled convex:/_system/... modules
	sysErr  error

	mu    sync.Mutex
	cache map[string]*compiledModule // by content hash
	gen   uint64                     // incremented by every Load
}

// New creates an Engine.
func New(opts Options) *Engine {
	opts.withDefaults()
	return &Engine{opts: opts, js: gojaEngine{}, cache: map[string]*compiledModule{}}
}

func (e *Engine) shimProgram() (any, error) {
	e.shimOnce.Do(func() {
		e.shim, e.shimErr = e.js.compile("convex:/_system/host.js", shimSource.Get())
	})
	return e.shim, e.shimErr
}

// systemModule returns a host-provided module such as
// "_system/repl/wrappers.js" (what one-off test queries import).
func (e *Engine) systemModule(path string) (any, bool) {
	e.sysOnce.Do(func() {
		e.sys = map[string]any{}
		for _, m := range systemModuleFiles {
			name := m.name
			src, err := sysFiles.ReadFile(m.file)
			if err != nil {
				e.sysErr = err
				return
			}
			prog, err := e.js.compile("convex:/"+name, string(src))
			if err != nil {
				e.sysErr = fmt.Errorf("compiling %s: %w", name, err)
				return
			}
			e.sys[name] = prog
		}
	})
	prog, ok := e.sys[path]
	return prog, ok
}
