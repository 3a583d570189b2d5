package e2e_test

// Black-box tests of the convex program, written as testscript scripts in
// testdata/script/*.txtar. `convex` in a script is the real program (the
// test binary re-executed as convex, entering commands.Main), run with a
// fresh HOME inside the script's work directory and no terminal.
//
// Other files in this package extend the harness from their init
// functions, e.g.:
//
//	func init() {
//		programs["fakecloud"] = fakecloud.Main     // `exec fakecloud &`
//		scriptCmds["waitport"] = cmdWaitPort        // a script command
//		setups = append(setups, func(e *testscript.Env) error { ... })
//		conditions["nodemodules"] = haveNodeModules  // [!nodemodules] skip
//	}
//
// Run: go test ./e2e -run TestScripts          (all scripts)
//      go test ./e2e -run TestScripts/version  (one script)

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/convex-go/convex/commands"
)

// programs can be run by scripts with `exec`. Add to it from init functions.
var programs = map[string]func() int{
	"convex": commands.Main,
}

// scriptCmds are extra script commands. Add to it from init functions.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode": cmdExitCode,
}

// conditions answer script conditions [name] beyond testscript's own
// (exec:prog, unix, …). Add to it from init functions.
var conditions = map[string]func() bool{}

// setups run after the standard environment is prepared, in order.
var setups []func(*testscript.Env) error

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, programs))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   filepath.Join("testdata", "script"),
		Setup: setupScript,
		Cmds:  scriptCmds,
		Condition: func(cond string) (bool, error) {
			if f, ok := conditions[cond]; ok {
				return f(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
	})
}

// setupScript gives each script its own empty home directory (so nothing of
// the machine's ~/.convex or caches is read or written) and an environment
// free of Convex variables; testscript already starts from a minimal
// environment, and no terminal is attached.
func setupScript(e *testscript.Env) error {
	home := filepath.Join(e.WorkDir, "home")
	for _, dir := range []string{home, filepath.Join(home, ".cache"), filepath.Join(home, ".config")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	e.Setenv("HOME", home)
	e.Setenv("USERPROFILE", home)
	e.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	e.Setenv("LOCALAPPDATA", filepath.Join(home, "AppData", "Local"))
	for _, f := range setups {
		if err := f(e); err != nil {
			return err
		}
	}
	return nil
}

// cmdExitCode runs a program like exec and checks its exit code:
//
//	exitcode 2 convex frob
//
// stdout and stderr are kept for the following stdout/stderr checks.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode <code> program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
