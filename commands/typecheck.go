package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

func newTypecheckCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "typecheck",
		Hidden:      true,
		Usage:       "Run TypeScript typechecking on your Convex functions with `tsc --noEmit`.",
		Description: "Typecheck the functions in convex/ with `tsc --noEmit`, without pushing anything.",
		Flags: []cli.Flag{
			valueFlag("typescript-compiler", "compiler", "Compiler to use; `tsgo` needs the @typescript/native-preview package.").OneOf("tsc", "tsgo"),
		},
		Action: d.typecheck,
	}
}

func (d *Deps) typecheck(c *cli.Context) error {
	if err := push.CheckConvexDependency(d.Cwd, "typecheck"); err != nil {
		return d.pushErr(err)
	}
	cfg, err := push.LoadProjectConfig(d.Cwd, warnWriter{d.Out})
	if err != nil {
		return d.pushErr(err)
	}
	compiler := cfg.TypeScriptCompiler
	if c.IsSet("typescript-compiler") {
		compiler = c.String("typescript-compiler")
	}
	tc := &push.Typechecker{Mode: push.TypecheckEnable, Compiler: compiler, ProjectDir: d.Cwd, Stderr: lineWriter{d.Out}}
	err = tc.Check(c.Context, cfg.FunctionsDir(d.Cwd))
	if err == nil {
		d.Out.Success("Typecheck passed: `%s --noEmit` completed with exit code 0.", compiler)
		return nil
	}
	if push.KindOf(err) == push.InvalidFiles {
		if pe, ok := err.(*push.Error); ok && pe.Msg == "TypeScript typecheck could not run" {
			d.Out.Hint("Unable to typecheck; is TypeScript installed?")
		} else {
			d.Out.Hint("Typecheck failed")
		}
		return &ui.Error{Code: ui.ExitError}
	}
	return d.pushErr(err)
}
