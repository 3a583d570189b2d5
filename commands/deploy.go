package commands

import "github.com/urfave/cli/v2"

func newDeployCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "Deploy to a production or preview deployment",
		Description: "Push your functions, schema and indexes to a production or preview deployment, usually from CI. " +
			"While developing, use `convex dev` instead.\n\n" +
			"Where it deploys:\n" +
			"• With CONVEX_DEPLOY_KEY set (typical in CI): to the deployment of that key. A preview deploy key " +
			"creates or reuses a preview deployment named after the Git branch (on Vercel, Netlify, Cloudflare Pages " +
			"and GitHub Actions) or after --preview-name.\n" +
			"• Otherwise, with CONVEX_DEPLOYMENT set (typical on your machine): to the production deployment of " +
			"that project, after asking you to confirm.\n\n" +
			"Steps (it stops at the first failure):\n" +
			"  1. Runs --cmd, if given, with the deployment URL in an environment variable.\n" +
			"  2. Typechecks your functions.\n" +
			"  3. Regenerates convex/_generated.\n" +
			"  4. Bundles your functions and their dependencies.\n" +
			"  5. Pushes functions, indexes and schema.\n" +
			"  6. On a preview deployment, runs --preview-run.",
		Flags: []cli.Flag{
			shortBool("verbose", "v", "List every change pushed (functions, indexes, schema) in full."),
			boolFlag("dry-run", "Show what would change without deploying anything."),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Hidden: true, Usage: "Deploy to production without asking."},
			typecheckFlag("Typecheck your functions with `tsc --noEmit` first. `try` reports errors but deploys anyway."),
			typecheckComponentsFlag(),
			codegenFlag("Regenerate the code in convex/_generated before pushing."),
			valueFlag("cmd", "command", "Build command to run first (e.g. `vite build`); it sees the deployment URL in the variable named by --cmd-url-env-var-name."),
			valueFlag("cmd-url-env-var-name", "name", "Variable that carries the deployment URL to --cmd, e.g. VITE_CONVEX_URL (guessed from your framework when omitted)."),
			valueFlag("debug-bundle-path", "path", "Write the bundles to this directory instead of pushing.").Hide(),
			hiddenBool("debug", "Print debugging output."),
			valueFlag("write-push-request", "writePushRequest", "Write the push request to <path>.json and stop.").Hide(),
			hiddenBool("live-component-sources", "Bundle components from their sources instead of their builds."),
			hiddenBool("push-all-modules", "Send every module instead of only the changed ones."),
			valueFlag("preview-run", "functionName", "Function to run after deploying to a preview deployment (ignored for production), e.g. to seed data."),
			valueFlag("preview-name", "name", "Name of the preview deployment to deploy to (default: the Git branch in CI). Reuses it if it exists."),
			valueFlag("preview-create", "name", "Like --preview-name, but deletes and recreates a preview deployment of that name. Needs a preview deploy key."),
			valueFlag("check-build-environment", "mode", "Refuse to deploy to production from a non-production build (e.g. a Vercel preview build).").
				Default("enable").OneOf("enable", "disable").Hide(),
			valueFlag("admin-key", "adminKey", "Admin key of the deployment given with --url.").Hide(),
			valueFlag("url", "url", "Deploy to the deployment at this URL.").Hide(),
			envFileFlag(),
			valueFlag("message", "message", "Note recorded with this deploy in the deployment's audit log."),
			hiddenBool("skip-workos-check", "Skip WorkOS AuthKit provisioning and checks."),
			boolFlag("skip-large-indexes-check", "Do not ask before adding, changing or deleting an index on a large table. Adding or changing one holds the deploy until the index is built; staging it avoids that."),
			hiddenBool("allow-deleting-large-indexes", "Do not ask before deleting an index on a large table."),
			boolFlag("allow-unstaging-schema", "Do not ask before the push drops a staged table validator that is validating or validated."),
		},
		Action: d.notImplemented("deploy"),
	}
}
