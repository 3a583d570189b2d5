package bundler

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/convex-go/convex/internal/lazy"
)

// Module is one file sent to the deployment; the JSON shape is the push API's.
type Module struct {
	Path        string      `json:"path"`
	Source      string      `json:"source"`
	SourceMap   string      `json:"sourceMap,omitempty"`
	Environment Environment `json:"environment"`
}

// NodeDependency is an external package a "use node" bundle needs installed.
type NodeDependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Options configures Bundle.
type Options struct {
	// ProjectDir is esbuild's working directory: where package.json and
	// node_modules live. Diagnostics name files relative to it.
	ProjectDir string
	// FunctionsDir is the absolute path of the functions directory (convex/).
	FunctionsDir string
	// ExternalPackages is convex.json node.externalPackages ("*" = all).
	ExternalPackages []string
	// ExtraConditions are added to esbuild's resolve conditions.
	ExtraConditions []string
	// IncludeSourcesContent embeds sources in the source maps.
	IncludeSourcesContent bool
	// Warn receives non-fatal notices (esbuild warnings, suspicious files).
	Warn func(string)
	// SyntheticComponent, the convex.config.ts of one component, replaces
	// the app by a minimal one that only mounts that component (codegen
	// --component-dir); the app's own functions are then not bundled.
	SyntheticComponent string
}

// Result is everything a push needs from the functions directory.
type Result struct {
	// Definition is the bundled convex.config (a minimal app definition when
	// the project has none), path "convex.config.js".
	Definition Module
	// Schema is the bundled schema.ts/js, or nil.
	Schema *Module
	// Modules are the isolate bundles and chunks, the node bundles and the
	// auth config, in that order.
	Modules          []Module
	NodeDependencies []NodeDependency
	// AppDependencies are the definition paths of the components the app
	// mounts; Components are all components reachable from the app.
	AppDependencies []string
	Components      []ComponentBundle
	// Inputs are the absolute paths of every file esbuild read, for watching.
	Inputs []string
}

// virtualAppConfig stands in for a missing convex.config.ts.
const virtualAppConfig = `import { defineApp } from "convex/server";
const app = defineApp();
export default app;
`

func (o *Options) warn(s string) {
	if o.Warn != nil {
		o.Warn(s)
	}
}

// Bundle builds every module of the functions directory.
func Bundle(o Options) (*Result, error) {
	if o.FunctionsDir == "" {
		return nil, &Error{Kind: Fatal, Msg: "bundler: no functions directory given"}
	}
	if o.ProjectDir == "" {
		o.ProjectDir = filepath.Dir(o.FunctionsDir)
	}
	st, err := os.Stat(o.FunctionsDir)
	if err != nil || !st.IsDir() {
		why := "Not a directory"
		if err != nil {
			why = "No such directory"
		}
		return nil, &Error{Kind: InvalidFiles, Msg: "Invalid component root directory (" + why + "): " + o.FunctionsDir,
			Advice: `Create that directory, or set "functions" in convex.json to the directory that holds your Convex functions (the default is convex/).`}
	}
	defer relaxGC()()
	res := &Result{}
	inputs := map[string]bool{}

	// The definitions (which carry all of convex/server) bundle while the
	// functions do; esbuild builds are independent.
	defInputs := map[string]bool{}
	defDone := make(chan error, 1)
	go func() {
		entry, virtual := rootDefinitionFile(o.FunctionsDir)
		if o.SyntheticComponent != "" {
			entry, virtual = filepath.Join(o.FunctionsDir, "convex.config.ts"), true
		}
		def, in, children, err := o.bundleDefinitionFile(entry, o.FunctionsDir, virtual)
		if err != nil {
			defDone <- err
			return
		}
		res.Definition = def
		addInputs(defInputs, in)
		res.AppDependencies, res.Components, err = o.bundleComponents(children, defInputs)
		if res.AppDependencies == nil {
			res.AppDependencies = []string{}
		}
		defDone <- err
	}()
	err = nil
	if o.SyntheticComponent == "" {
		err = o.bundleFunctions(res, inputs)
	}
	if err != nil {
		if derr := <-defDone; derr != nil {
			return nil, derr
		}
		return nil, err
	}
	if err := <-defDone; err != nil {
		return nil, err
	}
	addInputs(inputs, setKeys(defInputs))

	for p := range inputs {
		res.Inputs = append(res.Inputs, p)
	}
	sort.Strings(res.Inputs)
	return res, nil
}

// bundleGCPercent is the GC target while bundling. esbuild allocates a few
// tens of megabytes of short-lived parse trees; at the default 100 a fresh
// process collects every few megabytes and spends a fifth of the bundling
// CPU doing so, for a peak heap that stays small either way.
const bundleGCPercent = 400

// relaxGC raises the GC target for the duration of a bundle, unless the
// user asked for a larger one or none (GOGC), and returns the undo.
func relaxGC() (restore func()) {
	prev := debug.SetGCPercent(bundleGCPercent)
	if prev < 0 || prev >= bundleGCPercent {
		debug.SetGCPercent(prev)
		return func() {}
	}
	return func() { debug.SetGCPercent(prev) }
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// bundleFunctions bundles the app's schema, isolate and node functions and
// auth config into res. The four esbuild builds are independent, so they
// run at once; results are merged in a fixed order.
func (o *Options) bundleFunctions(res *Result, inputs map[string]bool) error {
	isolate, node, err := EntryPointsByEnvironment(o.FunctionsDir, o.warn)
	if err != nil {
		return err
	}
	ext, err := findExternalPackages(o.ProjectDir, o.ExternalPackages)
	if err != nil {
		return err
	}
	var (
		wg                          sync.WaitGroup
		schema                      *Module
		schemaIn, authIn            []string
		auth                        []Module
		ib, nb                      *buildOutput
		schemaErr, iErr, nErr, aErr error
	)
	wg.Add(4)
	go func() { defer wg.Done(); schema, schemaIn, schemaErr = BundleSchema(*o) }()
	go func() {
		defer wg.Done()
		ib, iErr = o.build(buildSpec{entries: isolate, platform: api.PlatformBrowser, chunks: "_deps", splitting: true})
	}()
	go func() {
		defer wg.Done()
		nb, nErr = o.build(buildSpec{entries: node, platform: api.PlatformNode, chunks: "_deps/node", splitting: true, external: ext})
	}()
	go func() { defer wg.Done(); auth, authIn, aErr = BundleAuthConfig(*o) }()
	wg.Wait()
	// Report the first failure in the order the builds used to run.
	for _, err := range []error{schemaErr, iErr, nErr, aErr} {
		if err != nil {
			return err
		}
	}
	res.Schema = schema
	addInputs(inputs, schemaIn)
	res.Modules = append(res.Modules, ib.modules...)
	addInputs(inputs, ib.inputs)
	res.Modules = append(res.Modules, nb.modules...)
	addInputs(inputs, nb.inputs)
	if res.NodeDependencies, err = externalVersions(ext, nb.externals); err != nil {
		return err
	}
	res.Modules = append(res.Modules, auth...)
	addInputs(inputs, authIn)
	return nil
}

func addInputs(m map[string]bool, in []string) {
	for _, p := range in {
		m[p] = true
	}
}

// BundleSchema bundles schema.ts (else schema.js) as a single module, or
// returns nil when the project has no schema.
func BundleSchema(o Options) (*Module, []string, error) {
	target := filepath.Join(o.FunctionsDir, "schema.ts")
	if !fileExists(target) {
		target = filepath.Join(o.FunctionsDir, "schema.js")
		if !fileExists(target) {
			return nil, nil, nil
		}
	}
	b, err := o.build(buildSpec{entries: []string{target}, platform: api.PlatformBrowser, chunks: "_deps"})
	if err != nil {
		return nil, nil, err
	}
	for _, m := range b.modules {
		if m.Path == "schema.js" {
			m := m
			return &m, b.inputs, nil
		}
	}
	return nil, nil, &Error{Kind: Fatal, Msg: "bundling the schema produced no schema.js"}
}

// BundleAuthConfig bundles auth.config.ts or auth.config.js when present.
func BundleAuthConfig(o Options) ([]Module, []string, error) {
	js := filepath.Join(o.FunctionsDir, "auth.config.js")
	ts := filepath.Join(o.FunctionsDir, "auth.config.ts")
	if fileExists(js) && fileExists(ts) {
		return nil, nil, &Error{Kind: InvalidFiles, Msg: "Found both " + js + " and " + ts + ", choose one."}
	}
	chosen := ts
	if !fileExists(ts) {
		chosen = js
		if !fileExists(js) {
			return nil, nil, nil
		}
	}
	b, err := o.build(buildSpec{entries: []string{chosen}, platform: api.PlatformBrowser, chunks: "_deps"})
	if err != nil {
		return nil, nil, err
	}
	return b.modules, b.inputs, nil
}

// virtualConfig is the app definition used when the project has none, or
// the one mounting SyntheticComponent.
func (o *Options) virtualConfig() string {
	if o.SyntheticComponent == "" {
		return virtualAppConfig
	}
	rel, err := filepath.Rel(o.FunctionsDir, o.SyntheticComponent)
	if err != nil {
		rel = o.SyntheticComponent
	}
	rel = strings.TrimSuffix(filepath.ToSlash(rel), ".ts") + ".js"
	if !strings.HasPrefix(rel, ".") {
		rel = "./" + rel
	}
	q, _ := json.Marshal(rel)
	return "import { defineApp } from \"convex/server\";\nimport component from " + string(q) + ";\n\n" +
		"const app = defineApp();\napp.use(component, { name: \"exampleComponentInstance\" });\nexport default app;\n"
}

// rootDefinitionFile is the app's convex.config.ts (or .js), and whether it
// is missing (then a minimal app definition stands in for it).
func rootDefinitionFile(functionsDir string) (string, bool) {
	for _, name := range []string{"convex.config.ts", "convex.config.js"} {
		if p := filepath.Join(functionsDir, name); fileExists(p) {
			return p, false
		}
	}
	return filepath.Join(functionsDir, "convex.config.ts"), true
}

// BundleDefinition bundles the app's convex.config.ts (or .js); without one
// it bundles a minimal app definition so the push always carries one.
// Mounted components stay external (see bundleDefinitionFile).
func BundleDefinition(o Options) (Module, []string, error) {
	entry, virtual := rootDefinitionFile(o.FunctionsDir)
	m, inputs, _, err := o.bundleDefinitionFile(entry, o.FunctionsDir, virtual)
	return m, inputs, err
}

// bundleDefinitionFile bundles one convex.config file as a single minified
// module whose path is relative to dir. Imports of other components'
// definitions become imports of "./_componentDeps/<base64url(definition
// path)>", which the deployment links; their files are returned.
func (o *Options) bundleDefinitionFile(entry, dir string, virtual bool) (Module, []string, []string, error) {
	var plugins []api.Plugin
	if virtual {
		plugins = append(plugins, api.Plugin{Name: "convex-virtual-config", Setup: func(b api.PluginBuild) {
			filter := "^" + regexp.QuoteMeta(entry) + "$"
			b.OnResolve(api.OnResolveOptions{Filter: filter}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: entry, Namespace: "file"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: filter}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
				c := o.virtualConfig()
				return api.OnLoadResult{Contents: &c, Loader: api.LoaderTS, ResolveDir: o.FunctionsDir}, nil
			})
		}})
	}
	var children []string
	plugins = append(plugins, serverOnlyPlugin(), componentDepsPlugin(entry, func(child string) string {
		children = append(children, child)
		return "./_componentDeps/" + base64.RawURLEncoding.EncodeToString([]byte(o.definitionPath(filepath.Dir(child))))
	}))
	root := filepath.VolumeName(entry) + string(filepath.Separator)
	r := api.Build(api.BuildOptions{
		AbsWorkingDir:     o.ProjectDir,
		EntryPoints:       []string{entry},
		Bundle:            true,
		Platform:          api.PlatformBrowser,
		Format:            api.FormatESModule,
		Target:            api.ESNext,
		Conditions:        append([]string{"convex", "module"}, o.ExtraConditions...),
		Write:             false,
		Outdir:            root,
		Outbase:           root,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		KeepNames:         true,
		Define:            map[string]string{"process.env.NODE_ENV": `"production"`},
		Sourcemap:         api.SourceMapLinked,
		SourcesContent:    api.SourcesContentExclude,
		Metafile:          true,
		LogLevel:          api.LogLevelSilent,
		Plugins:           plugins,
	})
	if len(r.Errors) > 0 {
		e := buildError(r.Errors, api.PlatformBrowser, "")
		e.Msg = "esbuild failed"
		return Module{}, nil, nil, e
	}
	for _, w := range r.Warnings {
		o.warn("esbuild warning: " + w.Text)
	}
	want := strings.TrimSuffix(entry, filepath.Ext(entry)) + ".js"
	m := Module{Environment: Isolate}
	found := false
	for _, f := range r.OutputFiles {
		switch f.Path {
		case want:
			m.Source, found = string(f.Contents), true
		case want + ".map":
			m.SourceMap = string(f.Contents)
		}
	}
	if !found {
		return Module{}, nil, nil, &Error{Kind: Fatal, Msg: "bundling the definition produced no " + want}
	}
	rel, _ := filepath.Rel(dir, want)
	m.Path = filepath.ToSlash(rel)
	inputs, err := checkInputs(*o, r.Metafile)
	if err != nil {
		return m, nil, nil, err
	}
	return m, inputs, children, nil
}

// componentDepsPlugin keeps imports of other convex.config files out of a
// definition bundle; replace names the import that stands for a child.
func componentDepsPlugin(self string, replace func(child string) string) api.Plugin {
	type guard struct{}
	return api.Plugin{Name: "convex-component-deps", Setup: func(b api.PluginBuild) {
		// Only specifiers that name a definition file can resolve to one
		// ("./child/convex.config", "@scope/pkg/convex.config.js"); every other
		// import (all of convex/server) skips the second resolution.
		b.OnResolve(api.OnResolveOptions{Filter: `(^|/)convex\.config(\.(ts|js|mjs|cjs|mts|cts))?$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			if _, inner := a.PluginData.(guard); inner || a.Kind == api.ResolveEntryPoint || a.Namespace != "file" {
				return api.OnResolveResult{}, nil
			}
			res := b.Resolve(a.Path, api.ResolveOptions{Importer: a.Importer, Namespace: a.Namespace, ResolveDir: a.ResolveDir, Kind: a.Kind, PluginData: guard{}})
			if len(res.Errors) > 0 || res.External || res.Path == self || !isDefinitionFile(res.Path) {
				return api.OnResolveResult{}, nil
			}
			return api.OnResolveResult{Path: replace(res.Path), External: true}, nil
		})
	}}
}

var definitionFileName = lazy.Regexp(`^convex\.config\.(ts|js|mjs|cjs|mts|cts)$`)

func isDefinitionFile(p string) bool { return definitionFileName.Get().MatchString(filepath.Base(p)) }

// definitionPath names a component directory the way the deployment does:
// relative to the app's functions directory, with "/" separators.
func (o *Options) definitionPath(dir string) string {
	rel, err := filepath.Rel(o.FunctionsDir, dir)
	if err != nil {
		return filepath.ToSlash(dir)
	}
	return filepath.ToSlash(rel)
}

type buildSpec struct {
	entries   []string
	platform  api.Platform
	chunks    string
	splitting bool
	external  map[string]externalPackage
}

type buildOutput struct {
	modules   []Module
	inputs    []string
	externals map[string]bool
}

// build runs one esbuild pass with the options every function bundle shares.
func (o *Options) build(s buildSpec) (*buildOutput, error) {
	out := &buildOutput{externals: map[string]bool{}}
	if len(s.entries) == 0 {
		return out, nil
	}
	plugins := []api.Plugin{}
	if s.platform == api.PlatformBrowser {
		plugins = append(plugins, asyncHooksPlugin())
	}
	plugins = append(plugins, serverOnlyPlugin())
	if s.platform == api.PlatformNode {
		plugins = append(plugins, externalPlugin(s.external, out.externals))
	}
	plugins = append(plugins, wasmPlugin())
	sc := api.SourcesContentExclude
	if o.IncludeSourcesContent {
		sc = api.SourcesContentInclude
	}
	r := api.Build(api.BuildOptions{
		AbsWorkingDir:     o.ProjectDir,
		EntryPoints:       s.entries,
		Bundle:            true,
		Platform:          s.platform,
		Format:            api.FormatESModule,
		Target:            api.ESNext,
		JSX:               api.JSXAutomatic,
		Outdir:            "out",
		Outbase:           o.FunctionsDir,
		Conditions:        append([]string{"convex", "module"}, o.ExtraConditions...),
		Plugins:           plugins,
		Write:             false,
		Sourcemap:         api.SourceMapLinked,
		SourcesContent:    sc,
		Splitting:         s.splitting,
		ChunkNames:        s.chunks + "/[hash]",
		TreeShaking:       api.TreeShakingTrue,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		KeepNames:         true,
		Define:            map[string]string{"process.env.NODE_ENV": `"production"`},
		Metafile:          true,
		LogLevel:          api.LogLevelSilent,
	})
	if len(r.Errors) > 0 {
		return nil, buildError(r.Errors, s.platform, "")
	}
	for _, w := range r.Warnings {
		o.warn("esbuild warning: " + w.Text)
	}
	env := Isolate
	if s.platform == api.PlatformNode {
		env = Node
	}
	outDir := filepath.Join(o.ProjectDir, "out")
	maps := map[string]string{}
	for _, f := range r.OutputFiles {
		rel, err := filepath.Rel(outDir, f.Path)
		if err != nil {
			return nil, &Error{Kind: Fatal, Msg: "unexpected esbuild output " + f.Path}
		}
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".map") {
			maps[rel] = string(f.Contents)
			continue
		}
		out.modules = append(out.modules, Module{Path: rel, Source: string(f.Contents), Environment: env})
	}
	for i := range out.modules {
		out.modules[i].SourceMap = maps[out.modules[i].Path+".map"]
	}
	inputs, err := checkInputs(*o, r.Metafile)
	if err != nil {
		return nil, err
	}
	out.inputs = inputs
	return out, nil
}

// checkInputs lists the files esbuild read and fails transiently when one of
// them changed size while it was being bundled (an editor was saving).
func checkInputs(o Options, metafile string) ([]string, error) {
	var meta struct {
		Inputs map[string]struct {
			Bytes int64 `json:"bytes"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(metafile), &meta); err != nil {
		return nil, nil
	}
	var paths []string
	for rel, in := range meta.Inputs {
		if i := strings.Index(rel, ":"); i > 0 && !filepath.IsAbs(rel) && !(len(rel) > 1 && rel[1] == ':') {
			continue // a plugin namespace such as "async-hooks-shim:"
		}
		abs := rel
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(o.ProjectDir, rel)
		}
		st, err := os.Stat(abs)
		if err != nil {
			continue // virtual files
		}
		if st.Size() != in.Bytes {
			o.warn("Bundled file " + abs + " changed right after esbuild invocation")
			return nil, &Error{Kind: Transient, Msg: "a bundled file changed while it was being bundled: " + abs}
		}
		paths = append(paths, abs)
	}
	sort.Strings(paths)
	return paths, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
