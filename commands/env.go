package commands

import "github.com/urfave/cli/v2"

// envAction completes "<action> this project's production deployment" for
// the env commands' selection flags.
const envAction = "Set and view environment variables on"

func newEnvCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "env",
		Usage: "Set and view environment variables",
		Description: "Read and change the environment variables your functions see (process.env) on your deployment. " +
			"By default this works on your dev deployment.\n\n" +
			"• Set one: convex env set NAME 'value'\n" +
			"• Set one without it showing in your shell history: convex env set NAME (then type or pipe the value)\n" +
			"• Set many from a file: convex env set --from-file .env.convex\n" +
			"• Remove one: convex env remove NAME\n" +
			"• List names only: convex env list --names-only\n" +
			"• List names and values: convex env list --include-values\n" +
			"• Print one value: convex env get NAME\n\n" +
			"Guide: https://docs.convex.dev/production/environment-variables",
		Flags: selectionFlags(envAction, false),
		Subcommands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "Set a variable",
				ArgsUsage: "[name] [value]",
				Description: "Set environment variables on your deployment.\n\n" +
					"• convex env set NAME 'value'\n" +
					"• convex env set NAME (no value: type it, or pipe it in: pbpaste | convex env set API_KEY)\n" +
					"• convex env set NAME --from-file value.txt (the file's content is the value)\n" +
					"• convex env set --from-file .env.defaults (every NAME=value line of the file)\n\n" +
					"When setting several variables, nothing changes if any of them already has a different value, unless you add --force. " +
					"To edit many at once: convex env list --include-values > .env.convex, edit the file, then convex env set --force < .env.convex.",
				Flags: withFlags([]cli.Flag{
					valueFlag("from-file", "file", "Read the value (with NAME) or NAME=value lines (without NAME) from this file."),
					boolFlag("force", "When setting several variables, overwrite ones that already have a different value."),
				}, selectionFlags(envAction, false)),
				Action: d.notImplemented("env set"),
			},
			{
				Name:        "get",
				Usage:       "Print a variable's value",
				ArgsUsage:   "<name>",
				Description: "Print the value of one variable on stdout: convex env get NAME. Prints nothing (and succeeds) when it is not set.",
				Flags:       selectionFlags(envAction, false),
				Action:      d.notImplemented("env get"),
			},
			{
				Name:        "remove",
				Aliases:     []string{"rm", "unset"},
				Usage:       "Unset a variable",
				ArgsUsage:   "<name>",
				Description: "Remove a variable: convex env remove NAME. Succeeds when it was not set.",
				Flags:       selectionFlags(envAction, false),
				Action:      d.notImplemented("env remove"),
			},
			{
				Name:  "list",
				Usage: "List all environment variables and their values",
				Description: "Print every variable, as NAME=value lines you can save and feed back to `convex env set`.\n\n" +
					"• Names only: convex env list --names-only\n" +
					"• Names and values: convex env list --include-values\n" +
					"• Save to a file: convex env list --include-values > .env.convex\n\n" +
					"When a coding agent runs it (detected from variables such as AI_AGENT or CLAUDECODE), only names are printed unless --include-values is given.",
				Flags: withFlags([]cli.Flag{
					boolFlag("names-only", "Print only the names, no values."),
					boolFlag("include-values", "Print NAME=value lines (the default unless a coding agent is detected). Scripts that need the values should pass it."),
				}, selectionFlags(envAction, false)),
				Action: d.notImplemented("env list"),
			},
			newEnvDefaultCommand(d),
		},
	}
}
