package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/codegen"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

func newDevCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "Develop against a dev deployment, watching for changes",
		Description: "Keep a dev deployment in sync with the functions in your convex/ folder while you work.\n\n" +
			"It does this, in order:\n" +
			"  1. Sets up a project the first time (log in, or use a local deployment with no account).\n" +
			"  2. Regenerates convex/_generated and pushes your functions, schema and indexes.\n" +
			"  3. Starts --start <command> or runs --run <function>, if you gave one.\n" +
			"  4. Watches your files and repeats step 2 on every change, showing function logs meanwhile.\n\n" +
			"Use --once in scripts to stop after step 3. The deployment comes from CONVEX_DEPLOYMENT in " +
			".env.local; switch to another one with `convex deployment select`.\n\n" +
			"Exit status: 0 after --once or --until-success succeeded, or when you stop watching; 1 when a push " +
			"fails with --once, or when dev stops on an error it cannot wait out (npx convex exits 0 in some of " +
			"these cases; this build reports them).",
		Flags: []cli.Flag{
			shortBool("verbose", "v", "List every change pushed (functions, indexes, schema) in full."),
			typecheckFlag("Typecheck your functions with `tsc --noEmit` before each push; `try` skips it when TypeScript is not installed."),
			typecheckComponentsFlag(),
			codegenFlag("Regenerate the code in convex/_generated before each push."),
			hiddenBool("push-all-modules", "Send every module on each push instead of only the changed ones."),
			boolFlag("once", "Do steps 1–3 once and exit; fail (exit 1) on the first error."),
			boolFlag("until-success", "Do steps 1–3, retrying after each failure when files or the deployment change; exit after the first success."),
			valueFlag("start", "command", "After the first successful push, start this long-running command (e.g. your frontend dev server) and keep it attached to this terminal. Example: convex dev --start 'vite --open'"),
			valueFlag("run-sh", "command", "Old name of --start.").Hide(),
			valueFlag("run", "functionName", "After the first successful push, run this function once, e.g. `init:seed` or `api.init.createData`. Wins over --start."),
			valueFlag("run-component", "functionName", `Component that holds the --run function, e.g. "workflow" or "workflow/workpool".`),
			valueFlag("tail-logs", "mode", "Show function logs here: `always`; `pause-on-deploy` holds them back while a push runs so push problems stand out; `disable` hides them.").
				Default("pause-on-deploy").OneOf("always", "pause-on-deploy", "disable").Optional(),
			hiddenBool("trace-events", "Print file watcher events."),
			valueFlag("debug-bundle-path", "path", "Write the bundles to this directory (only with --once).").Hide(),
			hiddenBool("debug-node-apis", "Report which Node.js APIs the bundles use (only with --once)."),
			hiddenBool("live-component-sources", "Bundle components from their sources instead of their builds."),
			valueFlag("configure", "choice", "Ignore the current configuration and set up the project again: `new` creates a project, `existing` picks one, no value asks. Answer the questions ahead of time with --team, --project and --dev-deployment.").
				OneOf("new", "existing").Optional(),
			valueFlag("team", "team_slug", "Team of the project to configure (with --configure).").Hide(),
			valueFlag("project", "project_slug", "Project to configure (with --configure).").Hide(),
			valueFlag("dev-deployment", "mode", "Develop against a `cloud` or `local` deployment (with --configure).").OneOf("cloud", "local").Hide(),
			hiddenBool("prod", "Develop live against the project's production deployment."),
			hiddenBool("allow-unstaging-schema", "Do not ask before a push to production drops a staged table validator."),
			envFileFlag(),
			hiddenBool("skip-push", "Configure the project but push nothing."),
			valueFlag("admin-key", "adminKey", "Admin key of the deployment given with --url.").Hide(),
			valueFlag("url", "url", "Develop against the deployment at this URL.").Hide(),
			valueFlag("override-auth-url", "url", "Log in through this authentication server (testing).").Hide(),
			valueFlag("override-auth-client", "id", "Client id for the authentication server (testing).").Hide(),
			valueFlag("override-auth-username", "username", "User name for the authentication server (testing).").Hide(),
			valueFlag("override-auth-password", "password", "Password for the authentication server (testing).").Hide(),
			valueFlag("local-cloud-port", "port", "Port of the local deployment's API.").Hide(),
			valueFlag("local-backend-binary", "path", "Run this convex-local-backend binary for a local deployment instead of the built-in backend (also CONVEX_LOCAL_BACKEND_BINARY).").Hide(),
			valueFlag("local-site-port", "port", "Port of the local deployment's HTTP actions.").Hide(),
			valueFlag("local-backend-version", "version", "Version of the local backend to use.").Hide(),
			hiddenBool("local-force-upgrade", "Upgrade the local backend without asking."),
			valueFlag("deployment", "deployment", "Not supported by dev: select the deployment with `convex deployment select`.").Hide(),
			hiddenBool("local", "Replaced by `convex deployment select local`."),
			hiddenBool("cloud", "Replaced by `convex deployment select dev`."),
		},
		Action: d.dev,
	}
}

// checkDevFlags rejects flag combinations dev does not accept.
func checkDevFlags(c *cli.Context) error {
	if c.IsSet("deployment") {
		return ui.Usage("`--deployment` can't be used with `convex dev`.").
			WithHint("To develop against this deployment, run `convex deployment select %s`, then run `convex dev` again.", c.String("deployment"))
	}
	if c.Bool("local") {
		return ui.Usage("`--local` is no longer supported.").
			WithHint("To use your local deployment, run `convex deployment select local`, then run `convex dev` again.")
	}
	if c.Bool("cloud") {
		return ui.Usage("`--cloud` is no longer supported.").
			WithHint("To use your cloud dev deployment, run `convex deployment select dev`, then run `convex dev` again.")
	}
	if !c.IsSet("configure") && (c.IsSet("team") || c.IsSet("project") || c.IsSet("dev-deployment")) {
		return ui.Usage("`--team`, `--project` and `--dev-deployment` can only be used with `--configure`.")
	}
	if !c.Bool("once") {
		if c.IsSet("debug-bundle-path") {
			return ui.Usage("`--debug-bundle-path` can only be used with `--once`.")
		}
		if c.Bool("debug-node-apis") {
			return ui.Usage("`--debug-node-apis` can only be used with `--once`.")
		}
	}
	if c.Bool("debug-node-apis") {
		return ui.Errorf("`--debug-node-apis` is not available in this build.")
	}
	if c.IsSet("run-component") && !c.IsSet("run") {
		return ui.Usage("Can't specify `--run-component` option without `--run`.")
	}
	for _, f := range []string{"local-cloud-port", "local-site-port"} {
		if v := c.String(f); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n <= 0 || n > 65535 {
				return ui.Usage("--%s must be a port number, got %q", f, v)
			}
		}
	}
	return nil
}

func (d *Deps) dev(c *cli.Context) error {
	if err := checkDevFlags(c); err != nil {
		return err
	}
	if err := push.CheckConvexDependency(d.Cwd, "run `npx convex dev`"); err != nil {
		return d.pushErr(err)
	}
	ctx := c.Context
	t, stop, created, err := d.devTarget(c)
	if err != nil {
		return err
	}
	defer stop()
	if err := d.initFunctionsDir(created); err != nil {
		return err
	}
	d.announceTarget("Developing against deployment:", t)
	d.usageWarning(c, t)
	var vc *versionCheck
	if hasDeploymentFields(t) {
		vc = d.startVersionCheck(ctx)
	}
	defer vc.stop()
	if c.Bool("skip-push") {
		vc.wait()
		return nil
	}

	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = d.httpClient()
	mode := c.String("tail-logs")
	var tail *push.LogTail
	if mode != "disable" {
		tail = &push.LogTail{Client: pc, Out: lineWriter{d.Out}, Warn: warnWriter{d.Out}, Format: d.logFormat(false, false)}
		logCtx, cancelLogs := context.WithCancel(ctx)
		defer cancelLogs()
		go tail.Run(logCtx)
	}

	opts := push.DevOptions{
		Push:         d.pushOptions(c, t, pc, "dev"),
		Once:         c.Bool("once"),
		UntilSuccess: c.Bool("until-success"),
		TraceEvents:  c.Bool("trace-events"),
		WaitForEnvChange: func(ctx context.Context) error {
			return waitForEnvChange(ctx, pc)
		},
		WaitForTableChange: func(ctx context.Context, componentPath, table string) error {
			args, _ := json.Marshal(map[string]string{"tableName": table})
			err := pc.WaitForQueryChange(ctx, "_system/cli/queryTable", args, componentPath)
			if err != nil && ctx.Err() == nil {
				// Without a data watch, wait for a file change only.
				<-ctx.Done()
			}
			return err
		},
	}
	if tail != nil && mode == "pause-on-deploy" {
		opts.Logs = tail
	}
	if t.Kind == deployments.KindProd {
		// Developing live on production: new indexes on large tables would
		// hold every push until built.
		opts.Push.IndexDeletionCheck = &push.IndexDeletionCheck{NoDeletionCheck: true, Backfill: true,
			BackfillMinDocuments: d.intFromEnv("CONVEX_MIN_DOCUMENTS_FOR_INDEX_BACKFILL_WARNING", 100_000),
			StagedValidators:     true, UnstagingAllowed: c.Bool("allow-unstaging-schema")}
		if d.interactive() {
			opts.Push.IndexDeletionCheck.Confirm = func(q string) (bool, error) { return d.prompter().Confirm(q, false) }
		}
	}
	startCmd := c.String("start")
	if startCmd == "" {
		startCmd = c.String("run-sh")
	}
	var child *shellChild
	switch {
	case c.String("run") != "":
		fn, comp := c.String("run"), c.String("run-component")
		opts.OnFirstSuccess = func(ctx context.Context) error {
			if err := d.runFunction(ctx, pc, fn, "{}", "", comp, false); err != nil {
				return err
			}
			d.Out.Success("Finished running function %q", fn)
			return nil
		}
	case startCmd != "":
		opts.OnFirstSuccess = func(ctx context.Context) error {
			var err error
			child, err = d.startShell(startCmd)
			return err
		}
	}
	spin := d.newProgress()
	opts.Push.Progress = spin.update
	opts.OnWait = spin.stop
	err = push.Dev(ctx, opts)
	spin.stop()
	if err == nil {
		// A watching dev printed the check's lines as they came; one that
		// ends gives it a moment more, not the whole HTTP timeout.
		vc.wait()
	}
	if child != nil {
		if opts.Once || opts.UntilSuccess {
			if err == nil {
				return child.wait()
			}
		}
		child.stop()
	}
	if err != nil {
		return d.pushErr(err)
	}
	return nil
}

// initFunctionsDir writes convex/README.md and convex/tsconfig.json for a
// new project: when the functions directory does not exist yet, or a new
// local deployment was just created.
func (d *Deps) initFunctionsDir(created bool) error {
	cfg, err := push.LoadProjectConfig(d.Cwd, nil)
	if err != nil {
		return d.pushErr(err)
	}
	dir := cfg.FunctionsDir(d.Cwd)
	if _, err := os.Stat(dir); err == nil && !created {
		return nil
	}
	if err := codegen.InitFolder(codegen.Options{FunctionsDir: dir}); err != nil {
		return ui.Wrap(err, "setting up %s", dir)
	}
	return nil
}

// devTarget chooses, configures and (for local deployments) starts the
// deployment dev pushes to. stop releases what it started; created tells
// whether a new local deployment was made.
func (d *Deps) devTarget(c *cli.Context) (t deployments.Target, stop func(), created bool, err error) {
	ctx := c.Context
	nop := func() {}
	if c.IsSet("configure") {
		t, err = d.ConfigureProject(c, ProjectSetup{Configure: orAsk(c.String("configure")), Team: c.String("team"), Project: c.String("project"), DevDeployment: c.String("dev-deployment")})
	} else {
		t, err = d.SelectTarget(c, "dev")
		if err == nil && t.Kind == deployments.KindChooseProject {
			t, err = d.ConfigureProject(c, ProjectSetup{Configure: "ask"})
		}
		if err == nil {
			t, err = d.welcome(c, t)
		}
	}
	if err != nil {
		return t, nop, false, err
	}
	switch t.Kind {
	case deployments.KindAnonymous:
		port := func(f string) int { n, _ := strconv.Atoi(c.String(f)); return n }
		dep, err := anonymous.EnsureAnonymous(ctx, anonymous.Options{
			ProjectDir: d.Cwd, GlobalDir: deployments.GlobalDir(d.Env), Name: t.Name,
			AgentMode: d.Env.Get("CONVEX_AGENT_MODE") == "anonymous",
			CloudPort: port("local-cloud-port"), SitePort: port("local-site-port"),
			Out:           lineWriter{d.Out},
			BackendBinary: firstNonEmpty(c.String("local-backend-binary"), d.Env.Get("CONVEX_LOCAL_BACKEND_BINARY")),
		})
		if err != nil {
			return t, nop, false, err
		}
		t.Name, t.URL, t.AdminKey = dep.Name, dep.URL, dep.AdminKey
		d.Log.AddSecret(t.AdminKey)
		if _, err := d.SaveDeployment(ctx, t); err != nil {
			dep.Close()
			return t, nop, false, err
		}
		return t, func() { dep.Close() }, dep.Created, nil
	case deployments.KindLocal:
		if t.Name == "" {
			return t, nop, false, ui.Errorf("this build cannot create a linked local deployment from `convex dev --configure` yet").
				WithHint("Create one with `convex deployment create local`, then run `convex dev` again.")
		}
		r, err := anonymous.EnsureRunning(ctx, d.Cwd, deployments.GlobalDir(d.Env), t.Name)
		if err != nil {
			return t, nop, false, err
		}
		t.URL, t.AdminKey = r.URL, r.AdminKey
		d.Log.AddSecret(t.AdminKey)
		stopBackend := nop
		if r.Started {
			stopBackend = func() { r.Close() }
		}
		if _, err := d.SaveDeployment(ctx, t); err != nil {
			stopBackend()
			return t, nop, false, err
		}
		endSession := d.linkedLocalSession(c, t, r.Config)
		return t, func() { endSession(); stopBackend() }, false, nil
	}
	if t.URL == "" {
		return t, nop, false, ui.Errorf("no deployment URL for %s", t.Describe())
	}
	if t.Kind == deployments.KindURL || t.Kind == deployments.KindSelfHosted {
		if _, err := d.SaveURLs(ctx, t); err != nil {
			return t, nop, false, err
		}
	} else if _, err := d.SaveDeployment(ctx, t); err != nil {
		return t, nop, false, err
	}
	return t, nop, false, nil
}

// usageWarning shows, in the background, the team's usage notice for a
// cloud deployment reached with a personal login (spec cli §12.2).
func (d *Deps) usageWarning(c *cli.Context, t deployments.Target) {
	if !t.Cloud() || t.AuthKind != "accessToken" || t.Name == "" || d.Env.Get("CONVEX_AGENT_MODE") != "" {
		return
	}
	client, _, err := d.managementClient(c)
	if err != nil {
		return
	}
	ctx := c.Context
	go func() {
		w, err := client.TeamUsageWarning(ctx, t.Name)
		if err != nil || w.Title == "" || ctx.Err() != nil {
			return
		}
		d.Out.Warn("%s", d.Out.Paint(w.Title, ui.Bold))
		d.Out.Warn("%s", w.Subtitle)
		d.Out.Message("Visit %s/t/%s to learn more.", deployments.DashboardHost(d.Env), w.TeamSlug)
	}()
}

func orAsk(s string) string {
	if s == "" {
		return "ask"
	}
	return s
}

// pushOptions are the push settings shared by dev, deploy, run --push and
// codegen, read from the command's flags.
func (d *Deps) pushOptions(c *cli.Context, t deployments.Target, pc *push.Client, command string) push.Options {
	o := push.Options{
		URL:                 t.URL,
		AdminKey:            t.AdminKey,
		DeploymentName:      t.Name,
		DeploymentType:      string(t.Kind),
		DashboardHost:       deployments.DashboardHost(d.Env),
		Dir:                 d.Cwd,
		Verbose:             flagBool(c, "verbose"),
		NoCodegen:           flagString(c, "codegen") == "disable",
		PushAllModules:      flagBool(c, "push-all-modules"),
		TypecheckComponents: flagBool(c, "typecheck-components"),
		DebugBundlePath:     flagString(c, "debug-bundle-path"),
		Client:              pc,
		Stdout:              d.Stdout,
		Stderr:              lineWriter{d.Out},
	}
	if flagBool(c, "live-component-sources") {
		o.ExtraConditions = []string{"@convex-dev/component-source"}
	}
	// How `env set` would reach this deployment, for missing-variable advice.
	switch {
	case t.Name != "" && t.Kind != deployments.KindLocal && t.Kind != deployments.KindAnonymous:
		o.EnvFlag = "--deployment " + t.Name
	case t.Kind == deployments.KindURL || t.Kind == deployments.KindSelfHosted:
		o.EnvFlag = "--url " + t.URL + " --admin-key <admin key>"
	}
	// The flag's default ("try") counts: c.String, not flagString, which only
	// sees flags given on the command line.
	mode := push.TypecheckMode(c.String("typecheck"))
	if mode != "" && mode != push.TypecheckDisable {
		compiler := "tsc"
		if cfg, err := push.LoadProjectConfig(d.Cwd, nil); err == nil {
			compiler = cfg.TypeScriptCompiler
		}
		tc := &push.Typechecker{Mode: mode, Compiler: compiler, ProjectDir: d.Cwd, Stderr: lineWriter{d.Out}}
		o.Typecheck = tc.Check
		o.ExtraInputs = func() []string { return tc.Files }
	}
	return o
}

// flagBool and flagString read a flag the command may not define.
func flagBool(c *cli.Context, name string) bool {
	for _, n := range c.FlagNames() {
		if n == name {
			return c.Bool(name)
		}
	}
	return false
}

func flagString(c *cli.Context, name string) string {
	for _, n := range c.FlagNames() {
		if n == name {
			return c.String(name)
		}
	}
	return ""
}

// pushErr turns a push failure into the command's error. Push errors the
// loop already printed only carry the exit code; esbuild diagnostics are
// printed as esbuild renders them.
func (d *Deps) pushErr(err error) error {
	var pe *push.Error
	if !errors.As(err, &pe) {
		return err
	}
	if pe.Printed {
		return &ui.Error{Code: ui.ExitError}
	}
	if pe.DetailFirst() && pe.Detail != "" {
		lineWriter{d.Out}.Write([]byte(pe.Detail))
		e := &ui.Error{Msg: "Could not bundle the Convex functions (see the errors above).", Code: ui.ExitError}
		if pe.Hint != "" {
			return e.WithHint("%s", strings.TrimSpace(pe.Hint))
		}
		return e
	}
	e := &ui.Error{Msg: pe.Display(), Code: ui.ExitError}
	if pe.Detail != "" {
		e.Msg += "\n" + strings.TrimRight(pe.Detail, "\n")
	}
	// The push error's own hint, else one from its cause (e.g. "nothing is
	// listening" from the HTTP client).
	if hint := strings.TrimSpace(firstNonEmpty(pe.Hint, ui.HintOf(pe.Err))); hint != "" {
		return e.WithHint("%s", hint)
	}
	return e
}

// progress drives a spinner from push step texts.
type progress struct {
	spin *ui.Spinner
	d    *Deps
}

func (d *Deps) newProgress() *progress { return &progress{d: d} }

func (p *progress) update(s string) {
	if p.spin == nil {
		p.spin = p.d.Out.Spinner(s)
		return
	}
	p.spin.Update("%s", s)
}

func (p *progress) stop() {
	if p.spin != nil {
		p.spin.Stop()
		p.spin = nil
	}
}

// lineWriter prints what library code writes as plain stderr messages,
// one per line, without disturbing a spinner.
type lineWriter struct{ out *ui.Printer }

func (w lineWriter) Write(b []byte) (int, error) {
	s := strings.TrimRight(string(b), "\n")
	if s == "" && len(b) > 0 {
		w.out.Message("")
		return len(b), nil
	}
	for _, l := range strings.Split(s, "\n") {
		w.out.Message("%s", l)
	}
	return len(b), nil
}

// waitForEnvChange returns when the deployment's environment variables
// change: through a subscription, or by polling when that is unavailable.
func waitForEnvChange(ctx context.Context, c *push.Client) error {
	if err := c.WaitForQueryChange(ctx, "_system/cli/queryEnvironmentVariables", nil, ""); err == nil || ctx.Err() != nil {
		return err
	}
	before, err := c.EnvList(ctx)
	if err != nil {
		<-ctx.Done()
		return ctx.Err()
	}
	key := fmt.Sprint(before)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		now, err := c.EnvList(ctx)
		if err == nil && fmt.Sprint(now) != key {
			return nil
		}
	}
}

// shellChild is the --start command.
type shellChild struct {
	cmd  *exec.Cmd
	done chan error
	line string
}

// startShell runs line through the system shell with the terminal attached.
func (d *Deps) startShell(line string) (*shellChild, error) {
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.Command("cmd", "/C", line)
	} else {
		cmd = exec.Command("sh", "-c", line)
	}
	cmd.Dir = d.Cwd
	cmd.Stdin = d.Stdin
	cmd.Stdout = d.Stdout
	cmd.Stderr = d.Stderr
	if err := cmd.Start(); err != nil {
		return nil, ui.Errorf("Failed to run command `%s`: %v", line, err)
	}
	s := &shellChild{cmd: cmd, done: make(chan error, 1), line: line}
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

func (s *shellChild) wait() error {
	err := <-s.done
	s.done <- err
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ui.Errorf("Command `%s` exited with code %d", s.line, ee.ExitCode())
	}
	return err
}

// stop interrupts the command, kills it if it has not exited after a
// second, and waits for it.
func (s *shellChild) stop() {
	if s.cmd.Process.Signal(os.Interrupt) == nil {
		select {
		case err := <-s.done:
			s.done <- err
			return
		case <-time.After(time.Second):
		}
	}
	s.cmd.Process.Kill()
	err := <-s.done
	s.done <- err
}
