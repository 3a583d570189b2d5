package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ModuleAnalysis is what analysis found in one module. Its JSON is the
// AnalyzedModule of start_push (spec §2.2.2).
type ModuleAnalysis struct {
	Functions    []AnalyzedFunction `json:"functions"`
	HTTPRoutes   []AnalyzedRoute    `json:"httpRoutes"` // http.js only, else nil
	CronSpecs    []CronSpec         `json:"cronSpecs"`  // crons.js only, else nil
	SourceMapped any                `json:"sourceMapped"`
}

// AnalyzedFunction is one exported query, mutation or action. Args and
// Returns are validator JSON as strings ("null" Returns: none declared).
type AnalyzedFunction struct {
	Name       string      `json:"name"`
	Pos        any         `json:"pos"` // always null for now
	UdfType    string      `json:"udfType"`
	Visibility *Visibility `json:"visibility"`
	Args       string      `json:"args"`
	Returns    string      `json:"returns"`
}

// Visibility is {"kind": "public"|"internal"}.
type Visibility struct {
	Kind string `json:"kind"`
}

// AnalyzedRoute is one route of the http.js router.
type AnalyzedRoute struct {
	Route HTTPRoute `json:"route"`
	Pos   any       `json:"pos"`
}

// HTTPRoute is a path ("/x", or a prefix "/x/*") and method.
type HTTPRoute struct {
	Path   string `json:"path"`
	Method string `json:"method"`
}

// CronSpec is one cron job of crons.js.
type CronSpec struct {
	Identifier string  `json:"identifier"`
	Spec       CronJob `json:"spec"`
}

// CronJob is a cron's target and schedule as crons.ts declared it.
type CronJob struct {
	// UdfPath is the function as written, e.g. "messages:sweepExpired".
	UdfPath string `json:"udfPath"`
	// UdfArgs is the encoded JSON of the arguments object.
	UdfArgs json.RawMessage `json:"udfArgs"`
	// CronSchedule is the schedule object from convex/server, e.g.
	// {"type":"interval","minutes":10} or {"type":"cron","cron":"0 * * * *"}.
	CronSchedule json.RawMessage `json:"cronSchedule"`
}

// AnalyzeError is a module that failed to evaluate during analysis.
type AnalyzeError struct {
	Path    string
	Message string
}

func (e *AnalyzeError) Error() string {
	return "Failed to analyze " + e.Path + ": " + e.Message
}

// Analyze evaluates every module except _deps/ chunks and schema.js and
// reports its functions, the http.js routes and the crons.js jobs.
func (m *ModuleSet) Analyze() (map[string]ModuleAnalysis, error) {
	return m.AnalyzeEnv(context.Background(), nil)
}

// AnalyzeEnv is Analyze with the deployment's environment variables visible
// to module top-level code.
func (m *ModuleSet) AnalyzeEnv(ctx context.Context, env map[string]string) (map[string]ModuleAnalysis, error) {
	out := map[string]ModuleAnalysis{}
	for _, path := range m.Paths() {
		if strings.HasPrefix(path, "_deps/") || path == "schema.js" {
			continue
		}
		a, err := m.analyzeModule(ctx, path, env)
		if err != nil {
			return nil, err
		}
		out[path] = a
	}
	return out, nil
}

func (m *ModuleSet) evalModule(ctx context.Context, env map[string]string, er entryRequest) (string, error) {
	req := &Request{Env: env}
	x := newExecution(ctx, m, req, "analyze", er.Module, 0, nil)
	ctx, cancel := context.WithTimeoutCause(ctx, m.engine.opts.QueryTimeout, errTimeout)
	defer cancel()
	er.UdfType = "analyze"
	out, th, err := m.callVM(ctx, x, er)
	if err != nil {
		if err == errTimeout || context.Cause(ctx) == errTimeout {
			return "", &AnalyzeError{Path: er.Module, Message: fmt.Sprintf("evaluating the module took longer than %s", m.engine.opts.QueryTimeout)}
		}
		return "", &AnalyzeError{Path: er.Module, Message: err.Error()}
	}
	if th != nil {
		return "", &AnalyzeError{Path: er.Module, Message: th.Message}
	}
	return out, nil
}

func (m *ModuleSet) analyzeModule(ctx context.Context, path string, env map[string]string) (ModuleAnalysis, error) {
	out, err := m.evalModule(ctx, env, entryRequest{Op: "analyze", Module: path})
	if err != nil {
		return ModuleAnalysis{}, err
	}
	var raw struct {
		Functions []struct {
			Name, UdfType, Visibility, Args, Returns string
		}
		Routes []HTTPRoute
		Crons  map[string]struct {
			Name     string            `json:"name"`
			Args     []json.RawMessage `json:"args"`
			Schedule json.RawMessage   `json:"schedule"`
		}
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return ModuleAnalysis{}, &AnalyzeError{Path: path, Message: "malformed analysis: " + err.Error()}
	}
	a := ModuleAnalysis{Functions: []AnalyzedFunction{}}
	for _, f := range raw.Functions {
		af := AnalyzedFunction{Name: f.Name, UdfType: udfTypeTitle(f.UdfType), Args: f.Args, Returns: f.Returns}
		if f.Visibility != "" {
			af.Visibility = &Visibility{Kind: f.Visibility}
		}
		a.Functions = append(a.Functions, af)
	}
	if raw.Routes != nil {
		a.HTTPRoutes = []AnalyzedRoute{}
		for _, r := range raw.Routes {
			a.HTTPRoutes = append(a.HTTPRoutes, AnalyzedRoute{Route: r})
		}
	}
	if raw.Crons != nil {
		a.CronSpecs = []CronSpec{}
		for _, id := range sortedKeys(raw.Crons) {
			c := raw.Crons[id]
			args := json.RawMessage("{}")
			if len(c.Args) > 0 {
				args = c.Args[0]
			}
			a.CronSpecs = append(a.CronSpecs, CronSpec{Identifier: id, Spec: CronJob{UdfPath: c.Name, UdfArgs: args, CronSchedule: c.Schedule}})
		}
	}
	return a, nil
}

// Schema evaluates schema.js and returns its default export's export()
// JSON (the defineSchema document), or nil when there is no schema.js.
func (m *ModuleSet) Schema() ([]byte, error) {
	if _, ok := m.modules["schema.js"]; !ok {
		return nil, nil
	}
	out, err := m.evalModule(context.Background(), nil, entryRequest{Op: "defaultExportJson", Module: "schema.js", Method: "export"})
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// AuthConfig evaluates auth.config.js with env visible and returns its
// default export as JSON ({"providers": [...]}), or nil when absent.
func (m *ModuleSet) AuthConfig(env map[string]string) ([]byte, error) {
	if _, ok := m.modules["auth.config.js"]; !ok {
		return nil, nil
	}
	out, err := m.evalModule(context.Background(), env, entryRequest{Op: "defaultExportJson", Module: "auth.config.js"})
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
