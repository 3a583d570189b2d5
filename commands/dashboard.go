package commands

import "github.com/urfave/cli/v2"

func newDashboardCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "dashboard",
		Aliases:     []string{"dash"},
		Usage:       "Open the dashboard in the browser",
		Description: "Open the Convex dashboard page of your deployment in your browser, or print its URL with --no-open.",
		Flags: withFlags([]cli.Flag{
			boolFlag("no-open", "Print the URL instead of opening a browser."),
		}, selectionFlags("Open the dashboard for", false)),
		Action: d.notImplemented("dashboard"),
	}
}
