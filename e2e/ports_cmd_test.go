package e2e_test

import (
	"net"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["freeports"] = cmdFreePorts
}

// cmdFreePorts sets each named variable to a TCP port that was free on
// 127.0.0.1 a moment ago (the kernel picks it), so that scripts running in
// parallel do not all reach for the default 3210/3211.
//
//	freeports CLOUD SITE
func cmdFreePorts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: freeports NAME...")
	}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for _, name := range args {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		held = append(held, l) // held until all are chosen, so they differ
		ts.Setenv(name, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
}
