package commands

import "github.com/urfave/cli/v2"

func newDataCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "data",
		Usage:     "List tables and print data from your database",
		ArgsUsage: "[table]",
		Description: "Look into your deployment's database. By default this reads your dev deployment.\n\n" +
			"• List the tables: convex data\n" +
			"• Print the newest documents of a table: convex data messages\n\n" +
			"System tables such as _storage work too.",
		Flags: withFlags([]cli.Flag{
			valueFlag("limit", "n", "Print at most n documents (the most recently created).").Default("100").Check(positiveInt),
			valueFlag("order", "choice", "Order documents by creation time.").Default("desc").OneOf("asc", "desc"),
			componentFlag(),
			valueFlag("format", "format", "How to print documents: jsonArray (or json) is one JSON array; jsonLines (or jsonl) is one object per line; pretty is a table for people.").
				OneOf("jsonArray", "json", "jsonLines", "jsonl", "pretty"),
		}, selectionFlags("Inspect the database in", false)),
		Action: d.notImplemented("data"),
	}
}
