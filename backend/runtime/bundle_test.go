package runtime

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// The chat sample app and the npm packages the tests bundle it against,
// both inside this repository.
var (
	fixtureDir  = absPath("../../e2e/testdata/backend/chat")
	nodeModules = absPath("../../e2e/node/node_modules")
)

func absPath(rel string) string {
	p, err := filepath.Abs(rel)
	if err != nil {
		return rel
	}
	return p
}

var (
	fixtureOnce    sync.Once
	fixtureMods    []Module
	fixtureSchema  Module
	fixtureErr     string
	fixtureSkipped string
)

// bundleConvexDir bundles dir/convex the way the convex CLI does (ESM, esnext,
// browser platform, code splitting into _deps/, external source maps) and
// returns the modules a push would carry. schema.ts is bundled on its own
// without splitting, as the CLI does.
func bundleConvexDir(t testing.TB, dir string) ([]Module, Module) {
	t.Helper()
	fixtureOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(nodeModules, "convex", "package.json")); err != nil {
			fixtureSkipped = "convex npm package not installed at " + nodeModules + " (run npm install in e2e/node)"
			return
		}
		convexDir := filepath.Join(dir, "convex")
		entries, _ := filepath.Glob(filepath.Join(convexDir, "*.ts"))
		var funcs []string
		var schema string
		for _, e := range entries {
			if strings.HasSuffix(e, ".d.ts") {
				continue
			}
			if filepath.Base(e) == "schema.ts" {
				schema = e
				continue
			}
			funcs = append(funcs, e)
		}
		sort.Strings(funcs)
		mods, errText := esbuildBundle(dir, convexDir, funcs, true)
		if errText != "" {
			fixtureErr = errText
			return
		}
		fixtureMods = mods
		if schema != "" {
			sm, errText := esbuildBundle(dir, convexDir, []string{schema}, false)
			if errText != "" {
				fixtureErr = errText
				return
			}
			fixtureSchema = sm[0]
		}
	})
	if fixtureSkipped != "" {
		t.Skip(fixtureSkipped)
	}
	if fixtureErr != "" {
		t.Fatalf("bundling fixture: %s", fixtureErr)
	}
	return fixtureMods, fixtureSchema
}

func esbuildBundle(workDir, convexDir string, entries []string, splitting bool) ([]Module, string) {
	return esbuildBundleFor(workDir, convexDir, entries, splitting, api.PlatformBrowser, "_deps/[hash]")
}

func esbuildBundleFor(workDir, convexDir string, entries []string, splitting bool, platform api.Platform, chunkNames string) ([]Module, string) {
	res := api.Build(api.BuildOptions{
		EntryPoints:   entries,
		Bundle:        true,
		Platform:      platform,
		Format:        api.FormatESModule,
		Target:        api.ESNext,
		JSX:           api.JSXAutomatic,
		Outdir:        filepath.Join(workDir, "out"),
		Outbase:       convexDir,
		Conditions:    []string{"convex", "module"},
		Write:         false,
		Sourcemap:     api.SourceMapExternal,
		Splitting:     splitting,
		ChunkNames:    chunkNames,
		AbsWorkingDir: workDir,
		NodePaths:     []string{nodeModules},
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		var b strings.Builder
		for _, m := range res.Errors {
			b.WriteString(m.Text)
			if m.Location != nil {
				b.WriteString(" at " + m.Location.File)
			}
			b.WriteString("\n")
		}
		return nil, b.String()
	}
	outDir := filepath.Join(workDir, "out")
	byPath := map[string]*Module{}
	var order []string
	for _, f := range res.OutputFiles {
		rel, _ := filepath.Rel(outDir, f.Path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".js.map") {
			p := strings.TrimSuffix(rel, ".map")
			if m, ok := byPath[p]; ok {
				m.SourceMap = string(f.Contents)
			} else {
				byPath[p] = &Module{Path: p, SourceMap: string(f.Contents)}
				order = append(order, p)
			}
			continue
		}
		if m, ok := byPath[rel]; ok {
			m.Source = string(f.Contents)
		} else {
			byPath[rel] = &Module{Path: rel, Source: string(f.Contents)}
			order = append(order, rel)
		}
	}
	sort.Strings(order)
	mods := make([]Module, 0, len(order))
	for _, p := range order {
		mods = append(mods, *byPath[p])
	}
	return mods, ""
}

// bundleFiles writes files (names relative to convex/) into a temporary
// project and bundles it like bundleConvexDir, without caching.
func bundleFiles(t testing.TB, files map[string]string) []Module {
	t.Helper()
	return bundleFilesFor(t, files, api.PlatformBrowser)
}

// bundleFilesFor bundles for a platform; node bundles are "use node"
// modules with chunks under _deps/node/, as the CLI pushes them.
func bundleFilesFor(t testing.TB, files map[string]string, platform api.Platform) []Module {
	t.Helper()
	if _, err := os.Stat(filepath.Join(nodeModules, "convex", "package.json")); err != nil {
		t.Skip("convex npm package not installed at " + nodeModules + " (run npm install in e2e/node)")
	}
	dir := t.TempDir()
	convexDir := filepath.Join(dir, "convex")
	if err := os.MkdirAll(convexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var entries []string
	for name, src := range files {
		p := filepath.Join(convexDir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, p)
	}
	sort.Strings(entries)
	chunks, env := "_deps/[hash]", ""
	if platform == api.PlatformNode {
		chunks, env = "_deps/node/[hash]", "node"
	}
	mods, errText := esbuildBundleFor(dir, convexDir, entries, true, platform, chunks)
	if errText != "" {
		t.Fatalf("bundling: %s", errText)
	}
	for i := range mods {
		mods[i].Environment = env
	}
	return mods
}
