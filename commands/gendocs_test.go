package commands

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

var update = flag.Bool("update", false, "rewrite ../docs/commands.md from the command tree")

const commandsDoc = "../docs/commands.md"

// TestCommandsDoc keeps docs/commands.md equal to what the command tree
// says. After changing a command, run: go test ./commands -run TestCommandsDoc -update
func TestCommandsDoc(t *testing.T) {
	_, tr := newApp(&Deps{})
	want := commandsMarkdown(tr)
	if *update {
		if err := os.WriteFile(commandsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(commandsDoc)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./commands -run TestCommandsDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale; refresh it with: go test ./commands -run TestCommandsDoc -update", commandsDoc)
	}
}

func TestCommandsMarkdownEscapes(t *testing.T) {
	got := mdText("run --start <command> or `a <b>` x|y\n• item\n  1. step")
	want := "run --start &lt;command&gt; or `a <b>` x\\|y\n- item\n1. step"
	if got != want {
		t.Errorf("mdText:\n got %q\nwant %q", got, want)
	}
}

func commandsMarkdown(tr *tree) string {
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("<!-- This file is written from the command tree by\n" +
		"     go test ./commands -run TestCommandsDoc -update\n" +
		"     Edit the help texts in commands/*.go, not this file. -->\n\n")
	b.WriteString("Every `convex` command with its arguments and flags: the same text as\n" +
		"`convex <command> --help`. Flags may come before or after arguments. Exit codes\n" +
		"are listed in [exit-codes.md](exit-codes.md).\n\n")
	b.WriteString("## Global flags\n\n")
	writeFlagTable(&b, visibleFlags(tr.root))
	var visible, hidden []*cli.Command
	for _, c := range tr.order {
		if isHiddenPath(tr, c) {
			hidden = append(hidden, c)
		} else {
			visible = append(visible, c)
		}
	}
	b.WriteString("\n## Commands\n\n")
	for _, c := range visible {
		depth := len(tr.paths[c]) - 1
		fmt.Fprintf(&b, "%s- [`%s`](#%s) — %s\n", strings.Repeat("  ", depth), tr.name(c), anchor(tr.name(c)), mdText(c.Usage))
	}
	for _, c := range visible {
		writeCommand(&b, tr, c)
	}
	b.WriteString("\n## Hidden commands\n\n")
	b.WriteString("These work but are not listed by `convex --help`: some are for scripts and tests,\n" +
		"some are kept so old scripts get a clear answer.\n")
	for _, c := range hidden {
		if c.Name == "help" {
			continue
		}
		writeCommand(&b, tr, c)
	}
	return b.String()
}

// isHiddenPath reports whether c or one of its parents is hidden.
func isHiddenPath(tr *tree, c *cli.Command) bool {
	cur := tr.root
	for _, w := range tr.paths[c] {
		cur = findSub(cur, w)
		if cur.Hidden {
			return true
		}
	}
	return false
}

func writeCommand(b *strings.Builder, tr *tree, c *cli.Command) {
	fmt.Fprintf(b, "\n### %s\n\n", tr.name(c))
	desc := c.Description
	if desc == "" {
		desc = c.Usage
	}
	b.WriteString(mdText(desc) + "\n\n")
	b.WriteString("```\n")
	for _, u := range tr.usageLines(c) {
		b.WriteString(u + "\n")
	}
	b.WriteString("```\n")
	if len(c.Aliases) > 0 {
		fmt.Fprintf(b, "\nAliases: `%s`\n", strings.Join(c.Aliases, "`, `"))
	}
	if subs := visibleCommands(c); len(subs) > 0 {
		b.WriteString("\nSubcommands: ")
		for i, s := range subs {
			if i > 0 {
				b.WriteString(", ")
			}
			name := tr.name(s)
			fmt.Fprintf(b, "[`%s`](#%s)", s.Name, anchor(name))
		}
		b.WriteString("\n")
	}
	var flags []cli.Flag
	for _, f := range visibleFlags(c) {
		if f.Names()[0] != "help" {
			flags = append(flags, f)
		}
	}
	if len(flags) > 0 {
		b.WriteString("\n")
		writeFlagTable(b, flags)
	}
}

func writeFlagTable(b *strings.Builder, flags []cli.Flag) {
	b.WriteString("| Flag | Description |\n|---|---|\n")
	for _, f := range flags {
		syn := strings.TrimSpace(flagSynopsis(f))
		fmt.Fprintf(b, "| `%s` | %s |\n", syn, strings.ReplaceAll(mdText(flagDescription(f)), "\n", " "))
	}
}

// anchor is the GitHub heading anchor of "convex env set".
func anchor(heading string) string {
	return strings.ReplaceAll(strings.ToLower(heading), " ", "-")
}

var codeSpan = regexp.MustCompile("`[^`]*`")

// mdText makes help text safe Markdown: <, > and | escaped outside code
// spans, "•" items as list items, numbered steps unindented.
func mdText(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimLeft(l, " ")
		switch {
		case strings.HasPrefix(t, "• "):
			l = "- " + strings.TrimPrefix(t, "• ")
		case regexp.MustCompile(`^\d+\. `).MatchString(t):
			l = t
		}
		lines = append(lines, escapeOutsideCode(l))
	}
	return strings.Join(lines, "\n")
}

func escapeOutsideCode(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|")
	var b strings.Builder
	last := 0
	for _, m := range codeSpan.FindAllStringIndex(s, -1) {
		b.WriteString(r.Replace(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(r.Replace(s[last:]))
	return b.String()
}
