package commands

import (
	"context"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"unknown command with suggestion", []string{"deplyo"}, []string{"unknown command \"deplyo\"", "Did you mean `convex deploy`?"}},
		{"unknown command without suggestion", []string{"frobnicate"}, []string{"unknown command \"frobnicate\"", "convex --help"}},
		{"unknown subcommand", []string{"env", "lst"}, []string{"unknown command \"lst\" for convex env", "Did you mean `convex env list`?"}},
		{"unknown nested subcommand", []string{"deployment", "token", "craete"}, []string{"Did you mean `convex deployment token create`?"}},
		{"unknown flag with suggestion", []string{"deploy", "--dry-rn"}, []string{"unknown flag --dry-rn for convex deploy", "Did you mean --dry-run?"}},
		{"swapped letters", []string{"run", "--wacth"}, []string{"Did you mean --watch?"}},
		{"hidden flag suggested only when very close", []string{"dev", "--prdo"}, []string{"Did you mean --prod?"}},
		{"deploy has no --prod", []string{"deploy", "--prod"}, []string{"unknown flag --prod for convex deploy"}},
		{"unknown short flag", []string{"dev", "-x"}, []string{"unknown flag -x"}},
		{"single-dash long flag", []string{"dev", "-once"}, []string{"unknown flag -once", "Did you mean --once?"}},
		{"bad choice", []string{"dev", "--typecheck", "maybe"}, []string{`--typecheck <mode>: "maybe" is not allowed; use one of: enable, try, disable`}},
		{"bad choice with =", []string{"data", "--order=up"}, []string{`"up" is not allowed; use one of: asc, desc`}},
		{"bad optional choice", []string{"dev", "--tail-logs", "sometimes"}, []string{`--tail-logs [mode]: "sometimes" is not allowed`}},
		{"not a number", []string{"data", "--limit", "ten"}, []string{"not a number"}},
		{"not positive", []string{"data", "--limit", "0"}, []string{"not a positive number"}},
		{"missing value", []string{"run", "--component"}, []string{"flag --component <path> needs a value"}},
		{"missing required flag", []string{"export"}, []string{"convex export needs --path <zipFilePath>"}},
		{"missing required flags of usage-limits", []string{"deployment", "usage-limits", "set", "--metric", "functionCalls"}, []string{"needs --window <window>"}},
		{"missing argument", []string{"import"}, []string{"convex import needs the argument <path>"}},
		{"missing argument of nested command", []string{"env", "get"}, []string{"convex env get needs the argument <name>"}},
		{"no arguments allowed", []string{"dev", "extra"}, []string{`convex dev takes no arguments, but got "extra"`}},
		{"too many arguments", []string{"run", "f", "{}", "more"}, []string{"too many arguments for convex run: expected at most 2, got 3"}},
		{"unknown help topic", []string{"help", "env", "nope"}, []string{"unknown command \"nope\" for convex env"}},
		{"global flag after a command stays known", []string{"run", "--verbos"}, []string{"unknown flag --verbos", "Did you mean --verbose?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, c.args...)
			if r.code != 2 {
				t.Errorf("exit code = %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "✖ ") {
				t.Errorf("stderr does not start with ✖: %q", r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty on a usage error, got %q", r.stdout)
			}
		})
	}
}

func TestNormalizeRewrites(t *testing.T) {
	_, tr := newApp(&Deps{})
	cases := []struct {
		args []string
		want string
	}{
		// Flags after positionals move before them.
		{[]string{"run", "messages:list", "--prod"}, "convex run --prod -- messages:list"},
		{[]string{"import", "--table", "t", "f.jsonl", "-y"}, "convex import --table=t --yes -- f.jsonl"},
		// Group flags reach the subcommand.
		{[]string{"env", "--prod", "list"}, "convex env list --prod"},
		{[]string{"env", "--deployment", "dev/james", "default", "get", "X", "--type", "prod"}, "convex env default get --type=prod --deployment=dev/james -- X"},
		// Optional values.
		{[]string{"dev", "--tail-logs"}, "convex dev --tail-logs="},
		{[]string{"dev", "--tail-logs", "always", "--once"}, "convex dev --tail-logs=always --once"},
		{[]string{"dev", "--configure", "--once"}, "convex dev --configure= --once"},
		{[]string{"logs", "--history"}, "convex logs --history="},
		{[]string{"logs", "--history", "10"}, "convex logs --history=10"},
		{[]string{"deployment", "token", "create", "ci", "--save-env"}, "convex deployment token create --save-env= -- ci"},
		// Values that look like flags are taken when required.
		{[]string{"deploy", "--cmd", "-x"}, "convex deploy --cmd=-x"},
		// "--" ends flags.
		{[]string{"run", "f", "--", "--prod"}, "convex run -- f --prod"},
		// Aliases and short flags.
		{[]string{"dash", "--no-open"}, "convex dash --no-open"},
		{[]string{"env", "rm", "X"}, "convex env rm -- X"},
		{[]string{"dev", "-v"}, "convex dev --verbose"},
		// The global --verbose after a command without one.
		{[]string{"data", "--verbose"}, "convex --verbose data"},
		// ... but dev's own --verbose stays dev's.
		{[]string{"dev", "--verbose"}, "convex dev --verbose"},
		// Bool with explicit value.
		{[]string{"run", "f", "--push=false"}, "convex run --push=false -- f"},
		// Everything after local-backend is passed as is.
		{[]string{"local-backend", "--port", "1", "--help"}, "convex local-backend --port 1 --help"},
	}
	for _, c := range cases {
		p, err := tr.normalize(c.args)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if got := strings.Join(p.args, " "); got != c.want {
			t.Errorf("%v\n got: %s\nwant: %s", c.args, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"dev", "deploy", "deployment", "deployments", "data", "docs"}
	cases := map[string]string{
		"deplyo":     "deploy",
		"dpeloy":     "deploy",
		"deploymnet": "deployment",
		"dve":        "dev",
		"xyz":        "",
		"":           "",
		"deploymen":  "deployment",
		"do":         "docs",
	}
	for in, want := range cases {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if d := distance("kitten", "sitting"); d != 3 {
		t.Errorf("distance(kitten, sitting) = %d, want 3", d)
	}
	if d := distance("prdo", "prod"); d != 1 {
		t.Errorf("distance(prdo, prod) = %d, want 1", d)
	}
}

// TestActionsSeeParsedValues checks what an action reads from its context
// after normalization: positionals without "--", flags from anywhere on the
// line, group flags, bare optional values and defaults.
func TestActionsSeeParsedValues(t *testing.T) {
	type seen struct {
		args               []string
		prod, set          bool
		tail, deployment   string
		typecheck, history string
	}
	capture := func(path []string, args ...string) seen {
		t.Helper()
		var s seen
		code := runWithHook(context.Background(), &Deps{}, args, func(tr *tree) {
			cmd, n := tr.lookup(path)
			if n != len(path) {
				t.Fatalf("no command %v", path)
			}
			cmd.Action = func(c *cli.Context) error {
				s.args = c.Args().Slice()
				s.prod = c.Bool("prod")
				s.tail = c.String("tail-logs")
				s.set = c.IsSet("tail-logs") || c.IsSet("history")
				s.deployment = c.String("deployment")
				s.typecheck = c.String("typecheck")
				s.history = c.String("history")
				return nil
			}
		})
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		return s
	}
	s := capture([]string{"run"}, "run", "messages:send", `{"body": "-x"}`, "--prod")
	if strings.Join(s.args, "|") != `messages:send|{"body": "-x"}` || !s.prod || s.typecheck != "try" {
		t.Errorf("run: %+v", s)
	}
	s = capture([]string{"env", "list"}, "env", "--deployment", "dev/james", "list")
	if s.deployment != "dev/james" || len(s.args) != 0 {
		t.Errorf("env --deployment list: %+v", s)
	}
	s = capture([]string{"dev"}, "dev", "--tail-logs")
	if !s.set || s.tail != "" {
		t.Errorf("bare --tail-logs: %+v", s)
	}
	s = capture([]string{"dev"}, "dev")
	if s.set || s.tail != "pause-on-deploy" {
		t.Errorf("default --tail-logs: %+v", s)
	}
	s = capture([]string{"logs"}, "logs", "--history", "20")
	if !s.set || s.history != "20" {
		t.Errorf("--history 20: %+v", s)
	}
	s = capture([]string{"run"}, "run", "f", "--", "--prod")
	if strings.Join(s.args, "|") != "f|--prod" || s.prod {
		t.Errorf("after --: %+v", s)
	}
	// The selection flags are built only when their command runs; a
	// command run without any of them must still be able to read them.
	s = capture([]string{"env", "set"}, "env", "set", "A", "b")
	if s.prod || s.deployment != "" || strings.Join(s.args, "|") != "A|b" {
		t.Errorf("env set without selection flags: %+v", s)
	}
}

// TestDeferredFlagsStayDeferred checks that building the tree and printing
// the root help does not build the selection flags of every command.
func TestDeferredFlagsStayDeferred(t *testing.T) {
	var out strings.Builder
	d := &Deps{Stdout: &out}
	_, tr := newApp(d)
	if err := tr.printHelp(&out, tr.root); err != nil {
		t.Fatal(err)
	}
	env, _ := tr.lookup([]string{"env", "list"})
	deferred := func(c *cli.Command) bool {
		for _, f := range c.Flags {
			if _, ok := f.(*deferredFlags); ok {
				return true
			}
		}
		return false
	}
	if !deferred(env) {
		t.Fatal("env list: selection flags built by the root help")
	}
	if findFlag(env, "prod") == nil || deferred(env) {
		t.Fatal("env list: --prod missing after building its flags")
	}
}
