package commands

import "github.com/urfave/cli/v2"

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
				Action: d.notImplemented("env default set"),
			},
			{
				Name:        "get",
				Usage:       "Print a default variable's value",
				ArgsUsage:   "<name>",
				Description: "Print the value of one default variable: convex env default get NAME. " + envDefaultTypeNote,
				Flags:       envDefaultFlags(),
				Action:      d.notImplemented("env default get"),
			},
			{
				Name:        "remove",
				Aliases:     []string{"rm", "unset"},
				Usage:       "Unset a default variable",
				ArgsUsage:   "<name>",
				Description: "Remove a default variable: convex env default remove NAME. Succeeds when it was not set. " + envDefaultTypeNote,
				Flags:       envDefaultFlags(),
				Action:      d.notImplemented("env default remove"),
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
				Action: d.notImplemented("env default list"),
			},
		},
	}
}
