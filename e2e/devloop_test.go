package e2e_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for following the output of a long-running `convex dev`
// step by step (testdata/script/dev_loop_*.txtar):
//
//	logmark dev.log
//	    remembers how much of dev.log exists now; the next checks look
//	    only at what is written after it.
//	waitlog [-timeout 30s] dev.log 'Convex functions ready'
//	    waits until the text after the mark matches.
//	[!] logsince dev.log 'regexp'
//	    checks, without waiting, whether the text after the mark matches.
//	killatend dev.pid dev.rc
//	    when the script ends (passed or failed), kills the process whose id
//	    dev.pid holds unless dev.rc (its exit status, written when it
//	    ended) exists, so a failed step leaves no deployment serving.
//	interrupt dev.pid
//	    sends the process whose id the file holds an interrupt (Ctrl-C).
func init() {
	scriptCmds["logmark"] = cmdLogMark
	scriptCmds["waitlog"] = cmdWaitLog
	scriptCmds["logsince"] = cmdLogSince
	scriptCmds["killatend"] = cmdKillAtEnd
	scriptCmds["interrupt"] = cmdInterrupt
}

// logMarkVar names the variable holding a file's mark.
func logMarkVar(path string) string {
	var b strings.Builder
	b.WriteString("LOGMARK_")
	for _, r := range path {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// logAfterMark reads the file and returns the text after its mark (a file
// that does not exist yet reads as empty).
func logAfterMark(ts *testscript.TestScript, path string) string {
	mark, _ := strconv.Atoi(ts.Getenv(logMarkVar(path)))
	b, _ := os.ReadFile(path)
	// Truncating writers can leave NUL padding; it is never output.
	if mark > len(b) {
		mark = len(b)
	}
	return strings.ReplaceAll(string(b[mark:]), "\x00", "")
}

func cmdLogMark(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: logmark <file>")
	}
	path := ts.MkAbs(args[0])
	n := 0
	if st, err := os.Stat(path); err == nil {
		n = int(st.Size())
	}
	ts.Setenv(logMarkVar(path), strconv.Itoa(n))
}

func cmdWaitLog(ts *testscript.TestScript, neg bool, args []string) {
	timeout := 30 * time.Second
	if len(args) > 0 && args[0] == "-timeout" {
		if len(args) < 2 {
			ts.Fatalf("usage: waitlog [-timeout d] <file> <regexp>")
		}
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("waitlog: %v", err)
		}
		timeout, args = d, args[2:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlog [-timeout d] <file> <regexp>")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("waitlog: %v", err)
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	for {
		text := logAfterMark(ts, path)
		if re.MatchString(text) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitlog: %s after its mark does not match %q after %v; it holds:\n%s", filepath.Base(path), args[1], timeout, strings.TrimSpace(text))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cmdLogSince(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] logsince <file> <regexp>")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("logsince: %v", err)
	}
	text := logAfterMark(ts, ts.MkAbs(args[0]))
	if re.MatchString(text) == neg {
		if neg {
			ts.Fatalf("logsince: %s after its mark matches %q:\n%s", args[0], args[1], strings.TrimSpace(text))
		}
		ts.Fatalf("logsince: %s after its mark does not match %q:\n%s", args[0], args[1], strings.TrimSpace(text))
	}
}

// pidFrom reads a process id written by `echo $! > file`.
func pidFrom(ts *testscript.TestScript, file string) (int, error) {
	b, err := os.ReadFile(ts.MkAbs(file))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func cmdKillAtEnd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: killatend <pidfile> <statusfile>")
	}
	file, status := args[0], ts.MkAbs(args[1])
	ts.Defer(func() {
		if _, err := os.Stat(status); err == nil {
			return // it has exited; its id may belong to another process now
		}
		pid, err := pidFrom(ts, file)
		if err != nil {
			return
		}
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill() // an error means it has already exited
		}
	})
}

func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: interrupt <pidfile>")
	}
	pid, err := pidFrom(ts, args[0])
	if err != nil {
		ts.Fatalf("interrupt: %v", err)
	}
	p, err := os.FindProcess(pid)
	ts.Check(err)
	ts.Check(p.Signal(os.Interrupt))
}
