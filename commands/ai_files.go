package commands

import (
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/aifiles"
	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

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
				Action:      d.aiFiles("status"),
			},
			{
				Name:        "install",
				Usage:       "Install or refresh Convex AI files",
				Description: "Install these, or refresh them when present:\n" + managed,
				Action:      d.aiFiles("install"),
			},
			{
				Name:        "enable",
				Usage:       "Enable Convex AI files",
				Description: "Write `aiFiles.enabled: true` to convex.json, then install or refresh the AI files.",
				Action:      d.aiFiles("enable"),
			},
			{
				Name:        "update",
				Usage:       "Update Convex AI files to the latest version",
				Description: "Bring these to their latest versions:\n" + managed,
				Action:      d.aiFiles("update"),
			},
			{
				Name:  "disable",
				Usage: "Disable Convex AI files without removing them",
				Description: "Write `aiFiles.enabled: false` to convex.json: `convex dev` stops offering AI files and stops saying they are out of date. " +
					"Installed files stay; `convex ai-files remove` deletes them, `convex ai-files enable` turns them back on.",
				Action: d.aiFiles("disable"),
			},
			{
				Name:  "remove",
				Usage: "Remove all Convex AI files from the project",
				Description: "Delete convex/_generated/ai/, the Convex sections of AGENTS.md and CLAUDE.md (and the files when nothing else is left in them), " +
					"and the agent skills `convex ai-files install` added. Skills from elsewhere stay. To stop `convex dev` from offering them again, use `convex ai-files disable`.",
				Action: d.aiFiles("remove"),
			},
		},
	}
}

// aiFilesManager is the AI files manager for the project in the current
// directory, talking to the version API (CONVEX_VERSION_API_ORIGIN).
func (d *Deps) aiFilesManager() (*aifiles.Manager, error) {
	m, cfg, err := d.projectAIFiles()
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		d.Out.Warn("Warning: %s", w)
	}
	m.API = d.versionAPI(d.Env.Get(aifiles.OriginEnv))
	m.Out = d.Out
	m.Skills = aifiles.NpxSkills(d.Env.Get("PATH"))
	return m, nil
}

// projectAIFiles is the AI files of the project in the current directory
// as its convex.json describes them, with no API or output attached.
func (d *Deps) projectAIFiles() (*aifiles.Manager, *config.ProjectConfig, error) {
	cfg, err := config.ReadProjectConfig(d.Cwd)
	if err != nil {
		return nil, nil, err
	}
	dir, err := filepath.Abs(d.Cwd)
	if err != nil {
		return nil, nil, err
	}
	return &aifiles.Manager{ProjectDir: dir, FunctionsDir: cfg.FunctionsDir(dir), Config: cfg.AIFiles}, cfg, nil
}

// versionAPI is the version API client at origin ("" for Convex's), sending
// the headers the npm CLI sends (client version, interactive, agent mode).
func (d *Deps) versionAPI(origin string) *aifiles.API {
	return aifiles.NewAPI(origin, auth.ClientHeader(d.Env), ui.IsTerminal(d.Stdin),
		d.Env.Get(deployments.EnvAgentMode), d.httpClient())
}

func (d *Deps) aiFiles(sub string) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Args().Present() {
			return ui.Usage("`convex ai-files %s` takes no arguments, got %q.", sub, c.Args().First())
		}
		m, err := d.aiFilesManager()
		if err != nil {
			return err
		}
		switch sub {
		case "status":
			return m.Status(c.Context)
		case "install", "update":
			if err := m.Install(c.Context); err != nil {
				return err
			}
			if sub == "install" {
				d.Out.Success("Convex AI files installed.")
			} else {
				d.Out.Success("Convex AI files updated.")
			}
			return nil
		case "enable":
			// convex.json is updated even when some files could not be
			// installed: the choice to use AI files stands.
			installErr := m.Install(c.Context)
			if err := aifiles.SetEnabled(m.ProjectDir, true); err != nil {
				return err
			}
			if installErr != nil {
				return installErr
			}
			d.Out.Success("Convex AI files enabled.")
			return nil
		case "disable":
			if err := aifiles.SetEnabled(m.ProjectDir, false); err != nil {
				return err
			}
			d.Out.Success("Convex AI files disabled. Run `convex ai-files enable` to turn them back on.")
			return nil
		case "remove":
			return m.Remove(c.Context)
		}
		return ui.Errorf("unknown ai-files command %q", sub)
	}
}
