package commands

import "github.com/urfave/cli/v2"

func newAIFilesCommand(d *Deps) *cli.Command {
	const managed = "  - convex/_generated/ai/guidelines.md\n" +
		"  - the Convex section of AGENTS.md\n" +
		"  - the Convex section of CLAUDE.md\n" +
		"  - agent skills, installed where each coding agent looks for them (chosen in convex.json)"
	return &cli.Command{
		Name:  "ai-files",
		Usage: "Manage Convex AI files",
		Description: "Convex AI files teach AI coding assistants (Cursor, Claude Code, Codex, …) Convex's patterns and APIs. " +
			"`convex dev` offers to set them up the first time; these commands manage them afterwards.",
		Subcommands: []*cli.Command{
			{
				Name:        "status",
				Usage:       "Show the current status of Convex AI files",
				Description: "Show whether AI files are enabled and, for each one, whether it is installed and current. The currency check is skipped without network.",
				Action:      d.notImplemented("ai-files status"),
			},
			{
				Name:        "install",
				Usage:       "Install or refresh Convex AI files",
				Description: "Install these, or refresh them when present:\n" + managed,
				Action:      d.notImplemented("ai-files install"),
			},
			{
				Name:        "enable",
				Usage:       "Enable Convex AI files",
				Description: "Write `aiFiles.enabled: true` to convex.json, then install or refresh the AI files.",
				Action:      d.notImplemented("ai-files enable"),
			},
			{
				Name:        "update",
				Usage:       "Update Convex AI files to the latest version",
				Description: "Bring these to their latest versions:\n" + managed,
				Action:      d.notImplemented("ai-files update"),
			},
			{
				Name:  "disable",
				Usage: "Disable Convex AI files without removing them",
				Description: "Write `aiFiles.enabled: false` to convex.json: `convex dev` stops offering AI files and stops saying they are out of date. " +
					"Installed files stay; `convex ai-files remove` deletes them, `convex ai-files enable` turns them back on.",
				Action: d.notImplemented("ai-files disable"),
			},
			{
				Name:  "remove",
				Usage: "Remove all Convex AI files from the project",
				Description: "Delete convex/_generated/ai/, the Convex sections of AGENTS.md and CLAUDE.md (and the files when nothing else is left in them), " +
					"and the agent skills `convex ai-files install` added. Skills from elsewhere stay. To stop `convex dev` from offering them again, use `convex ai-files disable`.",
				Action: d.notImplemented("ai-files remove"),
			},
		},
	}
}
