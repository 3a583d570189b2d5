package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

// envAction completes "<action> this project's production deployment" for
// the env commands' selection flags.
const envAction = "Set and view environment variables on"

func newEnvCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "env",
		Usage: "Set and view environment variables",
		Description: "Read and change the environment variables your functions see (process.env) on your deployment. " +
			"By default this works on your dev deployment.\n\n" +
			"• Set one: convex env set NAME 'value'\n" +
			"• Set one without it showing in your shell history: convex env set NAME (then type or pipe the value)\n" +
			"• Set many from a file: convex env set --from-file .env.convex\n" +
			"• Remove one: convex env remove NAME\n" +
			"• List names only: convex env list --names-only\n" +
			"• List names and values: convex env list --include-values\n" +
			"• Print one value: convex env get NAME\n\n" +
			"Guide: https://docs.convex.dev/production/environment-variables",
		Flags: selectionFlags(envAction, false),
		Subcommands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "Set a variable",
				ArgsUsage: "[name] [value]",
				Description: "Set environment variables on your deployment.\n\n" +
					"• convex env set NAME 'value'\n" +
					"• convex env set NAME (no value: type it, or pipe it in: pbpaste | convex env set API_KEY)\n" +
					"• convex env set NAME --from-file value.txt (the file's content is the value)\n" +
					"• convex env set --from-file .env.defaults (every NAME=value line of the file)\n\n" +
					"When setting several variables, nothing changes if any of them already has a different value, unless you add --force. " +
					"To edit many at once: convex env list --include-values > .env.convex, edit the file, then convex env set --force < .env.convex.",
				Flags: withFlags([]cli.Flag{
					valueFlag("from-file", "file", "Read the value (with NAME) or NAME=value lines (without NAME) from this file."),
					boolFlag("force", "When setting several variables, overwrite ones that already have a different value."),
				}, selectionFlags(envAction, false)),
				Action: d.envSet,
			},
			{
				Name:        "get",
				Usage:       "Print a variable's value",
				ArgsUsage:   "<name>",
				Description: "Print the value of one variable on stdout: convex env get NAME. Prints nothing (and succeeds) when it is not set.",
				Flags:       selectionFlags(envAction, false),
				Action:      d.envGet,
			},
			{
				Name:        "remove",
				Aliases:     []string{"rm", "unset"},
				Usage:       "Unset a variable",
				ArgsUsage:   "<name>",
				Description: "Remove a variable: convex env remove NAME. Succeeds when it was not set.",
				Flags:       selectionFlags(envAction, false),
				Action:      d.envRemove,
			},
			{
				Name:  "list",
				Usage: "List all environment variables and their values",
				Description: "Print every variable, as NAME=value lines you can save and feed back to `convex env set`.\n\n" +
					"• Names only: convex env list --names-only\n" +
					"• Names and values: convex env list --include-values\n" +
					"• Save to a file: convex env list --include-values > .env.convex\n\n" +
					"When a coding agent runs it (detected from variables such as AI_AGENT or CLAUDECODE), only names are printed unless --include-values is given.",
				Flags: withFlags([]cli.Flag{
					boolFlag("names-only", "Print only the names, no values."),
					boolFlag("include-values", "Print NAME=value lines (the default unless a coding agent is detected). Scripts that need the values should pass it."),
				}, selectionFlags(envAction, false)),
				Action: d.envList,
			},
			newEnvDefaultCommand(d),
		},
	}
}

// deploymentEnv is the environment of the selected deployment, reachable
// for the command's duration.
type deploymentEnv struct {
	client *push.Client
	target deployments.Target
	stop   func()
}

func (e deploymentEnv) notice() string { return deploymentNotice(e.target) }

func (d *Deps) openEnv(c *cli.Context, action string) (deploymentEnv, error) {
	if err := push.CheckConvexDependency(d.Cwd, "env "+action); err != nil {
		return deploymentEnv{}, d.pushErr(err)
	}
	t, stop, err := d.reachTarget(c, "env")
	if err != nil {
		return deploymentEnv{}, err
	}
	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = d.httpClient()
	return deploymentEnv{client: pc, target: t, stop: stop}, nil
}

// envScope is the set of variables an env command works on: a
// deployment's (deploymentEnv) or a project's defaults (defaultEnv).
type envScope interface {
	// list returns the variables and their names in order; name narrows
	// the answer to that variable where the API can.
	list(ctx context.Context, name string) (map[string]string, []string, error)
	// update sets (non-nil) and removes (nil) variables in one request.
	update(ctx context.Context, vals map[string]*string) error
	// notice says where the variables are, for the end of a message.
	notice() string
}

func (e deploymentEnv) list(ctx context.Context, _ string) (map[string]string, []string, error) {
	vars, err := e.client.EnvList(ctx)
	if err != nil {
		return nil, nil, ui.Wrap(err, "Could not read the environment variables of %s", e.target.URL)
	}
	vals, order := indexEnvVars(vars, func(v push.EnvVar) (string, string) { return v.Name, v.Value })
	return vals, order, nil
}

// indexEnvVars turns a list of variables into a name → value map and the
// names in list order.
func indexEnvVars[T any](items []T, nameValue func(T) (string, string)) (map[string]string, []string) {
	vals := map[string]string{}
	var order []string
	for _, it := range items {
		n, v := nameValue(it)
		vals[n] = v
		order = append(order, n)
	}
	return vals, order
}

func (e deploymentEnv) update(ctx context.Context, vals map[string]*string) error {
	names := sortedEnvNames(vals)
	changes := make([]push.EnvChange, 0, len(names))
	for _, n := range names {
		changes = append(changes, push.EnvChange{Name: n, Value: vals[n]})
	}
	if err := e.client.UpdateEnv(ctx, changes); err != nil {
		return ui.Wrap(err, "Could not update the environment variables of %s", e.target.URL)
	}
	return nil
}

// sortedEnvNames lists the names of a batch of changes in order, so that
// the request does not depend on map order.
func sortedEnvNames(vals map[string]*string) []string {
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseEnvSetArgs reads `NAME value` or `NAME=value` from the arguments of
// an env set command (command, for the hint); hasValue says whether a
// value was given.
func parseEnvSetArgs(c *cli.Context, command string) (name, value string, hasValue bool, err error) {
	name, value = c.Args().Get(0), c.Args().Get(1)
	hasValue = c.Args().Len() > 1
	if n, v, ok := strings.Cut(name, "="); ok && validEnvName(n) {
		if hasValue {
			return "", "", false, ui.Usage("Give either NAME=value or NAME value, not both.").
				WithHint("Are quotes missing around the value? Try: %s '%s %s'", command, name, value)
		}
		name, value, hasValue = n, v, true
	}
	return name, value, hasValue, nil
}

// envValueInput reads the value of variable name that was not given as an
// argument: from --from-file (readFile), by asking on a terminal (ask), or
// from stdin without its final newline.
func (d *Deps) envValueInput(name, fromFile string, readFile func() (string, error), ask func(question string) (string, error)) (string, error) {
	switch {
	case fromFile != "":
		return readFile()
	case d.interactive():
		return ask("Enter value for " + name + ":")
	}
	b, err := io.ReadAll(d.Stdin)
	if err != nil {
		return "", ui.Wrap(err, "reading the value from stdin")
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// envSetSource reads NAME=value lines from --from-file (readFile) or from
// a piped stdin and names where they came from; on a terminal with no file
// there is nothing to read and noneMsg is the error.
func (d *Deps) envSetSource(fromFile string, readFile func() (string, error), noneMsg string) (src, source string, err error) {
	switch {
	case fromFile != "":
		v, err := readFile()
		if err != nil {
			return "", "", err
		}
		return v, fromFile, nil
	case !d.interactive():
		b, err := io.ReadAll(d.Stdin)
		if err != nil {
			return "", "", ui.Wrap(err, "reading variables from stdin")
		}
		return string(b), "stdin", nil
	}
	return "", "", ui.Usage("%s", noneMsg).
		WithHint("Give NAME value, NAME=value, or --from-file with NAME=value lines.")
}

// envPlan is what setting several variables over existing ones does.
type envPlan struct {
	changes              map[string]*string // only what differs
	conflicts            []string           // sorted names that change value
	added, updated, same int
}

func planEnvSet(existing, parsed map[string]string) envPlan {
	p := envPlan{changes: map[string]*string{}}
	for n, v := range parsed {
		old, ok := existing[n]
		switch {
		case !ok:
			p.added++
		case old == v:
			p.same++
			continue
		default:
			p.updated++
			p.conflicts = append(p.conflicts, n)
		}
		v := v
		p.changes[n] = &v
	}
	sort.Strings(p.conflicts)
	return p
}

// envListNamesOnly checks the flags of an env list command and says whether
// it prints names only: with --names-only, or when a coding agent runs it
// without --include-values; then note is the message to print after the
// list.
func envListNamesOnly(c *cli.Context, env Env) (namesOnly bool, note string, err error) {
	if c.Bool("names-only") && c.Bool("include-values") {
		return false, "", ui.Usage("--include-values cannot be used with --names-only.")
	}
	if c.Bool("names-only") {
		return true, "", nil
	}
	if !c.Bool("include-values") {
		if agent := agentName(env); agent != "" {
			return true, fmt.Sprintf("Listed names only because a coding agent (%s) seems to be running this command. Pass --include-values to print the values too.", agent), nil
		}
	}
	return false, "", nil
}

// managedEnvNames are variables the CLI itself uses to pick deployments;
// setting them on a deployment is never what the user meant.
func managedEnvNames() map[string]bool {
	m := map[string]bool{"CONVEX_DEPLOY_KEY": true, "CONVEX_DEPLOYMENT_TOKEN": true, "CONVEX_DEPLOYMENT": true,
		"CONVEX_SELF_HOSTED_URL": true, "CONVEX_SELF_HOSTED_ADMIN_KEY": true}
	for _, n := range config.URLVarNames {
		m[n] = true
	}
	for _, n := range config.SiteVarNames {
		m[n] = true
	}
	return m
}

// cwdPath resolves a path the user gave against the working directory.
func (d *Deps) cwdPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.Cwd, p)
}

// joinAnd lists names as "A", "A and B" or "A, B, and C".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + ", and " + names[len(names)-1]
}

func (d *Deps) envSet(c *cli.Context) error {
	name, value, hasValue, err := parseEnvSetArgs(c, "convex env set")
	if err != nil {
		return err
	}
	fromFile := c.String("from-file")
	readFile := func() (string, error) {
		b, err := os.ReadFile(d.cwdPath(fromFile))
		if os.IsNotExist(err) {
			return "", ui.Errorf("file not found: %s", fromFile)
		}
		if err != nil {
			return "", ui.Errorf("Cannot read %s: %v", fromFile, err)
		}
		return string(b), nil
	}

	if name != "" {
		if !validEnvName(name) {
			return ui.Usage("%q is not a valid variable name (letters, digits and _, starting with a letter).", name)
		}
		if hasValue && fromFile != "" {
			return ui.Usage("Give the value either as an argument or with --from-file, not both.")
		}
		if !hasValue {
			v, err := d.envValueInput(name, fromFile, readFile, d.readSecret)
			if err != nil {
				return err
			}
			value = v
		}
		e, err := d.openEnv(c, "set")
		if err != nil {
			return err
		}
		defer e.stop()
		return d.setEnvVar(c.Context, e, name, value)
	}

	src, source, err := d.envSetSource(fromFile, readFile, "No environment variables specified to be set.")
	if err != nil {
		return err
	}
	parsed := config.ParseDotenv([]byte(src))
	managed := managedEnvNames()
	var skipped []string
	for n := range parsed {
		if managed[n] {
			skipped = append(skipped, n)
			delete(parsed, n)
		}
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		d.Out.Message("Skipping %d CLI-managed environment variable(s): %s", len(skipped), joinAnd(skipped))
	}
	if len(parsed) == 0 {
		d.Out.Message("No environment variables found in %s.", source)
		return nil
	}
	e, err := d.openEnv(c, "set")
	if err != nil {
		return err
	}
	defer e.stop()
	return d.setEnvVars(c.Context, e, parsed, source, c.Bool("force"), envSetWording{
		conflicts: func(names string) error {
			return ui.Errorf("environment variable(s) %s already exist(s) with different value(s).", names).
				WithHint("Nothing was changed. Use --force to overwrite existing values.")
		},
		allSet: "All %d environment variable(s) from %s already set%s",
	})
}

// envSetWording is what `env set` and `env default set` word differently
// when setting several variables.
type envSetWording struct {
	conflicts func(names string) error // names: comma-separated
	allSet    string                   // format of count, source, notice
}

// setEnvVar sets one variable in e.
func (d *Deps) setEnvVar(ctx context.Context, e envScope, name, value string) error {
	if err := e.update(ctx, map[string]*string{name: &value}); err != nil {
		return err
	}
	d.Out.Success("Successfully set %s%s", name, e.notice())
	return nil
}

// setEnvVars sets the variables parsed from source in e, changing none
// when some already have other values, unless force.
func (d *Deps) setEnvVars(ctx context.Context, e envScope, parsed map[string]string, source string, force bool, w envSetWording) error {
	existing, _, err := e.list(ctx, "")
	if err != nil {
		return err
	}
	p := planEnvSet(existing, parsed)
	if len(p.conflicts) > 0 && !force {
		return w.conflicts(strings.Join(p.conflicts, ", "))
	}
	if len(p.changes) == 0 {
		d.Out.Success(w.allSet, len(parsed), source, e.notice())
		return nil
	}
	if err := e.update(ctx, p.changes); err != nil {
		return err
	}
	d.Out.Success("Successfully set %d environment variable(s) from %s (%d new, %d updated, %d unchanged)%s",
		len(p.changes), source, p.added, p.updated, p.same, e.notice())
	return nil
}

// printEnvVar prints the value of one variable of e.
func (d *Deps) printEnvVar(ctx context.Context, e envScope, name string) error {
	vals, _, err := e.list(ctx, name)
	if err != nil {
		return err
	}
	v, ok := vals[name]
	if !ok {
		d.Out.Failure("Environment variable %q not found%s", name, e.notice())
		return nil
	}
	d.Out.Result("%s", v)
	return nil
}

// unsetEnvVar removes one variable from e (fine when it is not set).
func (d *Deps) unsetEnvVar(ctx context.Context, e envScope, name string) error {
	if err := e.update(ctx, map[string]*string{name: nil}); err != nil {
		return err
	}
	d.Out.Success("Successfully unset %s%s", name, e.notice())
	return nil
}

// printEnvList prints the variables of e as NAME=value lines, or names
// only, then note when there is one. warnOdd warns about values that
// env-file tools may not read back unchanged.
func (d *Deps) printEnvList(ctx context.Context, e envScope, namesOnly bool, note string, warnOdd bool) error {
	vals, order, err := e.list(ctx, "")
	if err != nil {
		return err
	}
	if len(order) == 0 {
		d.Out.Message("No environment variables set%s", e.notice())
		return nil
	}
	if note != "" {
		defer d.Out.Message("%s", note)
	}
	for _, n := range order {
		if namesOnly {
			d.Out.Result("%s", n)
			continue
		}
		formatted, warning := dotenvValue(vals[n])
		if warnOdd && warning != "" {
			d.Out.Warn("Warning (%s): the value %s", n, warning)
		}
		d.Out.Result("%s=%s", n, formatted)
	}
	return nil
}

func (d *Deps) envGet(c *cli.Context) error {
	name := c.Args().First()
	e, err := d.openEnv(c, "get")
	if err != nil {
		return err
	}
	defer e.stop()
	return d.printEnvVar(c.Context, e, name)
}

func (d *Deps) envRemove(c *cli.Context) error {
	name := c.Args().First()
	e, err := d.openEnv(c, "remove")
	if err != nil {
		return err
	}
	defer e.stop()
	return d.unsetEnvVar(c.Context, e, name)
}

func (d *Deps) envList(c *cli.Context) error {
	namesOnly, note, err := envListNamesOnly(c, d.Env)
	if err != nil {
		return err
	}
	e, err := d.openEnv(c, "list")
	if err != nil {
		return err
	}
	defer e.stop()
	return d.printEnvList(c.Context, e, namesOnly, note, true)
}

// readSecret asks for a value on the terminal without echoing it.
func (d *Deps) readSecret(question string) (string, error) {
	f, ok := d.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return d.prompter().Input(question, "")
	}
	fmt.Fprint(d.Stderr, question+" ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(d.Stderr)
	if err != nil {
		return "", ui.Wrap(err, "reading the value")
	}
	return string(b), nil
}
