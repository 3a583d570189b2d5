package commands

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/internal/buildinfo"
)

// minimalArgs builds a valid command line for cmd: its path, a value for
// each required argument and each required flag.
func minimalArgs(tr *tree, cmd *cli.Command) []string {
	args := append([]string(nil), tr.paths[cmd]...)
	for _, f := range flagsOf(cmd) {
		if o, ok := f.(*StringOption); ok && o.Mandatory {
			v := "x"
			if len(o.Choices) > 0 {
				v = o.Choices[0]
			}
			args = append(args, "--"+o.Name, v)
		}
	}
	spec := parseArgSpec(cmd.ArgsUsage)
	for i := 0; i < spec.required; i++ {
		args = append(args, "x")
	}
	return args
}

// TestStubsFailHonestly runs every command whose behaviour is not written
// yet: each must exit 1 with "<path>: not implemented yet" and print no
// result. The list shrinks as commands get their behaviour.
func TestStubsFailHonestly(t *testing.T) {
	d := &Deps{}
	_, tr := newApp(d)
	stubs := d.Stubs()
	t.Logf("%d commands are not implemented yet", len(stubs))
	byPath := map[string]*cli.Command{}
	for _, c := range tr.order {
		byPath[tr.pathString(c)] = c
	}
	for _, path := range stubs {
		cmd := byPath[path]
		if cmd == nil {
			t.Errorf("stub %q is not a command path", path)
			continue
		}
		args := minimalArgs(tr, cmd)
		t.Run(path, func(t *testing.T) {
			r := run(t, nil, args...)
			if r.code != 1 {
				t.Errorf("convex %s: exit %d, want 1\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
			if want := "✖ " + path + ": not implemented yet"; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a stub printed a result: %q", r.stdout)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	_, tr := newApp(&Deps{})
	for _, c := range tr.order {
		if c.Usage == "" {
			t.Errorf("%s has no one-line usage", tr.name(c))
		}
		for _, f := range flagsOf(c) {
			if flagUsage(f) == "" {
				t.Errorf("%s --%s has no usage text", tr.name(c), f.Names()[0])
			}
		}
		if c.SkipFlagParsing {
			continue
		}
		args := append(append([]string(nil), tr.paths[c]...), "--help")
		r := run(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:\n  "+tr.name(c)) {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestHelpForms(t *testing.T) {
	root := run(t, nil)
	if root.code != 0 || !strings.Contains(root.stdout, "Getting started:") || !strings.Contains(root.stdout, "  dev ") {
		t.Fatalf("bare convex: exit %d\n%s", root.code, root.stdout)
	}
	if strings.Contains(root.stdout, "\n  login ") || strings.Contains(root.stdout, "local-backend") {
		t.Errorf("hidden commands listed in help:\n%s", root.stdout)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if r := run(t, nil, args...); r.code != 0 || r.stdout != root.stdout {
			t.Errorf("%v differs from bare convex (exit %d)", args, r.code)
		}
	}
	a := run(t, nil, "help", "env", "set")
	b := run(t, nil, "env", "set", "--help")
	c := run(t, nil, "env", "set", "NAME", "-h", "--bogus-is-ignored-with-help")
	if a.code != 0 || a.stdout != b.stdout || b.stdout != c.stdout {
		t.Errorf("help forms differ:\n%s\n---\n%s\n---\n%s", a.stdout, b.stdout, c.stdout)
	}
	if !strings.Contains(a.stdout, "convex env set [name] [value] [flags]") || !strings.Contains(a.stdout, "--from-file <file>") {
		t.Errorf("env set help lacks usage or flags:\n%s", a.stdout)
	}
	// A group run bare shows its help.
	g := run(t, nil, "deployment")
	if g.code != 0 || !strings.Contains(g.stdout, "convex deployment <command>") || !strings.Contains(g.stdout, "usage-limits") {
		t.Errorf("bare group: exit %d\n%s", g.code, g.stdout)
	}
	// Hidden flags stay out of help, visible ones are in.
	dev := run(t, nil, "dev", "--help")
	if strings.Contains(dev.stdout, "--push-all-modules") || !strings.Contains(dev.stdout, "--tail-logs [mode]") {
		t.Errorf("dev help shows hidden flags or misses visible ones:\n%s", dev.stdout)
	}
	if flat := strings.Join(strings.Fields(dev.stdout), " "); !strings.Contains(flat, "(one of: enable, try, disable; default: try)") {
		t.Errorf("dev help lacks defaults/choices:\n%s", dev.stdout)
	}
	// Aliases are shown.
	if r := run(t, nil, "dash", "--help"); !strings.Contains(r.stdout, "Aliases: dash") {
		t.Errorf("dashboard help lacks its alias:\n%s", r.stdout)
	}
	// Every help line fits 80 columns (a long word may not be breakable).
	for _, l := range strings.Split(dev.stdout+root.stdout, "\n") {
		if n := len([]rune(l)); n > 80 && strings.Contains(strings.TrimSpace(l), " ") {
			t.Errorf("help line of %d columns: %q", n, l)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-V"}, {"-V", "dev"}} {
		r := run(t, nil, args...)
		if r.code != 0 || r.stdout != buildinfo.Version+"\n" || r.stderr != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r := run(t, config.MapEnv{"CONVEX_VERSION_OVERRIDE": "1.2.3"}, "--version")
	if r.stdout != "1.2.3\n" {
		t.Errorf("override: %q", r.stdout)
	}
	// -V is top-level only; after a command it is unknown.
	if r := run(t, nil, "dev", "-V"); r.code != 2 {
		t.Errorf("dev -V: exit %d", r.code)
	}
	// -v is not the version flag.
	if r := run(t, nil, "-v"); r.code != 2 {
		t.Errorf("convex -v: exit %d", r.code)
	}
}

func TestSmallCommands(t *testing.T) {
	up := run(t, nil, "update")
	if up.code != 0 || !strings.Contains(up.stderr, "https://news.convex.dev/tag/releases/") || !strings.Contains(up.stderr, "npm install convex@latest") || up.stdout != "" {
		t.Errorf("update: %+v", up)
	}
	re := run(t, nil, "reinit", "--team", "t")
	if re.code != 1 || !strings.Contains(re.stderr, "convex dev --once --configure=existing") {
		t.Errorf("reinit: %+v", re)
	}
	for _, sub := range []string{"list", "remove", "add"} {
		r := run(t, nil, "auth", sub)
		if r.code != 1 || !strings.Contains(r.stderr, "https://docs.convex.dev/auth") {
			t.Errorf("auth %s: %+v", sub, r)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := run(t, nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d\n%s", sh, r.code, r.stdout)
		}
	}
	cases := []struct {
		words []string
		want  []string
		not   []string
	}{
		{[]string{"--cur=de"}, []string{"dev\t", "deploy\t", "deployment\t"}, []string{"data\t", "login"}},
		{[]string{"--cur="}, []string{"env\t", "completion\t"}, []string{"local-backend", "__complete"}},
		{[]string{"--cur=", "env"}, []string{"set\t", "default\t"}, nil},
		{[]string{"--cur=--ty", "dev"}, []string{"--typecheck\t", "--typecheck-components\t"}, []string{"--push-all-modules"}},
		{[]string{"--cur=", "dev", "--typecheck"}, []string{"enable\t", "try\t", "disable\t"}, nil},
		{[]string{"--cur=--order=a", "data"}, []string{"--order=asc\t"}, []string{"desc"}},
		{[]string{"--cur=", "run", "fn"}, nil, []string{"\t"}},
		{[]string{"--cur=", "env", "--prod"}, []string{"list\t"}, nil},
		{[]string{"--cur=", "env", "--deployment", "dev"}, []string{"list\t"}, nil},
	}
	for _, c := range cases {
		r := run(t, nil, append([]string{completeCommand}, c.words...)...)
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: lacks %q in\n%s", c.words, w, r.stdout)
			}
		}
		for _, w := range c.not {
			if strings.Contains(r.stdout, w) {
				t.Errorf("%v: has %q in\n%s", c.words, w, r.stdout)
			}
		}
	}
}

func TestVerboseFlagEnablesLogging(t *testing.T) {
	// The logger is off by default, on with CONVEX_VERBOSE or --verbose.
	for _, c := range []struct {
		env  config.MapEnv
		args []string
		on   bool
	}{
		{nil, []string{"update"}, false},
		{config.MapEnv{"CONVEX_VERBOSE": "1"}, []string{"update"}, true},
		{nil, []string{"--verbose", "update"}, true},
		{nil, []string{"update", "--verbose"}, true},
	} {
		d := &Deps{Env: c.env}
		if c.env == nil {
			d.Env = config.MapEnv{}
		}
		RunWith(context.Background(), d, c.args)
		if logged := d.Log.Enabled(); logged != c.on {
			t.Errorf("%v %v: logging %v, want %v", c.env, c.args, logged, c.on)
		}
	}
}

func TestReportMapsErrors(t *testing.T) {
	d := &Deps{}
	d.init()
	if code := report(d, context.Canceled); code != 130 {
		t.Errorf("canceled: %d", code)
	}
	if code := report(d, errors.New("boom")); code != 1 {
		t.Errorf("plain error: %d", code)
	}
	if code := report(d, usageErr("x")); code != 2 {
		t.Errorf("usage: %d", code)
	}
}

func TestPanicIsReported(t *testing.T) {
	var errb strings.Builder
	d := &Deps{Stderr: &errb}
	code := runWithHook(context.Background(), d, []string{"update"}, func(tr *tree) {
		findSub(tr.root, "update").Action = func(*cli.Context) error { panic("kaboom") }
	})
	if code != 1 || !strings.Contains(errb.String(), "✖ unexpected error: kaboom") {
		t.Errorf("panic: exit %d, stderr %q", code, errb.String())
	}
}

func TestInterruptedExit(t *testing.T) {
	var errb strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	d := &Deps{Stderr: &errb}
	code := runWithHook(ctx, d, []string{"update"}, func(tr *tree) {
		findSub(tr.root, "update").Action = func(c *cli.Context) error {
			cancel()
			<-c.Context.Done()
			return c.Context.Err()
		}
	})
	if code != 130 || errb.String() != "" {
		t.Errorf("interrupted: exit %d, stderr %q", code, errb.String())
	}
}
