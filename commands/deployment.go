package commands

import "github.com/urfave/cli/v2"

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
				Action: d.notImplemented("deployment select"),
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
				Action: d.notImplemented("deployment create"),
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
						Action: d.notImplemented("deployment token create"),
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
						Action: d.notImplemented("deployment token delete"),
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
				Action: d.notImplemented("deployment usage"),
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
						Action: d.notImplemented("deployment usage-limits list"),
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
						Action: d.notImplemented("deployment usage-limits set"),
					},
					{
						Name:        "remove",
						Aliases:     []string{"rm", "delete"},
						Usage:       "Delete a usage limit",
						Description: "Delete the usage limit with this metric, window and type, e.g. convex deployment usage-limits remove --metric functionCalls --window day --type warning",
						Flags:       withFlags(usageLimitKeyFlags(), selectionFlags(usageLimitsAction, false)),
						Action:      d.notImplemented("deployment usage-limits remove"),
					},
				},
			},
		},
	}
}
