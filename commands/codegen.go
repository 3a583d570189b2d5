package commands

import (
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/codegen"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

func newCodegenCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "codegen",
		Usage: "Generate backend type definitions",
		Description: "Write convex/_generated/ (typed `api`, `internal`, data model and server helpers) from what is in convex/.\n\n" +
			"`convex dev` keeps these files up to date, and they belong in your repository (your code does not typecheck without them). " +
			"Running this by hand is rarely needed, e.g. in CI to check the committed files are current. It does not change the deployment's code.\n\n" +
			"No deployment is needed: the functions are bundled and analysed by the built-in runtime. With --url and --admin-key " +
			"the deployment analyses them instead (as npx convex codegen always does).",
		Flags: []cli.Flag{
			boolFlag("dry-run", "Print the generated files on stdout instead of writing them."),
			hiddenBool("debug", "Print debugging output."),
			typecheckFlag("Typecheck your functions with `tsc --noEmit` afterwards."),
			boolFlag("init", "Also write convex/README.md and convex/tsconfig.json again (normally written only for a new project)."),
			valueFlag("admin-key", "adminKey", "Admin key of the deployment given with --url.").Hide(),
			valueFlag("url", "url", "Deployment to read component definitions from.").Hide(),
			hiddenBool("live-component-sources", "Bundle components from their sources instead of their builds."),
			hiddenBool("commonjs", "Generate CommonJS modules instead of ES modules."),
			hiddenBool("system-udfs", "Generate code for the system functions."),
			valueFlag("component-dir", "path", "Generate code for the component in this directory instead of the app."),
		},
		Action: d.codegen,
	}
}

func (d *Deps) codegen(c *cli.Context) error {
	if c.Bool("system-udfs") {
		return ui.Errorf("`--system-udfs` is not available in this build.")
	}
	if err := push.CheckConvexDependency(d.Cwd, "codegen"); err != nil {
		return d.pushErr(err)
	}
	cfg, err := push.LoadProjectConfig(d.Cwd, warnWriter{d.Out})
	if err != nil {
		return d.pushErr(err)
	}
	dryRun, debug := c.Bool("dry-run"), c.Bool("debug")
	if c.Bool("init") {
		if err := codegen.InitFolder(codegen.Options{FunctionsDir: cfg.FunctionsDir(d.Cwd), DryRun: dryRun, Debug: debug, Stdout: d.Stdout, Stderr: lineWriter{d.Out}}); err != nil {
			return ui.Wrap(err, "writing convex/README.md and convex/tsconfig.json")
		}
	}
	spin := d.newProgress()
	defer spin.stop()
	if c.IsSet("url") || c.IsSet("admin-key") || c.IsSet("component-dir") {
		// A deployment analyses the code; nothing is committed to it.
		t, err := d.SelectTarget(c, "codegen")
		if err != nil {
			return err
		}
		stop := func() {}
		if t.Kind == deployments.KindLocal || t.Kind == deployments.KindAnonymous {
			t, stop, err = d.reachTarget(c, "codegen")
			if err != nil {
				return err
			}
		}
		defer stop()
		if t.Kind == deployments.KindChooseProject || t.URL == "" {
			return ui.Errorf("no deployment to analyse the code with").
				WithHint("Components are analysed by a deployment: run `convex dev` first, or pass --url and --admin-key.")
		}
		pc := push.NewClient(t.URL, t.AdminKey)
		pc.HTTP = d.httpClient()
		o := d.pushOptions(c, t, pc, "codegen")
		o.StopAfterStartPush, o.PushAllModules, o.CommonJS = true, true, c.Bool("commonjs")
		if dir := c.String("component-dir"); dir != "" {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(d.Cwd, dir)
			}
			o.ComponentDir = dir
		}
		o.Progress = spin.update
		if _, err := push.Run(c.Context, o); err != nil {
			spin.stop()
			return d.pushErr(err)
		}
		return nil
	}
	o := push.Options{Dir: d.Cwd, CommonJS: c.Bool("commonjs"), Stdout: d.Stdout, Stderr: lineWriter{d.Out}, Progress: spin.update}
	if _, err := push.CodegenLocal(c.Context, o, dryRun, debug); err != nil {
		spin.stop()
		return d.pushErr(err)
	}
	spin.stop()
	if dryRun || debug {
		return nil
	}
	mode := push.TypecheckMode(c.String("typecheck"))
	tc := &push.Typechecker{Mode: mode, Compiler: cfg.TypeScriptCompiler, ProjectDir: d.Cwd, Stderr: lineWriter{d.Out}}
	if err := tc.Check(c.Context, cfg.FunctionsDir(d.Cwd)); err != nil {
		return d.pushErr(err)
	}
	return nil
}
