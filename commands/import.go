package commands

import "github.com/urfave/cli/v2"

func newImportCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "Import data from a file to your deployment",
		ArgsUsage: "<path>",
		Description: "Load documents from a file into your deployment's tables. By default this imports into your dev deployment.\n\n" +
			"• A whole snapshot (the ZIP that `convex export` or the dashboard makes): convex import snapshot.zip\n" +
			"• One table from CSV, JSON or JSON lines: convex import --table messages messages.jsonl\n\n" +
			"By default it refuses to write into tables that already hold documents; choose --append, --replace or --replace-all. " +
			"Guide: https://docs.convex.dev/database/import-export/import",
		Flags: withFlags([]cli.Flag{
			valueFlag("table", "table", "Table to import into. Required for csv, jsonLines and jsonArray files; not allowed for zip."),
			boolFlag("replace", "Replace the existing documents of every table in the file."),
			boolFlag("append", "Add the documents to the tables, keeping what is there."),
			boolFlag("replace-all", "Make the deployment hold exactly the file's data: tables missing from the file are deleted (or emptied when the schema declares them)."),
			shortBool("yes", "y", "Do not ask before deleting existing documents."),
			valueFlag("format", "format", "File format, needed only when the file name has no telling extension. CSV needs a header row (values become numbers or strings); jsonArray is one array of objects; jsonLines is one object per line; zip holds <table>/documents.jsonl per table.").
				OneOf("csv", "jsonLines", "jsonArray", "zip"),
			componentFlag(),
		}, selectionFlags("Import data into", false)),
		Action: d.notImplemented("import"),
	}
}
