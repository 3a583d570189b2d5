package bundler

import (
	"path/filepath"

	"github.com/evanw/esbuild/pkg/api"
)

// ComponentBundle is one mounted component's part of a push: its
// definition, schema and functions, named by its definition path.
type ComponentBundle struct {
	// DefinitionPath is the component directory relative to the app's
	// functions directory ("components/counter",
	// "../node_modules/@convex-dev/ratelimiter/dist/esm/component").
	DefinitionPath string
	// Dir is the component directory (absolute).
	Dir string
	// Published is set for components shipped in a package (a .js
	// definition); no code is generated for them.
	Published    bool
	Definition   Module
	Dependencies []string // definition paths of the components it mounts
	Schema       *Module
	Functions    []Module
}

// bundleComponents follows the definitions the app mounts, breadth first,
// and bundles each component once.
func (o *Options) bundleComponents(rootChildren []string, inputs map[string]bool) ([]string, []ComponentBundle, error) {
	var appDeps []string
	seenDep := map[string]bool{}
	for _, c := range rootChildren {
		dp := o.definitionPath(filepath.Dir(c))
		if !seenDep[dp] {
			seenDep[dp] = true
			appDeps = append(appDeps, dp)
		}
	}
	var out []ComponentBundle
	done := map[string]bool{}
	queue := append([]string(nil), rootChildren...)
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if done[file] {
			continue
		}
		done[file] = true
		dir := filepath.Dir(file)
		def, in, children, err := o.bundleDefinitionFile(file, dir, false)
		if err != nil {
			return nil, nil, err
		}
		addInputs(inputs, in)
		cb := ComponentBundle{DefinitionPath: o.definitionPath(dir), Dir: dir, Published: filepath.Ext(file) == ".js", Definition: def, Dependencies: []string{}}
		seen := map[string]bool{}
		for _, c := range children {
			dp := o.definitionPath(filepath.Dir(c))
			if !seen[dp] {
				seen[dp] = true
				cb.Dependencies = append(cb.Dependencies, dp)
			}
			queue = append(queue, c)
		}
		co := *o
		co.FunctionsDir = dir
		schema, in, err := BundleSchema(co)
		if err != nil {
			return nil, nil, err
		}
		addInputs(inputs, in)
		cb.Schema = schema
		isolate, node, err := EntryPointsByEnvironment(dir, o.warn)
		if err != nil {
			return nil, nil, err
		}
		if len(node) > 0 {
			return nil, nil, &Error{Kind: InvalidFiles, Msg: `"use node" directive is not supported in components. Remove it from the component at: ` + dir + "."}
		}
		b, err := co.build(buildSpec{entries: isolate, platform: api.PlatformBrowser, chunks: "_deps", splitting: true})
		if err != nil {
			return nil, nil, err
		}
		addInputs(inputs, b.inputs)
		cb.Functions = b.modules
		if cb.Functions == nil {
			cb.Functions = []Module{}
		}
		out = append(out, cb)
	}
	return appDeps, out, nil
}

// FindComponents lists the components the app mounts (directly or not),
// with their definitions bundled but not their code: enough to know which
// directories need generated code before their functions can be bundled.
func FindComponents(o Options) ([]ComponentBundle, error) {
	if o.ProjectDir == "" {
		o.ProjectDir = filepath.Dir(o.FunctionsDir)
	}
	entry, virtual := rootDefinitionFile(o.FunctionsDir)
	if o.SyntheticComponent != "" {
		entry = filepath.Join(o.FunctionsDir, "convex.config.ts")
	} else if virtual {
		return nil, nil
	}
	_, _, children, err := o.bundleDefinitionFile(entry, o.FunctionsDir, o.SyntheticComponent != "")
	if err != nil {
		return nil, err
	}
	var out []ComponentBundle
	done := map[string]bool{}
	for len(children) > 0 {
		file := children[0]
		children = children[1:]
		if done[file] {
			continue
		}
		done[file] = true
		dir := filepath.Dir(file)
		def, _, more, err := o.bundleDefinitionFile(file, dir, false)
		if err != nil {
			return nil, err
		}
		out = append(out, ComponentBundle{DefinitionPath: o.definitionPath(dir), Dir: dir, Published: filepath.Ext(file) == ".js", Definition: def})
		children = append(children, more...)
	}
	return out, nil
}
