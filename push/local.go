package push

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/bundler"
	"github.com/convex-go/convex/codegen"
)

// CodegenLocal regenerates convex/_generated without a deployment: it
// bundles the functions (so files that do not bundle are reported) and
// writes the typed files. With codegen.staticApi or staticDataModel the
// isolate modules are also evaluated in the built-in runtime for their
// analysis. Only Dir, CommonJS, Stderr and Progress of o
// are used; dryRun and debug select codegen's preview modes.
func CodegenLocal(ctx context.Context, o Options, dryRun, debug bool) (*Result, error) {
	if o.Dir == "" {
		o.Dir = "."
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = dir
	res := &Result{}
	if err := CheckConvexDependency(dir, "codegen"); err != nil {
		return res, err
	}
	cfg, err := LoadProjectConfig(dir, o.Stderr)
	if err != nil {
		return res, err
	}
	res.Config = cfg
	fnDir := cfg.FunctionsDir(dir)
	if st, err := os.Stat(fnDir); err != nil || !st.IsDir() {
		return res, &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("Invalid component root directory (Not a directory): %s", fnDir)}
	}
	cg := codegen.Options{FunctionsDir: fnDir, TypeScript: cfg.TypeScriptCodegen, StaticAPI: cfg.StaticAPI, StaticDataModel: cfg.StaticDataModel, CommonJS: o.CommonJS || cfg.GenerateCommonJSApi,
		DryRun: dryRun, Debug: debug, Stdout: o.Stdout, Stderr: o.Stderr}
	comps, err := bundler.FindComponents(bundler.Options{ProjectDir: dir, FunctionsDir: fnDir})
	if err != nil {
		return res, fromBundler(err)
	}
	if len(comps) > 0 {
		return res, &Error{Kind: Fatal, Msg: "This project mounts components, which only a deployment can analyse.",
			Hint: "Run `convex dev`, or `convex codegen --url <deployment url> --admin-key <key>`."}
	}
	o.step("Generating server code...")
	if !dryRun && !debug {
		if err := codegen.Initial(cg); err != nil {
			return res, err
		}
	}
	o.step("Bundling component schemas and implementations...")
	b, err := bundler.Bundle(bundler.Options{ProjectDir: dir, FunctionsDir: fnDir, ExternalPackages: cfg.ExternalPackages,
		IncludeSourcesContent: cfg.IncludeSourcesContent, Warn: func(s string) { fmt.Fprintln(o.stderr(), s) }})
	if err != nil {
		return res, fromBundler(err)
	}
	res.Bundle = b
	res.Inputs = b.Inputs

	// Only the static api and data model need the analysis; evaluating
	// modules here would also lack the deployment's environment variables.
	var analysis *codegen.ComponentAnalysis
	if cfg.StaticAPI || cfg.StaticDataModel {
		o.step("Analyzing functions...")
		if analysis, err = AnalyzeLocally(ctx, b, dir); err != nil {
			return res, err
		}
	}
	o.step("Generating TypeScript bindings...")
	if err := codegen.Final(cg, analysis); err != nil {
		return res, err
	}
	return res, nil
}

// AnalyzeLocally evaluates the isolate modules of b in the built-in runtime
// and returns the analysis codegen uses. Errors carry source-mapped
// positions. "use node" modules cannot be evaluated here and are left out.
func AnalyzeLocally(ctx context.Context, b *bundler.Result, projectDir string) (*codegen.ComponentAnalysis, error) {
	var mods []runtime.Module
	for _, m := range b.Modules {
		if m.Environment == bundler.Isolate {
			mods = append(mods, runtime.Module{Path: m.Path, Source: m.Source, SourceMap: m.SourceMap})
		}
	}
	if b.Schema != nil {
		mods = append(mods, runtime.Module{Path: b.Schema.Path, Source: b.Schema.Source, SourceMap: b.Schema.SourceMap})
	}
	eng := runtime.New(runtime.Options{FreshVMs: true})
	set, err := eng.Load(mods)
	if err != nil {
		return nil, &Error{Kind: InvalidFiles, Msg: MapPositions(err.Error(), projectDir, b)}
	}
	found, err := set.AnalyzeEnv(ctx, map[string]string{})
	if err != nil {
		return nil, &Error{Kind: InvalidFiles, Msg: MapPositions(err.Error(), projectDir, b)}
	}
	schema, err := set.Schema()
	if err != nil {
		return nil, &Error{Kind: InvalidFiles, Msg: MapPositions(err.Error(), projectDir, b)}
	}
	// export() returns the schema document as JSON text.
	var inner string
	if json.Unmarshal(schema, &inner) == nil {
		schema = []byte(inner)
	}
	if len(schema) == 0 {
		schema = []byte("null")
	}
	// Round-trip through the wire JSON: the runtime's analysis is the
	// start_push shape.
	raw, err := json.Marshal(map[string]any{
		"definition": map[string]any{"path": "", "definitionType": map[string]string{"type": "app"}, "childComponents": []any{}, "envVars": nil},
		"schema":     json.RawMessage(schema),
		"functions":  found,
	})
	if err != nil {
		return nil, err
	}
	var a codegen.ComponentAnalysis
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
