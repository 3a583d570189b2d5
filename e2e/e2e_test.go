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
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/convex-go/convex/commands"
)

// programs can be run by scripts with `exec`. Add to it from init functions.
var programs = map[string]func() int{
	"convex": commands.Main,
}

// scriptCmds are extra script commands. Add to it from init functions.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode":  cmdExitCode,
	"httpserve": cmdHTTPServe,
}

// conditions answer script conditions [name] beyond testscript's own
// (exec:prog, unix, …). Add to it from init functions.
var conditions = map[string]func() bool{}

// setups run after the standard environment is prepared, in order.
var setups []func(*testscript.Env) error

// unreachableVersionAPI is where the version check of dev, deploy and init
// goes in tests (nothing listens there, so it fails at once): no test may
// reach the real version.convex.dev. Scripts can set their own.
const unreachableVersionAPI = "http://127.0.0.1:1"

func TestMain(m *testing.M) {
	// For the tests that run programs with this process's environment.
	if os.Getenv("CONVEX_VERSION_API_ORIGIN") == "" {
		os.Setenv("CONVEX_VERSION_API_ORIGIN", unreachableVersionAPI)
	}
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
// free of Convex variables (but for a version API origin where nothing
// listens); testscript already starts from a minimal environment, and no
// terminal is attached.
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
	e.Setenv("CONVEX_VERSION_API_ORIGIN", unreachableVersionAPI)
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

// cmdHTTPServe serves fixed answers over HTTP on 127.0.0.1 until the script
// ends, and puts the server's URL in the variable name:
//
//	httpserve [-delay 5s] VERSION_API 200 answer.json
//	env CONVEX_VERSION_API_ORIGIN=$VERSION_API
//
// Every request gets the status and the content of the file (read from the
// work directory when the command runs), after the delay if one is given.
// Each request is appended to $WORK/<name>.log as "METHOD PATH" followed by
// its Convex-* headers, one "Name: value" line each, sorted.
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: httpserve [-delay duration] name status file"
	if neg {
		ts.Fatalf("%s", usage)
	}
	var delay time.Duration
	if len(args) > 0 && args[0] == "-delay" {
		if len(args) < 2 {
			ts.Fatalf("%s", usage)
		}
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("httpserve: bad delay %q", args[1])
		}
		delay, args = d, args[2:]
	}
	if len(args) != 3 {
		ts.Fatalf("%s", usage)
	}
	name := args[0]
	status, err := strconv.Atoi(args[1])
	if err != nil || status < 100 || status > 999 {
		ts.Fatalf("httpserve: bad status %q", args[1])
	}
	body := []byte(ts.ReadFile(args[2]))
	logPath := ts.MkAbs(name + ".log")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var lines []string
		for k, vs := range r.Header {
			if strings.HasPrefix(k, "Convex-") {
				for _, v := range vs {
					lines = append(lines, k+": "+v)
				}
			}
		}
		sort.Strings(lines)
		entry := r.Method + " " + r.URL.Path + "\n"
		for _, l := range lines {
			entry += l + "\n"
		}
		mu.Lock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			f.WriteString(entry)
			f.Close()
		}
		mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(name, srv.URL)
}
