package e2e_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/e2e/fakecloud/backends"
)

// Script commands for the fake Convex cloud:
//
//	fakecloud [-backend] [-pending n] [-deny] [-optin msg]
//	    starts a seeded fake cloud for the rest of the script and exports
//	    CONVEX_PROVISION_HOST, FAKECLOUD_* (see fakecloud.Seeded.Env) and
//	    FAKECLOUD_CONFIG_DIR (where the CLI keeps its login under that host).
//	    With -backend its deployments are real built-in backends (data under
//	    $WORK/.fakecloud) instead of recording stubs.
//	fakecloud-keys
//	    prints the deploy keys that exist, one "name kind deployment" a line.
//	fileperm <path> <octal mode>
//	    checks a file's permission bits (e.g. the token file's 0600).
func init() {
	scriptCmds["fakecloud"] = cmdFakecloud
	scriptCmds["fakecloud-keys"] = cmdFakecloudKeys
	scriptCmds["fileperm"] = cmdFileperm
}

// running fake clouds by script work directory, for fakecloud-keys.
var clouds = map[string]*fakecloud.Server{}

func cmdFakecloud(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: fakecloud [-backend] [-pending n] [-deny] [-optin msg]")
	}
	fs := flag.NewFlagSet("fakecloud", flag.ContinueOnError)
	pending := fs.Int("pending", 0, "token polls answered with authorization_pending")
	deny := fs.Bool("deny", false, "deny every device login")
	optin := fs.String("optin", "", "terms the user must accept")
	backend := fs.Bool("backend", false, "run real built-in backends as deployments")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("fakecloud: %v", err)
	}
	o := fakecloud.Options{PendingPolls: *pending, DenyLogin: *deny, DeviceInterval: 0.05}
	if *optin != "" {
		o.OptIns = []string{*optin}
	}
	if *backend {
		b := backends.New(filepath.Join(ts.Getenv("WORK"), ".fakecloud"))
		ts.Defer(b.Close)
		o.StartDeployment = b.Start
	}
	s := fakecloud.New(o)
	url := s.Start()
	ts.Defer(s.Close)
	sd, err := s.Seed()
	if err != nil {
		ts.Fatalf("fakecloud: %v", err)
	}
	for k, v := range sd.Env(url) {
		ts.Setenv(k, v)
	}
	port := url[strings.LastIndexByte(url, ':')+1:]
	ts.Setenv("FAKECLOUD_CONFIG_DIR", filepath.Join(ts.Getenv("HOME"), ".convex-test-"+port))
	clouds[ts.Getenv("WORK")] = s
	ts.Defer(func() { delete(clouds, ts.Getenv("WORK")) })
}

func cmdFakecloudKeys(ts *testscript.TestScript, neg bool, args []string) {
	s := clouds[ts.Getenv("WORK")]
	if s == nil {
		ts.Fatalf("fakecloud-keys: no fakecloud running in this script")
	}
	for _, k := range s.Keys() {
		fmt.Fprintf(ts.Stdout(), "%s %s %s\n", k.Name, k.Kind, k.Deployment)
	}
}

func cmdFileperm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: fileperm <path> <octal mode>")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil {
		ts.Fatalf("fileperm: bad mode %q", args[1])
	}
	info, err := os.Stat(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("fileperm: %v", err)
	}
	got := info.Mode().Perm()
	if (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %#o (want %s%#o)", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}
