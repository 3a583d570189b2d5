package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/convex-go/convex/ui"
)

// DefaultFunctionsDir is where Convex functions live unless convex.json says
// otherwise.
const DefaultFunctionsDir = "convex/"

// ProjectConfig is convex.json (spec cli §10.1). Absent optional fields keep
// their zero value; pointers mark fields whose absence means something.
type ProjectConfig struct {
	// Path is the convex.json that was read, "" when the project has none.
	Path string

	Functions           string // relative to the project dir
	Node                NodeConfig
	GenerateCommonJSAPI bool
	Codegen             CodegenConfig
	Bundler             BundlerConfig
	TypescriptCompiler  string          // "", "tsc" or "tsgo"
	AuthKit             json.RawMessage // validated, passed on as is
	AIFiles             AIFilesConfig

	// Accepted and ignored, as by the reference.
	Schema, Project, Team, ProdURL string

	// Unknown lists properties this version does not know, as dotted paths
	// ("foo", "node.bar"), sorted. They are kept in Raw and never an error.
	Unknown []string
	// Raw is the top-level object as read (nil without convex.json).
	Raw map[string]json.RawMessage
}

// NodeConfig is convex.json's "node" section.
type NodeConfig struct {
	ExternalPackages []string // ["*"] means all
	NodeVersion      string
}

// CodegenConfig is convex.json's "codegen" section.
type CodegenConfig struct {
	StaticAPI          bool
	StaticDataModel    bool
	LegacyComponentAPI *bool
	FileType           string // "", "ts" or "js/dts"
}

// BundlerConfig is convex.json's "bundler" section.
type BundlerConfig struct {
	IncludeSourcesContent bool
}

// AIFilesConfig is convex.json's "aiFiles" section.
type AIFilesConfig struct {
	Enabled                 *bool
	DisableStalenessMessage *bool
	SkillsAgents            []string
}

// FunctionsDir is the functions directory joined to the project dir.
func (c *ProjectConfig) FunctionsDir(projectDir string) string {
	return filepath.Join(projectDir, filepath.FromSlash(c.Functions))
}

// Warnings are the messages to show for unknown properties: one line per
// section, naming the keys.
func (c *ProjectConfig) Warnings() []string {
	bySection := map[string][]string{}
	var sections []string
	for _, p := range c.Unknown {
		sec, key := "", p
		if i := strings.LastIndexByte(p, '.'); i >= 0 {
			sec, key = p[:i], p[i+1:]
		}
		if _, ok := bySection[sec]; !ok {
			sections = append(sections, sec)
		}
		bySection[sec] = append(bySection[sec], "`"+key+"`")
	}
	var out []string
	for _, sec := range sections {
		keys := bySection[sec]
		where := "`convex.json`"
		if sec != "" {
			where = "`" + sec + "` in `convex.json`"
		}
		noun := "property"
		if len(keys) > 1 {
			noun = "properties"
		}
		out = append(out, fmt.Sprintf("Unknown %s in %s: %s (kept, but not used by this version)", noun, where, strings.Join(keys, ", ")))
	}
	return out
}

// ReadProjectConfig reads dir/convex.json. Without one it returns the
// defaults (functions in convex/, or src/convex/ for create-react-app
// projects). A syntax error, a wrong type or a bad value is a *ui.Error that
// names the file and the dotted field path. A leftover src/convex.json is an
// error, as in the reference.
func ReadProjectConfig(dir string) (*ProjectConfig, error) {
	path := joinDir(dir, ProjectConfigFile)
	srcPath := joinDir(dir, filepath.Join("src", ProjectConfigFile))
	exists, err := fileExists(path)
	if err != nil {
		return nil, err
	}
	srcExists, err := fileExists(srcPath)
	if err != nil {
		return nil, err
	}
	switch {
	case exists && srcExists:
		return nil, ui.Errorf("both %s and %s exist", path, srcPath).
			WithHint("Merge them into %s and delete %s.", path, srcPath)
	case srcExists:
		return nil, ui.Errorf("%s is no longer read", srcPath).
			WithHint("Move it to the root of your project: %s.", path)
	}
	c := &ProjectConfig{Functions: DefaultFunctionsDir}
	if !exists {
		pkg, err := ReadPackageJSON(dir)
		if err != nil {
			return nil, err
		}
		if pkg.HasDependency("react-scripts") {
			c.Functions = "src/" + DefaultFunctionsDir
		}
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ui.Wrap(err, "cannot read %s", path)
	}
	if err := c.parse(data); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			if fe.path == "" {
				return nil, ui.Errorf("%s: %s", path, fe.msg)
			}
			return nil, ui.Errorf("%s: field `%s`: %s", path, fe.path, fe.msg)
		}
		return nil, ui.Wrap(err, "cannot parse %s", path).WithHint("convex.json must be a JSON object.")
	}
	c.Path = path
	return c, nil
}

// ParseProjectConfig parses convex.json content (for callers that have it
// in memory). Errors name fields but not a file.
func ParseProjectConfig(data []byte) (*ProjectConfig, error) {
	c := &ProjectConfig{Functions: DefaultFunctionsDir}
	if err := c.parse(data); err != nil {
		return nil, err
	}
	return c, nil
}

type fieldError struct{ path, msg string }

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return fmt.Sprintf("field `%s`: %s", e.path, e.msg)
}

func jsonKind(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// object decodes raw as an object, recording unknown keys under prefix.
func object(raw json.RawMessage, path string, known []string, unknown *[]string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if jsonKind(raw) != "an object" || json.Unmarshal(raw, &m) != nil {
		return nil, &fieldError{path, "expected an object, got " + jsonKind(raw)}
	}
	for k := range m {
		if !contains(known, k) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			*unknown = append(*unknown, p)
		}
	}
	return m, nil
}

func str(m map[string]json.RawMessage, key, path string, dst *string, allowed ...string) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || jsonKind(raw) != "a string" {
		return &fieldError{path + key, "expected a string, got " + jsonKind(raw)}
	}
	if len(allowed) > 0 && !contains(allowed, *dst) {
		return &fieldError{path + key, fmt.Sprintf("expected one of %q, got %q", allowed, *dst)}
	}
	return nil
}

func boolean(m map[string]json.RawMessage, key, path string, dst **bool) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	var b bool
	if jsonKind(raw) != "a boolean" || json.Unmarshal(raw, &b) != nil {
		return &fieldError{path + key, "expected true or false, got " + jsonKind(raw)}
	}
	*dst = &b
	return nil
}

func boolVal(m map[string]json.RawMessage, key, path string, dst *bool) error {
	var p *bool
	if err := boolean(m, key, path, &p); err != nil {
		return err
	}
	if p != nil {
		*dst = *p
	}
	return nil
}

func strList(m map[string]json.RawMessage, key, path string, dst *[]string) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	if jsonKind(raw) != "an array" || json.Unmarshal(raw, dst) != nil {
		return &fieldError{path + key, "expected an array of strings, got " + jsonKind(raw)}
	}
	if *dst == nil {
		*dst = []string{}
	}
	return nil
}

func (c *ProjectConfig) parse(data []byte) error {
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return err
	}
	var unknown []string
	top, err := object(data, "", []string{"functions", "node", "codegen", "bundler", "generateCommonJSApi",
		"typescriptCompiler", "$schema", "authKit", "aiFiles", "project", "team", "prodUrl"}, &unknown)
	if err != nil {
		return &fieldError{"", "expected the file to contain a JSON object, got " + jsonKind(data)}
	}
	c.Raw = top
	checks := []error{
		str(top, "functions", "", &c.Functions),
		boolVal(top, "generateCommonJSApi", "", &c.GenerateCommonJSAPI),
		str(top, "typescriptCompiler", "", &c.TypescriptCompiler, "tsc", "tsgo"),
		str(top, "$schema", "", &c.Schema),
		str(top, "project", "", &c.Project),
		str(top, "team", "", &c.Team),
		str(top, "prodUrl", "", &c.ProdURL),
	}
	for _, e := range checks {
		if e != nil {
			return e
		}
	}
	if raw, ok := top["node"]; ok {
		m, err := object(raw, "node", []string{"externalPackages", "nodeVersion"}, &unknown)
		if err != nil {
			return err
		}
		if err := firstErr(strList(m, "externalPackages", "node.", &c.Node.ExternalPackages),
			str(m, "nodeVersion", "node.", &c.Node.NodeVersion)); err != nil {
			return err
		}
	}
	if c.Node.ExternalPackages == nil {
		c.Node.ExternalPackages = []string{}
	}
	if raw, ok := top["codegen"]; ok {
		m, err := object(raw, "codegen", []string{"staticApi", "staticDataModel", "legacyComponentApi", "fileType"}, &unknown)
		if err != nil {
			return err
		}
		if err := firstErr(boolVal(m, "staticApi", "codegen.", &c.Codegen.StaticAPI),
			boolVal(m, "staticDataModel", "codegen.", &c.Codegen.StaticDataModel),
			boolean(m, "legacyComponentApi", "codegen.", &c.Codegen.LegacyComponentAPI),
			str(m, "fileType", "codegen.", &c.Codegen.FileType, "ts", "js/dts")); err != nil {
			return err
		}
	}
	if raw, ok := top["bundler"]; ok {
		m, err := object(raw, "bundler", []string{"includeSourcesContent"}, &unknown)
		if err != nil {
			return err
		}
		if err := boolVal(m, "includeSourcesContent", "bundler.", &c.Bundler.IncludeSourcesContent); err != nil {
			return err
		}
	}
	if raw, ok := top["aiFiles"]; ok {
		// The reference is strict inside aiFiles: unknown keys there are
		// reported like the others.
		m, err := object(raw, "aiFiles", []string{"enabled", "disableStalenessMessage", "skills"}, &unknown)
		if err != nil {
			return err
		}
		if err := firstErr(boolean(m, "enabled", "aiFiles.", &c.AIFiles.Enabled),
			boolean(m, "disableStalenessMessage", "aiFiles.", &c.AIFiles.DisableStalenessMessage)); err != nil {
			return err
		}
		if sk, ok := m["skills"]; ok {
			sm, err := object(sk, "aiFiles.skills", []string{"agents"}, &unknown)
			if err != nil {
				return err
			}
			if err := strList(sm, "agents", "aiFiles.skills.", &c.AIFiles.SkillsAgents); err != nil {
				return err
			}
		}
	}
	if raw, ok := top["authKit"]; ok {
		if err := checkAuthKit(raw, &unknown); err != nil {
			return err
		}
		c.AuthKit = raw
	}
	if c.GenerateCommonJSAPI && c.Codegen.FileType == "ts" {
		return &fieldError{"generateCommonJSApi", "cannot be true with `codegen.fileType: \"ts\"`: CommonJS output needs JavaScript generation; set `codegen.fileType` to \"js/dts\" or remove `generateCommonJSApi`"}
	}
	sort.Strings(unknown)
	c.Unknown = unknown
	return nil
}

func checkAuthKit(raw json.RawMessage, unknown *[]string) error {
	m, err := object(raw, "authKit", []string{"dev", "preview", "prod"}, unknown)
	if err != nil {
		return err
	}
	for _, env := range []string{"dev", "preview", "prod"} {
		eraw, ok := m[env]
		if !ok {
			continue
		}
		p := "authKit." + env
		em, err := object(eraw, p, []string{"environmentType", "configure", "localEnvVars"}, unknown)
		if err != nil {
			return err
		}
		var et string
		if err := str(em, "environmentType", p+".", &et, "development", "staging", "production"); err != nil {
			return err
		}
		if et != "" && env != "prod" {
			return &fieldError{p + ".environmentType", "is only allowed in the prod section"}
		}
		if cr, ok := em["configure"]; ok && strings.TrimSpace(string(cr)) != "false" {
			cm, err := object(cr, p+".configure", []string{"redirectUris", "appHomepageUrl", "corsOrigins"}, unknown)
			if err != nil {
				return &fieldError{p + ".configure", "expected false or an object, got " + jsonKind(cr)}
			}
			var s []string
			var h string
			if err := firstErr(strList(cm, "redirectUris", p+".configure.", &s),
				strList(cm, "corsOrigins", p+".configure.", &s),
				str(cm, "appHomepageUrl", p+".configure.", &h)); err != nil {
				return err
			}
		}
		if lr, ok := em["localEnvVars"]; ok && strings.TrimSpace(string(lr)) != "false" {
			var rec map[string]string
			if jsonKind(lr) != "an object" || json.Unmarshal(lr, &rec) != nil {
				return &fieldError{p + ".localEnvVars", "expected false or an object of strings"}
			}
			if env != "dev" {
				return &fieldError{p + ".localEnvVars", "is only supported for dev deployments; set preview and prod variables in your hosting platform"}
			}
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, ui.Wrap(err, "cannot access %s", path)
}
