package commands

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// mcpTools are the tools the MCP server offers.
var mcpTools = []string{"data", "envGet", "envList", "envRemove", "envSet", "functionSpec", "insights", "logs", "run", "runOneoffQuery", "status", "tables"}

func newMCPCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "mcp",
		Usage: "Manage the Model Context Protocol server for Convex [BETA]",
		Description: "Run a Model Context Protocol (MCP) server that lets AI coding tools look into and work with your " +
			"Convex deployments: tables, data, functions, logs and environment variables.",
		Subcommands: []*cli.Command{
			{
				Name:  "start",
				Usage: "Start the MCP server",
				Description: "Serve MCP over stdin/stdout, for an AI tool to start as a subprocess. Production deployments " +
					"are off limits unless you allow them with the flags below.",
				Flags: withFlags([]cli.Flag{
					valueFlag("project-dir", "project-dir", "Serve only the project in this directory (by default each tool call says which project directory it means)."),
					valueFlag("disable-tools", "tool-names", "Comma-separated tools to turn off: "+strings.Join(mcpTools, ", ")+"."),
					boolFlag("cautiously-allow-production-pii", "Let the read-only tools (data, logs, queries) reach production deployments. They may show personal data."),
					boolFlag("dangerously-enable-production-deployments", "Let every tool reach production deployments, including tools that change data."),
					hiddenBool("disable-production-deployments", "No effect: production is disabled by default."),
				}, selectionFlags("Run the MCP server on", false)),
				Action: d.notImplemented("mcp start"),
			},
		},
	}
}
