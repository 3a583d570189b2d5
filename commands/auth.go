package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/ui"
)

// errAuthRemoved is what every `auth` subcommand answers: they were retired.
func errAuthRemoved(*cli.Context) error {
	return ui.Errorf("the `convex auth` commands were removed").
		WithHint("Authentication is configured in convex/auth.config.ts now; see https://docs.convex.dev/auth")
}

func newAuthCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "auth",
		Hidden:      true,
		Usage:       "Retired authentication commands",
		Description: "Retired. Authentication is configured in convex/auth.config.ts; see https://docs.convex.dev/auth",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "Retired", Action: errAuthRemoved},
			{Name: "remove", Usage: "Retired", Action: errAuthRemoved},
			{
				Name:  "add",
				Usage: "Retired",
				Flags: []cli.Flag{
					valueFlag("identity-provider-url", "url", "Identity provider URL.").Hide(),
					valueFlag("application-id", "applicationId", "Application id.").Hide(),
				},
				Action: errAuthRemoved,
			},
		},
	}
}
