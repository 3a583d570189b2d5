package push

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// ProjectConfig is the part of convex.json (§10.1) pushing needs.
type ProjectConfig struct {
	// Functions is the functions directory relative to the project, with a
	// trailing slash as convex.json spells it ("convex/").
	Functions             string
	ExternalPackages      []string
	NodeVersion           string
	GenerateCommonJSApi   bool
	TypeScriptCodegen     bool // codegen.fileType == "ts"
	StaticAPI             bool // codegen.staticApi
	StaticDataModel       bool // codegen.staticDataModel
	IncludeSourcesContent bool
	TypeScriptCompiler    string // "tsc" (default) or "tsgo"
}

// FunctionsDir is the absolute functions directory of a project at dir.
func (c *ProjectConfig) FunctionsDir(projectDir string) string {
	return filepath.Join(projectDir, filepath.FromSlash(strings.TrimSuffix(c.Functions, "/")))
}

// LoadProjectConfig reads convex.json in projectDir through the config
// package (defaults when it is missing). warn receives unknown-key warnings.
func LoadProjectConfig(projectDir string, warn io.Writer) (*ProjectConfig, error) {
	if warn == nil {
		warn = io.Discard
	}
	c, err := config.ReadProjectConfig(projectDir)
	if err != nil {
		return nil, &Error{Kind: InvalidFiles, Msg: err.Error(), Hint: ui.HintOf(err)}
	}
	for _, w := range c.Warnings() {
		fmt.Fprintln(warn, "Warning: "+w)
	}
	fn := c.Functions
	if fn == "" {
		fn = config.DefaultFunctionsDir
	}
	compiler := c.TypescriptCompiler
	if compiler == "" {
		compiler = "tsc"
	}
	return &ProjectConfig{
		Functions:             fn,
		ExternalPackages:      c.Node.ExternalPackages,
		NodeVersion:           c.Node.NodeVersion,
		GenerateCommonJSApi:   c.GenerateCommonJSAPI,
		TypeScriptCodegen:     c.Codegen.FileType == "ts",
		StaticAPI:             c.Codegen.StaticAPI,
		StaticDataModel:       c.Codegen.StaticDataModel,
		IncludeSourcesContent: c.Bundler.IncludeSourcesContent,
		TypeScriptCompiler:    compiler,
	}, nil
}

// CheckConvexDependency fails unless package.json in projectDir lists
// `convex` (as a dependency, dev or peer dependency); action names what
// needs it ("push", "run `npx convex dev`", ...).
func CheckConvexDependency(projectDir, action string) error {
	data, err := os.ReadFile(filepath.Join(projectDir, "package.json"))
	if err != nil {
		return &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("Unable to read your package.json: %v. Make sure you're running this command from the root directory of a Convex app that contains the package.json", err)}
	}
	var pkg map[string]json.RawMessage
	if err := json.Unmarshal(data, &pkg); err != nil {
		return &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("Unable to parse package.json: %v", err)}
	}
	for _, k := range []string{"dependencies", "devDependencies", "peerDependencies"} {
		var deps map[string]any
		if json.Unmarshal(pkg[k], &deps) == nil {
			if _, ok := deps["convex"]; ok {
				return nil
			}
		}
	}
	return &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("In order to %s, add `convex` to your package.json dependencies.", action)}
}
