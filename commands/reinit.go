package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/ui"
)

func newReinitCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "reinit",
		Hidden:      true,
		Usage:       "Reinitialize a Convex project in the local directory if you've lost your convex.json file",
		Description: "Retired. Use `convex dev --once --configure=existing` to connect this folder to an existing project.",
		Flags: []cli.Flag{
			valueFlag("team", "team_slug", "Team of the project."),
			valueFlag("project", "project_slug", "Project to connect to."),
		},
		Action: func(*cli.Context) error {
			return ui.Errorf("the `reinit` command was retired").
				WithHint("Run `convex dev --once --configure=existing` instead.")
		},
	}
}
