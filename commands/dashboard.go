package commands

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

func newDashboardCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "dashboard",
		Aliases:     []string{"dash"},
		Usage:       "Open the dashboard in the browser",
		Description: "Open the Convex dashboard page of your deployment in your browser, or print its URL with --no-open.",
		Flags: withFlags([]cli.Flag{
			boolFlag("no-open", "Print the URL instead of opening a browser."),
		}, selectionFlags("Open the dashboard for", false)),
		Action: d.dashboard,
	}
}

func (d *Deps) dashboard(c *cli.Context) error {
	t, err := d.SelectTarget(c, "dashboard")
	if err != nil {
		return err
	}
	var url string
	switch t.Kind {
	case deployments.KindSelfHosted, deployments.KindURL:
		d.Out.Warn("This is a self-hosted deployment, and `convex dashboard` only knows Convex's hosted dashboard.")
		d.Out.Hint("See the self-hosting instructions for running the dashboard yourself.")
		return nil
	case deployments.KindAnonymous:
		url = localDashboardURL(d.Cwd, t.Name)
		if url == "" {
			d.Out.Warn("The local dashboard is not running. Start `convex dev` and try again.")
			return nil
		}
	default:
		url = deployments.DashboardURL(d.Env, "", "", t.Name)
	}
	if c.Bool("no-open") {
		d.Out.Result("%s", url)
		return nil
	}
	d.Out.Message("%s", d.Out.Paint("Opening "+url+" in the default browser...", ui.Gray))
	if err := openBrowser(d.Env, url); err != nil {
		d.Out.Warn("Could not open a browser. Visit %s", url)
	}
	return nil
}

// localDashboardURL is the URL of the local dashboard serving the anonymous
// deployment name, or "" when none answers for it.
func localDashboardURL(projectDir, name string) string {
	b, err := os.ReadFile(filepath.Join(deployments.ProjectLocalStateDir(projectDir), "dashboard.json"))
	if err != nil {
		return ""
	}
	var cfg struct {
		Port int `json:"port"`
	}
	if json.Unmarshal(b, &cfg) != nil || cfg.Port == 0 {
		return ""
	}
	url := "http://127.0.0.1:" + strconv.Itoa(cfg.Port) + "/"
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url + "api/current_deployment")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var cur struct {
		Name string `json:"name"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&cur) != nil || cur.Name != name {
		return ""
	}
	return url
}
