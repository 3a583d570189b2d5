package e2e_test

import (
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["nodemodules"] = cmdNodeModules
	if _, ok := scriptCmds["sleep"]; !ok {
		scriptCmds["sleep"] = cmdSleep
	}
	setups = append(setups, markNodeModules)
}

// pinnedNodeModules is e2e/node/node_modules when `npm ci` has installed it.
func pinnedNodeModules() string {
	nm, err := filepath.Abs(filepath.Join("node", "node_modules"))
	if err != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join(nm, "convex", "package.json")); err != nil {
		return ""
	}
	return nm
}

// markNodeModules puts a marker program on the script's PATH when the npm
// packages are installed, for `[!exec:convex-node-modules] skip`.
func markNodeModules(e *testscript.Env) error {
	if runtime.GOOS == "windows" || pinnedNodeModules() == "" {
		return nil
	}
	bin := filepath.Join(e.WorkDir, ".push-markers")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bin, "convex-node-modules"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return err
	}
	e.Setenv("PATH", bin+string(os.PathListSeparator)+e.Getenv("PATH"))
	return nil
}

// cmdNodeModules links the pinned npm packages (convex, typescript) into the
// script's work directory, as `npm install` would have, so bundling finds
// convex/server.
//
//	[!exec:convex-node-modules] skip 'npm packages not installed'
//	nodemodules
func cmdNodeModules(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: nodemodules")
	}
	nm := pinnedNodeModules()
	if nm == "" {
		ts.Fatalf("e2e/node/node_modules is not installed (run npm ci in e2e/node)")
	}
	if err := os.Symlink(nm, ts.MkAbs("node_modules")); err != nil {
		ts.Fatalf("linking node_modules: %v", err)
	}
}

// cmdSleep pauses the script, e.g. while a background command starts.
//
//	sleep 2s
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep <duration>")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("sleep: %v", err)
	}
	time.Sleep(d)
}
