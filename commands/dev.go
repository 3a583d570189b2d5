package commands

import "github.com/urfave/cli/v2"

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
			".env.local; switch to another one with `convex deployment select`.",
		Flags: []cli.Flag{
			shortBool("verbose", "v", "List every change pushed (functions, indexes, schema) in full."),
			typecheckFlag("Typecheck your functions with `tsc --noEmit` before each push. `try` reports errors but pushes anyway."),
			typecheckComponentsFlag(),
			codegenFlag("Regenerate the code in convex/_generated before each push."),
			hiddenBool("push-all-modules", "Send every module on each push instead of only the changed ones."),
			boolFlag("once", "Do steps 1–3 once and exit; fail on the first error."),
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
			valueFlag("local-site-port", "port", "Port of the local deployment's HTTP actions.").Hide(),
			valueFlag("local-backend-version", "version", "Version of the local backend to use.").Hide(),
			hiddenBool("local-force-upgrade", "Upgrade the local backend without asking."),
			valueFlag("deployment", "deployment", "Not supported by dev: select the deployment with `convex deployment select`.").Hide(),
			hiddenBool("local", "Replaced by `convex deployment select local`."),
			hiddenBool("cloud", "Replaced by `convex deployment select dev`."),
		},
		Action: d.notImplemented("dev"),
	}
}
