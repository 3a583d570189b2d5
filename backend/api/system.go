package api

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/values"
)

// runSystem serves the `_system/...` functions natively (§2.9). They need
// an admin identity. Only those reachable over HTTP are implemented.
func (s *Server) runSystem(ctx context.Context, c udfCall, out udfOutcome) udfOutcome {
	out.UdfType = runtime.KindQuery
	out.systemFn = true
	if !c.Internal {
		out.Err = notFound(c.Path, false)
		return out
	}
	args, err := systemArgs(c.Args)
	if err != nil {
		out.Err = &runtime.FunctionError{Message: "ArgumentValidationError: " + err.Error()}
		return out
	}
	var result any
	switch canonicalPath(c.Path) {
	case "_system/cli/queryEnvironmentVariables.js:default":
		vars, err := s.storedEnv()
		if err != nil {
			out.Err = &runtime.FunctionError{Message: err.Error()}
			return out
		}
		names := make([]string, 0, len(vars))
		for k := range vars {
			names = append(names, k)
		}
		sort.Strings(names)
		list := []any{}
		for _, n := range names {
			list = append(list, map[string]any{"name": n, "value": vars[n]})
		}
		result = list
	case "_system/cli/queryEnvironmentVariables.js:get":
		vars, err := s.storedEnv()
		if err != nil {
			out.Err = &runtime.FunctionError{Message: err.Error()}
			return out
		}
		name, _ := args["name"].(string)
		if v, ok := vars[name]; ok {
			result = map[string]any{"name": name, "value": v}
		}
	case "_system/cli/convexUrl.js:cloudUrl":
		result = s.cfg.CloudURL
	case "_system/cli/modules.js:apiSpec":
		result = s.apiSpec()
	case "_system/frontend/components.js:list":
		result = []any{map[string]any{"id": "", "name": nil, "path": "", "args": map[string]any{}, "state": "active", "httpPrefix": nil}}
	case "_system/cli/queryImport.js:list":
		result = []any{}
	case "_system/cli/exports.js:getLatest":
		result = nil
	case "_system/cli/tables.js:default":
		tables, err := s.store.Tables()
		if err != nil {
			out.Err = &runtime.FunctionError{Message: err.Error()}
			return out
		}
		page := []any{}
		for _, t := range tables {
			if !t.System {
				page = append(page, map[string]any{"name": t.Name})
			}
		}
		result = map[string]any{"page": page, "isDone": true, "continueCursor": "end"}
	case "_system/cli/tableData.js:default":
		raw, err := s.tableData(args)
		if err != nil {
			out.Err = &runtime.FunctionError{Message: err.Error()}
			return out
		}
		out.Value = raw
		return out
	case "_system/cli/tableSize.js:default":
		table, _ := args["tableName"].(string)
		n, err := s.countTable(table)
		if err != nil {
			out.Err = &runtime.FunctionError{Message: err.Error()}
			return out
		}
		result = n
	default:
		out.Err = &runtime.FunctionError{Message: fmt.Sprintf("Could not find system function '%s' (not supported by this backend).", c.Path)}
		return out
	}
	v, err := values.FromJSON(result)
	if err == nil {
		out.Value, err = values.Encode(v)
	}
	if err != nil {
		out.Err = &runtime.FunctionError{Message: err.Error()}
	}
	return out
}

// systemArgs decodes an args object or one-element array.
func systemArgs(b []byte) (map[string]any, error) {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if arr, ok := raw.([]any); ok {
		if len(arr) != 1 {
			return nil, fmt.Errorf("expected one argument object")
		}
		raw = arr[0]
	}
	m, ok := raw.(map[string]any)
	if !ok && raw != nil {
		return nil, fmt.Errorf("arguments must be an object")
	}
	return m, nil
}

func (s *Server) countTable(table string) (float64, error) {
	tx, err := s.store.Begin(false)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	b, _ := json.Marshal(map[string]string{"table": table})
	res, err := tx.Syscall("1.0/count", b)
	if err != nil {
		return 0, err
	}
	var n float64
	if err := json.Unmarshal(res, &n); err != nil {
		return 0, err
	}
	return n, nil
}

// apiSpec lists functions and HTTP routes as `convex function-spec` prints them.
func (s *Server) apiSpec() []any {
	dep := s.dep.Load()
	out := []any{}
	if dep == nil {
		return out
	}
	paths := make([]string, 0, len(dep.analysis))
	for p := range dep.analysis {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		am := dep.analysis[p]
		for _, f := range am.Functions {
			vis := "public"
			if f.Visibility != nil {
				vis = f.Visibility.Kind
			}
			entry := map[string]any{
				"identifier": p + ":" + f.Name, "functionType": f.UdfType,
				"visibility": map[string]any{"kind": vis},
			}
			for key, src := range map[string]*string{"args": f.Args, "returns": f.Returns} {
				if src != nil {
					var v any
					if json.Unmarshal([]byte(*src), &v) == nil {
						entry[key] = v
					}
				}
			}
			out = append(out, entry)
		}
		for _, rt := range am.HTTPRoutes {
			out = append(out, map[string]any{"functionType": "HttpAction", "method": rt.Route.Method, "path": rt.Route.Path})
		}
	}
	return out
}

// tableData pages through a table in creation order, for `convex data`.
func (s *Server) tableData(args map[string]any) ([]byte, error) {
	table, _ := args["table"].(string)
	if table == "" {
		return nil, fmt.Errorf("ArgumentValidationError: missing table")
	}
	order, _ := args["order"].(string)
	if order != "asc" {
		order = "desc"
	}
	opts, _ := args["paginationOpts"].(map[string]any)
	num := 100.0
	var cursor any
	if opts != nil {
		if n, ok := opts["numItems"].(float64); ok && n > 0 {
			num = n
		}
		cursor = opts["cursor"]
	}
	q := map[string]any{
		"query": map[string]any{
			"source":    map[string]any{"type": "FullTableScan", "tableName": table, "order": order},
			"operators": []any{},
		},
		"cursor": cursor, "endCursor": nil, "pageSize": num,
	}
	b, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	tx, err := s.store.Begin(false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.Syscall("1.0/queryPage", b)
}
