package commands

import "github.com/urfave/cli/v2"

func newLogsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "Watch logs from your deployment",
		Description: "Stream your functions' logs (console output, errors, and with --success every call) as they happen, " +
			"until you press Ctrl-C. By default this follows your dev deployment.",
		Flags: withFlags([]cli.Flag{
			valueFlag("history", "n", "First print the n most recent entries; without n, everything still available.").Optional().Check(anyInt),
			boolFlag("success", "Also print a line for every function call that succeeded."),
			boolFlag("jsonl", "Print raw log events, one JSON object per line."),
			valueFlag("tail", "n", "Same as --history (logs already follow by default).").Optional().Check(anyInt).Hide(),
		}, selectionFlags("Watch logs from", false)),
		Action: d.notImplemented("logs"),
	}
}
