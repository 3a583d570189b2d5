package commands

import "github.com/urfave/cli/v2"

func newExportCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "Export data from your deployment to a ZIP file",
		Description: "Save a snapshot of every table (and, if you ask, stored files) to a ZIP file. " +
			"By default this exports from your dev deployment.\n\n" +
			"• Into a directory (the file is named for you): convex export --path backups/\n" +
			"• Into a given file: convex export --path snapshot.zip\n" +
			"• With stored files: convex export --include-file-storage --path backups/\n\n" +
			"`convex import` reads the ZIP back. Guide: https://docs.convex.dev/database/import-export/export",
		Flags: withFlags([]cli.Flag{
			valueFlag("path", "zipFilePath", "Where to write: a directory, or a .zip path that does not exist yet.").Required(),
			boolFlag("include-file-storage", "Also export stored files, into a _storage folder in the ZIP."),
		}, selectionFlags("Export data from", false)),
		Action: d.notImplemented("export"),
	}
}
