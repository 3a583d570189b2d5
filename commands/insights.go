package commands

import "github.com/urfave/cli/v2"

func newInsightsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "insights",
		Usage: "Show health insights for your deployment",
		Description: "Show problems seen on a deployment in the last 72 hours: write conflicts between mutations (OCC) " +
			"and functions close to or over their resource limits.\n\n" +
			"• Summary: convex insights\n" +
			"• With recent events of each problem: convex insights --details\n" +
			"• For production: convex insights --prod\n\n" +
			"Works for Convex cloud deployments when you are logged in.",
		Flags: withFlags([]cli.Flag{
			boolFlag("details", "Also show recent events of each insight."),
			boolFlag("json", "Print JSON instead of a report."),
		}, selectionFlags("Show insights for", false)),
		Action: d.notImplemented("insights"),
	}
}
