package fakecloud

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// Env is the environment a test needs to point the CLI at a seeded fake
// cloud: CONVEX_PROVISION_HOST plus FAKECLOUD_* names for the seeded world.
func (sd Seeded) Env(url string) map[string]string {
	return map[string]string{
		"CONVEX_PROVISION_HOST":  url,
		"FAKECLOUD_URL":          url,
		"FAKECLOUD_TEAM":         sd.Team,
		"FAKECLOUD_PROJECT":      sd.Project,
		"FAKECLOUD_PROD_NAME":    sd.Prod.Name,
		"FAKECLOUD_PROD_URL":     sd.Prod.URL,
		"FAKECLOUD_DEV_NAME":     sd.Dev.Name,
		"FAKECLOUD_DEV_URL":      sd.Dev.URL,
		"FAKECLOUD_PROD_KEY":     sd.ProdKey,
		"FAKECLOUD_DEV_KEY":      sd.DevKey,
		"FAKECLOUD_PREVIEW_KEY":  sd.PreviewKey,
		"FAKECLOUD_PROJECT_KEY":  sd.ProjectKey,
		"FAKECLOUD_ACCESS_TOKEN": sd.AccessToken,
	}
}

// Main runs a seeded fake cloud as a process: it prints the Env lines
// ("NAME=value", sorted) on stdout and serves until SIGINT or SIGTERM.
// It is the entry for `fakecloud` as a standalone or testscript command.
func Main() int { return run(os.Stdout, nil) }

func run(stdout io.Writer, stop <-chan struct{}) int {
	s := New(Options{})
	url := s.Start()
	defer s.Close()
	sd, err := s.Seed()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakecloud:", err)
		return 1
	}
	env := sd.Env(url)
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(stdout, "%s=%s\n", k, env[k])
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-stop:
	}
	return 0
}
