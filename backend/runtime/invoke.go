package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/values"
	"github.com/convex-go/convex/internal/lazy"
)

// VM reuse. A VM keeps the modules it has evaluated, so a warm VM answers a
// call without re-running convex/server and the user's module bodies. This
// is safe because everything a call can observe about its request lives in
// per-call state that is replaced on every call: the host object (database,
// identity, environment, log sink, clock, random source) on the Go side, and
// the shim's request state (env, timers, console counters) on the JS side;
// globals a request adds are deleted when it ends. convex/server builds a
// fresh ctx for every invocation and keeps no per-request module state. What
// persists is what the user's module bodies put in module scope, as with the
// reference backend's experimental_reuseContext; Options.FreshVMs turns reuse
// off. A VM is only pooled again after a call that finished cleanly with no
// async work still outstanding; interrupted or timed-out VMs are dropped.

var errTimeout = errors.New("function execution timed out")

// funcMeta describes one exported function, read from the module once.
type funcMeta struct {
	Found      bool    `json:"found"`
	UdfType    string  `json:"udfType"`    // query, mutation, action, httpAction
	Visibility string  `json:"visibility"` // public, internal, "" (ambiguous)
	Args       *string `json:"args"`
	Returns    *string `json:"returns"`

	// Parsed validators (nil when absent or "any"/none), filled by describe.
	argsVal, returnsVal *values.Validator
}

// tableNumberer is implemented by transactions that know table numbers
// (*store.Tx); id validators then also check the id's table.
type tableNumberer interface {
	TableNumber(name string) (uint32, bool)
}

func (meta *funcMeta) parseValidators() error {
	if meta.Args != nil {
		v, err := values.ParseValidator([]byte(*meta.Args))
		if err != nil {
			return fmt.Errorf("invalid args validator: %w", err)
		}
		meta.argsVal = v
	}
	if meta.Returns != nil && *meta.Returns != "null" {
		v, err := values.ParseValidator([]byte(*meta.Returns))
		if err != nil {
			return fmt.Errorf("invalid returns validator: %w", err)
		}
		meta.returnsVal = v
	}
	return nil
}

// execution is the per-call host: it answers the VM's host operations.
type execution struct {
	ms        *ModuleSet
	ctx       context.Context
	req       *Request
	udfType   string // query, mutation, action, httpAction, analyze
	udfPath   string // "messages:list"
	frozenNow time.Time
	rng       *rand.Rand
	logs      *[]LogLine
	depth     int
}

const maxLogLines = 4096

func newExecution(ctx context.Context, ms *ModuleSet, req *Request, udfType, udfPath string, depth int, logs *[]LogLine) *execution {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	seed := req.Seed
	if seed == 0 {
		seed = rand.Int64()
	}
	if logs == nil {
		logs = new([]LogLine)
	}
	return &execution{
		ms: ms, ctx: ctx, req: req, udfType: udfType, udfPath: udfPath,
		frozenNow: now, rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		logs: logs, depth: depth,
	}
}

func (x *execution) deterministic() bool {
	return x.udfType == KindQuery || x.udfType == KindMutation || x.udfType == "analyze"
}

func (x *execution) now() time.Time {
	if x.deterministic() {
		return x.frozenNow
	}
	return time.Now()
}

func (x *execution) random() float64 { return x.rng.Float64() }

func (x *execution) addLog(l LogLine) {
	if len(*x.logs) >= maxLogLines {
		if len(*x.logs) == maxLogLines {
			*x.logs = append(*x.logs, LogLine{Level: "WARN", Messages: []string{fmt.Sprintf("Log overflow (maximum %d lines). Subsequent logs are dropped.", maxLogLines)}, Timestamp: time.Now().UnixMilli()})
		}
		return
	}
	*x.logs = append(*x.logs, l)
	if x.req.OnLog != nil {
		x.req.OnLog(l)
	}
}

// entryRequest is the JSON handed to the shim's entry point.
type entryRequest struct {
	Op        string            `json:"op"`
	UdfType   string            `json:"udfType"`
	Env       map[string]string `json:"env"`
	Module    string            `json:"module,omitempty"`
	Name      string            `json:"name,omitempty"`
	Args      string            `json:"args,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Request   string            `json:"request,omitempty"`
	Modules   []string          `json:"modules,omitempty"`
}

// thrown is an error the user's code threw, as described by the shim.
type thrown struct {
	Message string  `json:"message"`
	Data    *string `json:"data"`
}

func (t *thrown) functionError() *FunctionError {
	fe := &FunctionError{Message: t.Message}
	if t.Data != nil {
		fe.Data = []byte(*t.Data)
	}
	return fe
}

// callVM runs one shim entry on a pooled VM and splits the envelope.
func (m *ModuleSet) callVM(ctx context.Context, x *execution, er entryRequest) (string, *thrown, error) {
	er.Env = m.envFor(x.req.Env)
	if m.isNodeModule(er.Module) {
		ne, err := m.nodeExec()
		if err != nil {
			return "", nil, err
		}
		return ne.call(ctx, x, er)
	}
	arg, err := json.Marshal(er)
	if err != nil {
		return "", nil, err
	}
	vm, err := m.getVM()
	if err != nil {
		return "", nil, err
	}
	out, err := vm.call(ctx, x, string(arg))
	m.putVM(vm)
	if err != nil {
		return "", nil, err
	}
	if v, ok := strings.CutPrefix(out, "ok:"); ok {
		return v, nil, nil
	}
	if v, ok := strings.CutPrefix(out, "err:"); ok {
		var t thrown
		if err := json.Unmarshal([]byte(v), &t); err != nil {
			return "", nil, fmt.Errorf("malformed error from the runtime: %w", err)
		}
		return "", &t, nil
	}
	return "", nil, fmt.Errorf("malformed result from the runtime: %.100q", out)
}

func (m *ModuleSet) envFor(env map[string]string) map[string]string {
	o := m.engine.opts
	if o.CloudURL == "" && o.SiteURL == "" {
		return env
	}
	out := make(map[string]string, len(env)+2)
	if o.CloudURL != "" {
		out["CONVEX_CLOUD_URL"] = o.CloudURL
	}
	if o.SiteURL != "" {
		out["CONVEX_SITE_URL"] = o.SiteURL
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// describe returns the metadata of module:export, evaluating the module
// once per ModuleSet. A nil meta with nil error means "no such function".
func (m *ModuleSet) describe(ctx context.Context, req *Request, module, export string) (*funcMeta, *FunctionError) {
	key := module + ":" + export
	m.metaMu.Lock()
	meta, ok := m.meta[key]
	m.metaMu.Unlock()
	if ok {
		return meta, nil
	}
	if _, ok := m.modules[module]; (!ok && !m.isNodeModule(module)) || strings.HasPrefix(module, "_deps/") {
		return nil, nil
	}
	x := newExecution(ctx, m, &Request{Env: req.Env, Now: req.Now, Seed: req.Seed}, "analyze", displayPath(module, export), 0, nil)
	ctx, cancel := context.WithTimeoutCause(ctx, m.engine.opts.QueryTimeout, errTimeout)
	defer cancel()
	out, th, err := m.callVM(ctx, x, entryRequest{Op: "describe", UdfType: "analyze", Module: module, Name: export})
	if err != nil {
		return nil, &FunctionError{Message: "Failed to load convex:/" + module + ": " + err.Error()}
	}
	if th != nil {
		return nil, th.functionError()
	}
	meta = &funcMeta{}
	if err := json.Unmarshal([]byte(out), meta); err != nil {
		return nil, &FunctionError{Message: "malformed function metadata: " + err.Error()}
	}
	if err := meta.parseValidators(); err != nil {
		return nil, &FunctionError{Message: fmt.Sprintf("%s has an %v", displayPath(module, export), err)}
	}
	// Only real functions are cached: callers can name any export, and a
	// cache of misses would grow without bound.
	if meta.Found {
		m.metaMu.Lock()
		m.meta[key] = meta
		m.metaMu.Unlock()
	}
	return meta, nil
}

// udfTypeTitle is the capitalised name of a function kind, as the
// reference reports it; "" for an unknown kind.
func udfTypeTitle(kind string) string {
	switch kind {
	case KindQuery:
		return "Query"
	case KindMutation:
		return "Mutation"
	case KindAction:
		return "Action"
	case "httpAction":
		return "HttpAction"
	}
	return ""
}

// Run invokes the function named by req.Path and returns its result, error
// and logs. It never panics on user input; every failure is a FunctionError.
func (m *ModuleSet) Run(ctx context.Context, req Request) Result {
	return m.run(ctx, &req, 0, nil)
}

func (m *ModuleSet) run(ctx context.Context, req *Request, depth int, logs *[]LogLine) Result {
	if logs == nil {
		logs = new([]LogLine)
	}
	fail := func(msg string) Result {
		return Result{Err: &FunctionError{Message: msg}, Logs: *logs}
	}
	module, export := CanonicalPath(req.Path)
	disp := displayPath(module, export)
	meta, ferr := m.describe(ctx, req, module, export)
	if ferr != nil {
		return Result{Err: ferr, Logs: *logs}
	}
	if meta == nil || !meta.Found || meta.UdfType == "httpAction" || meta.Visibility == "" ||
		(meta.Visibility == "internal" && !req.Internal) {
		if req.Internal {
			return fail(fmt.Sprintf("Could not find function for '%s'. Did you forget to run `npx convex dev` or `npx convex deploy`?", disp))
		}
		return fail(fmt.Sprintf("Could not find public function for '%s'. Did you forget to run `npx convex dev` or `npx convex deploy`?", disp))
	}
	if req.Kind != "" && req.Kind != meta.UdfType {
		return fail(fmt.Sprintf("Trying to execute %s as %s, but it is defined as %s.", disp, udfTypeTitle(req.Kind), udfTypeTitle(meta.UdfType)))
	}
	if (meta.UdfType == KindQuery || meta.UdfType == KindMutation) && req.DB == nil {
		return fail(fmt.Sprintf("%s needs a database transaction, but none was provided", disp))
	}
	argsText, err := normalizeArgs(req.Args)
	if err != nil {
		return fail("ArgumentValidationError: " + err.Error())
	}
	var tables values.TableResolver
	if tn, ok := req.DB.(tableNumberer); ok {
		tables = tn.TableNumber
	}
	if meta.argsVal != nil {
		if err := validateJSON(meta.argsVal, argsText, tables); err != nil {
			return fail("ArgumentValidationError: " + err.Error())
		}
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = m.engine.opts.QueryTimeout
		if meta.UdfType == KindAction {
			timeout = m.engine.opts.ActionTimeout
		}
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()
	x := newExecution(cctx, m, req, meta.UdfType, disp, depth, logs)
	out, th, err := m.callVM(cctx, x, entryRequest{
		Op: "invoke", UdfType: meta.UdfType, Module: module, Name: export,
		Args: "[" + argsText + "]", RequestID: req.RequestID,
	})
	if err != nil {
		return Result{Err: runFailure(err, timeout), Logs: *logs, UdfType: meta.UdfType}
	}
	if th != nil {
		return Result{Err: th.functionError(), Logs: *logs, UdfType: meta.UdfType}
	}
	if meta.returnsVal != nil {
		if err := validateJSON(meta.returnsVal, out, tables); err != nil {
			return Result{Err: &FunctionError{Message: "ReturnsValidationError: " + err.Error()}, Logs: *logs, UdfType: meta.UdfType}
		}
	}
	return Result{Value: []byte(out), Logs: *logs, UdfType: meta.UdfType}
}

func runFailure(err error, timeout time.Duration) *FunctionError {
	var ur *unhandledRejection
	if errors.As(err, &ur) {
		return &FunctionError{Message: "Uncaught (in promise) " + reformatStack(ur.reason)}
	}
	if errors.Is(err, errTimeout) {
		return &FunctionError{Message: fmt.Sprintf("Uncaught Error: Function execution timed out (maximum duration: %s)", timeout)}
	}
	if errors.Is(err, context.Canceled) {
		return &FunctionError{Message: "Uncaught Error: Function execution was canceled"}
	}
	return &FunctionError{Message: "Uncaught Error: " + err.Error()}
}

// normalizeArgs accepts an encoded args object or a one-element array of
// one and returns the object's JSON text.
func normalizeArgs(args []byte) (string, error) {
	s := strings.TrimSpace(string(args))
	if s == "" || s == "null" {
		return "{}", nil
	}
	if strings.HasPrefix(s, "[") {
		var arr []json.RawMessage
		if err := json.Unmarshal([]byte(s), &arr); err != nil {
			return "", fmt.Errorf("arguments are not valid JSON: %v", err)
		}
		if len(arr) != 1 {
			return "", fmt.Errorf("expected exactly one arguments object, got %d", len(arr))
		}
		s = strings.TrimSpace(string(arr[0]))
	}
	if !strings.HasPrefix(s, "{") {
		return "", errors.New("arguments must be an object")
	}
	if !json.Valid([]byte(s)) {
		return "", errors.New("arguments are not valid JSON")
	}
	return s, nil
}

func validateJSON(val *values.Validator, encoded string, tables values.TableResolver) error {
	v, err := values.Decode([]byte(encoded))
	if err != nil {
		return err
	}
	return val.Check(v, tables)
}

// Prewarm fills the VM pool with up to n VMs that have already evaluated
// every function module, so the first calls after a push are fast. Module
// errors are ignored here; analysis and calls report them.
func (m *ModuleSet) Prewarm(ctx context.Context, n int, env map[string]string) error {
	if n > m.engine.opts.MaxIdleVMs {
		n = m.engine.opts.MaxIdleVMs
	}
	var mods []string
	for _, p := range m.Paths() {
		if !strings.HasPrefix(p, "_deps/") && p != "schema.js" && !m.isNodeModule(p) {
			mods = append(mods, p)
		}
	}
	vms := make([]jsVM, 0, n)
	defer func() {
		for _, vm := range vms {
			m.putVM(vm)
		}
	}()
	for i := 0; i < n; i++ {
		vm, err := m.getVM()
		if err != nil {
			return err
		}
		vms = append(vms, vm)
		arg, _ := json.Marshal(entryRequest{Op: "preload", UdfType: "analyze", Env: m.envFor(env), Modules: mods})
		x := newExecution(ctx, m, &Request{Env: env}, "analyze", "", 0, nil)
		cctx, cancel := context.WithTimeoutCause(ctx, m.engine.opts.QueryTimeout, errTimeout)
		_, err = vm.call(cctx, x, string(arg))
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// reformatStack turns goja's "\tat f (file:1:2(34))" frames into the
// "    at f (file:1:2)" form used everywhere else, dropping host and
// convex library frames as the shim does for thrown errors.
func reformatStack(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "at "); ok {
			if strings.HasSuffix(rest, "(native)") || strings.Contains(rest, "convex:/_system/") ||
				strings.Contains(rest, "node_modules/convex/") {
				continue
			}
			l = "    at " + pcSuffix.Get().ReplaceAllString(rest, "$1")
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

var pcSuffix = lazy.Regexp(`\(\d+\)(\)?)$`)

// FunctionInfo describes an exported function.
type FunctionInfo struct {
	UdfType    string // "query", "mutation", "action" or "httpAction"
	Visibility string // "public" or "internal"
	Args       string // args validator JSON ("" for HTTP actions)
	Returns    string // returns validator JSON, "null" when none
}

// Lookup reports what the function at udfPath is, so a caller can pick a
// read or write transaction before Run. It returns nil, nil when there is
// no such function, and an error when its module fails to load.
func (m *ModuleSet) Lookup(ctx context.Context, udfPath string, env map[string]string) (*FunctionInfo, error) {
	module, export := CanonicalPath(udfPath)
	meta, fe := m.describe(ctx, &Request{Env: env}, module, export)
	if fe != nil {
		return nil, fe
	}
	if meta == nil || !meta.Found || meta.Visibility == "" && meta.UdfType != "httpAction" {
		return nil, nil
	}
	info := &FunctionInfo{UdfType: meta.UdfType, Visibility: meta.Visibility}
	if meta.Args != nil {
		info.Args = *meta.Args
	}
	if meta.Returns != nil {
		info.Returns = *meta.Returns
	}
	return info, nil
}
