// Package system implements the deployment's built-in `_system/...` query
// functions natively in Go: the ones the CLI and dashboard call to browse
// data, list environment variables, describe functions and follow imports
// and exports. They are dispatched by canonical path, read the store in one
// read transaction, need an admin caller, and report what they read so that
// subscriptions re-run them when it changes.
package system

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

// Pseudo table names reported in Result.Tables for state that does not live
// in document tables. Whoever changes that state reports a commit of the
// same name (or invalidates everything).
const (
	EnvTable     = "_environment_variables"
	ModulesTable = "_modules"
	ExportsTable = "_exports"
	ImportsTable = "_snapshot_imports"
	SchemasTable = "_schemas"
)

// PermissionMessage is the error text for a caller without admin rights. The
// CLI recognises its first sentence.
const PermissionMessage = "You do not have permission to perform this operation. System functions need an admin key."

// Deployment supplies what the functions read besides the database.
type Deployment interface {
	// Analysis returns the analysis of the pushed modules: module path (like
	// "messages.js") to the analyzed module JSON as start_push reports it
	// ({"functions": [{"name", "udfType", "visibility", "args", "returns"}],
	// "httpRoutes": [{"route": {"path", "method"}}]}). Empty before a push.
	Analysis() (map[string]json.RawMessage, error)
	// CloudURL is the deployment's CONVEX_CLOUD_URL.
	CloudURL() string
}

// Snapshots supplies the import and export records (package snapshot's
// Manager implements it). Documents are Convex values (objects).
type Snapshots interface {
	LatestExport() (values.Value, error)
	Import(id string) (values.Value, error)
	ListImports(limit int) ([]values.Value, error)
}

// Functions runs system functions.
type Functions struct {
	Store      *store.Store
	Deployment Deployment // may be nil: no functions, empty URL
	Snapshots  Snapshots  // may be nil: no imports or exports
}

// Request is one call.
type Request struct {
	Path          string // as sent: "_system/cli/tables", "_system/cli/tables:default", "_system/cli/tables.js:default"
	ComponentPath string // "" for the app
	Args          []byte // Convex-encoded args object, or a one-element array of it; empty means {}
	Admin         bool   // the caller has an admin identity
}

// Result is the outcome of a call.
type Result struct {
	Value []byte // Convex-encoded JSON when Err is empty
	// Err is a message for the caller (bad arguments, no permission,
	// unknown function); the call is then a failed query, not an internal error.
	Err string
	// Tables are the tables (and pseudo tables) read; a commit to any of
	// them can change the result. All means any commit can.
	Tables []string
	All    bool
	TS     int64 // snapshot timestamp read
}

// IsSystemPath reports whether a function path names a system function.
func IsSystemPath(path string) bool { return strings.HasPrefix(path, "_system/") }

// Canonical normalises a function path: "a/b" and "a/b:default" and
// "a/b.js:default" all become "a/b.js:default".
func Canonical(path string) string {
	mod, name, ok := strings.Cut(path, ":")
	if !ok || name == "" {
		name = "default"
	}
	if !strings.HasSuffix(mod, ".js") {
		mod += ".js"
	}
	return mod + ":" + name
}

type handler func(f *Functions, c *call) (any, error)

// handlerFor returns the implementation of a system function, by its
// canonical path.
func handlerFor(path string) (handler, bool) {
	switch path {
	case "_system/cli/tables.js:default":
		return tables, true
	case "_system/cli/tableData.js:default":
		return tableData, true
	case "_system/cli/tableSize.js:default":
		return tableSize, true
	case "_system/cli/queryTable.js:default":
		return queryTable, true
	case "_system/cli/queryEnvironmentVariables.js:default":
		return envList, true
	case "_system/cli/queryEnvironmentVariables.js:get":
		return envGet, true
	case "_system/cli/modules.js:apiSpec":
		return apiSpec, true
	case "_system/cli/convexUrl.js:cloudUrl":
		return cloudURL, true
	case "_system/cli/exports.js:getLatest":
		return latestExport, true
	case "_system/cli/queryImport.js:default":
		return getImport, true
	case "_system/cli/queryImport.js:list":
		return listImports, true
	case "_system/frontend/components.js:list":
		return components, true
	case "_system/frontend/getSchemas.js:default":
		return schemas, true
	}
	return nil, false
}

// Has reports whether path names an implemented system function.
func Has(path string) bool {
	_, ok := handlerFor(Canonical(path))
	return ok
}

// argError is a mistake in the arguments.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, a ...any) error {
	return &argError{msg: "ArgumentValidationError: " + fmt.Sprintf(format, a...)}
}

type call struct {
	tx     *store.Tx
	args   map[string]values.Value
	comp   string
	tables map[string]bool
	all    bool
}

func (c *call) read(tables ...string) {
	for _, t := range tables {
		c.tables[t] = true
	}
}

// Run executes one call in a fresh read transaction. The error is for
// internal failures only.
func (f *Functions) Run(req Request) (Result, error) {
	tx, err := f.Store.Begin(false)
	if err != nil {
		return Result{}, fmt.Errorf("system function %s: %w", req.Path, err)
	}
	defer tx.Rollback()
	return f.RunIn(tx, req)
}

// RunIn executes one call inside tx (a read transaction the caller owns,
// for example to run several queries at one snapshot).
func (f *Functions) RunIn(tx *store.Tx, req Request) (Result, error) {
	res := Result{TS: tx.TS()}
	if !req.Admin {
		res.Err = PermissionMessage
		return res, nil
	}
	h, ok := handlerFor(Canonical(req.Path))
	if !ok {
		res.Err = fmt.Sprintf("Could not find system function '%s': this backend does not implement it.", req.Path)
		return res, nil
	}
	args, err := decodeArgs(req.Args)
	if err != nil {
		res.Err = "ArgumentValidationError: " + err.Error()
		return res, nil
	}
	if req.ComponentPath != "" {
		res.Err = fmt.Sprintf("Component %q not found: this deployment has no components.", req.ComponentPath)
		return res, nil
	}
	c := &call{tx: tx, args: args, comp: req.ComponentPath, tables: map[string]bool{}}
	v, err := h(f, c)
	if err != nil {
		var ae *argError
		if errors.As(err, &ae) || store.IsUserError(err) {
			res.Err = err.Error()
			return res, nil
		}
		return Result{}, fmt.Errorf("system function %s: %w", req.Path, err)
	}
	enc, err := toValue(v)
	if err != nil {
		return Result{}, fmt.Errorf("system function %s: %w", req.Path, err)
	}
	res.Value = enc
	res.All = c.all
	for t := range c.tables {
		res.Tables = append(res.Tables, t)
	}
	sort.Strings(res.Tables)
	return res, nil
}

func decodeArgs(b []byte) (map[string]values.Value, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return map[string]values.Value{}, nil
	}
	v, err := values.Decode(b)
	if err != nil {
		return nil, err
	}
	if arr, ok := v.([]values.Value); ok {
		if len(arr) != 1 {
			return nil, fmt.Errorf("expected one arguments object, got %d values", len(arr))
		}
		v = arr[0]
	}
	switch m := v.(type) {
	case map[string]values.Value:
		return m, nil
	case nil:
		return map[string]values.Value{}, nil
	}
	return nil, fmt.Errorf("arguments must be an object, got %s", values.TypeName(v))
}

// toValue encodes a result built from Go values (map[string]any, []any,
// float64, string, bool, nil, and values.Value leaves).
func toValue(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return values.Encode(convert(v))
}

func convert(v any) values.Value {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]values.Value, len(x))
		for k, e := range x {
			m[k] = convert(e)
		}
		return m
	case []any:
		out := make([]values.Value, len(x))
		for i, e := range x {
			out[i] = convert(e)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

func (c *call) str(name string, required bool) (string, error) {
	v, ok := c.args[name]
	if !ok || v == nil || values.IsUndefined(v) {
		if required {
			return "", argErrorf("missing required argument %q", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", argErrorf("argument %q must be a string, got %s", name, values.TypeName(v))
	}
	return s, nil
}

// pagination reads paginationOpts {cursor, numItems}.
func (c *call) pagination() (cursor any, num float64, err error) {
	num = 100
	raw, ok := c.args["paginationOpts"]
	if !ok || raw == nil {
		return nil, num, nil
	}
	po, ok := raw.(map[string]values.Value)
	if !ok {
		return nil, 0, argErrorf("paginationOpts must be an object")
	}
	switch n := po["numItems"].(type) {
	case float64:
		num = n
	case int64:
		num = float64(n)
	case nil:
	default:
		return nil, 0, argErrorf("paginationOpts.numItems must be a number")
	}
	if num < 1 || num != float64(int64(num)) {
		return nil, 0, argErrorf("paginationOpts.numItems must be a positive integer, got %v", num)
	}
	switch cur := po["cursor"].(type) {
	case nil:
	case string:
		cursor = cur
	default:
		return nil, 0, argErrorf("paginationOpts.cursor must be a string or null")
	}
	return cursor, num, nil
}

// endCursor marks the end of a listing that is always complete.
const endCursor = "end"

func tables(f *Functions, c *call) (any, error) {
	if _, _, err := c.pagination(); err != nil {
		return nil, err
	}
	// A new table can appear in any commit.
	c.all = true
	ts, err := c.tx.SnapshotTables()
	if err != nil {
		return nil, err
	}
	page := []any{}
	for _, t := range ts {
		if !t.System {
			page = append(page, map[string]any{"name": t.Name})
		}
	}
	return map[string]any{"page": page, "isDone": true, "continueCursor": endCursor}, nil
}

func tableData(f *Functions, c *call) (any, error) {
	table, err := c.str("table", true)
	if err != nil {
		return nil, err
	}
	order, err := c.str("order", false)
	if err != nil {
		return nil, err
	}
	switch order {
	case "":
		order = "asc"
	case "asc", "desc":
	default:
		return nil, argErrorf("order must be \"asc\" or \"desc\", got %q", order)
	}
	cursor, num, err := c.pagination()
	if err != nil {
		return nil, err
	}
	c.read(table)
	if cursor == endCursor {
		return map[string]any{"page": []any{}, "isDone": true, "continueCursor": endCursor}, nil
	}
	q := map[string]any{
		"query": map[string]any{
			"source":    map[string]any{"type": "FullTableScan", "tableName": table, "order": order},
			"operators": []any{},
		},
		"cursor":   cursor,
		"pageSize": num,
	}
	b, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	out, err := c.tx.Syscall("1.0/queryPage", b)
	if err != nil {
		return nil, err
	}
	var page struct {
		Page           json.RawMessage `json:"page"`
		IsDone         bool            `json:"isDone"`
		ContinueCursor string          `json:"continueCursor"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	res, err := json.Marshal(map[string]any{"page": page.Page, "isDone": page.IsDone, "continueCursor": page.ContinueCursor})
	return json.RawMessage(res), err
}

func countTable(c *call, table string) (float64, error) {
	b, _ := json.Marshal(map[string]string{"table": table})
	out, err := c.tx.Syscall("1.0/count", b)
	if err != nil {
		return 0, err
	}
	var n float64
	if err := json.Unmarshal(out, &n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	c.read(table)
	return n, nil
}

func tableSize(f *Functions, c *call) (any, error) {
	table, err := c.str("tableName", true)
	if err != nil {
		return nil, err
	}
	return countTable(c, table)
}

// queryTable backs `convex dev` watching a table: it reads the table and
// returns a random number, so every change to the table changes the result.
func queryTable(f *Functions, c *call) (any, error) {
	table, err := c.str("tableName", true)
	if err != nil {
		return nil, err
	}
	if _, err := countTable(c, table); err != nil {
		return nil, err
	}
	return rand.Float64(), nil
}

func envList(f *Functions, c *call) (any, error) {
	c.read(EnvTable)
	vars, err := f.Store.EnvList()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []any{}
	for _, n := range names {
		out = append(out, map[string]any{"name": n, "value": vars[n]})
	}
	return out, nil
}

func envGet(f *Functions, c *call) (any, error) {
	name, err := c.str("name", true)
	if err != nil {
		return nil, err
	}
	c.read(EnvTable)
	vars, err := f.Store.EnvList()
	if err != nil {
		return nil, err
	}
	v, ok := vars[name]
	if !ok {
		return nil, nil
	}
	return map[string]any{"name": name, "value": v}, nil
}

func cloudURL(f *Functions, c *call) (any, error) {
	if f.Deployment == nil {
		return "", nil
	}
	return f.Deployment.CloudURL(), nil
}

type analyzedModule struct {
	Functions []struct {
		Name       string `json:"name"`
		UdfType    string `json:"udfType"`
		Visibility *struct {
			Kind string `json:"kind"`
		} `json:"visibility"`
		Args    *string `json:"args"`
		Returns *string `json:"returns"`
	} `json:"functions"`
	HTTPRoutes []struct {
		Route struct {
			Path   string `json:"path"`
			Method string `json:"method"`
		} `json:"route"`
	} `json:"httpRoutes"`
}

// apiSpec lists the pushed functions and HTTP routes (`convex function-spec`).
func apiSpec(f *Functions, c *call) (any, error) {
	c.read(ModulesTable)
	out := []any{}
	if f.Deployment == nil {
		return out, nil
	}
	analysis, err := f.Deployment.Analysis()
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(analysis))
	for p := range analysis {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var am analyzedModule
		if err := json.Unmarshal(analysis[p], &am); err != nil {
			return nil, fmt.Errorf("analysis of %s: %w", p, err)
		}
		for _, fn := range am.Functions {
			vis := "public"
			if fn.Visibility != nil && fn.Visibility.Kind != "" {
				vis = fn.Visibility.Kind
			}
			entry := map[string]any{
				"identifier":   p + ":" + fn.Name,
				"functionType": fn.UdfType,
				"visibility":   map[string]any{"kind": vis},
			}
			for key, src := range map[string]*string{"args": fn.Args, "returns": fn.Returns} {
				if src == nil {
					continue
				}
				v, err := validatorValue(*src)
				if err != nil {
					return nil, fmt.Errorf("%s:%s %s: %w", p, fn.Name, key, err)
				}
				entry[key] = v
			}
			out = append(out, entry)
		}
		for _, rt := range am.HTTPRoutes {
			out = append(out, map[string]any{"functionType": "HttpAction", "method": rt.Route.Method, "path": rt.Route.Path})
		}
	}
	return out, nil
}

// validatorValue turns validator JSON text into a Convex value.
func validatorValue(src string) (values.Value, error) {
	return values.Decode([]byte(src))
}

func latestExport(f *Functions, c *call) (any, error) {
	c.read(ExportsTable)
	if f.Snapshots == nil {
		return nil, nil
	}
	return f.Snapshots.LatestExport()
}

func getImport(f *Functions, c *call) (any, error) {
	id, err := c.str("importId", true)
	if err != nil {
		return nil, err
	}
	c.read(ImportsTable)
	if f.Snapshots == nil {
		return nil, nil
	}
	return f.Snapshots.Import(id)
}

func listImports(f *Functions, c *call) (any, error) {
	c.read(ImportsTable)
	out := []any{}
	if f.Snapshots == nil {
		return out, nil
	}
	list, err := f.Snapshots.ListImports(20)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		out = append(out, d)
	}
	return out, nil
}

// RootComponentID is the id reported for the app's root component:
// values.EncodeID(componentsTableNumber, [16]byte{15: 1}), spelled out so
// that it costs nothing at start-up (a test holds the two equal).
const RootComponentID = "3r0000000000000000000000000hzzr"

const componentsTableNumber = 30

func components(f *Functions, c *call) (any, error) {
	return []any{map[string]any{
		"id": RootComponentID, "name": nil, "path": "", "args": map[string]any{},
		"state": "active", "httpPrefix": nil,
	}}, nil
}

func schemas(f *Functions, c *call) (any, error) {
	c.read(SchemasTable, ModulesTable)
	out := map[string]any{}
	if s := f.Store.Schema(); len(s) > 0 {
		out["active"] = string(s)
	}
	return out, nil
}
