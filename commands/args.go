package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/ui"
)

// plan is a checked command line, ready for urfave/cli.
type plan struct {
	args    []string     // rewritten arguments, program name first
	cmd     *cli.Command // the command reached (t.root for none)
	help    bool         // --help/-h was given: show cmd's help
	version bool         // -V/--version was given at the top level
	verbose bool         // the global --verbose was given
}

type level struct {
	cmd   *cli.Command
	word  string // as typed (may be an alias)
	flags []flagUse
}

type flagUse struct {
	flag  cli.Flag
	name  string // canonical name
	value string // "" for booleans given bare
	set   bool   // value given (always true for valued flags)
}

func usageErr(format string, args ...any) *ui.Error {
	return ui.Usage(format, args...)
}

// normalize walks args through the command tree the way the reference CLI
// parses them, and rewrites them into the strict form urfave/cli accepts
// (all flags of a command before its positionals, values attached with =).
// On the way it reports, as exit-2 usage errors with a suggestion when one
// is close: unknown commands and flags, missing flag values, values outside
// a flag's choices, missing required flags, and too few or too many
// positional arguments. Specifically:
//
//   - flags may come before or after positional arguments;
//   - a flag of a group (`env --prod list`) reaches the subcommand, which
//     declares the same flag (`env list --prod` works too);
//   - optional-value flags (`--tail-logs [mode]`) take the next word only
//     when it does not start with "-"; given bare, their value is "";
//   - the global --verbose may appear anywhere, unless the command has its
//     own --verbose (dev and deploy do: there it lists changes);
//   - "--" ends flags; later words are positional.
func (t *tree) normalize(args []string) (plan, error) {
	var p plan
	levels := []*level{{cmd: t.root}}
	cur := t.root
	var positional []string

	for i := 0; i < len(args); i++ {
		a := args[i]
		if cur.SkipFlagParsing {
			positional = append(positional, args[i:]...)
			break
		}
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			name, val, hasVal, ok := splitFlag(a)
			if !ok {
				return p, t.unknownFlag(cur, a)
			}
			if name == "help" || name == "h" {
				p.help = true
				continue
			}
			lv := levels[len(levels)-1]
			f := findFlag(cur, name)
			if f == nil && name == "verbose" {
				// The global flag, given after a command that has no --verbose.
				f, lv = findFlag(t.root, name), levels[0]
			}
			if f == nil {
				if p.help || helpRequested(args[i:]) {
					p.help, p.cmd = true, cur
					return p, nil
				}
				return p, t.unknownFlag(cur, a)
			}
			use := flagUse{flag: f, name: f.Names()[0], value: val, set: hasVal}
			if flagTakesValue(f) && !hasVal {
				opt, _ := f.(*StringOption)
				next := ""
				if i+1 < len(args) {
					next = args[i+1]
				}
				switch {
				case opt != nil && opt.OptionalValue:
					if i+1 < len(args) && !strings.HasPrefix(next, "-") {
						use.value = next
						i++
					}
				case i+1 < len(args):
					use.value = next
					i++
				default:
					return p, usageErr("flag %s needs a value", display(a, f)).
						WithHint("Run `%s --help` to see what it expects.", t.name(cur))
				}
				use.set = true
			}
			lv.flags = append(lv.flags, use)
			continue
		}
		if len(cur.Subcommands) > 0 && len(positional) == 0 {
			if sub := findSub(cur, a); sub != nil {
				levels = append(levels, &level{cmd: sub, word: a})
				cur = sub
				continue
			}
			if len(parseArgSpec(cur.ArgsUsage).names) == 0 {
				return p, t.unknownCommand(cur, a)
			}
		}
		positional = append(positional, a)
	}
	p.cmd = cur
	for _, u := range levels[0].flags {
		switch u.name {
		case "version":
			p.version = u.value != "false"
		case "verbose":
			p.verbose = u.value != "false"
		}
	}
	if p.help || p.version {
		return p, nil
	}

	// A group's flag reaches the subcommand when the subcommand declares it.
	leaf := levels[len(levels)-1]
	for i := 1; i < len(levels)-1; i++ {
		lv := levels[i]
		kept := lv.flags[:0]
		for _, u := range lv.flags {
			if findFlag(leaf.cmd, u.name) != nil {
				leaf.flags = append(leaf.flags, u)
			} else {
				kept = append(kept, u)
			}
		}
		lv.flags = kept
	}

	// Check values, required flags and positional arguments of the command reached.
	for _, lv := range levels {
		for _, u := range lv.flags {
			if opt, ok := u.flag.(*StringOption); ok {
				if err := opt.checkValue(u.value); err != nil {
					return p, err
				}
			}
		}
	}
	if !cur.SkipFlagParsing {
		for _, f := range flagsOf(cur) {
			opt, ok := f.(*StringOption)
			if !ok || !opt.Mandatory {
				continue
			}
			given := false
			for _, u := range leaf.flags {
				if u.name == opt.Name {
					given = true
				}
			}
			if !given {
				return p, usageErr("%s needs --%s %s", t.name(cur), opt.Name, opt.placeholder()).
					WithHint("Run `%s --help` for details.", t.name(cur))
			}
		}
		spec := parseArgSpec(cur.ArgsUsage)
		if len(positional) > len(spec.names) && !spec.variadic {
			extra := positional[len(spec.names)]
			if len(spec.names) == 0 {
				return p, usageErr("%s takes no arguments, but got %q", t.name(cur), extra).
					WithHint("Run `%s --help` to see how to use it.", t.name(cur))
			}
			return p, usageErr("too many arguments for %s: expected at most %d, got %d (first extra: %q)",
				t.name(cur), len(spec.names), len(positional), extra).
				WithHint("Usage: %s %s. Quote an argument that contains spaces.", t.name(cur), cur.ArgsUsage)
		}
		if len(positional) < spec.required {
			missing := spec.names[len(positional)]
			return p, usageErr("%s needs the argument %s", t.name(cur), missing).
				WithHint("Usage: %s %s", t.name(cur), cur.ArgsUsage)
		}
	}

	out := []string{t.app.Name}
	for i, lv := range levels {
		if i > 0 {
			out = append(out, lv.word)
		}
		for _, u := range lv.flags {
			switch {
			case flagTakesValue(u.flag):
				out = append(out, "--"+u.name+"="+u.value)
			case u.set:
				out = append(out, "--"+u.name+"="+u.value)
			default:
				out = append(out, "--"+u.name)
			}
		}
	}
	if len(positional) > 0 {
		if !cur.SkipFlagParsing {
			out = append(out, "--")
		}
		out = append(out, positional...)
	}
	p.args = out
	return p, nil
}

// helpRequested reports whether -h/--help comes before any "--" in args:
// help then wins over other mistakes on the line.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

// splitFlag parses "--name", "--name=value" and "-x". Single-dash flags have
// one letter; "--x" and "-name" are not flags of ours.
func splitFlag(a string) (name, value string, hasValue, ok bool) {
	body := ""
	long := strings.HasPrefix(a, "--")
	if long {
		body = a[2:]
	} else {
		body = a[1:]
	}
	name = body
	if i := strings.IndexByte(body, '='); i >= 0 {
		name, value, hasValue = body[:i], body[i+1:], true
	}
	if long && len(name) < 2 || !long && len([]rune(name)) != 1 {
		return name, value, hasValue, false
	}
	return name, value, hasValue, true
}

func display(typed string, f cli.Flag) string {
	if o, ok := f.(*StringOption); ok {
		return typed + " " + o.placeholder()
	}
	return typed
}

func (t *tree) unknownCommand(parent *cli.Command, word string) error {
	var candidates []string
	for _, s := range parent.Subcommands {
		if !s.Hidden {
			candidates = append(candidates, s.Name)
		}
		// Hidden commands and aliases are only suggested on a near-exact match.
		for _, n := range s.Names() {
			if n != s.Name || s.Hidden {
				if distance(word, n) <= 1 {
					candidates = append(candidates, n)
				}
			}
		}
	}
	where := ""
	if parent != t.root {
		where = " for " + t.name(parent)
	}
	err := usageErr("unknown command %q%s", word, where)
	hint := fmt.Sprintf("Run `%s --help` to see the commands.", t.name(parent))
	if s := suggest(word, candidates); s != "" {
		hint = fmt.Sprintf("Did you mean `%s %s`?\n%s", t.name(parent), s, hint)
	}
	return err.WithHint("%s", hint)
}

func (t *tree) unknownFlag(cmd *cli.Command, typed string) error {
	name, _, _, _ := splitFlag(typed)
	name = strings.TrimLeft(name, "-")
	var candidates []string
	for _, f := range flagsOf(cmd) {
		for _, n := range f.Names() {
			// Hidden flags are only suggested for a near-exact match.
			if !flagHidden(f) || distance(name, n) <= 1 {
				candidates = append(candidates, n)
			}
		}
	}
	if findFlag(cmd, "verbose") == nil {
		candidates = append(candidates, "verbose") // the global flag works anywhere
	}
	err := usageErr("unknown flag %s for %s", strings.SplitN(typed, "=", 2)[0], t.name(cmd))
	hint := fmt.Sprintf("Run `%s --help` to see its flags.", t.name(cmd))
	if s := suggest(name, candidates); s != "" {
		hint = fmt.Sprintf("Did you mean %s?\n%s", dashed(s), hint)
	}
	return err.WithHint("%s", hint)
}

func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// suggest returns the candidate closest to word when it is close enough to
// be a likely typo: an edit distance of at most a third of the word (at
// least 1, at most 3), or word being a prefix of exactly one candidate.
func suggest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	limit := len([]rune(word)) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
	best, bestD := "", limit+1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := distance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" {
		return best
	}
	var prefixed []string
	for _, c := range sorted {
		if len(word) >= 2 && strings.HasPrefix(c, word) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// distance is the edit distance between a and b (Levenshtein, with a swap
// of two neighbouring letters counting as one edit: "prdo" is 1 from "prod").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
