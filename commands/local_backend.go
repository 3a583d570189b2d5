package commands

import "github.com/urfave/cli/v2"

func newLocalBackendCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:   "local-backend",
		Hidden: true,
		Usage:  "Run the built-in Convex backend",
		Description: "Run the Convex-compatible backend built into this program, the way local deployments start it. " +
			"Every argument goes to the backend unparsed; `convex local-backend --help` shows its own flags.",
		ArgsUsage:       "[args...]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			return runLocalBackend(c.Context, c.Args().Slice(), d.Stdout, d.Stderr)
		},
	}
}
