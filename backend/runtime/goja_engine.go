package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// gojaEngine runs modules in github.com/dop251/goja.
type gojaEngine struct{}

// emptySourceMap answers source map URLs that are not inline data: we never
// read files named by module text.
var emptySourceMap = []byte(`{"version":3,"sources":[],"names":[],"mappings":""}`)

func (gojaEngine) compile(name, code string) (any, error) {
	ast, err := goja.Parse(name, code, parser.WithSourceMapLoader(func(string) ([]byte, error) {
		return emptySourceMap, nil
	}))
	if err != nil {
		return nil, err
	}
	// ES modules are strict code; so are the shim and system modules.
	return goja.CompileAST(ast, true)
}

type gojaVM struct {
	rt        *goja.Runtime
	run       goja.Callable
	jsonParse goja.Callable
	errorCtor goja.Value
	load      func(path string) (any, bool)

	h       host
	loop    chan func()
	pending int
	broken  atomic.Bool
	dead    chan struct{} // closed when the VM breaks, releasing waiters
	dieOnce sync.Once

	// baseline is the global object's own properties after setup and
	// module loading (see the shim's resetGlobals).
	baseNames []string
	baseVals  []goja.Value

	// unhandled holds promises rejected with no handler during the current
	// call, in rejection order; a call whose result is fine still fails if
	// one is left, as in the reference runtime.
	unhandled []*goja.Promise
}

func (gojaEngine) newVM(shim any, load func(path string) (any, bool)) (jsVM, error) {
	rt := goja.New()
	v := &gojaVM{rt: rt, load: load, loop: make(chan func(), 16), dead: make(chan struct{})}
	// Time and randomness come from the current request (frozen and seeded
	// for queries and mutations).
	rt.SetTimeSource(func() time.Time {
		if v.h != nil {
			return v.h.now()
		}
		return time.Now()
	})
	rt.SetRandSource(func() float64 {
		if v.h != nil {
			return v.h.random()
		}
		return 0.5
	})
	rt.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		if op == goja.PromiseRejectionReject {
			v.unhandled = append(v.unhandled, p)
			return
		}
		for i, q := range v.unhandled {
			if q == p {
				v.unhandled = append(v.unhandled[:i], v.unhandled[i+1:]...)
				break
			}
		}
	})
	if err := installIntrinsics(rt); err != nil {
		return nil, fmt.Errorf("installing intrinsics: %w", err)
	}
	v.jsonParse, _ = goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	v.errorCtor = rt.Get("Error")

	native := rt.NewObject()
	_ = native.Set("sync", v.nativeSync)
	_ = native.Set("async", v.nativeAsync)
	_ = native.Set("load", v.nativeLoad)
	_ = native.Set("snapshotGlobals", v.nativeSnapshotGlobals)
	_ = native.Set("globalsChanged", v.nativeGlobalsChanged)
	res, err := rt.RunProgram(shim.(*goja.Program))
	if err != nil {
		return nil, fmt.Errorf("evaluating the runtime shim: %w", err)
	}
	setup, ok := goja.AssertFunction(res)
	if !ok {
		return nil, errors.New("runtime shim did not evaluate to a function")
	}
	entry, err := setup(goja.Undefined(), native)
	if err != nil {
		return nil, fmt.Errorf("installing the runtime shim: %w", err)
	}
	v.run, ok = goja.AssertFunction(entry)
	if !ok {
		return nil, errors.New("runtime shim did not return its entry point")
	}
	return v, nil
}

func (v *gojaVM) throwError(msg string) {
	obj, err := v.rt.New(v.errorCtor, v.rt.ToValue(msg))
	if err != nil {
		panic(v.rt.NewGoError(errors.New(msg)))
	}
	panic(obj)
}

func (v *gojaVM) nativeSync(call goja.FunctionCall) goja.Value {
	if v.h == nil {
		v.throwError("host operations are unavailable outside a function call")
	}
	res, err := v.h.syncOp(call.Argument(0).String(), call.Argument(1).String())
	if err != nil {
		v.throwError(err.Error())
	}
	return v.rt.ToValue(res)
}

func (v *gojaVM) nativeAsync(call goja.FunctionCall) goja.Value {
	if v.h == nil {
		v.throwError("host operations are unavailable outside a function call")
	}
	p, resolve, reject := v.rt.NewPromise()
	settle := func(r asyncResult) {
		if r.err != nil {
			_ = reject(v.rejection(r.err))
			return
		}
		_ = resolve(r.value)
	}
	r, done, later := v.h.asyncOp(call.Argument(0).String(), call.Argument(1).String())
	if done {
		settle(r)
		return v.rt.ToValue(p)
	}
	v.pending++
	loop, dead := v.loop, v.dead
	go func() {
		var r asyncResult
		select {
		case r = <-later:
		case <-dead:
			return
		}
		select {
		case loop <- func() {
			v.pending--
			settle(r)
		}:
		case <-dead:
		}
	}()
	return v.rt.ToValue(p)
}

// rejection builds the object Convex.asyncSyscall rejects with: {message}
// plus, for a propagated ConvexError, data as a parsed encoded value.
func (v *gojaVM) rejection(err error) goja.Value {
	obj := v.rt.NewObject()
	var oe *opError
	if errors.As(err, &oe) {
		_ = obj.Set("message", oe.Message)
		if len(oe.Data) > 0 {
			if data, perr := v.jsonParse(goja.Undefined(), v.rt.ToValue(string(oe.Data))); perr == nil {
				_ = obj.Set("data", data)
			}
		}
		return obj
	}
	_ = obj.Set("message", err.Error())
	return obj
}

// nativeSnapshotGlobals records the global object's own properties. The
// per-request check below runs on every call, and doing it in Go costs a
// fraction of the same loop in interpreted JavaScript.
func (v *gojaVM) nativeSnapshotGlobals(goja.FunctionCall) goja.Value {
	g := v.rt.GlobalObject()
	v.baseNames = g.GetOwnPropertyNames()
	v.baseVals = make([]goja.Value, len(v.baseNames))
	for i, n := range v.baseNames {
		v.baseVals[i] = g.Get(n)
	}
	return goja.Undefined()
}

// nativeGlobalsChanged reports whether a global was added, removed or
// replaced since the snapshot (like the shim, it reads accessors).
func (v *gojaVM) nativeGlobalsChanged(goja.FunctionCall) goja.Value {
	g := v.rt.GlobalObject()
	if len(g.GetOwnPropertyNames()) != len(v.baseNames) {
		return v.rt.ToValue(true)
	}
	for i, n := range v.baseNames {
		cur, base := g.Get(n), v.baseVals[i]
		if cur == nil || base == nil {
			if cur != base {
				return v.rt.ToValue(true)
			}
			continue
		}
		if !cur.SameAs(base) {
			return v.rt.ToValue(true)
		}
	}
	return v.rt.ToValue(false)
}

func (v *gojaVM) nativeLoad(call goja.FunctionCall) goja.Value {
	prog, ok := v.load(call.Argument(0).String())
	if !ok {
		return goja.Undefined()
	}
	res, err := v.rt.RunProgram(prog.(*goja.Program))
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			// Keep the interrupt uncatchable: raise it again so the
			// caller's code stops at its next instruction.
			v.rt.Interrupt(ie.Value())
		}
		var ex *goja.Exception
		if errors.As(err, &ex) {
			panic(ex.Value())
		}
		panic(v.rt.NewGoError(err))
	}
	return res
}

func (v *gojaVM) call(ctx context.Context, h host, arg string) (string, error) {
	if v.broken.Load() {
		return "", errors.New("javascript VM is no longer usable")
	}
	v.h = h
	v.unhandled = v.unhandled[:0]
	defer func() { v.h = nil; v.unhandled = v.unhandled[:0] }()
	stop := context.AfterFunc(ctx, func() { v.interrupt(context.Cause(ctx)) })
	defer func() {
		// If the interrupt already started it may land after we return;
		// such a VM must not be reused.
		if !stop() {
			v.markBroken()
		}
	}()

	res, err := v.run(goja.Undefined(), v.rt.ToValue(arg))
	if err != nil {
		return "", v.callError(ctx, err)
	}
	p, ok := res.Export().(*goja.Promise)
	if !ok {
		return res.String(), nil
	}
	for p.State() == goja.PromiseStatePending {
		if v.pending == 0 {
			v.markBroken()
			return "", errors.New("the function's promise can never settle: it awaits something that will not happen (timers never fire and fetch is unavailable in queries and mutations)")
		}
		select {
		case f := <-v.loop:
			f()
			if v.broken.Load() {
				return "", v.callError(ctx, context.Cause(ctx))
			}
		case <-ctx.Done():
			v.markBroken()
			return "", v.callError(ctx, context.Cause(ctx))
		}
	}
	if p.State() == goja.PromiseStateRejected {
		return "", &jsThrow{msg: p.Result().String()}
	}
	if len(v.unhandled) > 0 {
		return "", &unhandledRejection{reason: describeValue(v.unhandled[0].Result())}
	}
	return p.Result().String(), nil
}

// describeValue renders a rejection reason: "Error: msg" plus its stack
// for errors, the value's string form otherwise.
func describeValue(val goja.Value) string {
	if obj, ok := val.(*goja.Object); ok {
		if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
			return stack.String()
		}
	}
	if val == nil {
		return "undefined"
	}
	return val.String()
}

func (v *gojaVM) callError(ctx context.Context, err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		v.markBroken()
		if e, ok := ie.Value().(error); ok {
			return e
		}
		return fmt.Errorf("interrupted: %v", ie.Value())
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return &jsThrow{msg: strings.TrimSpace(ex.Error())}
	}
	if ctx.Err() != nil {
		v.markBroken()
		return context.Cause(ctx)
	}
	v.markBroken()
	return err
}

func (v *gojaVM) markBroken() {
	v.broken.Store(true)
	v.dieOnce.Do(func() { close(v.dead) })
}

func (v *gojaVM) interrupt(reason error) {
	v.markBroken()
	v.rt.Interrupt(reason)
}

func (v *gojaVM) idle() bool { return v.pending == 0 && !v.broken.Load() }

func (v *gojaVM) discard() { v.markBroken() }
