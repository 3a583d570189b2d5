package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/ui"
)

func newUpdateCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "update",
		Usage:       "Print instructions for updating the convex package",
		Description: "Tell you where to read about new Convex releases and how to upgrade. It changes nothing itself.",
		Action: func(c *cli.Context) error {
			o := d.Out
			o.Message("%s", o.Paint("What changed in Convex: https://news.convex.dev/tag/releases/", ui.Green))
			o.Message("%s", o.Paint("To upgrade the convex package your app uses, run: npm install convex@latest", ui.Green))
			o.Message("%s", o.Paint("To upgrade this program, install its latest release the way you installed it.", ui.Green))
			return nil
		},
	}
}
