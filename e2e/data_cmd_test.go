package e2e_test

import (
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script command for watching long-running commands:
//
//	waitfor [-timeout 30s] <file> <regexp>
//	    waits until the file exists and its content matches the regexp
//	    (for output of a background command redirected by `sh -c`).
func init() {
	scriptCmds["waitfor"] = cmdWaitFor
}

func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	timeout := 30 * time.Second
	if len(args) > 0 && args[0] == "-timeout" {
		if len(args) < 2 {
			ts.Fatalf("usage: waitfor [-timeout d] <file> <regexp>")
		}
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("waitfor: %v", err)
		}
		timeout, args = d, args[2:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor [-timeout d] <file> <regexp>")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("waitfor: %v", err)
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(path)
		if re.Match(b) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor: %s does not match %q after %v; it holds:\n%s", args[0], args[1], timeout, strings.TrimSpace(string(b)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
