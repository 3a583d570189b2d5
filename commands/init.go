package commands

import "github.com/urfave/cli/v2"

func newInitCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:   "init",
		Hidden: true,
		Usage:  "Ensures a Convex project is configured. Does not push code. No-ops if already configured.",
		Description: "Make sure this folder is set up for a Convex project, and do nothing when it already is. Unlike " +
			"`convex dev`, it neither pushes code nor typechecks; usually you can run `convex dev` directly.\n\n" +
			"To set up a coding agent: CONVEX_AGENT_MODE=anonymous convex init, then convex env set < .env.defaults, then convex dev.",
		Action: d.notImplemented("init"),
	}
}
