package commands

import "github.com/urfave/cli/v2"

func newTypecheckCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "typecheck",
		Hidden:      true,
		Usage:       "Run TypeScript typechecking on your Convex functions with `tsc --noEmit`.",
		Description: "Typecheck the functions in convex/ with `tsc --noEmit`, without pushing anything.",
		Flags: []cli.Flag{
			valueFlag("typescript-compiler", "compiler", "Compiler to use; `tsgo` needs the @typescript/native-preview package.").OneOf("tsc", "tsgo"),
		},
		Action: d.notImplemented("typecheck"),
	}
}
