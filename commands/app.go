// Package commands is the convex command line: one file per command with its
// flags, help and the step from flags to a request. It is the only package
// that knows about urfave/cli; the work itself lives in the packages below
// (config, auth, deployments, push, …).
//
// Adding behaviour to a command: replace the `d.notImplemented(...)` action
// in the command's file with a function that reads its flags from the
// *cli.Context (c.String, c.Bool, c.IsSet, c.Args()), calls into the package
// that does the work, prints results with d.Out.Result (stdout) and messages
// with d.Out.Success/Warn/Message (stderr), and returns nil or a *ui.Error.
// Argument counts, required flags and value choices are already checked
// before the action runs (see args.go), so actions start from valid input.
package commands

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Env reads environment variables: config.OSEnv in the process, a
// config.MapEnv in tests. Never read os.Getenv in command code; always go
// through Deps.Env.
type Env = config.Env

// Deps is everything a command may touch of the outside world. main fills it
// from the process; tests fill it with buffers, a map and a temp dir.
type Deps struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    Env
	// Cwd is the directory commands treat as where they were started
	// (the project root unless a flag says otherwise).
	Cwd string

	// Out prints results (stdout) and messages/spinners (stderr) with the
	// colour and terminal decisions made once. Filled by NewApp when nil.
	Out *ui.Printer
	// Log writes "[verbose] <time> <msg>" lines to stderr when
	// CONVEX_VERBOSE is set or --verbose is given. Pass it down to HTTP
	// clients: resty.New().SetTransport(d.Log.Transport(nil)). Filled by
	// NewApp when nil; a nil *ui.Logger is also safe to use.
	Log *ui.Logger

	stubs []string
}

func (d *Deps) init() {
	if d.Stdin == nil {
		d.Stdin = eofReader{}
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	if d.Stderr == nil {
		d.Stderr = io.Discard
	}
	if d.Env == nil {
		d.Env = config.MapEnv{}
	}
	if d.Out == nil {
		d.Out = ui.NewPrinter(d.Stdout, d.Stderr, d.Env.Get)
	}
	if d.Log == nil {
		d.Log = ui.NewLogger(d.Stderr, d.Env.Get("CONVEX_VERBOSE") != "")
	}
}

// Stubs lists the command paths ("env set", …) whose behaviour is not
// written yet; they fail with "<path>: not implemented yet".
func (d *Deps) Stubs() []string { return append([]string(nil), d.stubs...) }

// notImplemented is the action of a command whose behaviour comes later. It
// fails honestly (exit 1) instead of pretending to succeed.
func (d *Deps) notImplemented(path string) cli.ActionFunc {
	d.stubs = append(d.stubs, path)
	return func(*cli.Context) error {
		return ui.Errorf("%s: not implemented yet", path).
			WithHint("This command is part of the interface but does not work in this build yet.")
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// NewApp builds the whole command tree. It does not parse anything; run it
// with Run/RunWith, which check arguments first (flags may follow
// positionals, optional flag values, suggestions) and map errors to exit
// codes. The app never calls os.Exit.
func NewApp(d *Deps) *cli.App {
	app, _ := newApp(d)
	return app
}

func newApp(d *Deps) (*cli.App, *tree) {
	d.init()
	app := &cli.App{
		Name:            "convex",
		Usage:           "Develop, deploy and manage Convex backends",
		Reader:          d.Stdin,
		Writer:          d.Stdout,
		ErrWriter:       d.Stderr,
		HideHelp:        true,
		HideHelpCommand: true,
		HideVersion:     true,
		// Errors are returned to Run, which prints them and picks the exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags:          rootFlags(),
		Commands: []*cli.Command{
			// Visible, in the order help lists them (the reference CLI's order).
			newDevCommand(d),
			newDeployCommand(d),
			newRunCommand(d),
			newImportCommand(d),
			newDashboardCommand(d),
			newDocsCommand(d),
			newLogsCommand(d),
			newExportCommand(d),
			newEnvCommand(d),
			newDataCommand(d),
			newDeploymentCommand(d),
			newProjectCommand(d),
			newCodegenCommand(d),
			newUpdateCommand(d),
			newLogoutCommand(d),
			newFunctionSpecCommand(d),
			newInsightsCommand(d),
			newMCPCommand(d),
			newAIFilesCommand(d),
			newCompletionCommand(d),
			// Hidden.
			newLoginCommand(d),
			newInitCommand(d),
			newReinitCommand(d),
			newDeploymentsCommand(d),
			newTypecheckCommand(d),
			newAuthCommand(d),
			newNetworkTestCommand(d),
			newIntegrationCommand(d),
			newLocalBackendCommand(d),
		},
	}
	t := newTree(app)
	app.Commands = append(app.Commands, newHelpCommand(d, t))
	t.finish(d)
	app.Before = func(c *cli.Context) error {
		if c.Bool("verbose") {
			d.Log.SetEnabled(true)
		}
		return nil
	}
	app.Action = func(c *cli.Context) error {
		return t.printHelp(d.Stdout, t.root)
	}
	return app, t
}

func rootFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{
			Name:  "verbose",
			Usage: "Log every HTTP request (method, URL, status, time; secrets hidden) and other debug lines to stderr. Same as setting CONVEX_VERBOSE=1. May be given anywhere unless the command has its own --verbose.",
		},
		&cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "Print the version and exit"},
	}
}
