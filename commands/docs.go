package commands

import (
	"errors"
	"os/exec"
	"runtime"

	"github.com/urfave/cli/v2"
)

// DocsURL is where `convex docs` sends people.
const DocsURL = "https://docs.convex.dev/?utm_source=convex-cli"

func newDocsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "docs",
		Usage:       "Open the docs in the browser",
		Description: "Open the Convex documentation in your browser, or print its URL with --no-open.",
		Flags: []cli.Flag{
			boolFlag("no-open", "Print the URL instead of opening a browser."),
		},
		Action: func(c *cli.Context) error {
			if !c.Bool("no-open") {
				if err := openBrowser(d.Env, DocsURL); err == nil {
					d.Out.Success("Opened the Convex docs in your browser.")
					return nil
				}
			}
			d.Out.Message("Find the Convex docs at %s", DocsURL)
			return nil
		},
	}
}

var errNoBrowser = errors.New("no browser available")

// openBrowser starts the user's browser on url without waiting for it.
// $BROWSER wins; on Linux a graphical session (DISPLAY or WAYLAND_DISPLAY)
// is required, so servers, CI and tests get errNoBrowser and print the URL.
func openBrowser(env Env, url string) error {
	var cmd *exec.Cmd
	switch b := env.Get("BROWSER"); {
	case b == "none":
		return errNoBrowser
	case b != "":
		cmd = exec.Command(b, url)
	case runtime.GOOS == "darwin":
		cmd = exec.Command("open", url)
	case runtime.GOOS == "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if env.Get("DISPLAY") == "" && env.Get("WAYLAND_DISPLAY") == "" {
			return errNoBrowser
		}
		path, err := exec.LookPath("xdg-open")
		if err != nil {
			return errNoBrowser
		}
		cmd = exec.Command(path, url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
