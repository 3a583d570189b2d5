package commands

import "github.com/urfave/cli/v2"

func newLogoutCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "logout",
		Usage:       "Log out of Convex on this machine",
		Description: "Forget the Convex login stored on this machine (~/.convex/config.json). Deploy keys in environment variables and env files are not touched.",
		Action:      d.notImplemented("logout"),
	}
}
