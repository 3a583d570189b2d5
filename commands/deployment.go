package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/internal/lazy"
	"github.com/convex-go/convex/ui"
)

// usageLimitMetrics are the metrics a usage limit can watch.
var usageLimitMetrics = []string{
	"functionCalls", "queryMutationComputeGbHours", "actionComputeConvexGbHours",
	"actionComputeNodeJsGbHours", "actionComputeCpuGbHours", "databaseIoGb",
	"searchQueryGb", "dataEgressGb", "aiGatewayCostDollars",
}

const usageLimitsAction = "List and configure usage limits on"

// usageLimitKeyFlags identify one usage limit: (metric, window, type).
func usageLimitKeyFlags() []cli.Flag {
	return []cli.Flag{
		valueFlag("metric", "metric", "What the limit counts.").OneOf(usageLimitMetrics...).Required(),
		valueFlag("window", "window", "Period the limit is measured over.").OneOf("day", "month").Required(),
		valueFlag("type", "type", "`warning` only notifies you; `disable` pauses the deployment when the limit is passed.").OneOf("warning", "disable").Required(),
	}
}

func newDeploymentCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "deployment",
		Usage:       "Manage deployments",
		Description: "Choose, create and manage the deployments of your project, their deploy keys and usage limits.",
		Subcommands: []*cli.Command{
			{
				Name:      "select",
				Usage:     "Select the deployment to use when running commands",
				ArgsUsage: "<deployment>",
				Description: "Choose the deployment every convex command uses from now on in this folder, except `convex deploy` " +
					"(it writes CONVEX_DEPLOYMENT to .env.local). A single command can still target another one with --deployment.\n\n" +
					"• Your own cloud dev deployment: convex deployment select dev\n" +
					"• Your local deployment: convex deployment select local\n" +
					"• Another deployment of this project: convex deployment select dev/james\n" +
					"• One in another project of your team: convex deployment select other-project:dev/james\n" +
					"• One in another team: convex deployment select some-team:some-project:dev/james",
				Action: d.deploymentSelect,
			},
			{
				Name:      "create",
				Usage:     "Create a new deployment for a project",
				ArgsUsage: "[reference]",
				Description: "Create a deployment in a project. The reference names it within the project, e.g. `staging` or " +
					"`dev/my-feature`; `local` makes a local deployment; `team-slug:project-slug:ref` picks the team and project. " +
					"It can be left out with --default.\n\n" +
					"• A dev deployment, selected right away: convex deployment create dev/my-new-feature --type dev --select\n" +
					"• A production deployment called staging: convex deployment create staging --type prod",
				Flags: []cli.Flag{
					valueFlag("type", "type", "Kind of deployment.").OneOf("dev", "prod", "preview"),
					valueFlag("region", "region", "Region to create it in."),
					valueFlag("class", "class", "Deployment class.").Hide(),
					boolFlag("select", "Select it afterwards (writes .env.local), so later commands use it."),
					boolFlag("default", "Make it the project's default production deployment (used by `convex deploy`) or your own dev deployment."),
					valueFlag("expiration", "value", `When it is deleted by itself: "none", "in 7 days", "2026-04-01T00:00:00Z", or a UNIX time in seconds or milliseconds.`),
					valueFlag("expiry", "value", "Same as --expiration.").Hide(),
					valueFlag("expires", "value", "Same as --expiration.").Hide(),
				},
				Action: d.deploymentCreate,
			},
			{
				Name:        "token",
				Usage:       "Manage access tokens",
				Description: "Create and delete access tokens. For now these are deploy keys.",
				Subcommands: []*cli.Command{
					{
						Name:      "create",
						Usage:     "Create an access token",
						ArgsUsage: "<name>",
						Description: "Create a deploy key: set as CONVEX_DEPLOY_KEY, it points every command at one deployment (what CI needs).\n\n" +
							"• Print a new key on stdout: convex deployment token create my-token\n" +
							"• Save it in .env.local instead: convex deployment token create my-token --save-env\n" +
							"• Save it in another env file: convex deployment token create ci-token --save-env .env.production\n" +
							"• A key for the production deployment: convex deployment token create ci-token --deployment prod",
						Flags: withFlags([]cli.Flag{
							valueFlag("save-env", "path", "Save the key as CONVEX_DEPLOY_KEY in this env file (default .env.local) instead of printing it.").Optional(),
						}, selectionFlags("Create a deploy key for", false)),
						Action: d.deploymentTokenCreate,
					},
					{
						Name:      "delete",
						Usage:     "Delete an access token",
						ArgsUsage: "<nameOrToken>",
						Description: "Delete a deploy key, given by the name it was created with or by the key itself. " +
							"It acts on the current deployment unless --deployment says otherwise.\n\n" +
							"• By name: convex deployment token delete my-token\n" +
							"• By value: convex deployment token delete 'dev:happy-animal-123|ey...'\n" +
							"• On production: convex deployment token delete ci-token --deployment prod",
						Flags:  selectionFlags("Delete a deploy key for", false),
						Action: d.deploymentTokenDelete,
					},
				},
			},
			{
				Name:  "usage",
				Usage: "Show current usage for each metric",
				Description: "Show how much of each metric the deployment used so far today and this calendar month.\n\n" +
					"• As a table: convex deployment usage\n" +
					"• As JSON: convex deployment usage --json",
				Flags: withFlags([]cli.Flag{
					boolFlag("json", "Print JSON instead of a table."),
				}, selectionFlags("Show current usage for", false)),
				Action: d.deploymentUsage,
			},
			{
				Name:  "usage-limits",
				Usage: "List and configure deployment usage limits",
				Description: "A usage limit warns you, or pauses the deployment, when a metric (function calls, database " +
					"bandwidth, …) passes a threshold within a day or a month. A limit is identified by its metric, window and type.\n\n" +
					"• List them: convex deployment usage-limits list\n" +
					"• Create or change one: convex deployment usage-limits set --metric functionCalls --window day --type disable --limit 1000000\n" +
					"• Delete one: convex deployment usage-limits remove --metric functionCalls --window day --type disable",
				Flags: selectionFlags(usageLimitsAction, false),
				Subcommands: []*cli.Command{
					{
						Name:  "list",
						Usage: "List configured usage limits",
						Description: "List the usage limits of the deployment.\n\n" +
							"• As a table: convex deployment usage-limits list\n" +
							"• As JSON: convex deployment usage-limits list --json",
						Flags: withFlags([]cli.Flag{
							boolFlag("json", "Print JSON instead of a table."),
						}, selectionFlags(usageLimitsAction, false)),
						Action: d.usageLimitsList,
					},
					{
						Name:  "set",
						Usage: "Create or update a usage limit",
						Description: "Create a usage limit, or change the one with the same metric, window and type.\n\n" +
							"• Set the amount: convex deployment usage-limits set --metric functionCalls --window day --type disable --limit 1000000\n" +
							"• Switch it off without deleting it: add --inactive (--active switches it back on).\n" +
							"• Leave out --limit to change only whether it is active.",
						Flags: withFlags(usageLimitKeyFlags(), []cli.Flag{
							valueFlag("limit", "limit", "The amount, in the metric's own unit. Needed when creating; kept when left out while updating."),
							boolFlag("active", "Enforce the limit (new limits are active)."),
							boolFlag("inactive", "Keep the limit but do not enforce it."),
						}, selectionFlags(usageLimitsAction, false)),
						Action: d.usageLimitsSet,
					},
					{
						Name:        "remove",
						Aliases:     []string{"rm", "delete"},
						Usage:       "Delete a usage limit",
						Description: "Delete the usage limit with this metric, window and type, e.g. convex deployment usage-limits remove --metric functionCalls --window day --type warning",
						Flags:       withFlags(usageLimitKeyFlags(), selectionFlags(usageLimitsAction, false)),
						Action:      d.usageLimitsRemove,
					},
				},
			},
		},
	}
}

// ---- choosing the deployment, shared by every command that talks to one ----

const deploymentsOverrideTokenVar = deployments.EnvOverrideAccessToken

// httpClient is the HTTP client for Convex APIs: requests are logged when
// verbose logging is on.
func (d *Deps) httpClient() *http.Client {
	return &http.Client{Transport: d.Log.Transport(nil), Timeout: 5 * time.Minute}
}

// storedToken is the personal access token of the token file. A file that
// cannot be read counts as "not logged in", with a warning (as the
// reference does).
func (d *Deps) storedToken() string {
	store, err := auth.NewTokenStore(d.Env)
	if err != nil {
		return ""
	}
	tok, err := store.Token()
	if err != nil {
		d.Out.Warn("%v", err)
		return ""
	}
	if tok != "" {
		d.Log.AddSecret(tok)
	}
	return tok
}

// warnWriter turns lines written by library code into warnings.
type warnWriter struct{ out *ui.Printer }

func (w warnWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.out.Warn("%s", l)
	}
	return len(b), nil
}

// prompter asks questions on a terminal and fails clearly otherwise.
func (d *Deps) prompter() auth.Prompter {
	return auth.NewPrompterWith(auth.PrompterOptions{
		In: d.Stdin, Out: d.Stderr,
		Interactive: d.interactive(),
		Accessible:  d.Env.Get("ACCESSIBLE") != "",
	})
}

// interactive is true when both stdin and stderr are terminals.
func (d *Deps) interactive() bool { return ui.IsTerminal(d.Stdin) && ui.IsTerminal(d.Stderr) }

// SelectionOptions turns the selection flags of the running command into
// deployments.Options. command is the name Select uses for its defaults
// and refusals ("dev", "deploy", "env", "run", "codegen", …).
func (d *Deps) SelectionOptions(c *cli.Context, command string) deployments.Options {
	sel := readSelection(c)
	return deployments.Options{
		Command:        command,
		Prod:           sel.Prod,
		PreviewName:    sel.PreviewName,
		DeploymentName: sel.DeploymentName,
		Deployment:     sel.Deployment,
		URL:            sel.URL,
		AdminKey:       sel.AdminKey,
		EnvFile:        sel.EnvFile,
		Dir:            d.Cwd,
		Env:            d.Env,
		AccessToken:    d.storedToken(),
		Interactive:    ui.IsTerminal(d.Stdin),
		Warn:           warnWriter{d.Out},
		HTTPClient:     d.httpClient(),
	}
}

// SelectTarget runs the deployment selection for the running command and
// returns the target with its credentials. Secrets it returns are
// registered with the verbose logger so they never show up in logs.
func (d *Deps) SelectTarget(c *cli.Context, command string) (deployments.Target, error) {
	o := d.SelectionOptions(c, command)
	s, err := deployments.Resolve(c.Context, o)
	if err != nil {
		return deployments.Target{}, err
	}
	if (command == "dev" || command == "init") && s.Kind == deployments.SelectionWithinProject {
		// dev and init log in when the configured project needs it, as
		// the reference does, instead of failing on the first request.
		if s, err = d.loginForProject(c, o, s); err != nil {
			return deployments.Target{}, err
		}
	}
	t, err := s.Target(c.Context)
	if err != nil {
		return t, err
	}
	d.Log.AddSecret(t.AdminKey)
	d.Log.AddSecret(t.Auth)
	d.Log.Printf("selected %s", t.Describe())
	return t, nil
}

// loginForProject makes sure the credential of a selection within a cloud
// project is accepted, running the login flow when it is not (spec cli
// §4.1 D), and resolves again with the new login.
func (d *Deps) loginForProject(c *cli.Context, o deployments.Options, s *deployments.Selection) (*deployments.Selection, error) {
	cred := auth.Credential{Kind: credentialKind(s.AuthKind()), Token: s.Client().Auth()}
	message := ""
	if cred.Kind == auth.CredNone || d.Env.Get(deployments.EnvAllowAnonymous) == "false" {
		message = "Tip: to try Convex without an account, remove the CONVEX_DEPLOYMENT variable (usually in .env.local)."
	}
	got, err := auth.EnsureLoggedIn(c.Context, cred, message, auth.LoginOptions{
		Env: d.Env, Prompter: d.prompter(), Out: d.Stderr, HTTPClient: d.httpClient(),
		AuthIssuer: flagString(c, "override-auth-url"), ClientID: flagString(c, "override-auth-client"),
		OpenBrowser: func(u string) error { return openBrowser(d.Env, u) },
	})
	if err != nil {
		return nil, err
	}
	if got.Token == cred.Token {
		return s, nil
	}
	d.Log.AddSecret(got.Token)
	o.AccessToken = got.Token
	return deployments.Resolve(c.Context, o)
}

// credentialKind maps a deployments auth kind to auth's.
func credentialKind(kind string) auth.CredentialKind {
	switch kind {
	case "accessToken":
		return auth.CredAccessToken
	case "projectKey":
		return auth.CredProjectKey
	case "deploymentKey":
		return auth.CredDeploymentKey
	case "previewDeployKey":
		return auth.CredPreviewKey
	}
	return auth.CredNone
}

// managementClient is a management-API client authenticated as the
// command's flags and environment decide (spec cli §2.3).
func (d *Deps) managementClient(c *cli.Context) (*deployments.Client, deployments.Auth, error) {
	o := d.SelectionOptions(c, "")
	client, a, err := deployments.ManagementClient(o)
	if err == nil {
		d.Log.AddSecret(a.Token)
	}
	return client, a, err
}

// typeLabel is how a deployment kind is labelled in banners.
func typeLabel(k deployments.Kind) string {
	switch k {
	case deployments.KindProd:
		return "Production"
	case deployments.KindDev:
		return "Development"
	case deployments.KindLocal, deployments.KindAnonymous:
		return "Local"
	case deployments.KindPreview:
		return "Preview"
	case deployments.KindCustom:
		return "Custom"
	}
	return ""
}

// announceTarget prints the deployment banner: an optional header, the
// deployment (type, reference or name, dashboard link) and its URL.
func (d *Deps) announceTarget(header string, t deployments.Target) {
	bar := d.Out.Paint("▌", ui.Bold)
	if header != "" {
		d.Out.Message("%s %s", bar, header)
	}
	if label := typeLabel(t.Kind); label != "" {
		ref := t.Name
		switch {
		case t.Kind == deployments.KindAnonymous && t.Auth != "":
			// Logged in, but this deployment belongs to no cloud project
			// (dev without a terminal, or CONVEX_AGENT_MODE=anonymous).
			ref = "Port " + portOf(t.URL) + " • Not linked to a cloud project (run convex dev --configure to use one)"
		case t.Kind == deployments.KindAnonymous:
			ref = "Port " + portOf(t.URL) + " • No Convex account (run convex login to link to a project)"
		case t.Kind == deployments.KindLocal:
			ref = "Port " + portOf(t.URL)
			if t.Team != "" && t.Project != "" {
				ref += " • in " + t.Team + ":" + t.Project
			}
		case t.Team != "" && t.Project != "" && t.Reference != "":
			ref = t.Team + ":" + t.Project + ":" + t.Reference
			if t.IsDefault && (t.Kind == deployments.KindDev || t.Kind == deployments.KindProd) {
				ref += " (" + string(t.Kind) + ")"
			}
		}
		line := fmt.Sprintf("%s [%s] %s", bar, label, ref)
		if t.Kind != deployments.KindAnonymous && t.Name != "" {
			line += " (dashboard: " + deployments.DashboardURL(d.Env, t.Team, t.Project, t.Name) + ")"
		}
		d.Out.Message("%s", line)
	}
	if t.URL != "" {
		d.Out.Message("%s └─ %s", bar, t.URL)
	}
}

func portOf(u string) string {
	if i := strings.LastIndexByte(u, ':'); i >= 0 {
		return strings.TrimRight(u[i+1:], "/")
	}
	return u
}

// ---- deployment select ----

func (d *Deps) deploymentSelect(c *cli.Context) error {
	selector := c.Args().First()
	ctx := c.Context
	o := d.SelectionOptions(c, "deployment select")
	current, err := deployments.Resolve(ctx, o)
	if err != nil {
		return err
	}
	parsed := deployments.ParseSelector(selector)
	local := parsed.Name == "" && parsed.Ref == "local"
	if current.Kind == deployments.SelectionChooseProject && !parsed.FullyQualified() && !local {
		return ui.Errorf("No project is configured here, so %q cannot be resolved.", selector).
			WithHint("Run `convex dev` to set up a project first, or use a full selector like 'my-team:my-project:dev/james' or 'happy-capybara-123'.")
	}
	if local {
		if err := d.prepareLocalSelect(c, current, parsed); err != nil {
			return err
		}
	}
	o.Deployment = selector
	t, err := deployments.Select(ctx, o)
	if err != nil {
		return err
	}
	if t.Kind == deployments.KindProd {
		return ui.Errorf("%s is a production deployment, and selecting one is not supported.", t.Name).
			WithHint("To run a command on it, pass --deployment %s to that command.", selector)
	}
	if !t.Cloud() && t.Kind != deployments.KindLocal {
		return ui.Errorf("Only cloud and local deployments can be selected, not %s.", t.Describe())
	}
	if err := d.saveSelection(ctx, t); err != nil {
		return err
	}
	d.Out.Success("Selected deployment:")
	d.announceTarget("", t)
	return nil
}

// SaveDeployment records t as the project's deployment, as `convex dev`
// does (spec cli §2.8): CONVEX_DEPLOYMENT in .env.local (except for prod)
// and the client and HTTP-actions URL variables (CONVEX_URL and
// CONVEX_SITE_URL, or the framework's names) in the framework's env file,
// and says what changed. Cloud deployments are asked for their canonical
// URLs; local and anonymous ones serve HTTP actions on the site port of
// their saved config. Self-hosted and --url targets go to SaveURLs. It
// reports whether anything was written.
func (d *Deps) SaveDeployment(ctx context.Context, t deployments.Target) (bool, error) {
	var url, site string
	switch {
	case t.Kind == deployments.KindSelfHosted || t.Kind == deployments.KindURL:
		return d.SaveURLs(ctx, t)
	case t.Cloud():
		cloud, s, err := d.canonicalURLs(ctx, t)
		if err != nil {
			return false, err
		}
		url, site = cloud, s
	case t.Kind == deployments.KindLocal || t.Kind == deployments.KindAnonymous:
		s, err := deployments.LocalSiteURL(d.Cwd, deployments.GlobalDir(d.Env), t.Kind, t.Name)
		if err != nil {
			return false, err
		}
		url, site = t.URL, s
	default:
		return false, ui.Errorf("cannot save %s as the project's deployment", t.Describe())
	}
	changedVar, newDeployment := false, false
	if t.Kind != deployments.KindProd {
		var err error
		changedVar, newDeployment, err = config.SetDeployment(d.Cwd, config.DeploymentValue(string(t.Kind), t.Name), t.Team, t.Project)
		if err != nil {
			return false, err
		}
	}
	res, err := config.WriteURLVars(d.Cwd, url, site)
	if err != nil {
		return changedVar, err
	}
	for _, w := range res.Warnings {
		d.Out.Warn("%s", w)
	}
	head := "Provisioned a " + string(t.Kind) + " deployment"
	if t.Kind == deployments.KindLocal || t.Kind == deployments.KindAnonymous {
		head = "Configured a local deployment for " + t.URL
	}
	switch {
	case res.Changed():
		d.Out.Success("%s and saved its:", head)
		if newDeployment {
			d.Out.Message("    name as CONVEX_DEPLOYMENT")
		}
		if res.URLVar != "" {
			d.Out.Message("    client URL as %s", res.URLVar)
		}
		if res.SiteVar != "" {
			d.Out.Message("    HTTP actions URL as %s", res.SiteVar)
		}
		d.Out.Message(" to %s", filepath.Base(res.File))
	case newDeployment:
		d.Out.Success("%s and saved its name as CONVEX_DEPLOYMENT to .env.local", head)
	}
	return changedVar || res.Changed(), nil
}

// SaveURLs is what `convex dev` records for a deployment that is not
// tracked by CONVEX_DEPLOYMENT (self-hosted, or --url with --admin-key):
// CONVEX_DEPLOYMENT is removed from .env.local, and the deployment's URL and
// its HTTP-actions URL (asked from the deployment) are saved under the
// framework's names. It reports whether anything was written.
func (d *Deps) SaveURLs(ctx context.Context, t deployments.Target) (bool, error) {
	_, site, err := d.canonicalURLs(ctx, t)
	if err != nil {
		return false, err
	}
	removed, err := config.RemoveDeployment(d.Cwd)
	if err != nil {
		return false, err
	}
	if removed {
		d.Out.Warn("Removed the CONVEX_DEPLOYMENT environment variable from .env.local")
	}
	res, err := config.WriteURLVars(d.Cwd, t.URL, site)
	if err != nil {
		return removed, err
	}
	for _, w := range res.Warnings {
		d.Out.Warn("%s", w)
	}
	if res.Changed() {
		names := res.URLVar
		if res.SiteVar != "" {
			if names != "" {
				names += " and "
			}
			names += res.SiteVar
		}
		d.Out.Success("Saved %s to %s", names, filepath.Base(res.File))
	}
	return removed || res.Changed(), nil
}

// canonicalURLs asks the deployment for its client and HTTP-actions URLs.
func (d *Deps) canonicalURLs(ctx context.Context, t deployments.Target) (cloud, site string, err error) {
	dc := deployments.NewDeploymentClient(t.URL, t.AdminKey, deployments.DeploymentClientOptions{
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Progress: d.Stderr})
	return dc.CanonicalURLs(ctx)
}

// saveSelection is SaveDeployment for the commands that only select.
func (d *Deps) saveSelection(ctx context.Context, t deployments.Target) error {
	_, err := d.SaveDeployment(ctx, t)
	return err
}

// ---- deployment create ----

// Patterns are compiled on first use: package initialisers run on every
// start, even for --version.
var (
	relativeExpiry = lazy.Regexp(`(?i)^in\s+(\d+)\s+(minute|hour|day)s?$`)
	utcExpiry      = lazy.Regexp(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	digitsOnly     = lazy.Regexp(`^\d+$`)
	refChars       = lazy.Regexp(`^[a-z0-9/-]+$`)
)

const expirationFormats = "Supported formats:\n" +
	"  \"none\"                  no expiration\n" +
	"  \"in 7 days\"             relative (minutes, hours, days)\n" +
	"  \"2026-04-01T00:00:00Z\"  a UTC date and time\n" +
	"  \"1711828382\"            a UNIX time in seconds\n" +
	"  \"1711828382000\"         a UNIX time in milliseconds"

// parseExpiration turns an --expiration value into milliseconds since the
// epoch; (nil, nil) means "none".
func parseExpiration(v string, now time.Time) (*int64, error) {
	v = strings.TrimSpace(v)
	var at time.Time
	switch {
	case strings.EqualFold(v, "none"):
		return nil, nil
	case digitsOnly.Get().MatchString(v):
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, ui.Usage("Invalid expiration %q.", v).WithHint("%s", expirationFormats)
		}
		if n < 1e12 {
			n *= 1000
		}
		at = time.UnixMilli(n)
	case utcExpiry.Get().MatchString(v):
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, ui.Usage("Invalid UTC date and time %q.", v).WithHint("%s", expirationFormats)
		}
		at = t
	default:
		m := relativeExpiry.Get().FindStringSubmatch(v)
		if m == nil {
			return nil, ui.Usage("Invalid expiration %q.", v).WithHint("%s", expirationFormats)
		}
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.ToLower(m[2])]
		at = now.Add(time.Duration(n) * unit)
	}
	switch {
	case !at.After(now):
		return nil, ui.Usage("The expiration must be in the future.")
	case at.Sub(now) < 30*time.Minute:
		return nil, ui.Usage("The expiration must be at least 30 minutes from now.")
	case at.Sub(now) > 365*24*time.Hour:
		return nil, ui.Usage("The expiration must be at most one year from now.")
	}
	ms := at.UnixMilli()
	return &ms, nil
}

// parseNewReference validates the reference of a deployment to create;
// "team:project:ref" also names the project.
func parseNewReference(s string) (ref, team, project string, err error) {
	sel := deployments.ParseSelector(s)
	switch {
	case sel.Name != "":
		return "", "", "", ui.Usage("%q cannot be a deployment reference: names like \"word-word-123\" are reserved for generated deployment names.", s)
	case sel.Team == "" && sel.Project != "":
		return "", "", "", ui.Usage("Use \"team:project:ref\" to create a deployment in another project (the team is needed).")
	}
	switch sel.Ref {
	case "dev":
		return "", "", "", ui.Usage("\"dev\" is reserved for your default dev deployment.")
	case "prod":
		return "", "", "", ui.Usage("\"prod\" is reserved for the project's default production deployment.")
	case "local":
		return "", "", "", ui.Usage("\"local\" is reserved for your local deployment.").
			WithHint("Start one with `convex dev --local`.")
	}
	if len(sel.Ref) < 3 || len(sel.Ref) > 100 || !refChars.Get().MatchString(sel.Ref) {
		return "", "", "", ui.Usage("%q is not a valid deployment reference: use 3 to 100 characters among a-z, 0-9, / and -.", sel.Ref)
	}
	return sel.Ref, sel.Team, sel.Project, nil
}

var regionAliases = map[string]string{"us": "aws-us-east-1", "eu": "aws-eu-west-1"}

func regionChoices(regions []deployments.Region) string {
	var b strings.Builder
	for _, r := range regions {
		if !r.Available {
			continue
		}
		name := r.Name
		for alias, full := range regionAliases {
			if full == r.Name {
				name = alias
			}
		}
		fmt.Fprintf(&b, "\n    --region %s  for %s", name, r.DisplayName)
	}
	return b.String()
}

// ensureCanCreate refuses credentials that cannot create deployments or projects.
func ensureCanCreate(a deployments.Auth, what string) error {
	switch a.Kind {
	case "accessToken", "projectKey":
		return nil
	case "":
		return ui.Errorf("Creating a %s requires logging in.", what).WithHint("Run `convex login` and try again.")
	}
	return ui.Errorf("Creating a %s is not possible with a deploy key (%s).", what, a.KeyVar).
		WithHint("Run `convex login` (or use a project key) and try again.")
}

func (d *Deps) deploymentCreate(c *cli.Context) error {
	ctx := c.Context
	client, a, err := d.managementClient(c)
	if err != nil {
		return err
	}
	if err := ensureCanCreate(a, "deployment"); err != nil {
		return err
	}
	refArg := c.Args().First()
	if refArg == "local" || strings.HasSuffix(refArg, ":local") {
		return d.createLocalDeployment(c, client, refArg)
	}
	expiration := c.String("expiration")
	for _, alias := range []string{"expiry", "expires"} {
		if expiration == "" {
			expiration = c.String(alias)
		}
	}
	var expiresAt *int64
	if expiration != "" {
		if expiresAt, err = parseExpiration(expiration, time.Now()); err != nil {
			return err
		}
	}
	var ref, team, project string
	if refArg != "" {
		if ref, team, project, err = parseNewReference(refArg); err != nil {
			return err
		}
	}
	typ := c.String("type")
	p := d.prompter()
	if typ == "" {
		types := []string{"dev", "preview", "prod"}
		if !auth.IsInteractive(p) {
			return ui.Usage("--type is required (dev, prod or preview).").WithHint("%s", "For example: convex deployment create staging --type prod")
		}
		i, err := p.Select("Deployment type?", types)
		if err != nil {
			return err
		}
		typ = types[i]
	}
	if ref == "" && !c.Bool("default") {
		if !auth.IsInteractive(p) {
			return ui.Usage("Name the deployment with a reference, or pass --default.").
				WithHint("For example:\n  convex deployment create my-deployment-ref --type dev\n  convex deployment create --type prod --default")
		}
		def := ""
		if typ != "prod" {
			if b := gitBranch(d.Cwd); b != "" {
				def = typ + "/" + b
			}
		}
		answer, err := p.Input("What do you want to call this deployment? (e.g. staging, dev/james/feature)", def)
		if err != nil {
			return err
		}
		if ref, _, _, err = parseNewReference(answer); err != nil {
			return err
		}
	}

	var proj deployments.Project
	if team != "" {
		proj, err = client.ProjectBySlugs(ctx, team, project)
	} else {
		o := d.SelectionOptions(c, "deployment create")
		o.Prod, o.PreviewName, o.DeploymentName, o.Deployment = false, "", "", ""
		sel, rerr := deployments.Resolve(ctx, o)
		if rerr != nil {
			return rerr
		}
		proj, err = sel.CloudProject(ctx)
	}
	if err != nil {
		return err
	}

	req := deployments.CreateDeploymentRequest{Type: typ, ExpiresAt: expiresAt}
	if ref != "" {
		req.Reference = &ref
	}
	if c.Bool("default") {
		t := true
		req.IsDefault = &t
	}
	regionText := ""
	if r := c.String("region"); r != "" {
		regions, err := client.ListRegions(ctx, proj.TeamID)
		if err != nil {
			return err
		}
		name := r
		if full, ok := regionAliases[r]; ok {
			name = full
		}
		found := false
		for _, reg := range regions {
			if reg.Name == name && reg.Available {
				found, regionText = true, reg.DisplayName
			}
		}
		if !found {
			return ui.Usage("Invalid region %q.", r).WithHint("Available regions:%s", regionChoices(regions))
		}
		req.Region = &name
	} else if auth.IsInteractive(p) {
		// On a terminal: the team's default region, else ask.
		team, err := d.chooseTeam(c, client, proj.TeamSlug)
		if err != nil {
			return err
		}
		if team.DefaultRegion != nil {
			req.Region = team.DefaultRegion
			d.Out.Success("Using the team's default region %s", *team.DefaultRegion)
		} else if r, err := d.chooseRegion(c, client, team); err != nil {
			return err
		} else if r != "" {
			req.Region = &r
		}
	}
	if cl := c.String("class"); cl != "" {
		classes, err := client.ListClasses(ctx, proj.TeamID)
		if err != nil {
			return err
		}
		ok := false
		var names []string
		for _, k := range classes {
			if k.Available {
				names = append(names, "--class "+k.Type)
				ok = ok || k.Type == cl
			}
		}
		if !ok {
			return ui.Usage("Invalid class %q.", cl).WithHint("Available classes:\n    %s", strings.Join(names, "\n    "))
		}
		req.Class = cl
	}
	what := "Creating " + typ + " deployment"
	if regionText != "" {
		what += " in region " + regionText
	}
	if req.Class != "" {
		what += " with class " + req.Class
	}
	sp := d.Out.Spinner(what + "...")
	created, err := client.CreateDeployment(ctx, proj.ID, req)
	if err != nil {
		sp.Fail("Could not create the deployment.")
		return err
	}
	sp.Stop()
	t := deployments.Target{Kind: deployments.Kind(created.DeploymentType), Name: created.Name, URL: created.DeploymentURL,
		Team: proj.TeamSlug, Project: proj.Slug, IsDefault: created.IsDefault}
	if created.Reference != nil {
		t.Reference = *created.Reference
	}
	if c.Bool("select") && typ != "prod" {
		d.Out.Success("Created and selected a new %s deployment:", created.DeploymentType)
		d.announceTarget("", t)
		// Selecting needs credentials for the canonical URLs.
		o := d.SelectionOptions(c, "deployment select")
		o.Prod, o.PreviewName, o.DeploymentName, o.URL, o.AdminKey = false, "", "", "", ""
		o.Deployment = proj.TeamSlug + ":" + proj.Slug + ":" + t.Reference
		full, err := deployments.Select(ctx, o)
		if err != nil {
			return err
		}
		return d.saveSelection(ctx, full)
	}
	def := ""
	if created.IsDefault {
		def = "default "
	}
	d.Out.Success("Created a new %s%s deployment:", def, created.DeploymentType)
	d.announceTarget("", t)
	if typ != "prod" {
		d.Out.Message("\nTo make convex commands use it, run `convex deployment select %s:%s:%s`", proj.TeamSlug, proj.Slug, t.Reference)
		d.Out.Hint("Tip: --select selects a new deployment right away.")
	}
	return nil
}

// gitBranch is the current Git branch for default references ("" for
// detached heads, main and master).
func gitBranch(dir string) string {
	cmd := exec.Command("git", "rev-parse", "--abbrev-ref", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	b := strings.TrimSpace(string(out))
	switch b {
	case "HEAD", "main", "master":
		return ""
	}
	b = strings.ToLower(regexp.MustCompile(`[^a-zA-Z0-9/-]+`).ReplaceAllString(b, "-"))
	return strings.Trim(b, "-")
}

// ---- deployment token create / delete ----

// ensureAccessToken refuses anything but a personal login for deploy-key management.
func (d *Deps) ensureAccessToken(t deployments.Target, action string) error {
	if t.AuthKind == "accessToken" {
		return nil
	}
	prefix := "Run"
	switch {
	case t.AuthKind == "":
	case d.Env.Get(deployments.EnvDeploymentToken) != "" && d.Env.Get(deployments.EnvDeployKey) == "":
		prefix = "Unset CONVEX_DEPLOYMENT_TOKEN and run"
	default:
		prefix = "Unset CONVEX_DEPLOY_KEY and run"
	}
	return ui.Errorf("%s requires being logged in with a personal access token.", action).
		WithHint("%s `convex login` and try again.", prefix)
}

func tokenTarget(t deployments.Target, verb string) error {
	switch t.Kind {
	case deployments.KindSelfHosted, deployments.KindURL:
		return ui.Errorf("Cannot %s a deploy key for a self-hosted deployment.", verb)
	case deployments.KindLocal:
		return ui.Errorf("Cannot %s a deploy key for a local deployment.", verb)
	case deployments.KindAnonymous:
		return ui.Errorf("Cannot %s a deploy key for an anonymous deployment.", verb)
	}
	return nil
}

// deployKeyTarget is what `deployment token create|delete` (verb) works
// on: it checks that the login is a personal access token (action names the
// operation for that error), selects a cloud deployment and returns it with
// a management client.
func (d *Deps) deployKeyTarget(c *cli.Context, verb, action string) (deployments.Target, *deployments.Client, error) {
	auth0, err := deployments.ManagementAuth(d.SelectionOptions(c, ""))
	if err != nil {
		return deployments.Target{}, nil, err
	}
	if err := d.ensureAccessToken(deployments.Target{AuthKind: auth0.Kind}, action); err != nil {
		return deployments.Target{}, nil, err
	}
	t, err := d.SelectTarget(c, "deployment token")
	if err != nil {
		return deployments.Target{}, nil, err
	}
	if err := tokenTarget(t, verb); err != nil {
		return deployments.Target{}, nil, err
	}
	client := deployments.NewClient(deployments.ClientOptions{Host: deployments.ProvisionHost(d.Env), Auth: t.Auth,
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}})
	return t, client, nil
}

func (d *Deps) deploymentTokenCreate(c *cli.Context) error {
	name := c.Args().First()
	ctx := c.Context
	t, client, err := d.deployKeyTarget(c, "create", "Creating a deploy key")
	if err != nil {
		return err
	}
	sp := d.Out.Spinner("Creating a deploy key for " + t.Name + "...")
	key, err := client.CreateDeployKey(ctx, t.Name, name)
	if err != nil {
		sp.Fail("Could not create the deploy key.")
		return err
	}
	sp.Stop()
	d.Log.AddSecret(key)
	if !c.IsSet("save-env") {
		d.Out.Success("Created deploy key %q for %s.", name, t.Name)
		d.Out.Result("%s", key)
		return nil
	}
	file := c.String("save-env")
	if file == "" {
		file = config.EnvLocalFile
	}
	path := d.cwdPath(file)
	f, err := config.ReadEnvFile(path)
	if err != nil {
		return err
	}
	if err := f.SetValue(deployments.EnvDeployKey, key, "", ""); err != nil {
		return err
	}
	if !f.Changed() {
		d.Out.Success("The deploy key for %s is already in %s; nothing changed.", t.Name, file)
		return nil
	}
	if err := f.Save(); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil && !os.IsNotExist(err) {
		return ui.Wrap(err, "cannot restrict the permissions of %s", file)
	}
	d.Out.Success("Saved deploy key %q for %s as CONVEX_DEPLOY_KEY in %s.", name, t.Name, file)
	return nil
}

var partialKey = lazy.Regexp(`^(dev|prod|preview|local):[^|]*$`)

func (d *Deps) deploymentTokenDelete(c *cli.Context) error {
	v := c.Args().First()
	ctx := c.Context
	if partialKey.Get().MatchString(v) {
		return ui.Usage("%q looks like the first half of a deploy key: your shell probably cut it at the `|`.", v).
			WithHint("Wrap the value in single quotes, e.g. convex deployment token delete '%s|...'", v)
	}
	t, client, err := d.deployKeyTarget(c, "delete", "Deleting a deploy key")
	if err != nil {
		return err
	}
	id := v
	if _, secret, ok := strings.Cut(v, "|"); ok {
		id = secret
	}
	if err := client.DeleteDeployKey(ctx, t.Name, id); err != nil {
		return err
	}
	d.Out.Success("Deleted the deploy key for %s.", t.Name)
	return nil
}

// ---- local deployments linked to a project ----

// localProject is the cloud project a local selector ([team:[project:]]local)
// refers to; ok is false when it cannot be told (nothing configured).
func (d *Deps) localProject(ctx context.Context, client *deployments.Client, current *deployments.Selection, sel deployments.Selector) (deployments.Project, bool, error) {
	if sel.Team != "" {
		p, err := client.ProjectBySlugs(ctx, sel.Team, sel.Project)
		return p, err == nil, err
	}
	if current == nil || current.Kind == deployments.SelectionChooseProject || current.Kind == deployments.SelectionAnonymous {
		return deployments.Project{}, false, nil
	}
	p, err := current.CloudProject(ctx)
	if err != nil {
		return p, false, err
	}
	if sel.Project != "" && sel.Project != p.Slug {
		p, err = client.ProjectBySlugs(ctx, p.TeamSlug, sel.Project)
		if err != nil {
			return p, false, err
		}
	}
	return p, true, nil
}

// prepareLocalSelect makes sure the local deployment a local selector names
// exists and belongs to the selected project, moving it there when it was
// registered with another project.
func (d *Deps) prepareLocalSelect(c *cli.Context, current *deployments.Selection, sel deployments.Selector) error {
	ctx := c.Context
	stateDir := anonymous.ProjectStateDir(d.Cwd)
	cfg, err := anonymous.LoadConfig(stateDir)
	if err != nil {
		return err
	}
	noLocal := ui.Errorf("There is no local deployment in this project.").
		WithHint("Create one with `convex deployment create local`.")
	if (cfg == nil || cfg.DeploymentName == "") && !d.interactive() {
		return noLocal
	}
	client, _, err := d.managementClient(c)
	if err != nil {
		return err
	}
	proj, known, err := d.localProject(ctx, client, current, sel)
	if err != nil {
		return err
	}
	if cfg == nil || cfg.DeploymentName == "" {
		// On a terminal, offer to create it in the selected project.
		if !known {
			return ui.Errorf("No project is configured here.").
				WithHint("Run `convex dev` to set up a project first, or use team:project:local.")
		}
		ok, err := d.prompter().Confirm("No local deployment found. Create one now?", true)
		if err != nil || !ok {
			if err == nil {
				err = noLocal
			}
			return err
		}
		_, err = d.registerLocal(ctx, client, proj, "")
		return err
	}
	if !known {
		return nil
	}
	if cfg.CloudProjectID != nil && *cfg.CloudProjectID == proj.ID {
		return nil
	}
	if cfg.CloudProjectID != nil {
		from := fmt.Sprintf("an unknown cloud project (ID %d)", *cfg.CloudProjectID)
		if old, err := client.ProjectByID(ctx, *cfg.CloudProjectID); err == nil {
			from = "project " + old.TeamSlug + ":" + old.Slug
			_ = client.PauseLocalDeployment(ctx, old.TeamSlug, old.Slug) // best effort
		}
		d.Out.Warn("This local deployment was in %s. Moving it to project %s:%s.", from, proj.TeamSlug, proj.Slug)
		started, err := client.StartLocalDeployment(ctx, cfg.Ports.Cloud, proj.TeamSlug, proj.Slug, "")
		if err != nil {
			return err
		}
		// The admin key names the instance, so a new name needs a new key.
		if cfg.DeploymentName != started.DeploymentName {
			if err := mintLocalCredentials(cfg, started.DeploymentName); err != nil {
				return err
			}
		}
		cfg.DeploymentName = started.DeploymentName
	}
	id := proj.ID
	cfg.CloudProjectID = &id
	return anonymous.SaveConfig(stateDir, cfg)
}

// mintLocalCredentials gives cfg a fresh instance secret and admin key for name.
func mintLocalCredentials(cfg *anonymous.Config, name string) error {
	secretHex, err := adminkey.NewSecret()
	if err != nil {
		return err
	}
	secret, err := adminkey.ParseSecret(secretHex)
	if err != nil {
		return err
	}
	key, err := adminkey.Mint(name, secret)
	if err != nil {
		return ui.Wrap(err, "cannot mint an admin key for %s", name)
	}
	cfg.InstanceSecret, cfg.AdminKey = secretHex, key
	return nil
}

// createLocalDeployment registers a local deployment with a project and
// saves its state, ready for `convex dev` to start.
func (d *Deps) createLocalDeployment(c *cli.Context, client *deployments.Client, refArg string) error {
	ctx := c.Context
	for _, flag := range []string{"type", "region", "class", "default", "expiration", "expiry", "expires"} {
		if c.IsSet(flag) {
			return ui.Usage("--%s cannot be used when creating a local deployment.", flag)
		}
	}
	sel := deployments.ParseSelector(refArg)
	if sel.Team == "" && sel.Project != "" {
		return ui.Usage("Use team:project:local to create a local deployment in another project (the team is needed).")
	}
	stateDir := anonymous.ProjectStateDir(d.Cwd)
	if cfg, err := anonymous.LoadConfig(stateDir); err != nil {
		return err
	} else if cfg != nil && cfg.DeploymentName != "" {
		return ui.Errorf("A local deployment already exists here (%s).", cfg.DeploymentName).
			WithHint("Select it with `convex deployment select local`.")
	}
	var current *deployments.Selection
	if sel.Team == "" {
		o := d.SelectionOptions(c, "deployment create")
		o.Prod, o.PreviewName, o.DeploymentName, o.Deployment = false, "", "", ""
		var err error
		if current, err = deployments.Resolve(ctx, o); err != nil {
			return err
		}
	}
	proj, known, err := d.localProject(ctx, client, current, sel)
	if err != nil {
		return err
	}
	if !known {
		return ui.Errorf("No project is configured here yet.").
			WithHint("Use team:project:local to say which project the local deployment belongs to.")
	}
	t, err := d.registerLocal(ctx, client, proj, "")
	if err != nil {
		return err
	}
	if c.Bool("select") {
		if err := d.saveSelection(ctx, t); err != nil {
			return err
		}
		d.Out.Success("Created and selected a local deployment:")
		d.announceTarget("", t)
		d.Out.Message("\nRun `convex dev` to start it.")
		return nil
	}
	d.Out.Success("Created a local deployment:")
	d.announceTarget("", t)
	d.Out.Message("\nTo use it, run `convex deployment select local`, then `convex dev` to start it.")
	return nil
}

// ---- deployment usage and usage-limits ----

var metricLabels = map[string]string{
	"functionCalls":               "Function calls",
	"queryMutationComputeGbHours": "Query/Mutation compute",
	"actionComputeConvexGbHours":  "Action compute",
	"actionComputeNodeJsGbHours":  "Action compute (Node.js)",
	"actionComputeCpuGbHours":     "Action compute (CPU)",
	"databaseIoGb":                "Database I/O",
	"searchQueryGb":               "Search queries",
	"dataEgressGb":                "Data egress",
	"aiGatewayCostDollars":        "AI Gateway",
}

func metricLabel(m string) string {
	if l, ok := metricLabels[m]; ok {
		return l
	}
	return m
}

func metricRank(m string) int {
	for i, x := range usageLimitMetrics {
		if x == m {
			return i
		}
	}
	return len(usageLimitMetrics)
}

// compactNumber renders 1234 as "1.234K" and 1500000 as "1.5M".
func compactNumber(v float64) string {
	units := []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}}
	abs := v
	if abs < 0 {
		abs = -abs
	}
	for _, u := range units {
		if abs >= u.div {
			return trimNumber(v/u.div) + u.suffix
		}
	}
	return trimNumber(v)
}

func trimNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// thousands renders an exact amount with thousands separators: 1,000,000.
func thousands(v float64) string {
	s := trimNumber(v)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func amount(v float64, unit string) string {
	if unit == "" {
		return compactNumber(v)
	}
	if v == 1 && unit == "calls" {
		unit = "call"
	}
	return compactNumber(v) + " " + unit
}

// boxTable draws a table with box-drawing characters; columns in right are
// right-aligned.
func boxTable(header []string, rows [][]string, right ...int) string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	isRight := map[int]bool{}
	for _, i := range right {
		isRight[i] = true
	}
	rule := func(l, m, r string) string {
		parts := make([]string, len(widths))
		for i, w := range widths {
			parts[i] = strings.Repeat("─", w+2)
		}
		return l + strings.Join(parts, m) + r
	}
	line := func(cells []string) string {
		out := make([]string, len(cells))
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if isRight[i] {
				out[i] = pad + c
			} else {
				out[i] = c + pad
			}
		}
		return "│ " + strings.Join(out, " │ ") + " │"
	}
	lines := []string{rule("┌", "┬", "┐"), line(header), rule("├", "┼", "┤")}
	for _, r := range rows {
		lines = append(lines, line(r))
	}
	lines = append(lines, rule("└", "┴", "┘"))
	return strings.Join(lines, "\n")
}

const seedPartialNote = "Historical usage is still being loaded, so the usage below may understate this deployment's actual usage. Check again shortly for accurate totals."
const seedFailedNote = "This deployment's historical usage could not be loaded, so the usage below may understate its actual usage. Limits are still enforced from now on."

func seedNote(status string) string {
	switch status {
	case "complete", "":
		return ""
	case "failed":
		return seedFailedNote
	}
	return seedPartialNote
}

// usageDeployment selects the deployment for the usage commands and makes a
// local one reachable while the command runs; call the returned stop.
func (d *Deps) usageDeployment(c *cli.Context) (*deployments.DeploymentClient, deployments.Target, func(), error) {
	t, err := d.SelectTarget(c, "deployment usage")
	if err != nil {
		return nil, t, nil, err
	}
	stop := func() {}
	if (t.Kind == deployments.KindLocal || t.Kind == deployments.KindAnonymous) && t.Name != "" {
		r, err := anonymous.EnsureRunning(c.Context, d.Cwd, deployments.GlobalDir(d.Env), t.Name)
		if err != nil {
			return nil, t, nil, err
		}
		t.URL, t.AdminKey = r.URL, r.AdminKey
		if r.Started {
			stop = func() { _ = r.Close() }
		}
	}
	dc := deployments.NewDeploymentClient(t.URL, t.AdminKey, deployments.DeploymentClientOptions{
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Progress: d.Stderr})
	return dc, t, stop, nil
}

// usageLimitsDeployment is usageDeployment with the deployment's usage
// limits read; after an error it has stopped what it started.
func (d *Deps) usageLimitsDeployment(c *cli.Context) (*deployments.DeploymentClient, deployments.Target, func(), []deployments.UsageLimit, error) {
	dc, t, stop, err := d.usageDeployment(c)
	if err != nil {
		return nil, t, nil, nil, err
	}
	limits, err := dc.ListUsageLimits(c.Context)
	if err != nil {
		stop()
		return nil, t, nil, nil, err
	}
	return dc, t, stop, limits, nil
}

// deploymentNotice is " (on <type> deployment <name>)" when the name is known.
func deploymentNotice(t deployments.Target) string {
	if t.Name == "" {
		return ""
	}
	return " (on " + string(t.Kind) + " deployment " + t.Name + ")"
}

func (d *Deps) deploymentUsage(c *cli.Context) error {
	dc, _, stop, err := d.usageDeployment(c)
	if err != nil {
		return err
	}
	defer stop()
	u, err := dc.CurrentUsage(c.Context)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(d, u.Raw)
	}
	if n := seedNote(u.SeedStatus); n != "" {
		d.Out.Message("%s", n)
	}
	names := make([]string, 0, len(u.Metrics))
	for m := range u.Metrics {
		names = append(names, m)
	}
	sort.SliceStable(names, func(i, j int) bool {
		if ri, rj := metricRank(names[i]), metricRank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	rows := make([][]string, 0, len(names))
	for _, m := range names {
		mu := u.Metrics[m]
		rows = append(rows, []string{metricLabel(m), amount(mu.Usage.CurrentDay, mu.Unit), amount(mu.Usage.CurrentMonth, mu.Unit)})
	}
	d.Out.Result("%s", boxTable([]string{"Metric", "Day", "Month"}, rows))
	return nil
}

func printJSON(d *Deps, raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ui.Wrap(err, "unexpected answer from the deployment")
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	d.Out.Result("%s", b)
	return nil
}

func (d *Deps) usageLimitsList(c *cli.Context) error {
	dc, t, stop, limits, err := d.usageLimitsDeployment(c)
	if err != nil {
		return err
	}
	defer stop()
	u, err := dc.CurrentUsage(c.Context)
	if err != nil {
		return err
	}
	windowRank := map[string]int{"month": 0, "day": 1}
	typeRank := map[string]int{"warning": 0, "disable": 1}
	sort.SliceStable(limits, func(i, j int) bool {
		a, b := limits[i], limits[j]
		if metricRank(a.Metric) != metricRank(b.Metric) {
			return metricRank(a.Metric) < metricRank(b.Metric)
		}
		if windowRank[a.Window] != windowRank[b.Window] {
			return windowRank[a.Window] < windowRank[b.Window]
		}
		return typeRank[a.LimitType] < typeRank[b.LimitType]
	})
	type status struct {
		deployments.UsageLimit
		CurrentUsage *float64 `json:"currentUsage"`
		Unit         *string  `json:"unit"`
		Triggered    bool     `json:"triggered"`
	}
	all := make([]status, 0, len(limits))
	rows := make([][]string, 0, len(limits))
	for _, l := range limits {
		st := status{UsageLimit: l}
		current := "—"
		if mu, ok := u.Metrics[l.Metric]; ok {
			v := mu.Usage.CurrentMonth
			if l.Window == "day" {
				v = mu.Usage.CurrentDay
			}
			unit := mu.Unit
			st.CurrentUsage, st.Unit = &v, &unit
			st.Triggered = l.Enabled && v >= l.Limit
			pct := 0.0
			if l.Limit > 0 {
				pct = v / l.Limit * 100
			}
			current = fmt.Sprintf("%s (%.0f%%)", amount(v, unit), pct)
		}
		unit := ""
		if st.Unit != nil {
			unit = *st.Unit
		}
		all = append(all, st)
		rows = append(rows, []string{metricLabel(l.Metric), l.Window, l.LimitType, amount(l.Limit, unit), current, yesNo(l.Enabled), yesNo(st.Triggered)})
	}
	if c.Bool("json") {
		b, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			return err
		}
		d.Out.Result("%s", b)
		return nil
	}
	if len(limits) == 0 {
		d.Out.Message("No usage limits configured%s.", deploymentNotice(t))
		return nil
	}
	if n := seedNote(u.SeedStatus); n != "" {
		d.Out.Message("%s", n)
	}
	d.Out.Result("%s", boxTable([]string{"Metric", "Window", "Type", "Limit", "Current Usage", "Active", "Triggered"}, rows, 3, 4))
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func activeWord(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}

func findLimit(limits []deployments.UsageLimit, metric, window, typ string) *deployments.UsageLimit {
	for i, l := range limits {
		if l.Metric == metric && l.Window == window && l.LimitType == typ {
			return &limits[i]
		}
	}
	return nil
}

func (d *Deps) usageLimitsSet(c *cli.Context) error {
	if c.Bool("active") && c.Bool("inactive") {
		return ui.Usage("Pass at most one of --active and --inactive.")
	}
	var newLimit *float64
	if v := c.String("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return ui.Usage("--limit must be a positive whole number, not %q.", v)
		}
		f := float64(n)
		newLimit = &f
	}
	metric, window, typ := c.String("metric"), c.String("window"), c.String("type")
	dc, t, stop, limits, err := d.usageLimitsDeployment(c)
	if err != nil {
		return err
	}
	defer stop()
	label := fmt.Sprintf("%s usage limit on %s per %s", typ, metricLabel(metric), window)
	existing := findLimit(limits, metric, window, typ)
	if existing == nil {
		if newLimit == nil {
			return ui.Usage("--limit is required when creating a usage limit.")
		}
		created, err := dc.CreateUsageLimit(c.Context, deployments.UsageLimitConfig{Metric: metric, Window: window, LimitType: typ, Limit: *newLimit, Enabled: !c.Bool("inactive")})
		if err != nil {
			return err
		}
		d.Out.Success("Created %s: %s, %s%s.", label, thousands(created.Limit), activeWord(created.Enabled), deploymentNotice(t))
		return nil
	}
	enabled := existing.Enabled
	if c.Bool("active") {
		enabled = true
	} else if c.Bool("inactive") {
		enabled = false
	}
	limit := existing.Limit
	if newLimit != nil {
		limit = *newLimit
	}
	var changes []string
	if limit != existing.Limit {
		changes = append(changes, fmt.Sprintf("limit %s → %s", thousands(existing.Limit), thousands(limit)))
	}
	if enabled != existing.Enabled {
		changes = append(changes, activeWord(existing.Enabled)+" → "+activeWord(enabled))
	}
	if len(changes) == 0 {
		d.Out.Success("No changes to %s (%s, %s)%s.", label, thousands(existing.Limit), activeWord(existing.Enabled), deploymentNotice(t))
		return nil
	}
	if _, err := dc.UpdateUsageLimit(c.Context, existing.ID, deployments.UsageLimitConfig{Metric: metric, Window: window, LimitType: typ, Limit: limit, Enabled: enabled}); err != nil {
		return err
	}
	d.Out.Success("Updated %s: %s%s.", label, strings.Join(changes, ", "), deploymentNotice(t))
	return nil
}

func (d *Deps) usageLimitsRemove(c *cli.Context) error {
	metric, window, typ := c.String("metric"), c.String("window"), c.String("type")
	dc, t, stop, limits, err := d.usageLimitsDeployment(c)
	if err != nil {
		return err
	}
	defer stop()
	existing := findLimit(limits, metric, window, typ)
	if existing == nil {
		return ui.Errorf("There is no %s usage limit on %s per %s%s.", typ, metric, window, deploymentNotice(t))
	}
	if err := dc.DeleteUsageLimit(c.Context, existing.ID); err != nil {
		return err
	}
	d.Out.Success("Deleted the %s usage limit on %s per %s%s.", typ, metricLabel(metric), window, deploymentNotice(t))
	return nil
}

// registerLocal registers a local deployment of proj with Convex (reusing
// name when given), mints its credentials and saves its state in the
// project, ready to be started.
func (d *Deps) registerLocal(ctx context.Context, client *deployments.Client, proj deployments.Project, name string) (deployments.Target, error) {
	ports, err := anonymous.ChoosePorts(anonymous.PortRequest{})
	if err != nil {
		return deployments.Target{}, err
	}
	sp := d.Out.Spinner("Registering a local deployment...")
	started, err := client.StartLocalDeployment(ctx, ports.Cloud, proj.TeamSlug, proj.Slug, name)
	if err != nil {
		sp.Fail("Could not register the local deployment.")
		return deployments.Target{}, err
	}
	sp.Stop()
	id := started.ProjectID
	if id == 0 {
		id = proj.ID
	}
	cfg := &anonymous.Config{Ports: ports, BackendVersion: anonymous.BackendVersion(), DeploymentName: started.DeploymentName, CloudProjectID: &id}
	if err := mintLocalCredentials(cfg, started.DeploymentName); err != nil {
		return deployments.Target{}, err
	}
	if err := anonymous.SaveConfig(anonymous.ProjectStateDir(d.Cwd), cfg); err != nil {
		return deployments.Target{}, err
	}
	if err := anonymous.EnsureGitignore(d.Cwd); err != nil {
		return deployments.Target{}, err
	}
	d.Log.AddSecret(cfg.AdminKey)
	return deployments.Target{Kind: deployments.KindLocal, Name: started.DeploymentName, URL: "http://127.0.0.1:" + strconv.Itoa(ports.Cloud),
		AdminKey: cfg.AdminKey, Team: proj.TeamSlug, Project: proj.Slug}, nil
}

// PrepareLocalDeployment makes sure the linked local deployment t (from
// SelectTarget or ConfigureProject, Kind local) has saved state in this
// project, registering it with Convex when it has none yet (spec cli §8.3),
// so anonymous.EnsureRunning can start it. t must carry Team and Project
// when it has no state.
func (d *Deps) PrepareLocalDeployment(c *cli.Context, t deployments.Target) (deployments.Target, error) {
	if cfg, err := anonymous.LoadConfig(anonymous.ProjectStateDir(d.Cwd)); err != nil {
		return t, err
	} else if cfg != nil && cfg.DeploymentName != "" && (t.Name == "" || cfg.DeploymentName == t.Name) {
		t.Name, t.URL, t.AdminKey = cfg.DeploymentName, "http://127.0.0.1:"+strconv.Itoa(cfg.Ports.Cloud), cfg.AdminKey
		return t, nil
	}
	if t.Team == "" || t.Project == "" {
		return t, ui.Errorf("Cannot tell which project the local deployment %s belongs to.", t.Name).
			WithHint("Run `convex dev --configure existing --dev-deployment local`.")
	}
	client, err := d.loggedInClient(c)
	if err != nil {
		return t, err
	}
	proj, err := client.ProjectBySlugs(c.Context, t.Team, t.Project)
	if err != nil {
		return t, err
	}
	d.Out.Message("%s", d.Out.Paint("You're trying out local deployments linked to a project (beta). Learn more: https://docs.convex.dev/cli/local-deployments", ui.Gray))
	return d.registerLocal(c.Context, client, proj, t.Name)
}
