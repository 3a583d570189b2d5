package commands

import (
	"context"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

// envDefaultFlags are the flags every `env default` subcommand takes, on
// top of the env group's deployment-selection flags.
func envDefaultFlags() []cli.Flag {
	return withFlags([]cli.Flag{
		valueFlag("type", "type", "Work on the defaults of this deployment type (dev, preview or prod) instead of the current deployment's type."),
		valueFlag("project", "project", "Work on another project: `team-slug:project-slug`, or `project-slug` in your current team. Needs --type."),
	}, selectionFlags(envAction, false))
}

const envDefaultTypeNote = "The deployment type is the current deployment's (a local deployment counts as dev) unless --type says otherwise."

func newEnvDefaultCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "default",
		Usage: "Manage project-level default environment variables",
		Description: "Project-level default environment variables: every new deployment of a type (dev, preview, prod) starts with them. " +
			"These commands work on the defaults for the current deployment's type (usually dev) unless --type says otherwise.\n\n" +
			"• Set one: convex env default set NAME 'value'\n" +
			"• Remove one: convex env default remove NAME\n" +
			"• List names only: convex env default list --names-only\n" +
			"• List names and values: convex env default list --include-values\n" +
			"• Print one value: convex env default get NAME",
		Subcommands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "Set a default variable",
				ArgsUsage: "[name] [value]",
				Description: "Set default environment variables for a deployment type.\n\n" +
					"• convex env default set NAME 'value'\n" +
					"• convex env default set NAME (no value: type it, or pipe it in)\n" +
					"• convex env default set NAME --from-file value.txt\n" +
					"• convex env default set --from-file .env.defaults\n\n" +
					"When setting several variables, nothing changes if any of them already has a different value, unless you add --force. " +
					envDefaultTypeNote,
				Flags: withFlags([]cli.Flag{
					valueFlag("from-file", "file", "Read the value (with NAME) or NAME=value lines (without NAME) from this file."),
					boolFlag("force", "When setting several variables, overwrite ones that already have a different value."),
				}, envDefaultFlags()),
				Action: d.envDefaultSet,
			},
			{
				Name:        "get",
				Usage:       "Print a default variable's value",
				ArgsUsage:   "<name>",
				Description: "Print the value of one default variable: convex env default get NAME. " + envDefaultTypeNote,
				Flags:       envDefaultFlags(),
				Action:      d.envDefaultGet,
			},
			{
				Name:        "remove",
				Aliases:     []string{"rm", "unset"},
				Usage:       "Unset a default variable",
				ArgsUsage:   "<name>",
				Description: "Remove a default variable: convex env default remove NAME. Succeeds when it was not set. " + envDefaultTypeNote,
				Flags:       envDefaultFlags(),
				Action:      d.envDefaultRemove,
			},
			{
				Name:  "list",
				Usage: "List all default environment variables and their values",
				Description: "Print the default variables as NAME=value lines.\n\n" +
					"• Names only: convex env default list --names-only\n" +
					"• Names and values: convex env default list --include-values\n\n" +
					"When a coding agent runs it, only names are printed unless --include-values is given. " + envDefaultTypeNote,
				Flags: withFlags([]cli.Flag{
					boolFlag("names-only", "Print only the names, no values."),
					boolFlag("include-values", "Print NAME=value lines (the default unless a coding agent is detected)."),
				}, envDefaultFlags()),
				Action: d.envDefaultList,
			},
		},
	}
}

// defaultEnv is the set of project defaults one `env default` command works on.
type defaultEnv struct {
	client    *deployments.Client
	projectID int64
	typ       string // dev, preview or prod
}

func (e defaultEnv) notice() string { return " (in default env vars for " + e.typ + " deployments)" }

// resolveDefaultEnv finds the project and deployment type from --project,
// --type and the current deployment.
func (d *Deps) resolveDefaultEnv(c *cli.Context) (defaultEnv, error) {
	ctx := c.Context
	typ := c.String("type")
	switch typ {
	case "development":
		typ = "dev"
	case "production":
		typ = "prod"
	case "", "dev", "prod", "preview":
	default:
		return defaultEnv{}, ui.Usage("--type must be dev, preview or prod, not %q.", typ)
	}
	if p := c.String("project"); p != "" {
		parts := strings.Split(p, ":")
		valid := (len(parts) == 1 && parts[0] != "") || (len(parts) == 2 && parts[0] != "" && parts[1] != "")
		if !valid {
			return defaultEnv{}, ui.Usage("--project must be `team-slug:project-slug` or `project-slug`.")
		}
		if typ == "" {
			return defaultEnv{}, ui.Usage("--project needs --type too (dev, preview or prod).")
		}
		client, _, err := d.managementClient(c)
		if err != nil {
			return defaultEnv{}, err
		}
		team, project := "", parts[len(parts)-1]
		if len(parts) == 2 {
			team = parts[0]
		} else {
			t, err := d.SelectTarget(c, "env")
			if err != nil {
				return defaultEnv{}, err
			}
			if !t.Cloud() && t.Kind != deployments.KindLocal {
				return defaultEnv{}, ui.Usage("--project %s needs a current cloud deployment to tell the team.", project).
					WithHint("Name the team explicitly: --project team-slug:%s", project)
			}
			tp, err := client.TeamAndProject(ctx, t.Name)
			if err != nil {
				return defaultEnv{}, err
			}
			team = tp.Team
		}
		pr, err := client.ProjectBySlugs(ctx, team, project)
		if err != nil {
			return defaultEnv{}, err
		}
		return defaultEnv{client: client, projectID: pr.ID, typ: typ}, nil
	}
	t, err := d.SelectTarget(c, "env")
	if err != nil {
		return defaultEnv{}, err
	}
	switch t.Kind {
	case deployments.KindSelfHosted, deployments.KindURL:
		return defaultEnv{}, ui.Errorf("Default environment variables exist only for projects in Convex's cloud, not for %s.", t.Describe())
	case deployments.KindAnonymous:
		if t.Auth != "" {
			return defaultEnv{}, ui.Errorf("Default environment variables belong to cloud projects, and the local deployment %s is not linked to one.", t.Name).
				WithHint("Configure a project with `convex dev --configure`, or pass --project team-slug:project-slug --type dev.")
		}
		return defaultEnv{}, ui.Errorf("Default environment variables are not available without an account.").
			WithHint("Run `convex login` and link this deployment to a project first.")
	}
	if typ == "" {
		typ = string(t.Kind)
		if t.Kind == deployments.KindLocal {
			typ = "dev"
		}
	}
	client := deployments.NewClient(deployments.ClientOptions{Host: deployments.ProvisionHost(d.Env), Auth: t.Auth,
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}, DeployKeyVar: t.DeployKeyVar})
	tp, err := client.TeamAndProject(ctx, t.Name)
	if err != nil {
		return defaultEnv{}, err
	}
	return defaultEnv{client: client, projectID: tp.ProjectID, typ: typ}, nil
}

func (e defaultEnv) list(ctx context.Context, name string) (map[string]string, []string, error) {
	items, err := e.client.ListDefaultEnvVars(ctx, e.projectID, e.typ, name)
	if err != nil {
		return nil, nil, err
	}
	vals, order := indexEnvVars(items, func(v deployments.EnvVar) (string, string) { return v.Name, v.Value })
	return vals, order, nil
}

func (e defaultEnv) update(ctx context.Context, vals map[string]*string) error {
	names := sortedEnvNames(vals)
	changes := make([]deployments.DefaultEnvChange, 0, len(names))
	for _, n := range names {
		changes = append(changes, deployments.DefaultEnvChange{Name: n, DeploymentType: e.typ, Value: vals[n]})
	}
	return e.client.UpdateDefaultEnvVars(ctx, e.projectID, changes)
}

func validEnvName(n string) bool {
	if n == "" || !(n[0] >= 'a' && n[0] <= 'z' || n[0] >= 'A' && n[0] <= 'Z') {
		return false
	}
	for _, r := range n {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (d *Deps) envDefaultSet(c *cli.Context) error {
	ctx := c.Context
	name, value, hasValue, err := parseEnvSetArgs(c, "convex env default set")
	if err != nil {
		return err
	}
	fromFile := c.String("from-file")
	readFile := func() (string, error) {
		b, err := os.ReadFile(d.cwdPath(fromFile))
		if err != nil {
			return "", ui.Usage("Cannot read %s: %v", fromFile, err)
		}
		return string(b), nil
	}

	// One variable.
	if name != "" {
		if !validEnvName(name) {
			return ui.Usage("%q is not a valid variable name (letters, digits and _, starting with a letter).", name)
		}
		if !hasValue {
			ask := func(q string) (string, error) { return d.prompter().Input(q, "") }
			v, err := d.envValueInput(name, fromFile, readFile, ask)
			if err != nil {
				return err
			}
			value = v
		}
		e, err := d.resolveDefaultEnv(c)
		if err != nil {
			return err
		}
		return d.setEnvVar(ctx, e, name, value)
	}

	// Several variables from a file or stdin.
	src, source, err := d.envSetSource(fromFile, readFile, "No environment variables given to set.")
	if err != nil {
		return err
	}
	parsed := config.ParseDotenv([]byte(src))
	if len(parsed) == 0 {
		d.Out.Message("No environment variables found in %s.", source)
		return nil
	}
	e, err := d.resolveDefaultEnv(c)
	if err != nil {
		return err
	}
	return d.setEnvVars(ctx, e, parsed, source, c.Bool("force"), envSetWording{
		conflicts: func(names string) error {
			return ui.Errorf("These default variables already have different values: %s", names).
				WithHint("Nothing was changed. Use --force to overwrite them.")
		},
		allSet: "All %d environment variable(s) from %s are already set%s",
	})
}

func (d *Deps) envDefaultGet(c *cli.Context) error {
	name := c.Args().First()
	e, err := d.resolveDefaultEnv(c)
	if err != nil {
		return err
	}
	return d.printEnvVar(c.Context, e, name)
}

func (d *Deps) envDefaultRemove(c *cli.Context) error {
	name := c.Args().First()
	e, err := d.resolveDefaultEnv(c)
	if err != nil {
		return err
	}
	return d.unsetEnvVar(c.Context, e, name)
}

// agentName names the coding agent running the command, if one is
// detected. It looks at the same signals as the npm CLI (whose `env list`
// then prints names only), so both print the same for the same shell.
func agentName(env Env) string {
	if env.Get("CONVEX_AGENT_MODE") != "" {
		return "CONVEX_AGENT_MODE"
	}
	if name := strings.TrimSpace(env.Get("AI_AGENT")); name != "" {
		if name == "github-copilot-cli" {
			return "github-copilot"
		}
		return name
	}
	set := func(names ...string) bool {
		for _, n := range names {
			if env.Get(n) != "" {
				return true
			}
		}
		return false
	}
	switch {
	case set("CURSOR_TRACE_ID"):
		return "cursor"
	case set("CURSOR_AGENT") || env.Get("CURSOR_EXTENSION_HOST_ROLE") == "agent-exec":
		return "cursor-cli"
	case set("GEMINI_CLI"):
		return "gemini"
	case set("CODEX_SANDBOX", "CODEX_CI", "CODEX_THREAD_ID"):
		return "codex"
	case set("ANTIGRAVITY_AGENT"):
		return "antigravity"
	case set("AUGMENT_AGENT"):
		return "augment-cli"
	case set("OPENCODE_CLIENT"):
		return "opencode"
	case set("CLAUDECODE", "CLAUDE_CODE"):
		if set("CLAUDE_CODE_IS_COWORK") {
			return "cowork"
		}
		return "claude"
	case set("REPL_ID"):
		return "replit"
	case set("COPILOT_MODEL", "COPILOT_ALLOW_ALL", "COPILOT_GITHUB_TOKEN"):
		return "github-copilot"
	}
	// Devin's machines are recognised by this folder rather than a variable.
	if _, err := os.Stat("/opt/.devin"); err == nil {
		return "devin"
	}
	return ""
}

func (d *Deps) envDefaultList(c *cli.Context) error {
	namesOnly, note, err := envListNamesOnly(c, d.Env)
	if err != nil {
		return err
	}
	e, err := d.resolveDefaultEnv(c)
	if err != nil {
		return err
	}
	return d.printEnvList(c.Context, e, namesOnly, note, false)
}

// dotenvValue formats a value for a NAME=value line exactly as the npm
// CLI's `env list` does (scripts parse that output), and says why the line
// may not read back unchanged when that can happen.
func dotenvValue(v string) (formatted, warning string) {
	formatted = v
	hasNewline := strings.Contains(v, "\n")
	hasSingle := strings.Contains(v, "'")
	hasDouble := strings.Contains(v, "\"")
	hasSlashN := strings.Contains(v, `\n`)
	hasHash := strings.Contains(v, "#")
	const hashWarning = "contains '#', which an env file reader may take for the start of a comment and cut the value there."
	switch {
	case hasNewline:
		switch {
		case !hasSingle:
			formatted = "'" + v + "'"
		case !hasSlashN:
			if hasDouble && hasHash {
				warning = hashWarning
			}
			formatted = "\"" + strings.ReplaceAll(v, "\n", `\n`) + "\""
		default:
			formatted = "'" + v + "'"
			warning = `contains single quotes, newlines and "\n"; an env file cannot hold it so that it reads back unchanged.`
		}
	case strings.HasPrefix(v, "\"") && strings.HasSuffix(v, "\""),
		strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'"),
		strings.HasPrefix(v, "`"), strings.HasSuffix(v, "`"),
		strings.ContainsAny(v, "\f\v"), hasHash:
		if hasSingle && !hasDouble && !hasSlashN {
			formatted = "\"" + v + "\""
		} else {
			formatted = "'" + v + "'"
			if hasSingle && hasHash {
				warning = hashWarning
			}
		}
	}
	if strings.Contains(v, "\r") {
		if warning != "" {
			warning += " It also "
		}
		warning += "contains a carriage return (\\r), which env files cannot keep."
	}
	return formatted, warning
}
