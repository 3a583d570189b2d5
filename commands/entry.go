package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/internal/buildinfo"
	"github.com/convex-go/convex/ui"
)

// errInterrupted is the cancellation cause when the user pressed Ctrl-C.
var errInterrupted = errors.New("interrupted")

// Main runs the CLI as the process: os arguments, streams and environment.
// A first Ctrl-C cancels the command's context so it can clean up (it then
// exits 130); if it is still running 3 s later, or on a second Ctrl-C more
// than 500 ms after the first, the process exits 130 at once.
func Main() int {
	if versionOnly(os.Args[1:]) {
		fmt.Println(buildinfo.DisplayVersion(os.Getenv))
		return ui.ExitOK
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		first := time.Now()
		deadline := time.After(3 * time.Second)
		for {
			select {
			case <-sigs:
				if time.Since(first) > 500*time.Millisecond {
					os.Exit(ui.ExitInterrupted)
				}
			case <-deadline:
				os.Exit(ui.ExitInterrupted)
			}
		}
	}()
	return Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, config.OSEnv{})
}

// versionOnly reports a bare `--version`, answered before the command tree
// is built: scripts call it to probe the CLI, and it is the start-up cost
// users see most. Anything else goes through the full parser, which gives
// the same answer.
func versionOnly(args []string) bool {
	return len(args) == 1 && (args[0] == "--version" || args[0] == "-V")
}

// Run runs the CLI in-process and returns the exit code: 0 success,
// 1 error, 2 usage error, 130 interrupted (docs/exit-codes.md). Ctrl-C
// cancels the context the command runs with. The working directory is the
// process's.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			cancel(errInterrupted)
		case <-ctx.Done():
		}
	}()
	code := RunWith(ctx, &Deps{Stdin: stdin, Stdout: stdout, Stderr: stderr, Env: env, Cwd: cwd}, args)
	if errors.Is(context.Cause(ctx), errInterrupted) {
		return ui.ExitInterrupted
	}
	return code
}

// RunWith runs the CLI with everything injected; tests use it directly.
// args excludes the program name.
func RunWith(ctx context.Context, d *Deps, args []string) int {
	return runWithHook(ctx, d, args, nil)
}

// runWithHook is RunWith with a chance to change the tree first (tests).
func runWithHook(ctx context.Context, d *Deps, args []string, hook func(*tree)) (code int) {
	app, t := newApp(d)
	if hook != nil {
		hook(t)
	}
	defer func() {
		if r := recover(); r != nil {
			d.Out.Failure("unexpected error: %v", r)
			if d.Log.Enabled() {
				d.Log.Printf("%s", debug.Stack())
			} else {
				d.Out.Hint("Run again with CONVEX_VERBOSE=1 to see where it happened, and please report it.")
			}
			code = ui.ExitError
		}
	}()

	if len(args) > 0 && args[0] == completeCommand {
		t.complete(d.Stdout, args[1:])
		return ui.ExitOK
	}
	p, err := t.normalize(args)
	if err != nil {
		return report(d, err)
	}
	switch {
	case p.version:
		fmt.Fprintln(d.Stdout, buildinfo.DisplayVersion(d.Env.Get))
		return ui.ExitOK
	case p.help:
		if err := t.printHelp(d.Stdout, p.cmd); err != nil {
			return report(d, err)
		}
		return ui.ExitOK
	}
	if p.verbose {
		d.Log.SetEnabled(true)
	}
	t.buildFlags(p.cmd)
	return report(d, app.RunContext(ctx, p.args))
}

// report prints err (if any) on stderr and returns its exit code. An
// interruption prints nothing: the user knows they pressed Ctrl-C.
func report(d *Deps, err error) int {
	if err == nil {
		return ui.ExitOK
	}
	if errors.Is(err, errInterrupted) || errors.Is(err, context.Canceled) {
		return ui.ExitInterrupted
	}
	code := ui.ExitCode(err)
	// An error with no message only carries an exit code (the command
	// already said what went wrong).
	if code != ui.ExitInterrupted && err.Error() != "" {
		d.Out.PrintError(err)
	}
	return code
}
