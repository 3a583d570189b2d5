package codegen

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// exportNode is analysis[...].definition.exports: a branch of named
// children or a leaf "_reference/function/<module>:<name>".
type exportNode struct {
	Type   string
	Leaf   string
	Branch []namedExport
}

type namedExport struct {
	Name string
	Node exportNode
}

func (n *exportNode) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type   string            `json:"type"`
		Leaf   string            `json:"leaf"`
		Branch []json.RawMessage `json:"branch"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	n.Type, n.Leaf = raw.Type, raw.Leaf
	for _, e := range raw.Branch {
		var pair []json.RawMessage
		if err := json.Unmarshal(e, &pair); err != nil || len(pair) != 2 {
			return fmt.Errorf("bad export entry %s", e)
		}
		var ne namedExport
		if err := json.Unmarshal(pair[0], &ne.Name); err != nil {
			return err
		}
		if err := json.Unmarshal(pair[1], &ne.Node); err != nil {
			return err
		}
		n.Branch = append(n.Branch, ne)
	}
	return nil
}

// componentRef is the FunctionReference type of an exported component
// function, parameterized by the component's mount name.
func componentRef(a *ComponentAnalysis, ref string) (string, error) {
	udf, ok := strings.CutPrefix(ref, "_reference/function/")
	if !ok {
		return "", fmt.Errorf("Invalid function reference: %s", ref)
	}
	mod, fn, _ := strings.Cut(udf, ":")
	if fn == "" {
		fn = "default"
	}
	if !strings.HasSuffix(mod, ".js") {
		mod += ".js"
	}
	m, ok := a.Functions[mod]
	if !ok {
		return "", fmt.Errorf("Module not found: %s", mod)
	}
	for _, f := range m.Functions {
		if f.Name == fn {
			f := f
			r, err := functionReference(&f, "internal")
			if err != nil {
				return "", err
			}
			// FunctionReference<type, visibility, args, returns, Name>
			return strings.TrimSuffix(r, ">") + ", Name>", nil
		}
	}
	return "", fmt.Errorf("Function not found: %s", fn)
}

func writeExport(b *strings.Builder, a *ComponentAnalysis, n exportNode, indent string) error {
	if n.Type == "leaf" {
		r, err := componentRef(a, n.Leaf)
		if err != nil {
			return err
		}
		b.WriteString(r)
		return nil
	}
	entries := append([]namedExport(nil), n.Branch...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	b.WriteString("{\n")
	for _, e := range entries {
		b.WriteString(indent + "  " + propertyKey(e.Name) + ": ")
		if err := writeExport(b, a, e.Node, indent+"  "); err != nil {
			return err
		}
		b.WriteString(";\n")
	}
	b.WriteString(indent + "}")
	return nil
}

// componentTS is a local component's _generated/component.ts: the type of
// what the app sees as components.<name>.
func componentTS(a *ComponentAnalysis) (string, error) {
	var b strings.Builder
	b.WriteString(header("Generated `ComponentApi` utility."))
	b.WriteString("import type { FunctionReference } from \"convex/server\";\n\n")
	b.WriteString("/**\n * The functions this component exposes to the app that mounts it, e.g.\n * `ctx.runQuery(components.myComponent.lib.get, args)`.\n */\n")
	b.WriteString("export type ComponentApi<Name extends string | undefined = string | undefined> = ")
	var root exportNode
	if len(a.Definition.Exports) > 0 {
		if err := json.Unmarshal(a.Definition.Exports, &root); err != nil {
			return "", fmt.Errorf("unexpected component exports: %w", err)
		}
	}
	if root.Type == "" {
		root.Type = "branch"
	}
	if err := writeExport(&b, a, root, ""); err != nil {
		return "", err
	}
	b.WriteString(";\n")
	return b.String(), nil
}

// childComponents are the components a component (or the app) mounts, as
// the analysis names them.
func childComponents(a *ComponentAnalysis) []ChildComponent {
	var out []ChildComponent
	if a == nil {
		return out
	}
	for _, c := range a.Definition.ChildComponents {
		out = append(out, ChildComponent{Name: c.Name, ImportPath: "../" + c.Path})
	}
	return out
}

// InitialComponent writes the generated files a local component needs
// before its code can be bundled (always TypeScript).
func InitialComponent(o Options) error {
	o.TypeScript, o.CommonJS = true, false
	gen, err := prepare(&o)
	if err != nil {
		return err
	}
	var written []string
	for _, f := range []struct {
		name, content string
	}{{"dataModel.ts", dataModel(o.FunctionsDir)}, {"server.ts", serverTS(false, nil)}, {"api.ts", apiStubTS()}} {
		written = append(written, f.name)
		if exists(filepath.Join(gen, f.name)) {
			continue
		}
		if err := o.write(filepath.Join(gen, f.name), f.content); err != nil {
			return err
		}
	}
	if exists(filepath.Join(gen, "component.ts")) {
		written = append(written, "component.ts")
	}
	return o.cleanup(gen, written)
}

// FinalComponent writes a local component's typed files from its analysis.
func FinalComponent(o Options, a *ComponentAnalysis) error {
	if a == nil {
		return fmt.Errorf("no analysis for the component in %s", o.FunctionsDir)
	}
	o.TypeScript, o.CommonJS = true, false
	gen, err := prepare(&o)
	if err != nil {
		return err
	}
	mods, err := ModulePaths(o.FunctionsDir)
	if err != nil {
		return err
	}
	comp, err := componentTS(a)
	if err != nil {
		return err
	}
	model := dataModel(o.FunctionsDir)
	if o.StaticDataModel && hasSchema(o.FunctionsDir) && len(a.Schema) > 0 && string(a.Schema) != "null" {
		if model, err = staticDataModel(a.Schema); err != nil {
			return err
		}
	}
	files := []struct{ name, content string }{
		{"dataModel.ts", model},
		{"component.ts", comp},
		{"server.ts", serverTS(true, a.Definition.envVars())},
		{"api.ts", apiTS(mods, childComponents(a))},
	}
	var written []string
	for _, f := range files {
		written = append(written, f.name)
		if err := o.write(filepath.Join(gen, f.name), f.content); err != nil {
			return err
		}
	}
	return o.cleanup(gen, written)
}
