package bundler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// asyncHooksPlugin maps async_hooks to the AsyncLocalStorage the Convex
// runtime installs globally; the isolate has no Node built-ins.
func asyncHooksPlugin() api.Plugin {
	return api.Plugin{Name: "convex-async-hooks", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `^(node:)?async_hooks$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{Path: a.Path, Namespace: "async-hooks-shim"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "async-hooks-shim"}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
			c := "export const AsyncLocalStorage = globalThis.AsyncLocalStorage;\n" +
				"export const AsyncResource = globalThis.AsyncResource;\n" +
				"export default { AsyncLocalStorage, AsyncResource };\n"
			return api.OnLoadResult{Contents: &c, Loader: api.LoaderJS}, nil
		})
	}}
}

// serverOnlyPlugin turns Next.js's `server-only` marker into an empty module.
func serverOnlyPlugin() api.Plugin {
	return api.Plugin{Name: "convex-server-only", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `^server-only$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{Path: a.Path, Namespace: "server-only-stub"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "server-only-stub"}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
			c := ""
			return api.OnLoadResult{Contents: &c, Loader: api.LoaderJS}, nil
		})
	}}
}

// wasmPlugin compiles imported .wasm files into WebAssembly.Module values.
func wasmPlugin() api.Plugin {
	return api.Plugin{Name: "convex-wasm", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `\.wasm$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			if a.Namespace == "wasm-stub" {
				return api.OnResolveResult{Path: a.Path, Namespace: "wasm-binary"}, nil
			}
			if a.ResolveDir == "" {
				return api.OnResolveResult{}, nil
			}
			p := a.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(a.ResolveDir, p)
			}
			return api.OnResolveResult{Path: p, Namespace: "wasm-stub"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "wasm-stub"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			q, _ := json.Marshal(a.Path)
			c := "import wasm from " + string(q) + "\nexport default new WebAssembly.Module(wasm)\n"
			return api.OnLoadResult{Contents: &c}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "wasm-binary"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			c := string(data)
			return api.OnLoadResult{Contents: &c, Loader: api.LoaderBinary}, nil
		})
	}}
}

type externalPackage struct {
	dir string // <project>/node_modules/<name>
}

type packageJSON struct {
	Version              string            `json:"version"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// findExternalPackages lists the packages that may stay external in "use
// node" bundles: named in convex.json (or "*"), declared in package.json
// with a registry version, and installed in the project's node_modules.
func findExternalPackages(projectDir string, allow []string) (map[string]externalPackage, error) {
	out := map[string]externalPackage{}
	if len(allow) == 0 {
		return out, nil
	}
	pkg, err := readPackageJSON(filepath.Join(projectDir, "package.json"))
	if err != nil {
		return out, nil // no package.json: nothing can be external
	}
	all := false
	allowed := map[string]bool{}
	for _, a := range allow {
		if a == "*" {
			all = true
		}
		allowed[a] = true
	}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies, pkg.PeerDependencies, pkg.OptionalDependencies} {
		for name, version := range deps {
			if name == "convex" || !(all || allowed[name]) || !registryVersion(version) {
				continue
			}
			dir := filepath.Join(projectDir, "node_modules", filepath.FromSlash(name))
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
				continue
			}
			out[name] = externalPackage{dir: dir}
		}
	}
	return out, nil
}

func registryVersion(v string) bool {
	for _, p := range []string{"file:", "link:", "http:", "https:", "git:", "git+", "github:"} {
		if strings.HasPrefix(v, p) {
			return false
		}
	}
	return true
}

// packageName extracts "pkg" or "@scope/pkg" from an import specifier.
func packageName(spec string) string {
	parts := strings.Split(spec, "/")
	if strings.HasPrefix(spec, "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// externalPlugin leaves the allowed packages out of node bundles and records
// which of them the code actually imports.
func externalPlugin(ext map[string]externalPackage, seen map[string]bool) api.Plugin {
	return api.Plugin{Name: "convex-node-externals", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `^[^./]`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			if filepath.IsAbs(a.Path) {
				return api.OnResolveResult{}, nil
			}
			name := packageName(a.Path)
			if _, ok := ext[name]; !ok {
				return api.OnResolveResult{}, nil
			}
			seen[name] = true
			return api.OnResolveResult{Path: a.Path, External: true}, nil
		})
	}}
}

// externalVersions returns the exact installed versions of the externals the
// node bundles import, plus their peer and optional dependencies that are
// also available as externals.
func externalVersions(ext map[string]externalPackage, referenced map[string]bool) ([]NodeDependency, error) {
	queue := make([]string, 0, len(referenced))
	for n := range referenced {
		queue = append(queue, n)
	}
	sort.Strings(queue)
	done := map[string]bool{}
	for _, n := range queue {
		done[n] = true
	}
	var out []NodeDependency
	for i := 0; i < len(queue); i++ {
		name := queue[i]
		pj := filepath.Join(ext[name].dir, "package.json")
		pkg, err := readPackageJSON(pj)
		if err != nil {
			return nil, &Error{Kind: InvalidFiles, Msg: "cannot read " + pj + " of external package " + name, Err: err}
		}
		if pkg.Version == "" {
			return nil, &Error{Kind: InvalidFiles, Msg: pj + " of external package " + name + " has no version"}
		}
		out = append(out, NodeDependency{Name: name, Version: pkg.Version})
		var more []string
		for d := range pkg.PeerDependencies {
			more = append(more, d)
		}
		for d := range pkg.OptionalDependencies {
			more = append(more, d)
		}
		sort.Strings(more)
		for _, d := range more {
			if _, ok := ext[d]; ok && !done[d] {
				done[d] = true
				queue = append(queue, d)
			}
		}
	}
	return out, nil
}
