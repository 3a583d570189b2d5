package codegen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// apiNode is a branch (module path segment) or a function of the typed api.
type apiNode struct {
	children map[string]*apiNode
	fn       *AnalyzedFunction
}

// buildAPITree arranges the functions of one visibility by module path:
// "dir/mod.js" function "f" becomes dir.mod.f.
func buildAPITree(functions map[string]AnalyzedModule, visibility string) (*apiNode, error) {
	root := &apiNode{children: map[string]*apiNode{}}
	paths := make([]string, 0, len(functions))
	for p := range functions {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, modulePath := range paths {
		p := importPath(modulePath)
		if strings.HasPrefix(p, "_deps/") {
			continue
		}
		for _, f := range functions[modulePath].Functions {
			if f.Visibility == nil || f.Visibility.Kind != visibility {
				continue
			}
			cur := root
			for _, seg := range strings.Split(p, "/") {
				next := cur.children[seg]
				if next == nil {
					next = &apiNode{children: map[string]*apiNode{}}
					cur.children[seg] = next
				}
				if next.fn != nil {
					return nil, fmt.Errorf("Ambiguous function name: %s in %s", f.Name, modulePath)
				}
				cur = next
			}
			if cur.children[f.Name] != nil {
				return nil, fmt.Errorf("Duplicate function name: %s in %s", f.Name, modulePath)
			}
			f := f
			cur.children[f.Name] = &apiNode{fn: &f}
		}
	}
	return root, nil
}

// functionReference is the FunctionReference type of one analysed function.
func functionReference(f *AnalyzedFunction, visibility string) (string, error) {
	args, returns := "any", "any"
	if f.Args != "" && f.Args != "null" {
		var v Validator
		if err := json.Unmarshal([]byte(f.Args), &v); err != nil {
			return "", fmt.Errorf("Invalid function args: %s", f.Args)
		}
		if v.Type != "object" && v.Type != "any" {
			return "", fmt.Errorf("Invalid function args: %s", f.Args)
		}
		args = v.tsType(true)
	}
	if f.Returns != "" && f.Returns != "null" {
		var v Validator
		if err := json.Unmarshal([]byte(f.Returns), &v); err != nil {
			return "", fmt.Errorf("Invalid function returns: %s", f.Returns)
		}
		returns = v.tsType(true)
	}
	return fmt.Sprintf("FunctionReference<%q, %q, %s, %s>", strings.ToLower(f.UDFType), visibility, args, returns), nil
}

func writeAPITree(b *strings.Builder, n *apiNode, visibility, indent string) error {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	sort.Strings(names)
	b.WriteString("{\n")
	for _, name := range names {
		c := n.children[name]
		b.WriteString(indent + "  " + propertyKey(name) + ": ")
		if c.fn != nil {
			ref, err := functionReference(c.fn, visibility)
			if err != nil {
				return err
			}
			b.WriteString(ref)
		} else if err := writeAPITree(b, c, visibility, indent+"  "); err != nil {
			return err
		}
		b.WriteString(";\n")
	}
	b.WriteString(indent + "}")
	return nil
}

// staticAPIDTS is api.d.ts written from the deployment's analysis
// (convex.json codegen.staticApi): the function types do not depend on
// TypeScript reading the modules.
func staticAPIDTS(a *ComponentAnalysis, children []ChildComponent) (string, error) {
	return staticAPI(a, children, false)
}

// staticAPITS is the same typed api as api.ts (codegen.fileType "ts"): the
// values are the untyped runtime references, cast to the static types.
func staticAPITS(a *ComponentAnalysis, children []ChildComponent) (string, error) {
	return staticAPI(a, children, true)
}

func staticAPI(a *ComponentAnalysis, children []ChildComponent, ts bool) (string, error) {
	var b strings.Builder
	b.WriteString(header("Generated `api` utility."))
	b.WriteString("import type { FunctionReference } from \"convex/server\";\n")
	b.WriteString("import type { GenericId as Id } from \"convex/values\";\n")
	if ts {
		b.WriteString("import { anyApi, componentsGeneric } from \"convex/server\";\n")
	}
	b.WriteString("\n")
	decl, value := "export declare const ", ";\n"
	if ts {
		decl, value = "export const ", " = anyApi as any;\n"
	}
	for _, vis := range []string{"public", "internal"} {
		tree, err := buildAPITree(a.Functions, vis)
		if err != nil {
			return "", err
		}
		if vis == "public" {
			b.WriteString(apiDoc + decl + "api: ")
		} else {
			b.WriteString("\n" + internalDoc + decl + "internal: ")
		}
		if err := writeAPITree(&b, tree, vis, ""); err != nil {
			return "", err
		}
		b.WriteString(value)
	}
	if ts {
		b.WriteString("\nexport const components = componentsGeneric() as unknown as " + componentsType(children) + ";\n")
	} else {
		b.WriteString("\nexport declare const components: " + componentsType(children) + ";\n")
	}
	return b.String(), nil
}
