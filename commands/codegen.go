package commands

import "github.com/urfave/cli/v2"

func newCodegenCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "codegen",
		Usage: "Generate backend type definitions",
		Description: "Write convex/_generated/ (typed `api`, `internal`, data model and server helpers) from what is in convex/.\n\n" +
			"`convex dev` keeps these files up to date, and they belong in your repository (your code does not typecheck without them). " +
			"Running this by hand is rarely needed, e.g. in CI to check the committed files are current. It does not change the deployment's code.",
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
		Action: d.notImplemented("codegen"),
	}
}
