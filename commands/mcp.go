package commands

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/mcp"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

// mcpTools are the tools the MCP server offers.
var mcpTools = []string{"data", "envGet", "envList", "envRemove", "envSet", "functionSpec", "insights", "logs", "run", "runOneoffQuery", "status", "tables"}

func newMCPCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "mcp",
		Usage: "Manage the Model Context Protocol server for Convex [BETA]",
		Description: "Run a Model Context Protocol (MCP) server that lets AI coding tools look into and work with your " +
			"Convex deployments: tables, data, functions, logs and environment variables.",
		Subcommands: []*cli.Command{
			{
				Name:  "start",
				Usage: "Start the MCP server",
				Description: "Serve MCP over stdin/stdout, for an AI tool to start as a subprocess. Production deployments " +
					"are off limits unless you allow them with the flags below.",
				Flags: withFlags([]cli.Flag{
					valueFlag("project-dir", "project-dir", "Serve only the project in this directory (by default each tool call says which project directory it means)."),
					valueFlag("disable-tools", "tool-names", "Comma-separated tools to turn off: "+strings.Join(mcpTools, ", ")+"."),
					boolFlag("cautiously-allow-production-pii", "Let the read-only tools (data, logs, queries) reach production deployments. They may show personal data."),
					boolFlag("dangerously-enable-production-deployments", "Let every tool reach production deployments, including tools that change data."),
					hiddenBool("disable-production-deployments", "No effect: production is disabled by default."),
				}, selectionFlags("Run the MCP server on", false)),
				Action: d.mcpStart,
			},
		},
	}
}

// mcpLogsWait bounds how long the logs tool waits for a first entry.
const mcpLogsWait = 3 * time.Second

// prodAccess is how much of a production deployment a tool may reach.
type prodAccess int

const (
	prodAlways prodAccess = iota // read-only and free of user data (tables, functionSpec, insights)
	prodPII                      // reads user data (data, logs, runOneoffQuery)
	prodFull                     // may change the deployment (run, env*)
)

// mcpServer is the state of one `mcp start`: its flags and the command's
// context, which deployment selection reads.
type mcpServer struct {
	d          *Deps
	c          *cli.Context
	projectDir string // --project-dir, absolute; "" when each call names one
	allowAll   bool   // --dangerously-enable-production-deployments
	allowPII   bool   // --cautiously-allow-production-pii
}

func (d *Deps) mcpStart(c *cli.Context) error {
	if c.Bool("disable-production-deployments") && c.Bool("dangerously-enable-production-deployments") {
		return ui.Usage("--disable-production-deployments cannot be used with --dangerously-enable-production-deployments.")
	}
	disabled, err := parseDisabledTools(c.String("disable-tools"))
	if err != nil {
		return ui.Errorf("Failed to start MCP server: %v", err)
	}
	s := &mcpServer{d: d, c: c, allowAll: c.Bool("dangerously-enable-production-deployments"), allowPII: c.Bool("cautiously-allow-production-pii")}
	if dir := c.String("project-dir"); dir != "" {
		s.projectDir = d.cwdPath(dir)
	}
	srv := &mcp.Server{Name: "Convex MCP Server", Version: "0.0.1", Logf: func(format string, a ...any) {
		fmt.Fprintf(d.Stderr, format+"\n", a...)
	}}
	for _, t := range s.tools() {
		if !disabled[t.Name] {
			srv.Tools = append(srv.Tools, t)
		}
	}
	d.Log.Printf("serving MCP with %d tools", len(srv.Tools))
	return srv.Serve(c.Context, d.Stdin, d.Stdout)
}

// parseDisabledTools reads --disable-tools; every name must be a tool.
func parseDisabledTools(list string) (map[string]bool, error) {
	out := map[string]bool{}
	if strings.TrimSpace(list) == "" {
		return out, nil
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		known := false
		for _, t := range mcpTools {
			known = known || t == name
		}
		if !known {
			return nil, fmt.Errorf("Disabled tool %s not found (valid tools: %s)", name, strings.Join(mcpTools, ", "))
		}
		out[name] = true
	}
	return out, nil
}

// mcpSelection is which deployment of a project a selector means; kind is
// "unspecified" (what the flags and project configuration choose), "prod",
// "previewName", "deploymentName" or "deploymentSelector".
type mcpSelection struct {
	Kind           string `json:"kind"`
	PreviewName    string `json:"previewName,omitempty"`
	DeploymentName string `json:"deploymentName,omitempty"`
	Selector       string `json:"selector,omitempty"`
}

type mcpSelector struct {
	ProjectDir string       `json:"projectDir"`
	Deployment mcpSelection `json:"deployment"`
}

// encodeSelector makes the opaque string the status tool hands out and the
// other tools take: "<kind>:<base64 of the JSON selector>". Clients pass a
// flat string around more reliably than a nested object.
func encodeSelector(projectDir string, sel mcpSelection) string {
	b, _ := json.Marshal(mcpSelector{ProjectDir: projectDir, Deployment: sel})
	return sel.Kind + ":" + base64.StdEncoding.EncodeToString(b)
}

func decodeSelector(s string) (mcpSelector, error) {
	var out mcpSelector
	bad := func(why string) error {
		return fmt.Errorf("Invalid deployment selector %q: %s. Get one from the status tool.", s, why)
	}
	_, payload, ok := strings.Cut(s, ":")
	if !ok {
		return out, bad("it has no ':'")
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return out, bad("it is not base64")
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, bad("it does not hold a selector")
	}
	switch out.Deployment.Kind {
	case "unspecified", "prod", "implicitProd":
	case "previewName":
		if out.Deployment.PreviewName == "" {
			return out, bad("no preview name")
		}
	case "deploymentName":
		if out.Deployment.DeploymentName == "" {
			return out, bad("no deployment name")
		}
	case "deploymentSelector":
		if out.Deployment.Selector == "" {
			return out, bad("no deployment")
		}
	default:
		return out, bad("unknown kind " + strconvQuote(out.Deployment.Kind))
	}
	if out.ProjectDir == "" {
		return out, bad("no project directory")
	}
	return out, nil
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// flagSelection is the selection the command-line flags make.
func flagSelection(c *cli.Context) mcpSelection {
	sel := readSelection(c)
	switch {
	case sel.Deployment != "":
		return mcpSelection{Kind: "deploymentSelector", Selector: sel.Deployment}
	case sel.PreviewName != "":
		return mcpSelection{Kind: "previewName", PreviewName: sel.PreviewName}
	case sel.DeploymentName != "":
		return mcpSelection{Kind: "deploymentName", DeploymentName: sel.DeploymentName}
	case sel.Prod:
		return mcpSelection{Kind: "prod"}
	}
	return mcpSelection{Kind: "unspecified"}
}

// target is one tool call's deployment, with the Deps that act in its
// project directory.
type target struct {
	deployments.Target
	d      *Deps
	client *push.Client
}

// projectDeps is d acting from dir, with nothing able to reach stdout (the
// protocol stream).
func (s *mcpServer) projectDeps(dir string) *Deps {
	dd := *s.d
	dd.Cwd = dir
	dd.Stdout = io.Discard
	return &dd
}

// resolve selects sel within dir the way other commands select from flags,
// refuses production unless access allows it, and makes sure a local
// deployment is running.
func (s *mcpServer) resolve(ctx context.Context, dir string, sel mcpSelection, access prodAccess) (*target, error) {
	if sel.Kind == "prod" {
		if err := s.checkProd(access); err != nil {
			return nil, err
		}
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("Project directory %s does not exist or is not a directory", dir)
	}
	dd := s.projectDeps(dir)
	o := dd.SelectionOptions(s.c, "mcp")
	o.Interactive = false
	if sel.Kind != "unspecified" {
		o.Prod, o.PreviewName, o.DeploymentName, o.Deployment = false, "", "", ""
		switch sel.Kind {
		case "prod", "implicitProd":
			o.Prod = true
		case "previewName":
			o.PreviewName = sel.PreviewName
		case "deploymentName":
			o.DeploymentName = sel.DeploymentName
		case "deploymentSelector":
			o.Deployment = sel.Selector
		}
	}
	rs, err := deployments.Resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	t, err := rs.Target(ctx)
	if err != nil {
		return nil, err
	}
	dd.Log.AddSecret(t.AdminKey)
	dd.Log.AddSecret(t.Auth)
	if t.Kind == deployments.KindProd {
		if err := s.checkProd(access); err != nil {
			return nil, err
		}
	}
	switch t.Kind {
	case deployments.KindLocal, deployments.KindAnonymous:
		if t.Name == "" {
			return nil, ui.Errorf("no local deployment is configured for %s", dir).WithHint("Run `convex dev` there first to create one.")
		}
		r, err := anonymous.RequireRunning(ctx, dir, deployments.GlobalDir(dd.Env), t.Name)
		if err != nil {
			return nil, err
		}
		t.URL, t.AdminKey = r.URL, r.AdminKey
		dd.Log.AddSecret(t.AdminKey)
	case deployments.KindChooseProject:
		return nil, ui.Errorf("no deployment is configured for %s", dir).
			WithHint("Run `convex dev` there to set one up, or start the MCP server with --url and --admin-key.")
	}
	if t.URL == "" {
		return nil, ui.Errorf("no deployment URL for %s", t.Describe())
	}
	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = dd.httpClient()
	return &target{Target: t, d: dd, client: pc}, nil
}

func (s *mcpServer) checkProd(access prodAccess) error {
	switch {
	case s.allowAll || access == prodAlways:
		return nil
	case access == prodPII && !s.allowPII:
		return errors.New("This read-only tool may show personal data from production. Start the MCP server with --cautiously-allow-production-pii to allow it, or with --dangerously-enable-production-deployments for full access.")
	case access == prodFull:
		return errors.New("This tool cannot be used with production deployments. Use a read-only tool such as `insights` instead, or start the MCP server with --dangerously-enable-production-deployments.")
	}
	return nil
}

// selected decodes the call's deploymentSelector and resolves it.
func (s *mcpServer) selected(ctx context.Context, args map[string]any, access prodAccess) (*target, error) {
	raw, _ := args["deploymentSelector"].(string)
	sel, err := decodeSelector(raw)
	if err != nil {
		return nil, err
	}
	return s.resolve(ctx, s.d.cwdPath(sel.ProjectDir), sel.Deployment, access)
}

// Schema helpers: the JSON Schema of a tool's arguments.
func schemaObject(props map[string]any, required ...string) map[string]any {
	if required == nil {
		required = []string{}
	}
	return map[string]any{"type": "object", "properties": props, "required": required,
		"additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}
}

func schemaOf(typ, desc string, extra ...any) map[string]any {
	m := map[string]any{"type": typ, "description": desc}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func selectorProp(purpose string) map[string]any {
	return schemaOf("string", "The deployment selector returned by the status tool, naming the deployment "+purpose+".")
}

const projectDirHelp = "The Convex project's root directory: usually the editor workspace, the directory holding package.json and the convex/ folder. Pass it unless told otherwise."

func (s *mcpServer) tools() []mcp.Tool {
	tools := s.toolList()
	for i := range tools {
		tools[i].Call = withHint(tools[i].Call)
	}
	return tools
}

// withHint adds an error's advice (such as "Run `convex dev` first") to its
// message, which is all the client gets to read.
func withHint(call func(context.Context, map[string]any) (any, error)) func(context.Context, map[string]any) (any, error) {
	return func(ctx context.Context, args map[string]any) (any, error) {
		res, err := call(ctx, args)
		if err != nil {
			if h := ui.HintOf(err); h != "" && !strings.Contains(err.Error(), h) {
				return nil, fmt.Errorf("%w\n%s", err, h)
			}
		}
		return res, err
	}
}

func (s *mcpServer) toolList() []mcp.Tool {
	return []mcp.Tool{
		{Name: "status", Call: s.status, InputSchema: schemaObject(map[string]any{"projectDir": schemaOf("string", projectDirHelp)}),
			Description: "List the deployments of a Convex project directory, with the deployment selector, URL and dashboard URL of each. " +
				"Other tools take one of these selectors to know which deployment to act on.\n\n" +
				"A cloud project has a development deployment (kind \"unspecified\", the default one) and a production deployment (kind \"prod\"); " +
				"prefer the development one unless you are investigating production. A project running locally has a single deployment.\n\n" +
				"A deployment marked \"readOnly\": true only works with the tools that show no user data (insights, functionSpec, tables); " +
				"data, logs, runOneoffQuery and the tools that change things refuse it. Without that mark every tool works."},
		{Name: "data", Call: s.data, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to read from"),
			"tableName":          schemaOf("string", "The table to read."),
			"order":              schemaOf("string", "Sort order of the documents, by creation time.", "enum", []string{"asc", "desc"}),
			"cursor":             schemaOf("string", "Where to continue reading: the continueCursor of the previous page."),
			"limit":              schemaOf("number", "Most documents to return (default 100).", "maximum", 1000),
		}, "deploymentSelector", "tableName", "order"),
			Description: "Read one page of documents from a table of the deployment.\n\nReturns page (the documents), isDone (true when no more " +
				"documents follow) and continueCursor (pass it as cursor to read the next page)."},
		{Name: "tables", Call: s.tables, InputSchema: schemaObject(map[string]any{"deploymentSelector": selectorProp("whose tables to list")}, "deploymentSelector"),
			Description: "List the tables of a deployment with the schema each declares and the shape inferred from its documents."},
		{Name: "functionSpec", Call: s.functionSpec, InputSchema: schemaObject(map[string]any{"deploymentSelector": selectorProp("whose functions to describe")}, "deploymentSelector"),
			Description: "Describe every function of a deployment: its identifier (its path in the convex/ folder and its export name), " +
				"its argument and return validators, whether it is a query, mutation or action, and whether it is public or internal."},
		{Name: "run", Call: s.run, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to run the function on"),
			"functionName":       schemaOf("string", "The function to run, such as 'messages:list' or 'path/to/module.js:myFunction'."),
			"args":               schemaOf("string", "The arguments object of the function, as a JSON string."),
		}, "deploymentSelector", "functionName", "args"),
			Description: "Run a query, mutation or action on the deployment. Returns its result and the lines it logged."},
		{Name: "envList", Call: s.envList, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("whose environment variables to list"),
			"includeValues": schemaOf("boolean", "Return the values too. Values are often secrets such as API keys: leave this off "+
				"unless every value is needed, and read one variable with envGet instead."),
		}, "deploymentSelector"),
			Description: "List the names of the deployment's environment variables; values only when includeValues is true."},
		{Name: "envGet", Call: s.envGet, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to read the variable from"),
			"name":               schemaOf("string", "The environment variable to read."),
		}, "deploymentSelector", "name"),
			Description: "Read one environment variable of the deployment; its value is null when it is not set."},
		{Name: "envSet", Call: s.envSet, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to set the variable on"),
			"name":               schemaOf("string", "The environment variable to set."),
			"value":              schemaOf("string", "Its new value."),
		}, "deploymentSelector", "name", "value"),
			Description: "Set an environment variable of the deployment."},
		{Name: "envRemove", Call: s.envRemove, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to remove the variable from"),
			"name":               schemaOf("string", "The environment variable to remove."),
		}, "deploymentSelector", "name"),
			Description: "Remove an environment variable from the deployment."},
		{Name: "runOneoffQuery", Call: s.runOneoffQuery, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("to run the query on"),
			"query": schemaOf("string", "The source of a JavaScript module whose default export is a query built with "+
				"`query` from \"convex:/_system/repl/wrappers.js\"."),
		}, "deploymentSelector", "query"),
			Description: "Run a one-off read-only query, written on the spot, on the deployment. The query is a JavaScript module such as:\n\n" +
				"```js\nimport { query, internalQuery } from \"convex:/_system/repl/wrappers.js\";\n\nexport default query({\n" +
				"  handler: async (ctx) => {\n    return await ctx.db.query(\"messages\").take(10);\n  },\n});\n```\n\n" +
				"That wrappers module is the only import available. A bare expression or handler body, such as " +
				"`await ctx.db.query(\"messages\").take(10)`, is wrapped into such a module. The query runs sandboxed: it can read the database but not " +
				"write to it or reach the network. Returns its result and the lines it logged."},
		{Name: "logs", Call: s.logs, InputSchema: schemaObject(map[string]any{
			"deploymentSelector": selectorProp("whose logs to read"),
			"status": schemaOf("string", "Which executions to return: \"failure\" only those that threw, \"success\" only those that did not, "+
				"\"all\" (the default) every entry.", "enum", []string{"all", "success", "failure"}, "default", "all"),
			"cursor":       schemaOf("number", "Where to start, in milliseconds: the newCursor of the previous call, or 0 for the oldest entries kept."),
			"entriesLimit": schemaOf("integer", "Most entries to return, counted from the newest. All of this batch when left out.", "exclusiveMinimum", 0, "maximum", 1000),
			"tokensLimit":  schemaOf("integer", "Rough budget in tokens for the returned entries (default 20000).", "exclusiveMinimum", 0, "default", 20000),
			"jsonl":        schemaOf("boolean", "Return the raw entries as JSON lines instead of formatted text.", "default", false),
		}, "deploymentSelector"),
			Description: "Fetch one batch of the deployment's function execution logs and a newCursor to ask for the next batch. " +
				"It does not wait for new entries.\n\nSet status to \"failure\" to see only the executions that threw, each with its " +
				"error message and stack trace: the quickest way to debug a failing function."},
		{Name: "insights", Call: s.insights, InputSchema: schemaObject(map[string]any{"deploymentSelector": selectorProp("whose health to check")}, "deploymentSelector"),
			Description: "Check a cloud deployment's health over the last 72 hours: write conflicts (occRetried, occFailedPermanently: " +
				"mutations contending for the same documents; touch fewer shared documents or split hot ones) and functions reading " +
				"too much (bytesReadLimit, documentsReadLimit, bytesReadThreshold, documentsReadThreshold: add indexes, paginate, filter " +
				"more precisely). Severity \"error\" means executions failed; \"warning\" means they are at risk. Use the logs tool with " +
				"status \"failure\" for the individual errors. Needs a cloud deployment and a logged-in user."},
	}
}

type mcpDeployment struct {
	Kind               string `json:"kind"`
	DeploymentSelector string `json:"deploymentSelector"`
	URL                string `json:"url"`
	DashboardURL       string `json:"dashboardUrl,omitempty"`
	ReadOnly           *bool  `json:"readOnly,omitempty"`
}

func isCloud(k deployments.Kind) bool {
	switch k {
	case deployments.KindProd, deployments.KindDev, deployments.KindPreview, deployments.KindCustom:
		return true
	}
	return false
}

func (s *mcpServer) status(ctx context.Context, args map[string]any) (any, error) {
	dir, _ := args["projectDir"].(string)
	if dir == "" {
		dir = s.projectDir
	}
	if dir == "" {
		return nil, errors.New("No project directory provided. Pass the `projectDir` argument or start the MCP server with `--project-dir`.")
	}
	dir = s.d.cwdPath(dir)
	sel := flagSelection(s.c)
	t, err := s.resolve(ctx, dir, sel, prodAlways)
	if err != nil {
		return nil, err
	}
	list := []mcpDeployment{s.entry(dir, sel, t)}
	// A cloud development deployment's project also has a production one.
	if sel.Kind == "unspecified" && t.Kind != deployments.KindProd && isCloud(t.Kind) && t.DeployKeyVar == "" {
		prodSel := mcpSelection{Kind: "prod"}
		if pt, err := s.resolve(ctx, dir, prodSel, prodAlways); err != nil {
			s.d.Log.Printf("no production deployment listed: %v", err)
		} else if pt.Name != "" && pt.Kind == deployments.KindProd {
			list = append(list, s.entry(dir, prodSel, pt))
		}
	}
	return map[string]any{"availableDeployments": list}, nil
}

func (s *mcpServer) entry(dir string, sel mcpSelection, t *target) mcpDeployment {
	e := mcpDeployment{Kind: sel.Kind, DeploymentSelector: encodeSelector(dir, sel), URL: t.URL}
	if t.Name != "" && isCloud(t.Kind) {
		e.DashboardURL = deployments.DashboardURL(s.d.Env, "", "", t.Name)
	}
	if (sel.Kind == "prod" || t.Kind == deployments.KindProd) && !s.allowAll {
		ro := !s.allowPII
		e.ReadOnly = &ro
	}
	return e
}

func (s *mcpServer) tables(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodAlways)
	if err != nil {
		return nil, err
	}
	var schemas struct {
		Active *string `json:"active"`
	}
	if err := t.client.SystemQuery(ctx, "_system/frontend/getSchemas", map[string]any{}, &schemas); err != nil {
		return nil, fmt.Errorf("Could not read the schema: %w", err)
	}
	tables := map[string]map[string]any{}
	if schemas.Active != nil {
		var active struct {
			Tables []json.RawMessage `json:"tables"`
		}
		if err := json.Unmarshal([]byte(*schemas.Active), &active); err != nil {
			return nil, fmt.Errorf("Unexpected schema from the deployment: %w", err)
		}
		for _, raw := range active.Tables {
			var name struct {
				TableName string `json:"tableName"`
			}
			json.Unmarshal(raw, &name)
			tables[name.TableName] = map[string]any{"schema": raw}
		}
	}
	var shapes map[string]json.RawMessage
	if err := t.client.Do(ctx, push.Request{Method: http.MethodGet, Path: "/api/shapes2", NoRetry: true}, &shapes); err != nil {
		// Not every backend infers shapes; list the tables without them.
		t.d.Log.Printf("no table shapes: %v", err)
		var page struct {
			Page []struct {
				Name string `json:"name"`
			} `json:"page"`
		}
		opts := map[string]any{"paginationOpts": map[string]any{"cursor": nil, "numItems": 10000}}
		if err := t.client.SystemQuery(ctx, "_system/cli/tables", opts, &page); err != nil {
			return nil, fmt.Errorf("Could not list the tables: %w", err)
		}
		shapes = map[string]json.RawMessage{}
		for _, p := range page.Page {
			shapes[p.Name] = nil
		}
	}
	for name, shape := range shapes {
		if tables[name] == nil {
			tables[name] = map[string]any{}
		}
		if shape != nil {
			tables[name]["inferredSchema"] = shape
		}
	}
	return map[string]any{"tables": tables}, nil
}

func (s *mcpServer) data(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodPII)
	if err != nil {
		return nil, err
	}
	limit := 100.0
	if n, ok := mcp.Number(args["limit"]); ok {
		limit = n
	}
	var cursor any
	if c, ok := args["cursor"].(string); ok {
		cursor = c
	}
	q := map[string]any{"table": args["tableName"], "order": args["order"],
		"paginationOpts": map[string]any{"numItems": limit, "cursor": cursor}}
	var page struct {
		Page           []json.RawMessage `json:"page"`
		IsDone         bool              `json:"isDone"`
		ContinueCursor string            `json:"continueCursor"`
	}
	if err := t.client.SystemQuery(ctx, "_system/cli/tableData", q, &page); err != nil {
		return nil, err
	}
	if page.Page == nil {
		page.Page = []json.RawMessage{}
	}
	return map[string]any{"page": page.Page, "isDone": page.IsDone, "continueCursor": page.ContinueCursor}, nil
}

func (s *mcpServer) functionSpec(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodAlways)
	if err != nil {
		return nil, err
	}
	var spec json.RawMessage
	if err := t.client.SystemQuery(ctx, "_system/cli/modules:apiSpec", map[string]any{}, &spec); err != nil {
		return nil, err
	}
	return spec, nil
}

// logLineText renders one function log line: a plain string, or a
// structured {level, messages} line as "LEVEL message…".
func logLineText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var sl struct {
		Messages []string `json:"messages"`
		Level    string   `json:"level"`
	}
	if json.Unmarshal(raw, &sl) != nil {
		return string(raw)
	}
	return "[" + sl.Level + "] " + strings.Join(sl.Messages, " ")
}

func logLines(res *push.FunctionResult) []string {
	lines := []string{}
	if res != nil {
		for _, l := range res.LogLines {
			lines = append(lines, logLineText(l))
		}
	}
	return lines
}

func (s *mcpServer) run(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodFull)
	if err != nil {
		return nil, err
	}
	name := args["functionName"].(string)
	argsText := args["args"].(string)
	argsJSON, err := relaxedJSON(argsText)
	var obj map[string]json.RawMessage
	if err != nil || json.Unmarshal(argsJSON, &obj) != nil {
		return nil, fmt.Errorf("Failed to parse arguments as a JSON object: %q", argsText)
	}
	fnDir := "convex/"
	if cfg, err := push.LoadProjectConfig(t.d.Cwd, nil); err == nil {
		fnDir = cfg.Functions
	}
	path, err := parseFunctionName(name, fnDir, t.d.Cwd)
	if err != nil {
		return nil, err
	}
	res, err := t.client.RunFunction(ctx, path, argsJSON, "", nil)
	if err != nil {
		return nil, fmt.Errorf("Failed to run function %q:\n%s", name, strings.TrimSpace(err.Error()))
	}
	return map[string]any{"result": res.Value, "logLines": logLines(res)}, nil
}

func (s *mcpServer) runOneoffQuery(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodPII)
	if err != nil {
		return nil, err
	}
	// A whole module is run as it is; a bare expression or handler body is
	// wrapped into one, as `convex run --inline-query` does.
	res, err := t.client.RunTestQuery(ctx, push.InlineQuerySource(args["query"].(string)), "")
	if err != nil {
		var fe *push.FunctionError
		if errors.As(err, &fe) {
			return nil, errors.New(fe.Message)
		}
		return nil, fmt.Errorf("Failed to run query: %w", err)
	}
	return map[string]any{"result": res.Value, "logLines": logLines(res)}, nil
}

func (s *mcpServer) envList(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodFull)
	if err != nil {
		return nil, err
	}
	vars, err := t.client.EnvList(ctx)
	if err != nil {
		return nil, err
	}
	withValues, _ := args["includeValues"].(bool)
	out := make([]map[string]string, 0, len(vars))
	for _, v := range vars {
		e := map[string]string{"name": v.Name}
		if withValues {
			e["value"] = v.Value
		}
		out = append(out, e)
	}
	return map[string]any{"variables": out}, nil
}

func (s *mcpServer) envGet(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodFull)
	if err != nil {
		return nil, err
	}
	var v *push.EnvVar
	if err := t.client.SystemQuery(ctx, "_system/cli/queryEnvironmentVariables:get", map[string]any{"name": args["name"]}, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]any{"value": nil}, nil
	}
	return map[string]any{"value": v.Value}, nil
}

func (s *mcpServer) envSet(ctx context.Context, args map[string]any) (any, error) {
	return s.envChange(ctx, args, true)
}

func (s *mcpServer) envRemove(ctx context.Context, args map[string]any) (any, error) {
	return s.envChange(ctx, args, false)
}

func (s *mcpServer) envChange(ctx context.Context, args map[string]any, set bool) (any, error) {
	t, err := s.selected(ctx, args, prodFull)
	if err != nil {
		return nil, err
	}
	change := push.EnvChange{Name: args["name"].(string)}
	if set {
		v := args["value"].(string)
		change.Value = &v
	}
	if err := t.client.UpdateEnv(ctx, []push.EnvChange{change}); err != nil {
		return nil, err
	}
	return map[string]any{"success": true}, nil
}

func (s *mcpServer) logs(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodPII)
	if err != nil {
		return nil, err
	}
	cursor, _ := mcp.Number(args["cursor"])
	// The deployment holds the request open until something is logged;
	// the tool answers with an empty batch instead of waiting that long.
	pollCtx, cancel := context.WithTimeout(ctx, mcpLogsWait)
	defer cancel()
	entries, newCursor, err := t.client.StreamLogs(pollCtx, cursor)
	if err != nil {
		if ctx.Err() != nil || pollCtx.Err() == nil {
			return nil, err
		}
		entries, newCursor = nil, cursor
	}
	status, _ := args["status"].(string)
	if status == "success" || status == "failure" {
		kept := entries[:0]
		for _, e := range entries {
			if e.Kind == "Completion" && (e.Error != nil) == (status == "failure") {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	if n, ok := mcp.Number(args["entriesLimit"]); ok && int(n) < len(entries) {
		entries = entries[len(entries)-int(n):]
	}
	budget := 20000.0
	if n, ok := mcp.Number(args["tokensLimit"]); ok {
		budget = n
	}
	// Roughly three characters a token; stop at the first entry that
	// would go over the budget.
	used := 0.0
	for i, e := range entries {
		used += float64(len(e.Raw)) * 0.33
		if used > budget {
			entries = entries[:i]
			break
		}
	}
	var lines []string
	jsonl, _ := args["jsonl"].(bool)
	format := push.LogFormat{JSONL: jsonl}
	for _, e := range entries {
		lines = append(lines, format.Lines(e)...)
	}
	return map[string]any{"entries": strings.Join(lines, "\n"), "newCursor": newCursor}, nil
}

func (s *mcpServer) insights(ctx context.Context, args map[string]any) (any, error) {
	t, err := s.selected(ctx, args, prodAlways)
	if err != nil {
		return nil, err
	}
	if !isCloud(t.Kind) || t.Name == "" {
		return nil, errors.New("Insights are only available for cloud deployments. Local and self-hosted deployments have no insights data.")
	}
	client, a, err := t.d.managementClient(s.c)
	if err != nil {
		return nil, err
	}
	if a.Kind != "accessToken" {
		return nil, errors.New("Insights need a logged-in user. Deploy keys and project keys cannot read team usage data.")
	}
	tp, err := client.TeamAndProject(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	q := url.Values{
		"queryId":        {insightsQueryID},
		"deploymentName": {t.Name},
		"from":           {now.Add(-72 * time.Hour).Format("2006-01-02")},
		"to":             {now.Format("2006-01-02")},
	}
	var rows [][]string
	u := client.Host() + fmt.Sprintf("/api/dashboard/teams/%d/usage/query?", tp.TeamID) + q.Encode()
	if err := client.Do(ctx, http.MethodGet, u, nil, &rows); err != nil {
		return nil, err
	}
	list := []*insight{}
	for _, row := range rows {
		in, err := parseInsightRow(row, true)
		if err != nil {
			return nil, fmt.Errorf("Unexpected insights data: %w", err)
		}
		if in != nil {
			list = append(list, in)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].order < list[j].order })
	return map[string]any{"insights": list, "summary": insightsSummary(list),
		"dashboardUrl": deployments.DashboardURL(s.d.Env, "", "", t.Name) + "?view=insights"}, nil
}

// insightsSummary is the one-line verdict over a deployment's insights.
func insightsSummary(list []*insight) string {
	if len(list) == 0 {
		return "No issues found. The deployment is healthy over the last 72 hours."
	}
	errs, warns := countSeverities(list)
	var parts []string
	if errs > 0 {
		parts = append(parts, plural(float64(errs), "error"))
	}
	if warns > 0 {
		parts = append(parts, plural(float64(warns), "warning"))
	}
	return "Found " + strings.Join(parts, " and ") + " in the last 72 hours."
}
