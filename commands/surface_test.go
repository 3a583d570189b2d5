package commands

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// surfaceFacts describes the command tree one fact per line, in the format
// of testdata/reference-surface.txt (see dump-reference-surface.cjs, which
// writes the same lines for the reference npm CLI).
func surfaceFacts(t *tree) []string {
	var out []string
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		p := t.name(c)
		out = append(out, p)
		if c.Hidden {
			out = append(out, p+" :: hidden")
		}
		for _, a := range c.Aliases {
			out = append(out, p+" :: alias "+a)
		}
		if c.ArgsUsage != "" {
			out = append(out, p+" :: args "+c.ArgsUsage)
		}
		for _, f := range flagsOf(c) {
			if f.Names()[0] == "help" {
				continue
			}
			out = append(out, p+" :: "+flagFact(f))
		}
		for _, s := range c.Subcommands {
			if s.Name == "help" && c == t.root {
				continue
			}
			walk(s)
		}
	}
	walk(t.root)
	return out
}

func flagFact(f cli.Flag) string {
	s := "--" + f.Names()[0]
	for _, n := range f.Names()[1:] {
		if len([]rune(n)) == 1 {
			s = "-" + n + ", " + s
		}
	}
	if o, ok := f.(*StringOption); ok {
		s += " " + o.placeholder()
		if o.Hidden {
			s += " hidden"
		}
		if o.Mandatory {
			s += " required"
		}
		if o.Value != "" {
			s += " default=" + o.Value
		}
		if len(o.Choices) > 0 {
			s += " choices=" + strings.Join(o.Choices, ",")
		}
		return s
	}
	if flagTakesValue(f) {
		s += " <value>"
	}
	if flagHidden(f) {
		s += " hidden"
	}
	return s
}

// readSurface returns the reference facts and our own additions ("+ " lines).
func readSurface(tb testing.TB) (ref, ours map[string]bool) {
	tb.Helper()
	f, err := os.Open("testdata/reference-surface.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ref, ours = map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "+ "):
			ours[strings.TrimPrefix(line, "+ ")] = true
		default:
			ref[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return ref, ours
}

// TestSurfaceMatchesReference fails when a command, subcommand, alias,
// argument form or flag (with its placeholder, visibility, default and
// choices) of the reference CLI is missing or different, and when we grew
// something that is neither in the reference nor listed as our addition.
func TestSurfaceMatchesReference(t *testing.T) {
	ref, ours := readSurface(t)
	if len(ref) < 300 {
		t.Fatalf("reference surface has only %d facts; is the file truncated?", len(ref))
	}
	_, tr := newApp(&Deps{})
	have := map[string]bool{}
	for _, f := range surfaceFacts(tr) {
		have[f] = true
	}
	var missing, extra []string
	for f := range ref {
		if !have[f] {
			missing = append(missing, f)
		}
	}
	for f := range have {
		if !ref[f] && !ours[f] {
			extra = append(extra, f)
		}
	}
	for f := range ours {
		if !have[f] {
			missing = append(missing, "+ "+f)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("missing from our command tree (%d):\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("in our command tree but not in testdata/reference-surface.txt (%d):\n  %s", len(extra), strings.Join(extra, "\n  "))
	}
}

// TestSurfaceFactsCanFail makes sure the comparison sees a change.
func TestSurfaceFactsCanFail(t *testing.T) {
	_, tr := newApp(&Deps{})
	ref, _ := readSurface(t)
	dev := findSub(tr.root, "dev")
	for _, f := range flagsOf(dev) {
		if o, ok := f.(*StringOption); ok && o.Name == "typecheck" {
			o.Value = "enable"
		}
	}
	for _, f := range surfaceFacts(tr) {
		if strings.HasPrefix(f, "convex dev :: --typecheck ") && ref[f] {
			t.Fatalf("changed default still matches the reference: %s", f)
		}
	}
}
