package push

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
	IncludeSourcesContent bool
	TypeScriptCompiler    string // "tsc" (default) or "tsgo"
}

// FunctionsDir is the absolute functions directory of a project at dir.
func (c *ProjectConfig) FunctionsDir(projectDir string) string {
	return filepath.Join(projectDir, filepath.FromSlash(strings.TrimSuffix(c.Functions, "/")))
}

var knownKeys = map[string]bool{
	"$schema": true, "functions": true, "node": true, "generateCommonJSApi": true, "codegen": true,
	"bundler": true, "typescriptCompiler": true, "authKit": true, "aiFiles": true,
	"project": true, "team": true, "prodUrl": true,
}

// LoadProjectConfig reads convex.json in projectDir (defaults when it is
// missing). warn receives unknown-key warnings.
func LoadProjectConfig(projectDir string, warn io.Writer) (*ProjectConfig, error) {
	if warn == nil {
		warn = io.Discard
	}
	path := filepath.Join(projectDir, "convex.json")
	src := filepath.Join(projectDir, "src", "convex.json")
	_, rootErr := os.Stat(path)
	_, srcErr := os.Stat(src)
	switch {
	case rootErr == nil && srcErr == nil:
		return nil, &Error{Kind: InvalidFiles, Msg: "Error: both convex.json and src/convex.json files exist!\nConsolidate these and remove src/convex.json."}
	case rootErr != nil && srcErr == nil:
		return nil, &Error{Kind: InvalidFiles, Msg: "Error: Please move src/convex.json to the root of your project"}
	}
	cfg := &ProjectConfig{Functions: defaultFunctions(projectDir), TypeScriptCompiler: "tsc"}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return cfg, nil
	}
	if err != nil {
		return nil, &Error{Kind: InvalidFiles, Msg: "cannot read convex.json", Err: err}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var probe any
		if json.Unmarshal(data, &probe) == nil {
			return nil, &Error{Kind: InvalidFiles, Msg: "Expected `convex.json` to contain an object"}
		}
		return nil, &Error{Kind: InvalidFiles, Msg: `Error: Parsing "convex.json" failed`, Err: err}
	}
	var unknown []string
	for k := range top {
		if !knownKeys[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		word := "property"
		if len(unknown) > 1 {
			word = "properties"
		}
		fmt.Fprintf(warn, "Warning: Unknown %s in `convex.json`: `%s`\n", word, strings.Join(unknown, "`, `"))
		fmt.Fprintln(warn, "  These properties will be preserved but are not recognized by this version of Convex.")
	}
	field := func(key string, into any) error {
		raw, ok := top[key]
		if !ok || string(raw) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, into); err != nil {
			return &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("`%s` in `convex.json`: %v", key, plainJSONError(err))}
		}
		return nil
	}
	var functions string
	var node struct {
		ExternalPackages []string `json:"externalPackages"`
		NodeVersion      string   `json:"nodeVersion"`
	}
	var codegen struct {
		FileType  string `json:"fileType"`
		StaticAPI bool   `json:"staticApi"`
	}
	var bundlerCfg struct {
		IncludeSourcesContent bool `json:"includeSourcesContent"`
	}
	for key, into := range map[string]any{
		"functions": &functions, "node": &node, "generateCommonJSApi": &cfg.GenerateCommonJSApi,
		"codegen": &codegen, "bundler": &bundlerCfg, "typescriptCompiler": &cfg.TypeScriptCompiler,
	} {
		if err := field(key, into); err != nil {
			return nil, err
		}
	}
	if functions != "" {
		cfg.Functions = functions
	} else if _, ok := top["functions"]; !ok {
		cfg.Functions = "convex/"
	}
	cfg.ExternalPackages = node.ExternalPackages
	cfg.NodeVersion = node.NodeVersion
	cfg.IncludeSourcesContent = bundlerCfg.IncludeSourcesContent
	cfg.StaticAPI = codegen.StaticAPI
	switch codegen.FileType {
	case "", "js/dts":
	case "ts":
		cfg.TypeScriptCodegen = true
	default:
		return nil, &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("`codegen.fileType` in `convex.json`: expected \"ts\" or \"js/dts\", got %q", codegen.FileType)}
	}
	if cfg.TypeScriptCompiler != "tsc" && cfg.TypeScriptCompiler != "tsgo" {
		return nil, &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("`typescriptCompiler` in `convex.json`: expected \"tsc\" or \"tsgo\", got %q", cfg.TypeScriptCompiler)}
	}
	if cfg.GenerateCommonJSApi && cfg.TypeScriptCodegen {
		return nil, &Error{Kind: InvalidFiles, Msg: "Cannot use `generateCommonJSApi: true` with `codegen.fileType: \"ts\"`. " +
			"CommonJS modules require JavaScript generation. Either set `codegen.fileType: \"js/dts\"` or remove `generateCommonJSApi`."}
	}
	return cfg, nil
}

// defaultFunctions is "convex/", or "src/convex/" for Create React App
// projects (react-scripts) without a convex.json.
func defaultFunctions(projectDir string) string {
	data, err := os.ReadFile(filepath.Join(projectDir, "package.json"))
	if err != nil {
		return "convex/"
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if json.Unmarshal(data, &pkg) == nil {
		if _, ok := pkg.Dependencies["react-scripts"]; ok {
			return "src/convex/"
		}
		if _, ok := pkg.DevDependencies["react-scripts"]; ok {
			return "src/convex/"
		}
	}
	return "convex/"
}

func plainJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		te = e
		return fmt.Sprintf("expected %s, got %s", te.Type.Kind(), te.Value)
	}
	return err.Error()
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
