package commands

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
)

// localActivityInterval is how often a running linked local deployment is
// reported active to Convex's cloud, as the reference CLI does.
const localActivityInterval = 60 * time.Second

// linkedLocalSession tells Convex's cloud that a local deployment linked to
// a project runs on this machine (spec §8.3): it registers the start,
// imports the project's default environment variables into a deployment
// that has none yet, reports activity every minute while dev runs, and
// pauses the deployment when dev stops. The deployment runs on this machine
// whatever the cloud answers, so failures are warnings.
func (d *Deps) linkedLocalSession(c *cli.Context, t deployments.Target, cfg *anonymous.Config) (stop func()) {
	nop := func() {}
	if t.Team == "" || t.Project == "" || cfg == nil {
		return nop
	}
	ctx := c.Context
	client, _, err := d.managementClient(c)
	if err != nil {
		d.Out.Warn("Could not reach Convex to register the local deployment: %v", err)
		return nop
	}
	if _, err := client.StartLocalDeployment(ctx, cfg.Ports.Cloud, t.Team, t.Project, cfg.DeploymentName); err != nil {
		d.Out.Warn("Could not register the local deployment's start with Convex: %v", err)
		return nop
	}
	if cfg.CloudProjectID != nil {
		d.importDefaultEnvVars(ctx, client, t, *cfg.CloudProjectID)
	}
	pingCtx, cancel := context.WithCancel(context.Background())
	go func() {
		tick := time.NewTicker(localActivityInterval)
		defer tick.Stop()
		for {
			select {
			case <-pingCtx.Done():
				return
			case <-tick.C:
				_ = client.RecordLocalActivity(pingCtx, cfg.DeploymentName, cfg.AdminKey)
			}
		}
	}()
	return func() {
		cancel()
		pauseCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		if err := client.PauseLocalDeployment(pauseCtx, t.Team, t.Project); err != nil {
			d.Out.Warn("Could not tell Convex the local deployment stopped: %v", err)
		}
	}
}

// importDefaultEnvVars copies the project's default dev environment
// variables into a local deployment that has no variables yet (its first
// start), and says what it did.
func (d *Deps) importDefaultEnvVars(ctx context.Context, client *deployments.Client, t deployments.Target, projectID int64) {
	local := push.NewClient(t.URL, t.AdminKey)
	if have, err := local.EnvList(ctx); err != nil || len(have) > 0 {
		return
	}
	defaults, err := client.ListDefaultEnvVars(ctx, projectID, "dev", "")
	if err != nil {
		if deployments.StatusCode(err) == 403 {
			d.Out.Warn("Skipping the import of default environment variables: %v", err)
		}
		return
	}
	if len(defaults) == 0 {
		d.Out.Success("No default environment variables to import.")
		return
	}
	changes := make([]push.EnvChange, 0, len(defaults))
	names := make([]string, 0, len(defaults))
	for _, v := range defaults {
		value := v.Value
		changes = append(changes, push.EnvChange{Name: v.Name, Value: &value})
		names = append(names, v.Name)
	}
	if err := local.UpdateEnv(ctx, changes); err != nil {
		d.Out.Warn("Could not import the default environment variables: %v", err)
		return
	}
	sort.Strings(names)
	d.Out.Success("Imported %d environment variable(s) from the project's defaults: %s", len(names), strings.Join(names, ", "))
}
