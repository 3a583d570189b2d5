package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/auth"
)

func newLogoutCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "logout",
		Usage:       "Log out of Convex on this machine",
		Description: "Forget the Convex login stored on this machine (~/.convex/config.json). Deploy keys in environment variables and env files are not touched.",
		Action: func(c *cli.Context) error {
			store, err := auth.NewTokenStore(d.Env)
			if err != nil {
				return err
			}
			removed, err := store.Delete()
			if err != nil {
				return err
			}
			if !removed {
				d.Out.Message("You were not logged in on this machine (there is no %s).", store.Path)
				return nil
			}
			d.Out.Success("Logged out: deleted %s.", store.Path)
			d.Out.Hint("Run `convex login` or `convex dev` to log in again.")
			if d.Env.Get(deploymentsOverrideTokenVar) != "" {
				d.Out.Warn("CONVEX_OVERRIDE_ACCESS_TOKEN is still set, so commands keep using that token.")
			}
			return nil
		},
	}
}
