package commands

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

const helpWidth = 80

// itemMarker returns the marker starting a list item ("• ", "- " or "12. ")
// whose wrapped lines hang under its text, or "".
func itemMarker(line string) string {
	if strings.HasPrefix(line, "• ") {
		return "• "
	}
	if strings.HasPrefix(line, "- ") {
		return "- "
	}
	digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
	if digits > 0 && strings.HasPrefix(line[digits:], ". ") {
		return line[:digits+2]
	}
	return ""
}

// exampleItem splits a list item "• <label>: convex <example>".
func exampleItem(line string) (label, example string, ok bool) {
	rest, found := strings.CutPrefix(line, "• ")
	if !found {
		return "", "", false
	}
	label, example, found = strings.Cut(rest, ": ")
	if !found || label == "" || strings.Contains(label, ":") || !strings.HasPrefix(example, "convex ") {
		return "", "", false
	}
	return label, example, true
}

func newHelpCommand(d *Deps, t *tree) *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "Show help for a command",
		ArgsUsage: "[command...]",
		Description: "Show what a command does, its arguments and its flags, e.g. `convex help env set`. " +
			"Same as `convex env set --help`.",
		Action: func(c *cli.Context) error {
			words := c.Args().Slice()
			cmd, n := t.lookup(words)
			if n < len(words) {
				return t.unknownCommand(cmd, words[n])
			}
			return t.printHelp(d.Stdout, cmd)
		},
	}
}

// printHelp writes the help of c (t.root for the whole program) to w.
func (t *tree) printHelp(w io.Writer, c *cli.Command) error {
	_, err := io.WriteString(w, t.helpText(c))
	return err
}

func (t *tree) helpText(c *cli.Command) string {
	var b strings.Builder
	if c == t.root {
		t.rootHelp(&b)
		return b.String()
	}
	desc := c.Description
	if desc == "" {
		desc = c.Usage
	}
	b.WriteString(wrapText(desc, helpWidth, "") + "\n\n")
	b.WriteString("Usage:\n")
	for _, u := range t.usageLines(c) {
		b.WriteString("  " + u + "\n")
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, "\nAliases: %s\n", strings.Join(c.Aliases, ", "))
	}
	if subs := visibleCommands(c); len(subs) > 0 {
		b.WriteString("\nCommands:\n")
		writeCommandList(&b, subs)
	}
	if fl := visibleFlags(c); len(fl) > 0 {
		b.WriteString("\nFlags:\n")
		writeFlagList(&b, fl)
	}
	if len(visibleCommands(c)) > 0 {
		fmt.Fprintf(&b, "\nRun `%s <command> --help` for more about a command.\n", t.name(c))
	}
	return b.String()
}

func (t *tree) rootHelp(b *strings.Builder) {
	b.WriteString("convex develops, deploys and manages Convex backends: your functions, schema and\n" +
		"data. It also runs a Convex deployment on your machine when you have no account.\n\n")
	b.WriteString("Usage:\n  convex <command> [flags]\n\n")
	b.WriteString("Getting started:\n")
	b.WriteString("  convex dev       Run this in your app's folder while you work: it sets up a\n" +
		"                   project if needed, pushes convex/ and keeps it in sync.\n")
	b.WriteString("  convex deploy    Push your functions to production (or a preview deployment),\n" +
		"                   typically from CI.\n\n")
	b.WriteString("Commands:\n")
	writeCommandList(b, visibleCommands(t.root))
	b.WriteString("\nGlobal flags:\n")
	writeFlagList(b, visibleFlags(t.root))
	b.WriteString("\nRun `convex <command> --help` (or `convex help <command>`) to learn what a\n" +
		"command does and see all its flags. Documentation: https://docs.convex.dev\n")
}

// usageLines shows how to call c: its arguments, its subcommands.
func (t *tree) usageLines(c *cli.Command) []string {
	name := t.name(c)
	var lines []string
	if !t.groups[c] {
		line := name
		if c.ArgsUsage != "" {
			line += " " + c.ArgsUsage
		}
		if len(visibleFlags(c)) > 1 { // more than --help
			line += " [flags]"
		}
		lines = append(lines, line)
	}
	if len(visibleCommands(c)) > 0 {
		lines = append(lines, name+" <command> [flags]")
	}
	return lines
}

func visibleCommands(c *cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, s := range c.Subcommands {
		if !s.Hidden {
			out = append(out, s)
		}
	}
	return out
}

func visibleFlags(c *cli.Command) []cli.Flag {
	var out []cli.Flag
	for _, f := range flagsOf(c) {
		if !flagHidden(f) {
			out = append(out, f)
		}
	}
	return out
}

func writeCommandList(b *strings.Builder, cmds []*cli.Command) {
	width := 0
	for _, c := range cmds {
		width = max(width, len(commandLabel(c)))
	}
	for _, c := range cmds {
		label := commandLabel(c)
		indent := strings.Repeat(" ", width+4)
		text := wrapText(c.Usage, helpWidth-len(indent), indent)
		fmt.Fprintf(b, "  %-*s  %s\n", width, label, text)
	}
}

func commandLabel(c *cli.Command) string {
	if len(c.Aliases) > 0 {
		return c.Name + ", " + strings.Join(c.Aliases, ", ")
	}
	return c.Name
}

// flagSynopsis renders "-v, --verbose" or "    --typecheck <mode>".
func flagSynopsis(f cli.Flag) string {
	names := f.Names()
	long, short := names[0], ""
	for _, n := range names[1:] {
		if len([]rune(n)) == 1 {
			short = n
		}
	}
	s := "    --" + long
	if short != "" {
		s = "-" + short + ", --" + long
	}
	if o, ok := f.(*StringOption); ok {
		s += " " + o.placeholder()
	} else if flagTakesValue(f) {
		s += " <value>"
	}
	return s
}

// flagDescription is the usage text plus choices and default.
func flagDescription(f cli.Flag) string {
	desc := flagUsage(f)
	var extra []string
	if o, ok := f.(*StringOption); ok {
		if len(o.Choices) > 0 {
			extra = append(extra, "one of: "+strings.Join(o.Choices, ", "))
		}
		if o.Value != "" {
			extra = append(extra, "default: "+o.Value)
		}
		if o.Mandatory {
			extra = append(extra, "required")
		}
	} else if def := flagDefault(f); def != "" {
		extra = append(extra, "default: "+def)
	}
	if len(extra) > 0 {
		desc += " (" + strings.Join(extra, "; ") + ")"
	}
	return desc
}

func writeFlagList(b *strings.Builder, flags []cli.Flag) {
	width := 0
	for _, f := range flags {
		width = max(width, len([]rune(flagSynopsis(f))))
	}
	width = min(width, 26)
	indent := strings.Repeat(" ", width+4)
	for _, f := range flags {
		syn := flagSynopsis(f)
		text := wrapText(flagDescription(f), helpWidth-len(indent), indent)
		if len([]rune(syn)) > width {
			fmt.Fprintf(b, "  %s\n%s%s\n", syn, indent, text)
			continue
		}
		fmt.Fprintf(b, "  %s%s  %s\n", syn, strings.Repeat(" ", width-len([]rune(syn))), text)
	}
}

// wrapText wraps each paragraph line of s to width columns; continuation
// lines start with indent. Lines starting with "•" or spaces keep their
// own line.
func wrapText(s string, width int, indent string) string {
	if width < 20 {
		width = 20
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		lead := line[:len(line)-len(trimmed)]
		if m := itemMarker(trimmed); m != "" {
			lead += strings.Repeat(" ", len([]rune(m)))
		}
		// "• Label: convex …" too long for one line: the example goes on its
		// own line, unbroken, so it can be copied.
		if label, example, ok := exampleItem(trimmed); ok && len([]rune(line)) > width {
			out = append(out, line[:len(line)-len(trimmed)]+"• "+label+":", lead+"  "+example)
			continue
		}
		words := strings.Fields(trimmed)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		cur := line[:len(line)-len(trimmed)] + words[0]
		for _, w := range words[1:] {
			if len([]rune(cur))+1+len([]rune(w)) > width {
				out = append(out, cur)
				cur = lead + w
				continue
			}
			cur += " " + w
		}
		out = append(out, cur)
	}
	for i := 1; i < len(out); i++ {
		if out[i] != "" {
			out[i] = indent + out[i]
		}
	}
	return strings.Join(out, "\n")
}
