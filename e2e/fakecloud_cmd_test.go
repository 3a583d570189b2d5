package e2e_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/convex-go/convex/commands"
	"github.com/convex-go/convex/config"
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
//
// Scripts written ahead of a command's behaviour can test the condition
// [exec:convex-deploy-wired], true once `convex deploy` is no longer a stub.
func init() {
	setups = append(setups, markWiredCommands, addCloudSlot)
	scriptCmds["fakecloud"] = cmdFakecloud
	scriptCmds["fakecloud-keys"] = cmdFakecloudKeys
	scriptCmds["fileperm"] = cmdFileperm
}

// cloudSlot holds the fake cloud a script started; each script gets its
// own through testscript's per-script values.
type cloudSlot struct{ s *fakecloud.Server }

type cloudSlotKey struct{}

func addCloudSlot(e *testscript.Env) error {
	e.Values[cloudSlotKey{}] = &cloudSlot{}
	return nil
}

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
	ts.Value(cloudSlotKey{}).(*cloudSlot).s = s
}

func cmdFakecloudKeys(ts *testscript.TestScript, neg bool, args []string) {
	s := ts.Value(cloudSlotKey{}).(*cloudSlot).s
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

var deployWired = sync.OnceValue(func() bool {
	dir, err := os.MkdirTemp("", "convex-probe")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	var stderr strings.Builder
	d := &commands.Deps{Stdout: io.Discard, Stderr: &stderr, Env: config.MapEnv{"HOME": dir}, Cwd: dir}
	commands.RunWith(context.Background(), d, []string{"deploy"})
	return !strings.Contains(stderr.String(), "not implemented yet")
})

// markWiredCommands puts a marker program on the script's PATH for each
// command whose behaviour exists, for [exec:...] conditions.
func markWiredCommands(e *testscript.Env) error {
	if runtime.GOOS == "windows" || !deployWired() {
		return nil
	}
	bin := filepath.Join(e.WorkDir, ".markers")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bin, "convex-deploy-wired"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return err
	}
	e.Setenv("PATH", bin+string(os.PathListSeparator)+e.Getenv("PATH"))
	return nil
}
