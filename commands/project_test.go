package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/ui"
)

// configure runs ConfigureProject against a seeded fake cloud.
func configure(t *testing.T, fc *fakecloud.Server, url string, env config.MapEnv, s ProjectSetup) (deployments.Target, string, error) {
	t.Helper()
	dir := t.TempDir()
	env["HOME"], env["CONVEX_PROVISION_HOST"] = dir, url
	var errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errb, Env: env, Cwd: dir}
	d.init()
	var got deployments.Target
	app := &cli.App{Action: func(c *cli.Context) error {
		var err error
		got, err = d.ConfigureProject(c, s)
		return err
	}, ExitErrHandler: func(*cli.Context, error) {}}
	err := app.RunContext(context.Background(), []string{"convex"})
	return got, errb.String(), err
}

func TestConfigureProject(t *testing.T) {
	fc := fakecloud.New(fakecloud.Options{})
	url := fc.Start()
	defer fc.Close()
	sd, err := fc.Seed()
	if err != nil {
		t.Fatal(err)
	}
	logged := func() config.MapEnv { return config.MapEnv{"CONVEX_OVERRIDE_ACCESS_TOKEN": sd.AccessToken} }

	got, stderr, err := configure(t, fc, url, logged(), ProjectSetup{Configure: "new", Project: "My App"})
	if err != nil {
		t.Fatalf("new project: %v\n%s", err, stderr)
	}
	if got.Kind != deployments.KindDev || got.Team != "acme" || got.Project != "my-app" || got.URL == "" || got.AdminKey == "" {
		t.Errorf("new project target = %+v", got)
	}
	if !strings.Contains(stderr, "Created project my-app in team acme") || !strings.Contains(stderr, "default region") {
		t.Errorf("new project messages: %s", stderr)
	}

	got, stderr, err = configure(t, fc, url, logged(), ProjectSetup{Configure: "existing", Project: "chat"})
	if err != nil || got.Name != sd.Dev.Name || !strings.Contains(stderr, "Reinitialized project chat") {
		t.Errorf("existing project: %+v %v\n%s", got, err, stderr)
	}

	got, _, err = configure(t, fc, url, logged(), ProjectSetup{Configure: "new", Project: "Local One", DevDeployment: "local"})
	if err != nil || got.Kind != deployments.KindLocal || got.Project != "local-one" || got.Name != "local-acme-local_one" || got.AdminKey == "" || got.URL == "" {
		t.Errorf("local dev deployment: %+v %v", got, err)
	}
	if _, ok := fc.Deployment("local-acme-local_one"); !ok {
		t.Error("the local deployment was not registered with the cloud")
	}

	if _, _, err = configure(t, fc, url, logged(), ProjectSetup{Configure: "existing", Project: "nope"}); err == nil || !strings.Contains(err.Error(), `no project "nope"`) {
		t.Errorf("unknown project: %v", err)
	}
	if _, _, err = configure(t, fc, url, logged(), ProjectSetup{Team: "ghost"}); err == nil || !strings.Contains(err.Error(), "What would you like to configure?") {
		t.Errorf("no answer without a terminal: %v", err)
	}
	if _, _, err = configure(t, fc, url, logged(), ProjectSetup{Configure: "new", Team: "ghost", Project: "x"}); err == nil || !strings.Contains(err.Error(), `no team "ghost"`) {
		t.Errorf("unknown team: %v", err)
	}
	// Not logged in and no terminal: the login cannot ask for a device name.
	if _, _, err = configure(t, fc, url, config.MapEnv{}, ProjectSetup{Configure: "new", Project: "x"}); err == nil || !strings.Contains(err.Error()+" "+ui.HintOf(err), "Device name") {
		t.Errorf("not logged in: %v", err)
	}
}

func TestPrepareLocalDeploymentFromSelection(t *testing.T) {
	fc := fakecloud.New(fakecloud.Options{})
	url := fc.Start()
	defer fc.Close()
	sd, err := fc.Seed()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := config.MapEnv{"HOME": dir, "CONVEX_PROVISION_HOST": url, "CONVEX_OVERRIDE_ACCESS_TOKEN": sd.AccessToken,
		"CONVEX_DEPLOYMENT": "local:local-acme-chat"}
	// The cloud knows the local deployment; this checkout has no state for it.
	c0 := deployments.NewClient(deployments.ClientOptions{Host: url, Auth: sd.AccessToken})
	if _, err := c0.StartLocalDeployment(context.Background(), 3210, "acme", "chat", ""); err != nil {
		t.Fatal(err)
	}
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Env: env, Cwd: dir}
	d.init()
	var got deployments.Target
	app := &cli.App{Action: func(c *cli.Context) error {
		sel, err := d.SelectTarget(c, "dev")
		if err != nil {
			return err
		}
		if sel.Kind != deployments.KindLocal || sel.URL != "" || sel.Team != "acme" {
			t.Errorf("selection = %+v", sel)
		}
		got, err = d.PrepareLocalDeployment(c, sel)
		return err
	}, ExitErrHandler: func(*cli.Context, error) {}}
	if err := app.RunContext(context.Background(), []string{"convex"}); err != nil {
		t.Fatal(err)
	}
	if got.Name != "local-acme-chat" || got.AdminKey == "" || got.URL == "" {
		t.Errorf("prepared = %+v", got)
	}
	lc, err := deployments.LoadProjectLocalConfig(dir)
	if err != nil || lc == nil || lc.DeploymentName != "local-acme-chat" || lc.CloudProjectID == nil || *lc.CloudProjectID != sd.ProjectID {
		t.Errorf("saved state = %+v, %v", lc, err)
	}
}
