package commands

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// tree indexes the app's commands by their full path ("env default set")
// for help, argument checking, completion and the docs.
type tree struct {
	app   *cli.App
	root  *cli.Command // stands for the app itself: its flags and commands
	paths map[*cli.Command][]string
	order []*cli.Command // depth-first, in declaration order
	// groups are commands that only hold subcommands: run bare, they show help.
	groups map[*cli.Command]bool
}

func newTree(app *cli.App) *tree {
	return &tree{app: app}
}

// finish indexes every command and prepares it for our argument handling:
// help flag on each command, no urfave help subcommands, usage errors as
// exit-2 errors, and groups that print their help when run bare.
func (t *tree) finish(d *Deps) {
	t.root = &cli.Command{
		Name:        t.app.Name,
		Usage:       t.app.Usage,
		Flags:       t.app.Flags,
		Subcommands: t.app.Commands,
	}
	// One --help flag serves every command: it is only ever read by our
	// own parser (normalize), never set through urfave, so sharing it is
	// safe and saves an allocation per command at start-up.
	help := helpFlag()
	t.root.Flags = append(t.root.Flags, help)
	t.app.Flags = t.root.Flags
	t.paths = map[*cli.Command][]string{t.root: nil}
	t.order = nil
	t.groups = map[*cli.Command]bool{}
	var walk func(c *cli.Command, path []string)
	walk = func(c *cli.Command, path []string) {
		for _, sub := range c.Subcommands {
			p := append(append([]string(nil), path...), sub.Name)
			t.paths[sub] = p
			t.order = append(t.order, sub)
			sub.HideHelp = true
			sub.HideHelpCommand = true
			if !sub.SkipFlagParsing {
				sub.Flags = append(sub.Flags, help)
			}
			sub.OnUsageError = onUsageError
			if sub.Action == nil && len(sub.Subcommands) > 0 {
				group := sub
				t.groups[sub] = true
				sub.Action = func(c *cli.Context) error {
					if c.Args().Present() {
						return t.unknownCommand(group, c.Args().First())
					}
					return t.printHelp(d.Stdout, group)
				}
			}
			walk(sub, p)
		}
	}
	walk(t.root, nil)
	t.app.OnUsageError = onUsageError
}

func helpFlag() cli.Flag {
	return &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "Show help for this command"}
}

// onUsageError turns a flag-parsing error that slipped past normalize into
// an exit-2 error instead of urfave's own printing.
func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageErr("%v", err)
}

// name is "convex env set" for messages and help.
func (t *tree) name(c *cli.Command) string {
	p := t.paths[c]
	if len(p) == 0 {
		return "convex"
	}
	return "convex " + strings.Join(p, " ")
}

// pathString is "env set" (empty for the root).
func (t *tree) pathString(c *cli.Command) string {
	return strings.Join(t.paths[c], " ")
}

// lookup follows words ("env", "default", "set") from the root; it stops at
// the first word that is not a command and returns what it reached and the
// number of words used.
func (t *tree) lookup(words []string) (*cli.Command, int) {
	cur := t.root
	for i, w := range words {
		sub := findSub(cur, w)
		if sub == nil {
			return cur, i
		}
		cur = sub
	}
	return cur, len(words)
}

// buildFlags builds the deferred flags of c and of every command above it,
// which urfave/cli parses when it runs c.
func (t *tree) buildFlags(c *cli.Command) {
	cur := t.root
	flagsOf(cur)
	for _, w := range t.paths[c] {
		if cur = findSub(cur, w); cur == nil {
			return
		}
		flagsOf(cur)
	}
}

func findSub(c *cli.Command, name string) *cli.Command {
	for _, s := range c.Subcommands {
		if s.HasName(name) {
			return s
		}
	}
	return nil
}

// findFlag finds the flag of c called name (long name or alias).
func findFlag(c *cli.Command, name string) cli.Flag {
	for _, f := range flagsOf(c) {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func flagTakesValue(f cli.Flag) bool {
	if v, ok := f.(interface{ TakesValue() bool }); ok {
		return v.TakesValue()
	}
	return false
}

func flagHidden(f cli.Flag) bool {
	if v, ok := f.(cli.VisibleFlag); ok {
		return !v.IsVisible()
	}
	return false
}

func flagUsage(f cli.Flag) string {
	if v, ok := f.(cli.DocGenerationFlag); ok {
		return v.GetUsage()
	}
	return ""
}

func flagDefault(f cli.Flag) string {
	switch v := f.(type) {
	case *StringOption:
		return v.Value
	case *cli.StringFlag:
		return v.Value
	}
	return ""
}

// argSpec is a command's positional arguments, read from its ArgsUsage:
// <name> is required, [name] optional, a trailing "..." repeats.
type argSpec struct {
	names    []string
	required int
	variadic bool
}

func parseArgSpec(usage string) argSpec {
	var s argSpec
	for _, tok := range strings.Fields(usage) {
		if strings.Contains(tok, "...") {
			s.variadic = true
			tok = strings.Replace(tok, "...", "", 1)
		}
		s.names = append(s.names, tok)
		if strings.HasPrefix(tok, "<") {
			s.required++
		}
	}
	return s
}
