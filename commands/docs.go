package commands

import "github.com/urfave/cli/v2"

func newDocsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "docs",
		Usage:       "Open the docs in the browser",
		Description: "Open the Convex documentation in your browser, or print its URL with --no-open.",
		Flags: []cli.Flag{
			boolFlag("no-open", "Print the URL instead of opening a browser."),
		},
		Action: d.notImplemented("docs"),
	}
}
