package commands

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

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
			typecheckFlag("Typecheck your functions with `tsc --noEmit` first; `try` skips it when TypeScript is not installed."),
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
		Action: d.deploy,
	}
}

// ciPlatforms detect the CI system for the automatic audit message: the
// variable that marks it and the one holding the commit SHA.
var ciPlatforms = []struct{ name, marker, sha string }{
	{"GitHub Actions", "GITHUB_ACTIONS", "GITHUB_SHA"},
	{"Vercel", "VERCEL", "VERCEL_GIT_COMMIT_SHA"},
	{"Netlify", "NETLIFY", "COMMIT_REF"},
	{"Cloudflare Pages", "CF_PAGES", "CF_PAGES_COMMIT_SHA"},
	{"Cloudflare Workers", "WORKERS_CI", "WORKERS_CI_COMMIT_SHA"},
	{"Render", "RENDER", "RENDER_GIT_COMMIT"},
	{"Railway", "RAILWAY_ENVIRONMENT", "RAILWAY_GIT_COMMIT_SHA"},
	{"GitLab CI", "GITLAB_CI", "CI_COMMIT_SHA"},
	{"CircleCI", "CIRCLECI", "CIRCLE_SHA1"},
}

// auditMessage is --message, or "Deployed from <CI>[ • <sha7>]" in CI.
func auditMessage(c *cli.Context, env Env) *string {
	if c.IsSet("message") {
		m := c.String("message")
		return &m
	}
	found := func(name, sha string) *string {
		m := "Deployed from " + name
		if len(sha) >= 7 {
			m += " • " + sha[:7]
		} else if sha != "" {
			m += " • " + sha
		}
		return &m
	}
	for _, p := range ciPlatforms {
		if env.Get(p.marker) != "" {
			return found(p.name, env.Get(p.sha))
		}
	}
	if env.Get("BUILD_ID") != "" && env.Get("PROJECT_ID") != "" && env.Get("PROJECT_NUMBER") != "" && env.Get("LOCATION") != "" {
		return found("Google Cloud Build", env.Get("SHORT_SHA"))
	}
	if env.Get("HEROKU_APP_NAME") != "" || env.Get("DYNO") != "" {
		return found("Heroku", env.Get("HEROKU_BUILD_COMMIT"))
	}
	return nil
}

func (d *Deps) deploy(c *cli.Context) error {
	ctx := c.Context
	dryRun := c.Bool("dry-run")
	if err := push.CheckConvexDependency(d.Cwd, "push"); err != nil {
		return d.pushErr(err)
	}
	o := d.SelectionOptions(c, "deploy")
	o.PreviewCreate = c.String("preview-create")
	if o.PreviewCreate != "" {
		o.PreviewName = ""
	}
	o.DryRun = dryRun
	o.SkipBuildEnvironmentCheck = c.String("check-build-environment") == "disable"
	t, err := deployments.Select(ctx, o)
	if err != nil {
		return err
	}
	d.Log.AddSecret(t.AdminKey)
	d.Log.AddSecret(t.Auth)
	switch t.Kind {
	case deployments.KindAnonymous, deployments.KindLocal, deployments.KindChooseProject:
		return ui.Errorf("`convex deploy` deploys to a production or preview deployment in Convex's cloud, not to %s.", t.Describe()).
			WithHint("Use `convex dev` for local deployments, or set CONVEX_DEPLOY_KEY to deploy to production.")
	}
	if t.Kind == deployments.KindPreview && t.URL == "" {
		// Dry run with a preview deploy key: nothing is claimed.
		d.Out.Success("Would have claimed preview deployment for %q", t.PreviewName)
		if err := d.runBuildCommand(c, "https://<PREVIEW DEPLOYMENT>.convex.cloud", "", true); err != nil {
			return err
		}
		d.Out.Success("Would have deployed Convex functions to preview deployment for %q", t.PreviewName)
		if fn := c.String("preview-run"); fn != "" {
			d.Out.Message("Would have run function %q", fn)
		}
		return nil
	}
	if t.URL == "" {
		return ui.Errorf("no deployment URL for %s", t.Describe())
	}
	d.announceTarget("Deploying code to deployment:", t)
	d.Out.Message("Deploying to %s", t.Describe())
	d.usageWarning(c, t)
	// Only a logged-in user is asked: a deploy key names its deployment
	// itself, so CONVEX_DEPLOYMENT (say, a stale .env.local) cannot make it
	// push somewhere unexpected, and build pipelines are never stopped.
	if t.ConfiguredName != "" && t.ConfiguredName != t.Name && !c.Bool("yes") && t.Kind == deployments.KindProd && t.DeployKeyVar == "" {
		configured := firstNonEmpty(t.ConfiguredType, "dev")
		d.Out.Message("You're currently developing against your %s deployment\n\n  %s (set in CONVEX_DEPLOYMENT)\n", configured, t.ConfiguredName)
		// As NAME=value, with the variable your frontend reads it from.
		d.Out.Message("Your prod deployment %s serves traffic at:\n\n  %s=%s\n", t.Name, d.clientURLVar(), t.URL)
		d.Out.Message("Make sure that your published client is configured with this URL (for instructions see https://docs.convex.dev/hosting)\n")
		ok, err := auth.WithAnswer(d.prompter(), "--yes").Confirm("Do you want to push your code to your prod deployment "+t.Name+" now?", true)
		if err != nil {
			return err
		}
		if !ok {
			return &ui.Error{Code: ui.ExitError}
		}
	}
	// As the npm CLI: for cloud deployments, except those of a preview
	// deploy key (which names a branch, not a deployment).
	var vc *versionCheck
	if t.Cloud() && t.PreviewName == "" {
		vc = d.startVersionCheck(ctx)
	}
	defer vc.stop()
	if c.IsSet("cmd") {
		if err := d.runBuildCommand(c, t.URL, t.AdminKey, dryRun); err != nil {
			return err
		}
	}
	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = d.httpClient()
	po := d.pushOptions(c, t, pc, "deploy")
	po.DryRun = dryRun
	po.WritePushRequest = c.String("write-push-request")
	po.Message = auditMessage(c, d.Env)
	// Index safety checks (§9.3): deleting or building indexes on large
	// tables needs a yes, or a flag. A preview deployment has no deletion
	// check, and a new one nothing to check at all.
	if !(t.Kind == deployments.KindPreview && t.IsNewDeployment) {
		skip := c.Bool("skip-large-indexes-check")
		po.IndexDeletionCheck = &push.IndexDeletionCheck{
			Allowed:              c.Bool("allow-deleting-large-indexes") || skip,
			MinDocuments:         d.intFromEnv("CONVEX_MIN_DOCUMENTS_FOR_INDEX_DELETE_WARNING", 100_000),
			NoDeletionCheck:      t.Kind == deployments.KindPreview,
			Backfill:             true,
			BackfillAllowed:      skip,
			BackfillMinDocuments: d.intFromEnv("CONVEX_MIN_DOCUMENTS_FOR_INDEX_BACKFILL_WARNING", 100_000),
			StagedValidators:     t.Kind != deployments.KindPreview,
			UnstagingAllowed:     c.Bool("allow-unstaging-schema"),
		}
		if d.interactive() {
			po.IndexDeletionCheck.Confirm = func(q string) (bool, error) {
				return d.prompter().Confirm(q, false)
			}
		}
	}
	suffix := ""
	if dryRun {
		suffix = " [dry run]"
	}
	spin := d.newProgress()
	spin.update("Deploying to " + t.URL + "..." + suffix)
	po.Progress = spin.update
	res, err := push.Run(ctx, po)
	spin.stop()
	if err != nil {
		return d.pushErr(err)
	}
	if res.Stopped {
		vc.wait()
		return nil
	}
	if dryRun {
		d.Out.Success("Would have deployed Convex functions to %s", t.URL)
		vc.wait()
		return nil
	}
	d.Out.Success("Deployed Convex functions to %s", t.URL)
	if fn := c.String("preview-run"); fn != "" && t.Kind == deployments.KindPreview && t.IsNewDeployment {
		if err := d.runFunction(ctx, pc, fn, "{}", "", "", false); err != nil {
			return err
		}
		d.Out.Success("Finished running function %q", fn)
	}
	vc.wait()
	return nil
}

// runBuildCommand runs --cmd with the deployment's URLs in the framework's
// URL variables (or --cmd-url-env-var-name).
func (d *Deps) runBuildCommand(c *cli.Context, url, adminKey string, dryRun bool) error {
	line := c.String("cmd")
	if line == "" {
		return nil
	}
	fw, err := config.DetectFramework(d.Cwd)
	if err != nil {
		return err
	}
	urlVar, siteVar := fw.URLVar, fw.SiteVar
	if v := c.String("cmd-url-env-var-name"); v != "" {
		urlVar = v
	}
	suffix := ""
	if dryRun {
		suffix = " [dry run]"
	}
	d.Out.Message("Running '%s' with environment variables \"%s\" and \"%s\" set...%s", line, urlVar, siteVar, suffix)
	if dryRun {
		d.Out.Success("Would have run %q with environment variables \"%s\" and \"%s\" set", line, urlVar, siteVar)
		return nil
	}
	cloud, site := url, ""
	if adminKey != "" {
		dc := deployments.NewDeploymentClient(url, adminKey, deployments.DeploymentClientOptions{
			Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Progress: d.Stderr})
		if cu, su, err := dc.CanonicalURLs(c.Context); err == nil {
			cloud, site = cu, su
		}
	}
	if err := d.shell(c.Context, line, urlVar+"="+cloud, siteVar+"="+site); err != nil {
		return ui.Errorf("'%s' failed", line)
	}
	d.Out.Success("Ran %q with environment variables \"%s\" and \"%s\" set", line, urlVar, siteVar)
	return nil
}

// shell runs line through the system shell with the terminal attached and
// extra variables added to the environment.
func (d *Deps) shell(ctx context.Context, line string, extraEnv ...string) error {
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", line)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", line)
	}
	cmd.Dir = d.Cwd
	cmd.Stdin, cmd.Stdout, cmd.Stderr = d.Stdin, d.Stdout, d.Stderr
	cmd.Env = append(os.Environ(), extraEnv...)
	return cmd.Run()
}

// intFromEnv reads an integer setting, warning about (and ignoring) a value
// that is not one.
func (d *Deps) intFromEnv(name string, def int64) int64 {
	v := d.Env.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		d.Out.Warn("Ignoring %s=%q: expected an integer, using %d", name, v, def)
		return def
	}
	return n
}

// clientURLVar is the variable a frontend in the project reads the
// deployment URL from (VITE_CONVEX_URL for Vite, …), CONVEX_URL when no
// framework is recognised or package.json cannot be read.
func (d *Deps) clientURLVar() string {
	fw, err := config.DetectFramework(d.Cwd)
	if err != nil || fw.URLVar == "" {
		return "CONVEX_URL"
	}
	return fw.URLVar
}
