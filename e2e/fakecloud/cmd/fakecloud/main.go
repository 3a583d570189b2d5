// Command fakecloud runs the stand-in for Convex's cloud management API on
// 127.0.0.1, seeded with a team, a project, deployments and a deploy key of
// each kind, so the account flows (login, project setup, deploy with a key)
// can be tried without reaching Convex. With -backend (the default) its
// deployments are real built-in backends that keep their data under -data.
//
// It prints the environment to use, one NAME='value' a line, and serves until
// Ctrl-C:
//
//	go run ./e2e/fakecloud/cmd/fakecloud > fakecloud.env &
//	set -a; . ./fakecloud.env; set +a
//	convex login --no-open --override-auth-url "$FAKECLOUD_URL"
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/e2e/fakecloud/backends"
)

func main() {
	backend := flag.Bool("backend", true, "run real built-in backends as deployments (false: recording stubs)")
	data := flag.String("data", "", "directory for the deployments' data (default: a new temporary directory)")
	flag.Parse()

	opts := fakecloud.Options{DeviceInterval: 1}
	if *backend {
		dir := *data
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "fakecloud-"); err != nil {
				fmt.Fprintln(os.Stderr, "fakecloud:", err)
				os.Exit(1)
			}
		}
		b := backends.New(dir)
		defer b.Close()
		opts.StartDeployment = b.Start
		fmt.Fprintln(os.Stderr, "fakecloud: deployment data in", dir)
	}
	s := fakecloud.New(opts)
	url := s.Start()
	defer s.Close()
	sd, err := s.Seed()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakecloud:", err)
		os.Exit(1)
	}
	env := sd.Env(url)
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		// Single-quoted so a shell can source it: keys contain '|'.
		fmt.Printf("%s='%s'\n", k, env[k])
	}
	fmt.Fprintln(os.Stderr, "fakecloud: serving", url, "- Ctrl-C stops it")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
