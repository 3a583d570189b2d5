package commands

import "github.com/urfave/cli/v2"

func newDeploymentsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "deployments",
		Hidden:      true,
		Usage:       "List deployments associated with a project",
		Description: "Show the deployment commands would use here and where that choice comes from (for debugging).",
		Action:      d.notImplemented("deployments"),
	}
}
