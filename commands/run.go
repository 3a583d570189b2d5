package commands

import "github.com/urfave/cli/v2"

func newRunCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Run a function or evaluate an inline readonly query on your deployment",
		ArgsUsage: "[functionName] [args]",
		Description: "Call a query, mutation or action on your deployment and print its result. " +
			"Arguments are one JSON object (relaxed JSON is fine: unquoted keys, single quotes); it defaults to {}. " +
			"By default this runs on your dev deployment.\n\n" +
			"• Call with arguments: convex run messages:send '{\"body\": \"hello\", \"author\": \"me\"}'\n" +
			"• Call on production: convex run messages:list --prod\n" +
			"• Print a query's result again whenever it changes: convex run messages:list --watch\n" +
			"• Push your local code first: convex run messages:send '{}' --push\n" +
			"• Evaluate a readonly query written inline: convex run --inline-query 'await ctx.db.query(\"messages\").take(5)'",
		Flags: withFlags([]cli.Flag{
			shortBool("watch", "w", "Keep watching a query and print its result every time it changes."),
			valueFlag("inline-query", "query", "Evaluate this readonly query code instead of a deployed function; `ctx` is in scope and the value of the last expression is printed."),
			boolFlag("push", "Push your code to the deployment before running the function."),
			hiddenBool("no-push", "Accepted for old scripts; does nothing."),
			valueFlag("identity", "identity", `Run as this user: a JSON object for ctx.auth, e.g. '{ name: "John", address: "0x123" }'.`),
			typecheckFlag("With --push: typecheck your functions with `tsc --noEmit` first."),
			typecheckComponentsFlag(),
			codegenFlag("With --push: regenerate the code in convex/_generated first."),
			componentFlag(),
			hiddenBool("live-component-sources", "Bundle components from their sources instead of their builds."),
		}, selectionFlags("Run the function on", false)),
		Action: d.notImplemented("run"),
	}
}
