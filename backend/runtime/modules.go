package runtime

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/go-sourcemap/sourcemap"
)

// compiledModule is a pushed module after the ESM→CommonJS transform.
type compiledModule struct {
	path    string
	hash    string
	program any    // engine-specific compiled program
	lastGen uint64 // Engine.gen of the last Load that used it
}

// maxCachedModules bounds the transform cache; beyond it, modules no recent
// Load used are dropped (ModuleSets keep their own references).
const maxCachedModules = 512

// ModuleError is a module that cannot be loaded: a syntax error, an
// unsupported construct, or an invalid path.
type ModuleError struct {
	Path    string // pushed module path, e.g. "messages.js"
	Line    int    // 1-based line in the pushed module, 0 if unknown
	Column  int    // 0-based column
	Message string
	// Original is the user's source position from the source map, e.g.
	// "../convex/messages.ts:10:9", when one was available.
	Original string
}

func (e *ModuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Original != "" {
		b.WriteString(" (at " + e.Original + ")")
	}
	return b.String()
}

// ModuleSet is an immutable set of loaded modules (one push). It keeps a
// pool of warm VMs; it is safe for concurrent use.
type ModuleSet struct {
	engine  *Engine
	modules map[string]*compiledModule

	poolMu sync.Mutex
	pool   []jsVM

	metaMu sync.Mutex
	meta   map[string]*funcMeta // canonical path -> metadata, filled lazily

	nodeModules map[string]Module // "use node" modules, run by the Node.js executor
	nodeMu      sync.Mutex
	node        *nodeExecutor
}

// Load transforms and compiles mods. Modules already seen (same path and
// content) come from the cache. Errors name the module and line.
func (e *Engine) Load(mods []Module) (*ModuleSet, error) {
	e.mu.Lock()
	e.gen++
	gen := e.gen
	if len(e.cache) > maxCachedModules {
		for k, cm := range e.cache {
			if cm.lastGen+2 < gen {
				delete(e.cache, k)
			}
		}
	}
	e.mu.Unlock()
	ms := &ModuleSet{engine: e, modules: make(map[string]*compiledModule, len(mods)), meta: map[string]*funcMeta{},
		nodeModules: map[string]Module{}}
	// Check every module first; the isolate ones before the first bad
	// module are compiled below, so the error reported is still the one of
	// the first module (in push order) that cannot be loaded.
	var (
		isolate []int // indexes into mods
		bad     error
		seen    = make(map[string]bool, len(mods))
	)
	for i, m := range mods {
		if err := checkModulePath(m.Path); err != nil {
			bad = &ModuleError{Path: m.Path, Message: err.Error()}
			break
		}
		if seen[m.Path] {
			bad = &ModuleError{Path: m.Path, Message: "module pushed twice"}
			break
		}
		seen[m.Path] = true
		switch m.Environment {
		case "", "isolate":
			isolate = append(isolate, i)
		case "node":
			ms.nodeModules[m.Path] = m
		default:
			bad = &ModuleError{Path: m.Path, Message: fmt.Sprintf("unknown environment %q (want isolate or node)", m.Environment)}
		}
		if bad != nil {
			break
		}
	}
	if len(isolate) > 0 {
		// Every use of a module set needs a VM, and the first VM of an
		// engine needs the runtime shim compiled (several milliseconds):
		// do that while the modules compile. getVM waits for it.
		go e.shimProgram()
	}
	compiled, errs := e.compileAll(mods, isolate, gen)
	for k, i := range isolate {
		if errs[k] != nil {
			return nil, errs[k]
		}
		ms.modules[mods[i].Path] = compiled[k]
	}
	if bad != nil {
		return nil, bad
	}
	return ms, nil
}

// compileAll compiles mods[which[k]] into compiled[k] on up to GOMAXPROCS
// goroutines: a push's modules are independent, and the transform and
// compile of one large chunk would otherwise hold up all the others.
// The largest modules start first so that they do not finish last.
func (e *Engine) compileAll(mods []Module, which []int, gen uint64) ([]*compiledModule, []error) {
	compiled := make([]*compiledModule, len(which))
	errs := make([]error, len(which))
	order := make([]int, len(which)) // positions in which, largest module first
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool {
		return len(mods[which[order[a]]].Source) > len(mods[which[order[b]]].Source)
	})
	workers := min(goruntime.GOMAXPROCS(0), len(which))
	if workers <= 1 {
		for _, k := range order {
			compiled[k], errs[k] = e.compileModule(mods[which[k]], gen)
		}
		return compiled, errs
	}
	next := make(chan int, len(order))
	for _, k := range order {
		next <- k
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				compiled[k], errs[k] = e.compileModule(mods[which[k]], gen)
			}
		}()
	}
	wg.Wait()
	return compiled, errs
}

// Paths lists the loaded module paths, sorted.
func (m *ModuleSet) Paths() []string {
	out := make([]string, 0, len(m.modules)+len(m.nodeModules))
	for p := range m.modules {
		out = append(out, p)
	}
	for p := range m.nodeModules {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func checkModulePath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("invalid module path %q: must be relative", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("invalid module path %q", p)
		}
	}
	if !strings.HasSuffix(p, ".js") {
		return fmt.Errorf("invalid module path %q: must end in .js", p)
	}
	return nil
}

func (e *Engine) compileModule(m Module, gen uint64) (*compiledModule, error) {
	h := sha256.New()
	h.Write([]byte(m.Path))
	h.Write([]byte{0})
	h.Write([]byte(m.Source))
	h.Write([]byte{0})
	h.Write([]byte(m.SourceMap))
	key := hex.EncodeToString(h.Sum(nil))

	e.mu.Lock()
	cm, ok := e.cache[key]
	if ok {
		cm.lastGen = gen
	}
	e.mu.Unlock()
	if ok {
		return cm, nil
	}
	code, err := transformModule(m)
	if err != nil {
		return nil, err
	}
	if !e.opts.NoIntrinsics {
		code = injectIntrinsics(code)
	}
	// A name without a URL scheme keeps the source map's relative source
	// paths ("../convex/messages.ts") as they are in stack traces.
	prog, err := e.js.compile(m.Path, code)
	if err != nil {
		return nil, &ModuleError{Path: m.Path, Message: err.Error()}
	}
	cm = &compiledModule{path: m.Path, hash: key, program: prog, lastGen: gen}
	e.mu.Lock()
	e.cache[key] = cm
	e.mu.Unlock()
	return cm, nil
}

// transformModule turns an ES module into a CommonJS function expression
// `(function (exports, require, module) {...})`. Async iteration is lowered
// because goja lacks it; everything else stays as written. The pushed source
// map is fed to esbuild inline so the output's map points at the user's
// TypeScript, which the engine uses for stack traces.
func transformModule(m Module) (string, error) {
	src := stripSourceMapComment(m.Source)
	// A map esbuild cannot read would fail the transform; the module is
	// still usable without it.
	if m.SourceMap != "" && json.Valid([]byte(m.SourceMap)) {
		src += "\n//# sourceMappingURL=data:application/json;base64," +
			base64.StdEncoding.EncodeToString([]byte(m.SourceMap))
	}
	res := api.Transform(src, api.TransformOptions{
		Loader:     api.LoaderJS,
		Format:     api.FormatCommonJS,
		Target:     api.ESNext,
		Supported:  map[string]bool{"async-generator": false, "for-await": false},
		Sourcemap:  api.SourceMapInline,
		Sourcefile: m.Path,
		LogLevel:   api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return "", moduleErrorFrom(m, res.Errors[0])
	}
	// The closing "})" sits on its own line so the engine still finds the
	// sourceMappingURL comment on the line before it.
	return "(function (exports, require, module) {" + string(res.Code) + "\n})", nil
}

func stripSourceMapComment(src string) string {
	trimmed := strings.TrimRight(src, " \t\r\n")
	i := strings.LastIndexByte(trimmed, '\n')
	if strings.HasPrefix(trimmed[i+1:], "//# sourceMappingURL=") {
		return trimmed[:i+1]
	}
	return src
}

func moduleErrorFrom(m Module, msg api.Message) *ModuleError {
	me := &ModuleError{Path: m.Path, Message: msg.Text}
	if strings.Contains(msg.Text, "Top-level await") {
		me.Message = "Top-level awaits in source files are unsupported"
	}
	if loc := msg.Location; loc != nil {
		me.Line, me.Column = loc.Line, loc.Column
		if orig := originalPosition(m.SourceMap, loc.Line, loc.Column); orig != "" {
			me.Original = orig
		}
	}
	return me
}

// originalPosition maps a position of the pushed module to the user's
// source through the pushed source map ("" if it cannot).
func originalPosition(sourceMap string, line, col int) string {
	if sourceMap == "" || line <= 0 {
		return ""
	}
	sm, err := sourcemap.Parse("", []byte(sourceMap))
	if err != nil {
		return ""
	}
	// The library only answers for a column that starts a mapping, so walk
	// back to the closest mapped column on the line (error path only).
	for c := col; c >= 0 && col-c < 4096; c-- {
		if file, _, l, oc, ok := sm.Source(line, c); ok {
			return fmt.Sprintf("%s:%d:%d", file, l, oc+1+(col-c))
		}
	}
	return ""
}

// CanonicalPath splits a udf path into module path and export name:
// "messages:list" -> ("messages.js", "list"), "dir/a.js" -> ("dir/a.js", "default").
func CanonicalPath(udfPath string) (module, export string) {
	module, export, ok := strings.Cut(udfPath, ":")
	if !ok || export == "" {
		export = "default"
	}
	if !strings.HasSuffix(module, ".js") {
		module += ".js"
	}
	return module, export
}

// displayPath renders a udf path the way error messages show it ("messages:list").
func displayPath(module, export string) string {
	return strings.TrimSuffix(module, ".js") + ":" + export
}

// getVM takes a warm VM from the pool or makes a new one.
func (m *ModuleSet) getVM() (jsVM, error) {
	if !m.engine.opts.FreshVMs {
		m.poolMu.Lock()
		if n := len(m.pool); n > 0 {
			vm := m.pool[n-1]
			m.pool = m.pool[:n-1]
			m.poolMu.Unlock()
			return vm, nil
		}
		m.poolMu.Unlock()
	}
	shim, err := m.engine.shimProgram()
	if err != nil {
		return nil, fmt.Errorf("compiling the runtime shim: %w", err)
	}
	return m.engine.js.newVM(shim, func(path string) (any, bool) {
		if strings.HasPrefix(path, "_system/") {
			return m.engine.systemModule(path)
		}
		cm, ok := m.modules[path]
		if !ok {
			return nil, false
		}
		return cm.program, true
	})
}

// putVM returns a VM to the pool. Only VMs whose call finished cleanly come
// back (see reuse notes in invoke.go).
func (m *ModuleSet) putVM(vm jsVM) {
	if m.engine.opts.FreshVMs || !vm.idle() {
		vm.discard()
		return
	}
	m.poolMu.Lock()
	pooled := len(m.pool) < m.engine.opts.MaxIdleVMs
	if pooled {
		m.pool = append(m.pool, vm)
	}
	m.poolMu.Unlock()
	if !pooled {
		vm.discard()
	}
}
