package commands

import "github.com/urfave/cli/v2"

func newProjectCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "project",
		Usage:       "Manage projects",
		Description: "Manage the projects of your team.",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "Create a new project",
				ArgsUsage: "[name]",
				Description: "Create a project. It has no deployment yet: add one with `convex deployment create`. " +
					"The name is asked for when left out on a terminal, and required otherwise.\n\n" +
					"• In your only team: convex project create my-app\n" +
					"• In a given team: convex project create my-app --team my-team",
				Flags: []cli.Flag{
					valueFlag("team", "team_slug", "Team to create the project in (default: your only team; asked when you have several)."),
				},
				Action: d.notImplemented("project create"),
			},
		},
	}
}
