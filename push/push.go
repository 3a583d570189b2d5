// Package push sends a project's functions to a deployment: bundle, diff
// against the deployment's module hashes, start_push, codegen, wait for
// the schema, finish_push (§10.3 of the CLI spec, §2.2 of the backend spec).
package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/convex-go/convex/bundler"
	"github.com/convex-go/convex/codegen"
	"github.com/convex-go/convex/internal/lazy"
)

// Options configures one push.
type Options struct {
	URL      string
	AdminKey string
	// DeploymentName is used for dashboard links ("" when unknown).
	DeploymentName string
	// DeploymentType ("dev", "prod", "preview", "local", ...) and EnvFlag
	// (how to select this deployment on the command line, e.g. "--prod")
	// make the "set it with" instructions precise.
	DeploymentType string
	EnvFlag        string
	// DashboardHost is the dashboard's origin for links (default
	// https://dashboard.convex.dev).
	DashboardHost string
	// Dir is the project directory (package.json, convex.json). Default ".".
	Dir string

	DryRun  bool
	Verbose bool
	// NoCodegen skips writing convex/_generated (--codegen disable).
	NoCodegen bool
	// CommonJS forces api_cjs.* (codegen --commonjs).
	CommonJS bool
	// Typecheck runs at the "Running TypeScript..." step with the functions
	// directory; nil skips type checking.
	Typecheck func(ctx context.Context, functionsDir string) error
	// ComponentDir generates code for the component in this directory only
	// (codegen --component-dir): the app is replaced by one that mounts it
	// and the request is marked forCodegen.
	ComponentDir string
	// TypecheckComponents also type-checks local components' directories.
	TypecheckComponents bool
	// PushAllModules sends every module instead of diffing hashes.
	PushAllModules bool
	// DebugBundlePath writes the bundles there and stops before pushing.
	DebugBundlePath string
	// WritePushRequest writes the start_push request to <path>.json and stops.
	WritePushRequest string
	// Message is the audit-log message sent with finish_push (nil = null).
	Message *string
	// ExtraConditions are added to esbuild's (--live-component-sources).
	ExtraConditions []string
	// IndexDeletionCheck, when set, stops pushes that delete indexes on
	// large tables unless confirmed (deploy).
	IndexDeletionCheck *IndexDeletionCheck
	// StopAfterStartPush skips wait_for_schema and finish_push: what
	// `codegen` does to learn the analysis without changing the deployment.
	StopAfterStartPush bool

	// ExtraInputs, when set, adds files read outside the push (the files
	// tsc checked) to Result.Inputs for watching.
	ExtraInputs func() []string
	// Stdout receives data output (codegen --dry-run/--debug listings).
	Stdout io.Writer
	// Stderr receives finished steps ("✔ ..."), warnings and verbose dumps.
	Stderr io.Writer
	// Progress receives the current step ("Bundling ...") for a spinner.
	Progress func(string)
	// Client overrides the HTTP client built from URL and AdminKey.
	Client *Client

	// evaluated/evaluation cache the one evaluate_schema call of a push.
	evaluated  bool
	evaluation *schemaEvaluation
	// SchemaPollInterval is the pause between wait_for_schema calls that
	// returned inProgress immediately (tests shorten it).
	SchemaPollInterval time.Duration
}

// Result is what a push produced.
type Result struct {
	Config    *ProjectConfig
	Bundle    *bundler.Result
	StartPush *StartPushResponse
	Diff      *FinishPushDiff
	// Inputs are the files read while pushing (bundled sources, config),
	// absolute paths, for the dev loop's watcher.
	Inputs []string
	// TypecheckDuration is how long the TypeScript check took.
	TypecheckDuration time.Duration
	// Stopped is set when --debug-bundle-path or --write-push-request ended
	// the push early.
	Stopped  bool
	Duration time.Duration
}

func (o *Options) stderr() io.Writer {
	if o.Stderr == nil {
		return io.Discard
	}
	return o.Stderr
}

func (o *Options) step(s string) {
	if o.Progress != nil {
		o.Progress(s)
	}
}

func (o *Options) done(s string) { fmt.Fprintf(o.stderr(), "✔ %s\n", s) }

// Run performs one push.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Dir == "" {
		o.Dir = "."
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = dir
	res := &Result{}
	if o.ExtraInputs != nil {
		defer func() { res.Inputs = append(res.Inputs, o.ExtraInputs()...) }()
	}
	o.step("Preparing Convex functions...")
	res.Inputs = append(res.Inputs, filepath.Join(dir, "package.json"), filepath.Join(dir, "convex.json"))
	if err := CheckConvexDependency(dir, "push"); err != nil {
		return res, err
	}
	cfg, err := LoadProjectConfig(dir, o.Stderr)
	if err != nil {
		return res, err
	}
	res.Config = cfg
	fnDir := cfg.FunctionsDir(dir)
	res.Inputs = append(res.Inputs, fnDir)
	if st, err := os.Stat(fnDir); err != nil || !st.IsDir() {
		why := "Not a directory"
		if err != nil {
			why = "No such file or directory"
		}
		return res, &Error{Kind: InvalidFiles, Msg: fmt.Sprintf("Invalid component root directory (%s): %s", why, fnDir)}
	}
	cg := codegen.Options{FunctionsDir: fnDir, TypeScript: cfg.TypeScriptCodegen, StaticAPI: cfg.StaticAPI, StaticDataModel: cfg.StaticDataModel, CommonJS: o.CommonJS || cfg.GenerateCommonJSApi, Stderr: o.Stderr}
	synthetic := ""
	if o.ComponentDir != "" {
		cdir, _ := filepath.Abs(o.ComponentDir)
		synthetic = filepath.Join(cdir, "convex.config.ts")
		if _, err := os.Stat(synthetic); err != nil {
			return res, &Error{Kind: InvalidFiles, Msg: "Only directories with convex.config.ts files are supported, this directory does not: " + cdir}
		}
	}
	// only reports whether generated code is wanted for a component
	// directory (all of them, or the one of --component-dir).
	only := func(dir string) bool { return synthetic == "" || filepath.Join(dir, "convex.config.ts") == synthetic }
	if !o.NoCodegen {
		o.step("Generating server code...")
		if synthetic == "" {
			if err := codegen.Initial(cg); err != nil {
				return res, fromBundler(err)
			}
		}
		// Components' code imports their own _generated files, which must
		// exist before it can be bundled.
		o.step("Finding component definitions...")
		comps, err := bundler.FindComponents(bundler.Options{ProjectDir: dir, FunctionsDir: fnDir, ExtraConditions: o.ExtraConditions, SyntheticComponent: synthetic})
		if err != nil {
			return res, fromBundler(err)
		}
		for _, c := range comps {
			if c.Published || !only(c.Dir) {
				continue
			}
			if err := codegen.InitialComponent(codegen.Options{FunctionsDir: c.Dir, Stderr: o.Stderr}); err != nil {
				return res, err
			}
		}
	}

	o.step("Bundling component definitions...")
	o.step("Bundling component schemas and implementations...")
	b, err := bundler.Bundle(bundler.Options{
		ProjectDir:            dir,
		FunctionsDir:          fnDir,
		ExternalPackages:      cfg.ExternalPackages,
		ExtraConditions:       o.ExtraConditions,
		IncludeSourcesContent: cfg.IncludeSourcesContent,
		Warn:                  func(s string) { fmt.Fprintln(o.stderr(), s) },
		SyntheticComponent:    synthetic,
	})
	if err != nil {
		return res, fromBundler(err)
	}
	res.Bundle = b
	res.Inputs = append(res.Inputs, b.Inputs...)

	if o.DebugBundlePath != "" {
		if err := writeDebugBundle(o.DebugBundlePath, cfg, b); err != nil {
			return res, err
		}
		fmt.Fprintf(o.stderr(), "Wrote bundle and metadata for modules in the root to %s. Skipping rest of push.\n", o.DebugBundlePath)
		res.Stopped = true
		return res, nil
	}

	client := o.Client
	if client == nil {
		client = NewClient(o.URL, o.AdminKey)
	}
	if client.OnRetry == nil {
		client.OnRetry = func(n int, err error) {
			var ne *NetworkError
			if errors.As(err, &ne) {
				o.step(fmt.Sprintf("Fetch failed, is %s correct? Retrying...", client.URL))
			}
			if n >= 3 {
				fmt.Fprintf(o.stderr(), "Retrying request (attempt %d/%d)...\n", n, maxRetries)
			}
		}
	}
	trace := newTrace("runComponentsPush")

	changed, unchanged := b.Modules, []ModuleHash{}
	if !o.PushAllModules {
		o.step("Downloading current deployment state...")
		var hashes ConfigHashes
		err := client.Do(ctx, Request{Method: "POST", Path: "/api/get_config_hashes", Body: map[string]any{"version": Version, "adminKey": client.AdminKey}}, &hashes)
		if err != nil {
			return res, o.httpError(err, "Error: Unable to pull deployment config from "+client.URL)
		}
		changed, unchanged = partition(b.Modules, hashes)
	}

	def := b.Definition
	req := StartPushRequest{
		AdminKey:  client.AdminKey,
		DryRun:    o.DryRun,
		Functions: cfg.Functions,
		AppDefinition: AppDefinition{
			Definition:            &def,
			Dependencies:          b.AppDependencies,
			Schema:                b.Schema,
			ChangedModules:        nonNil(changed),
			UnchangedModuleHashes: unchanged,
			UDFServerVersion:      Version,
		},
		ComponentDefinitions: componentDefinitions(b),
		NodeDependencies:     nonNilDeps(b.NodeDependencies),
		NodeVersion:          cfg.NodeVersion,
		ForCodegen:           synthetic != "",
	}
	if o.WritePushRequest != "" {
		p, _ := filepath.Abs(o.WritePushRequest)
		data, _ := json.Marshal(req)
		if err := os.WriteFile(p+".json", data, 0o600); err != nil {
			return res, &Error{Kind: Fatal, Msg: "cannot write the push request", Err: err}
		}
		res.Stopped = true
		return res, nil
	}

	if chk := o.IndexDeletionCheck; chk != nil {
		o.evaluated, o.evaluation = false, nil
		var err error
		if !chk.NoDeletionCheck {
			err = o.checkIndexDeletion(ctx, client, trace, req)
		}
		if err == nil && chk.Backfill {
			err = o.checkIndexBackfill(ctx, client, trace, req)
		}
		if err == nil && chk.StagedValidators {
			err = o.checkStagedValidators(ctx, client, trace, req)
		}
		if err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				return res, err
			}
			return res, o.pushError(err, "Error: Unable to check the push against "+client.URL, b)
		}
	}

	o.step("Uploading functions to Convex...")
	sp, err := startPush(ctx, client, trace, req)
	if err != nil {
		return res, o.pushError(err, "Error: Unable to start push to "+client.URL, b)
	}
	res.StartPush = sp
	if o.Verbose {
		fmt.Fprintf(o.stderr(), "startPush: %s\n", redactedJSON(sp.Raw, sp.EnvironmentVariables))
	}

	if !o.NoCodegen {
		o.step("Generating TypeScript bindings...")
		if synthetic == "" {
			if err := codegen.Final(cg, sp.Analysis[""]); err != nil {
				return res, fromBundler(err)
			}
		}
		for _, c := range b.Components {
			if c.Published || !only(c.Dir) {
				continue
			}
			if err := codegen.FinalComponent(codegen.Options{FunctionsDir: c.Dir, StaticDataModel: cfg.StaticDataModel, Stderr: o.Stderr}, sp.Analysis[c.DefinitionPath]); err != nil {
				return res, &Error{Kind: Fatal, Msg: "generating code for the component in " + c.Dir, Err: err}
			}
		}
	}
	o.step("Running TypeScript...")
	if o.Typecheck != nil {
		if err := o.typecheck(ctx, res, fnDir, synthetic, only, b); err != nil {
			return res, err
		}
	}
	if o.StopAfterStartPush {
		res.Duration = time.Since(start)
		return res, nil
	}

	if err := o.waitForSchema(ctx, client, trace, sp); err != nil {
		return res, err
	}
	if o.Verbose || o.DryRun {
		o.printConfigDiff(ctx, client, cfg)
	}

	o.step("Finalizing push...")
	diff, err := finishPush(ctx, client, trace, sp, o.DryRun, o.Message)
	if err != nil {
		return res, o.pushError(err, "Error: Unable to finish push to "+client.URL, b)
	}
	res.Diff = diff
	o.printDiff(sp, diff)
	trace.end()
	if !o.DryRun {
		go reportPushCompleted(client, trace)
	}
	res.Duration = time.Since(start)
	return res, nil
}

func nonNil(m []bundler.Module) []bundler.Module {
	if m == nil {
		return []bundler.Module{}
	}
	return m
}

func nonNilDeps(d []bundler.NodeDependency) []bundler.NodeDependency {
	if d == nil {
		return []bundler.NodeDependency{}
	}
	return d
}

// Hash is the module hash the deployment reports: sha256 of the source
// followed by the source map (hex).
func Hash(m bundler.Module) string {
	h := sha256.New()
	h.Write([]byte(m.Source))
	h.Write([]byte(m.SourceMap))
	return hex.EncodeToString(h.Sum(nil))
}

// partition splits modules into those the deployment lacks and the hashes
// of those it already has.
func partition(mods []bundler.Module, hashes ConfigHashes) (changed []bundler.Module, unchanged []ModuleHash) {
	type key struct {
		path string
		env  bundler.Environment
	}
	remote := map[key]string{}
	for _, h := range hashes.ModuleHashes {
		remote[key{h.Path, h.Environment}] = h.Hash
	}
	unchanged = []ModuleHash{}
	for _, m := range mods {
		h := Hash(m)
		if remote[key{m.Path, m.Environment}] == h {
			unchanged = append(unchanged, ModuleHash{Path: m.Path, Environment: m.Environment, SHA256: h})
		} else {
			changed = append(changed, m)
		}
	}
	return changed, unchanged
}

func startPush(ctx context.Context, c *Client, t *trace, req StartPushRequest) (*StartPushResponse, error) {
	span := t.child("startPush")
	defer span.end()
	var raw json.RawMessage
	if err := c.Do(ctx, Request{Path: "/api/deploy2/start_push", Body: req, Brotli: true, Traceparent: span.traceparent()}, &raw); err != nil {
		return nil, err
	}
	var sp StartPushResponse
	if err := json.Unmarshal(raw, &sp); err != nil {
		return nil, fmt.Errorf("unexpected start_push answer: %w", err)
	}
	sp.Raw = raw
	var whole struct {
		SchemaChange json.RawMessage `json:"schemaChange"`
	}
	json.Unmarshal(raw, &whole)
	sp.SchemaChange.Raw = whole.SchemaChange
	if sp.Analysis == nil || sp.Analysis[""] == nil {
		return nil, fmt.Errorf("unexpected start_push answer: no analysis of the app")
	}
	return &sp, nil
}

func (o *Options) waitForSchema(ctx context.Context, c *Client, t *trace, sp *StartPushResponse) error {
	span := t.child("waitForSchema")
	defer span.end()
	o.step("Pushing code to your Convex deployment...")
	began := time.Now()
	schemaChange := sp.SchemaChange.Raw
	if len(schemaChange) == 0 {
		schemaChange = json.RawMessage("{}")
	}
	interval := o.SchemaPollInterval
	if interval == 0 {
		interval = 200 * time.Millisecond
	}
	for {
		callStart := time.Now()
		var st SchemaStatus
		err := c.Do(ctx, Request{Path: "/api/deploy2/wait_for_schema", Traceparent: span.traceparent(), Body: map[string]any{
			"adminKey": c.AdminKey, "schemaChange": schemaChange, "timeoutMs": 10000, "dryRun": o.DryRun,
		}}, &st)
		if err != nil {
			return o.httpError(err, "Error: Unable to wait for schema from "+c.URL)
		}
		switch st.Type {
		case "complete":
			o.step("Schema validation complete.")
			return nil
		case "raceDetected":
			return &Error{Kind: Fatal, Msg: "Schema was overwritten by another push."}
		case "failed":
			msg := "Schema validation failed"
			if st.ComponentPath != "" {
				msg += fmt.Sprintf(" in component %q", st.ComponentPath)
			}
			e := &Error{Kind: InvalidFilesOrData, Msg: msg + ".", Detail: schemaFailureDetail(st.Error), ComponentPath: st.ComponentPath}
			if st.TableName != nil {
				e.TableName = *st.TableName
			}
			return e
		case "inProgress":
			o.step(o.progressText(st, sp, began))
			// A server that answers at once must not be polled in a hot loop.
			if time.Since(callStart) < interval {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(interval):
				}
			}
		default:
			return &Error{Kind: Fatal, Msg: fmt.Sprintf("unexpected wait_for_schema status %q", st.Type)}
		}
	}
}

// schemaFailureDetail is a failed schema check's error without a first line
// that only repeats the headline printed above it: deployments that open
// the error with "Schema validation failed." would otherwise show it twice.
func schemaFailureDetail(detail string) string {
	first, rest, ok := strings.Cut(detail, "\n")
	if ok && strings.TrimSpace(first) == "Schema validation failed." {
		return rest
	}
	return detail
}

func (o *Options) dashboardPage(page string) string {
	if o.DeploymentName == "" {
		return ""
	}
	host := o.DashboardHost
	if host == "" {
		host = "https://dashboard.convex.dev"
	}
	return strings.TrimRight(host, "/") + "/d/" + o.DeploymentName + page
}

func (o *Options) progressText(st SchemaStatus, sp *StartPushResponse, began time.Time) string {
	schemaDone, done, total := true, 0, 0
	for _, c := range st.Components {
		if !c.SchemaValidationComplete {
			schemaDone = false
		}
		done += c.IndexesComplete
		total += c.IndexesTotal
	}
	slow := time.Since(began) > 10*time.Second
	withLink := func(s string) string {
		if link := o.dashboardPage("/schema?showSchema=true"); slow && link != "" {
			return s + "\nSee progress here: " + link
		}
		return s
	}
	switch {
	case done != total && !schemaDone:
		return withLink(fmt.Sprintf("Backfilling indexes (%d/%d ready) and checking that documents match your schema...", done, total))
	case done != total:
		msg := fmt.Sprintf("Backfilling indexes (%d/%d ready)...", done, total)
		if slow {
			root := sp.SchemaChange.IndexDiffs[""]
			var name string
			if len(root.Added) > 0 {
				name = root.Added[0].Name
			} else if len(root.Enabled) > 0 {
				name = root.Enabled[0].Name
			}
			if name != "" && o.DeploymentName != "" {
				table := strings.SplitN(name, ".", 2)[0]
				msg = fmt.Sprintf("Backfilling index %s (%d/%d ready), see progress here: %s", name, done, total,
					o.dashboardPage("/data?table="+table+"&showIndexes=true"))
			}
		}
		return msg
	default:
		return withLink("Checking that documents match your schema...")
	}
}

func finishPush(ctx context.Context, c *Client, t *trace, sp *StartPushResponse, dryRun bool, message *string) (*FinishPushDiff, error) {
	span := t.child("finishPush")
	defer span.end()
	var raw json.RawMessage
	body := map[string]any{"adminKey": c.AdminKey, "startPush": sp.Raw, "dryRun": dryRun, "message": message}
	if err := c.Do(ctx, Request{Path: "/api/deploy2/finish_push", Body: body, Brotli: true, Traceparent: span.traceparent()}, &raw); err != nil {
		return nil, err
	}
	var d FinishPushDiff
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("unexpected finish_push answer: %w", err)
	}
	d.Raw = raw
	return &d, nil
}

func reportPushCompleted(c *Client, t *trace) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Do(ctx, Request{Path: "/api/deploy2/report_push_completed", NoRetry: true, Body: map[string]any{
		"adminKey": c.AdminKey, "spans": t.spans(),
	}}, nil)
}

// httpError classifies a failed deployment call (§7.1 ThrowingFetchError).
func (o *Options) httpError(err error, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae *APIError
	if errors.As(err, &ae) {
		e := &Error{Kind: Transient, Msg: what, Err: err}
		switch {
		case ae.Status == 400:
			e.Kind = InvalidFilesOrEnv
		case ae.Status == 401:
			e.Kind = Fatal
			e.Hint = "Authenticate with `npx convex dev`"
		case ae.Status == 403, ae.Status == 404:
			e.Kind = Fatal
		}
		return e
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		return &Error{Kind: Transient, Msg: what, Err: err}
	}
	return &Error{Kind: Fatal, Msg: what, Err: err}
}

var envNameInMessage = lazy.Regexp(`(?i)Environment variable (\S+)`)
var missingEnvList = lazy.Regexp(`are not set: ([^.]+)\.`)

// pushError handles start_push/finish_push failures: the error codes the
// CLI treats specially, then generic HTTP handling. Positions in bundled
// modules are translated to the user's files.
func (o *Options) pushError(err error, what string, b *bundler.Result) error {
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Message = MapPositions(ae.Message, o.Dir, b)
		switch ae.Code {
		case "AuthConfigMissingEnvironmentVariable":
			var names []string
			if m := envNameInMessage.Get().FindStringSubmatch(ae.Message); m != nil {
				names = []string{m[1]}
			}
			name := "<NAME>"
			if len(names) == 1 {
				name = names[0]
			}
			return &Error{Kind: InvalidFilesOrEnv, Msg: fmt.Sprintf("Environment variable %s is used in auth config file but its value was not set.", name),
				Detail: o.setEnvInstructions(names)}
		case "MissingEnvironmentVariables":
			var names []string
			if m := missingEnvList.Get().FindStringSubmatch(ae.Message); m != nil {
				names = strings.Split(m[1], ", ")
			}
			msg := ae.Message
			switch len(names) {
			case 0:
			case 1:
				msg = fmt.Sprintf("Environment variable %s is declared as required in convex.config.ts but its value was not set.", names[0])
			default:
				msg = fmt.Sprintf("Environment variables %s are declared as required in convex.config.ts but their values were not set.", strings.Join(names, ", "))
			}
			return &Error{Kind: InvalidFilesOrEnv, Msg: msg, Detail: o.setEnvInstructions(names)}
		case "RaceDetected":
			msg := ae.Message
			if msg == "" {
				msg = "Schema or environment variables changed during push"
			}
			return &Error{Kind: Transient, Msg: msg}
		}
	}
	return o.httpError(err, what)
}

// setEnvInstructions tells how to set the missing variables.
func (o *Options) setEnvInstructions(names []string) string {
	if len(names) == 0 {
		names = []string{"<NAME>"}
	}
	var b strings.Builder
	if len(names) == 1 {
		b.WriteString("Set it with:\n\n")
	} else {
		b.WriteString("Set them with:\n\n")
	}
	flag := ""
	if o.EnvFlag != "" {
		flag = " " + o.EnvFlag
	}
	for _, n := range names {
		fmt.Fprintf(&b, "    npx convex env set%s %s <value>\n", flag, n)
	}
	if o.DeploymentName != "" && o.DeploymentType != "anonymous" && o.DeploymentType != "local" {
		page := "/settings/environment-variables"
		if len(names) == 1 && names[0] != "<NAME>" {
			page += "?var=" + names[0]
		}
		fmt.Fprintf(&b, "\nor in the dashboard:\n\n    %s\n", o.dashboardPage(page))
	}
	return b.String()
}

// redactedJSON pretty-prints raw with every environment-variable value of
// 8 or more characters replaced by <redacted>.
func redactedJSON(raw json.RawMessage, env map[string]string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Reset()
		buf.Write(raw)
	}
	s := buf.String()
	var values []string
	for _, v := range env {
		if len(v) >= 8 {
			values = append(values, v)
		}
	}
	// Longest first so a value containing another is replaced whole.
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		q, _ := json.Marshal(v)
		inner := string(q[1 : len(q)-1])
		s = strings.ReplaceAll(s, inner, "<redacted>")
	}
	return s
}

// writeDebugBundle implements --debug-bundle-path: the push's modules as
// files, plus fullConfig.json describing them.
func writeDebugBundle(dir string, cfg *ProjectConfig, b *bundler.Result) error {
	st, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return &Error{Kind: Fatal, Msg: "cannot create " + dir, Err: err}
		}
	case err != nil:
		return &Error{Kind: Fatal, Msg: "cannot use " + dir, Err: err}
	case !st.IsDir():
		return &Error{Kind: Fatal, Msg: fmt.Sprintf("Path `%s` is not a directory. Please choose an empty directory for `--debug-bundle-path`.", dir)}
	default:
		entries, _ := os.ReadDir(dir)
		if len(entries) > 0 {
			return &Error{Kind: Fatal, Msg: fmt.Sprintf("Directory `%s` is not empty. Please remove it or choose an empty directory for `--debug-bundle-path`.", dir)}
		}
	}
	full := map[string]any{
		"projectConfig": map[string]any{
			"functions": cfg.Functions,
			"node":      map[string]any{"externalPackages": nonNilStrings(cfg.ExternalPackages), "nodeVersion": cfg.NodeVersion},
		},
		"modules":          b.Modules,
		"nodeDependencies": nonNilDeps(b.NodeDependencies),
		"udfServerVersion": Version,
	}
	data, _ := json.Marshal(full)
	if err := os.WriteFile(filepath.Join(dir, "fullConfig.json"), data, 0o644); err != nil {
		return &Error{Kind: Fatal, Msg: "cannot write the debug bundle", Err: err}
	}
	for _, m := range b.Modules {
		p := filepath.Join(dir, string(m.Environment), filepath.FromSlash(m.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return &Error{Kind: Fatal, Msg: "cannot write the debug bundle", Err: err}
		}
		if err := os.WriteFile(p, []byte(m.Source), 0o644); err != nil {
			return &Error{Kind: Fatal, Msg: "cannot write the debug bundle", Err: err}
		}
		if m.SourceMap != "" {
			if err := os.WriteFile(p+".map", []byte(m.SourceMap), 0o644); err != nil {
				return &Error{Kind: Fatal, Msg: "cannot write the debug bundle", Err: err}
			}
		}
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printConfigDiff reports the deployment settings the push changes: the
// function runtime version and the Node.js version.
func (o *Options) printConfigDiff(ctx context.Context, c *Client, cfg *ProjectConfig) {
	o.step("Diffing local code and deployment state...")
	var remote ConfigHashes
	if err := c.Do(ctx, Request{Path: "/api/get_config_hashes", Body: map[string]any{"version": Version, "adminKey": c.AdminKey}}, &remote); err != nil {
		return
	}
	var diff strings.Builder
	old := ""
	if remote.UDFServerVersion != nil {
		old = *remote.UDFServerVersion
	}
	if old != Version {
		diff.WriteString("Change the server's function version:\n")
		if old != "" {
			diff.WriteString("[-] " + old + "\n")
		}
		diff.WriteString("[+] " + Version + "\n")
	}
	if remote.Config.NodeVersion != cfg.NodeVersion {
		diff.WriteString("Change the server's version for Node.js actions:\n")
		if remote.Config.NodeVersion != "" {
			diff.WriteString("[-] " + remote.Config.NodeVersion + "\n")
		}
		if cfg.NodeVersion != "" {
			diff.WriteString("[+] " + cfg.NodeVersion + "\n")
		}
	}
	verb := "will"
	if o.DryRun {
		verb = "would"
	}
	o.done(fmt.Sprintf("Remote config %s be overwritten with the following changes:\n  %s", verb, strings.ReplaceAll(diff.String(), "\n", "\n  ")))
}

// componentDefinitions are the mounted components' parts of the request.
func componentDefinitions(b *bundler.Result) []ComponentDefinition {
	out := []ComponentDefinition{}
	for _, c := range b.Components {
		out = append(out, ComponentDefinition{
			DefinitionPath: c.DefinitionPath, Definition: c.Definition, Dependencies: c.Dependencies,
			Schema: c.Schema, Functions: c.Functions, UDFServerVersion: Version,
		})
	}
	return out
}

// typecheck runs the TypeScript check of the app (and components),
// noting on the spinner when it is slow.
func (o *Options) typecheck(ctx context.Context, res *Result, fnDir, synthetic string, only func(string) bool, b *bundler.Result) error {
	start := time.Now()
	slow := time.AfterFunc(10*time.Second, func() {
		o.step("Still running TypeScript... see https://docs.convex.dev/cli/troubleshooting/typecheck-performance to troubleshoot.")
	})
	defer func() {
		slow.Stop()
		res.TypecheckDuration = time.Since(start)
	}()
	if synthetic == "" {
		if err := o.Typecheck(ctx, fnDir); err != nil {
			return err
		}
	}
	if o.TypecheckComponents || synthetic != "" {
		for _, c := range b.Components {
			if c.Published || !only(c.Dir) {
				continue
			}
			if err := o.Typecheck(ctx, c.Dir); err != nil {
				return err
			}
		}
	}
	return nil
}
