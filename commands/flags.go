package commands

import (
	"errors"
	"flag"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/ui"
)

// StringOption is a flag that takes a value, with what urfave/cli lacks and
// the reference CLI has: a placeholder for help (`--typecheck <mode>`), a
// list of allowed values, a value that may be left out (`--tail-logs` alone),
// a required flag, and a value check. All of these are enforced before the
// action runs. Read it with c.String(name); for an optional-value flag given
// bare, c.IsSet(name) is true and the value is "".
//
// Build one with valueFlag(...) and the chained setters below.
type StringOption struct {
	cli.StringFlag
	Placeholder   string
	Choices       []string
	OptionalValue bool
	Mandatory     bool
	Validate      func(string) error
}

// TakesValue is true: even an optional-value flag carries a string.
func (o *StringOption) TakesValue() bool { return true }

// valueFlag declares `--name <placeholder>` with a usage text.
func valueFlag(name, placeholder, usage string) *StringOption {
	return &StringOption{StringFlag: cli.StringFlag{Name: name, Usage: usage}, Placeholder: placeholder}
}

// Default sets the value used when the flag is not given.
func (o *StringOption) Default(v string) *StringOption { o.Value = v; return o }

// OneOf restricts the value to choices.
func (o *StringOption) OneOf(choices ...string) *StringOption { o.Choices = choices; return o }

// Optional lets the flag be given without a value.
func (o *StringOption) Optional() *StringOption { o.OptionalValue = true; return o }

// Required makes the flag mandatory.
func (o *StringOption) Required() *StringOption { o.Mandatory = true; return o }

// Hide keeps the flag out of help (it still works).
func (o *StringOption) Hide() *StringOption { o.Hidden = true; return o }

// Short adds a one-letter alias (-x).
func (o *StringOption) Short(s string) *StringOption {
	o.Aliases = append(o.Aliases, s)
	return o
}

// Check adds a value check; its error message is shown after the flag name.
func (o *StringOption) Check(f func(string) error) *StringOption { o.Validate = f; return o }

// checkValue validates v (the flag was given with value v).
func (o *StringOption) checkValue(v string) error {
	if v == "" && o.OptionalValue {
		return nil
	}
	if len(o.Choices) > 0 {
		ok := false
		for _, c := range o.Choices {
			if v == c {
				ok = true
				break
			}
		}
		if !ok {
			return ui.Usage("--%s %s: %q is not allowed; use one of: %s", o.Name, o.placeholder(), v, strings.Join(o.Choices, ", "))
		}
	}
	if o.Validate != nil {
		if err := o.Validate(v); err != nil {
			return ui.Usage("--%s %s: %q: %v", o.Name, o.placeholder(), v, err)
		}
	}
	return nil
}

func (o *StringOption) placeholder() string {
	ph := o.Placeholder
	if ph == "" {
		ph = "value"
	}
	if o.OptionalValue {
		return "[" + ph + "]"
	}
	return "<" + ph + ">"
}

// boolFlag declares a boolean `--name`.
func boolFlag(name, usage string) *cli.BoolFlag {
	return &cli.BoolFlag{Name: name, Usage: usage}
}

// hiddenBool declares a boolean flag kept out of help.
func hiddenBool(name, usage string) *cli.BoolFlag {
	return &cli.BoolFlag{Name: name, Usage: usage, Hidden: true}
}

// shortBool declares a boolean with a one-letter alias.
func shortBool(name, short, usage string) *cli.BoolFlag {
	return &cli.BoolFlag{Name: name, Aliases: []string{short}, Usage: usage}
}

// positiveInt accepts whole numbers > 0.
func positiveInt(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errNotNumber
	}
	if n <= 0 {
		return errNotPositive
	}
	return nil
}

// anyInt accepts whole numbers.
func anyInt(s string) error {
	if _, err := strconv.Atoi(s); err != nil {
		return errNotNumber
	}
	return nil
}

var (
	errNotNumber   = plainError("not a number")
	errNotPositive = plainError("not a positive number")
)

type plainError string

func (e plainError) Error() string { return string(e) }

// Flags shared by several commands.

func typecheckFlag(usage string) *StringOption {
	return valueFlag("typecheck", "mode", usage).Default("try").OneOf("enable", "try", "disable")
}

func typecheckComponentsFlag() *cli.BoolFlag {
	return boolFlag("typecheck-components", "Also typecheck the code of the components your app uses.")
}

func codegenFlag(usage string) *StringOption {
	return valueFlag("codegen", "mode", usage).Default("enable").OneOf("enable", "disable")
}

func componentFlag() *StringOption {
	return valueFlag("component", "path", `Path of the component to act on, e.g. "workflow" or "workflow/workpool".`)
}

func envFileFlag() *StringOption {
	return valueFlag("env-file", "envFile", "Read CONVEX_DEPLOYMENT, CONVEX_SELF_HOSTED_URL and friends from this file (same format as .env.local) instead of .env.local/.env, to choose the deployment.")
}

// selectionFlags are the flags that pick the deployment a command talks to
// when it should not be the configured dev deployment. action completes
// sentences like "<action> this project's production deployment", e.g.
// "Run the function on". Read them with readSelection.
func selectionFlags(action string, showURL bool) []cli.Flag {
	return deferFlags(func() []cli.Flag { return buildSelectionFlags(action, showURL) })
}

func buildSelectionFlags(action string, showURL bool) []cli.Flag {
	url := valueFlag("url", "url", action+" the deployment at this URL (together with --admin-key).")
	if !showURL {
		url.Hide()
	}
	return []cli.Flag{
		url,
		valueFlag("admin-key", "adminKey", "Admin key for the deployment given with --url.").Hide(),
		boolFlag("prod", action+" this project's production deployment."),
		valueFlag("preview-name", "previewName", action+" the preview deployment with this name.").Hide(),
		valueFlag("deployment-name", "deploymentName", action+" the deployment with this name.").Hide(),
		valueFlag("deployment", "deployment", action+" another deployment. Give its name (joyful-capybara-123), "+
			"its reference (staging, dev/james), `dev` (your own dev deployment), `prod` (the project's production "+
			"deployment) or `local`. Prefix `project-slug:` or `team-slug:project-slug:` to reach another project."),
		envFileFlag().Hide(),
	}
}

// Selection is what the deployment-selection flags said.
type Selection struct {
	URL            string
	AdminKey       string
	Prod           bool
	PreviewName    string
	DeploymentName string
	Deployment     string
	EnvFile        string
}

// readSelection collects the selection flags of the running command.
func readSelection(c *cli.Context) Selection {
	return Selection{
		URL:            c.String("url"),
		AdminKey:       c.String("admin-key"),
		Prod:           c.Bool("prod"),
		PreviewName:    c.String("preview-name"),
		DeploymentName: c.String("deployment-name"),
		Deployment:     c.String("deployment"),
		EnvFile:        c.String("env-file"),
	}
}

// withFlags concatenates flag lists.
func withFlags(lists ...[]cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// deferredFlags stands, inside a command's Flags, for flags that are built
// when the command is parsed, helped or completed (flagsOf). Some twenty
// commands carry the deployment-selection flags; building them all would
// cost `--help` more than the rest of its work.
type deferredFlags struct{ build func() []cli.Flag }

func deferFlags(build func() []cli.Flag) []cli.Flag {
	return []cli.Flag{&deferredFlags{build: build}}
}

func (*deferredFlags) String() string  { return "" }
func (*deferredFlags) Names() []string { return nil }
func (*deferredFlags) IsSet() bool     { return false }

// Apply is never reached: runWithHook builds the flags of every command on
// the path before urfave/cli parses them.
func (*deferredFlags) Apply(*flag.FlagSet) error {
	return errors.New("command flags used before they were built")
}

// flagsOf returns c's flags, building deferred ones in place first. Read a
// command's flags only through it.
func flagsOf(c *cli.Command) []cli.Flag {
	for _, f := range c.Flags {
		if _, ok := f.(*deferredFlags); !ok {
			continue
		}
		built := make([]cli.Flag, 0, len(c.Flags)+8)
		for _, f := range c.Flags {
			if d, ok := f.(*deferredFlags); ok {
				built = append(built, d.build()...)
			} else {
				built = append(built, f)
			}
		}
		c.Flags = built
		break
	}
	return c.Flags
}
