package commands

import "github.com/urfave/cli/v2"

func newFunctionSpecCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "function-spec",
		Usage: "List function metadata from your deployment",
		Description: "Print, as JSON, every function deployed: its kind, visibility, argument validator and return validator. " +
			"By default this reads your dev deployment.",
		Flags: withFlags([]cli.Flag{
			boolFlag("file", "Write the JSON to a file instead of stdout."),
		}, selectionFlags("Read function metadata from", false)),
		Action: d.notImplemented("function-spec"),
	}
}
