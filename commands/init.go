package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/push"
)

func newInitCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:   "init",
		Hidden: true,
		Usage:  "Set up this folder as a Convex project without pushing code (older name; prefer `convex dev`)",
		Description: "Set up the Convex project in this folder the way `convex dev` does the first time: choose or create " +
			"the deployment, write CONVEX_DEPLOYMENT (and the deployment URL) to .env.local, and create convex/README.md " +
			"and convex/tsconfig.json for a new project. It pushes no code and runs no typecheck; on a project that is " +
			"already set up it changes nothing. It is kept for older scripts: `convex dev` does the same and then keeps " +
			"your functions in sync.\n\n" +
			"To set up a coding agent without an account: CONVEX_AGENT_MODE=anonymous convex init, then " +
			"convex env set < .env.defaults, then convex dev.",
		Action: d.initProject,
	}
}

// initProject is `convex dev` up to the point where it would push: the deployment
// is chosen (or created) and recorded, the functions folder prepared, and
// a local backend started for the purpose is stopped again.
func (d *Deps) initProject(c *cli.Context) error {
	if err := push.CheckConvexDependency(d.Cwd, "run `convex init`"); err != nil {
		return d.pushErr(err)
	}
	t, stop, created, err := d.devTarget(c)
	if err != nil {
		return err
	}
	defer stop()
	if err := d.initFunctionsDir(created); err != nil {
		return err
	}
	d.announceTarget("Project configured with deployment:", t)
	if hasDeploymentFields(t) {
		d.startVersionCheck(c.Context).wait()
	}
	d.Out.Success("Your Convex project is set up. Run `convex dev` to push your functions and keep them in sync.")
	return nil
}
