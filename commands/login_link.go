package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

// Linking turns an anonymous deployment (made without an account) into a
// local deployment registered with a cloud project, keeping its data
// (spec cli §5.4, §4.1 E).

const linkLaterHint = "Not linking your existing deployment. If you want to link it later, run `convex login --link-deployments`."

// linkedDeployment is what linking made of an anonymous deployment.
type linkedDeployment struct {
	Name, URL     string
	Team, Project string
}

// linkAfterLogin offers, right after a login, to link the project's
// anonymous deployment (or, without one, those older CLIs kept in the home
// directory) to the account. Without a terminal nothing is linked and the
// login still succeeds. loop is --link-deployments: choose legacy
// deployments one at a time.
func (d *Deps) linkAfterLogin(ctx context.Context, client *deployments.Client, p auth.Prompter, loop bool) error {
	if d.Env.Get(deployments.EnvAllowAnonymous) == "false" {
		return nil
	}
	cfg, err := anonymous.LoadConfig(anonymous.ProjectStateDir(d.Cwd))
	if err != nil {
		// The login itself worked; a broken local config only means there
		// is nothing we can link.
		d.Out.Warn("Not offering to link local deployments: %v", err)
		return nil
	}
	configured := d.configuredAnonymous()
	if cfg != nil && cfg.IsAnonymous() {
		if !auth.IsInteractive(p) {
			d.Out.Message("%s", linkLaterHint)
			return nil
		}
		ok, err := p.Confirm(fmt.Sprintf("Would you like to link your existing deployment to your account? (%q)", cfg.DeploymentName), true)
		if err != nil {
			return err
		}
		if !ok {
			d.Out.Message("%s", linkLaterHint)
			d.Out.Message("Visit %s or run `convex dev` to get started with your new account.", deployments.DashboardHost(d.Env))
			return nil
		}
		l, err := d.linkDeployment(ctx, client, p, cfg.DeploymentName, configured, nil)
		if err != nil {
			return err
		}
		d.Out.Success("Visit %s/d/%s to get started.", deployments.DashboardHost(d.Env), l.Name)
		return nil
	}
	legacy, err := d.legacyAnonymousNames()
	if err != nil {
		return err
	}
	if len(legacy) == 0 {
		if loop {
			d.Out.Message("There are no deployments made without an account to link. Run `convex dev` to set up a new project or choose an existing one.")
		}
		return nil
	}
	if !auth.IsInteractive(p) {
		d.Out.Message("Not linking your %d existing deployment(s). If you want to link them later, run `convex login --link-deployments` in a terminal.", len(legacy))
		return nil
	}
	if loop {
		return d.linkLegacyLoop(ctx, client, p, configured)
	}
	q := fmt.Sprintf("Would you like to link your existing deployment to your account? (%q)", legacy[0])
	if len(legacy) > 1 {
		q = fmt.Sprintf("You have %d existing deployments: %s. Would you like to link them to your account?\n(`convex login --link-deployments` lets you choose which.)",
			len(legacy), strings.Join(legacy, ", "))
	}
	ok, err := p.Confirm(q, true)
	if err != nil {
		return err
	}
	if !ok {
		d.Out.Message("Not linking your existing deployments. If you want to link them later, run `convex login --link-deployments`.")
		d.Out.Message("Visit %s or run `convex dev` to get started with your new account.", deployments.DashboardHost(d.Env))
		return nil
	}
	team, err := linkTeam(ctx, client, p, "Choose a team for your deployments:")
	if err != nil {
		return err
	}
	for _, name := range legacy {
		// One new project per deployment, named after it.
		if _, err := d.linkDeployment(ctx, client, p, name, configured, &team); err != nil {
			return err
		}
	}
	d.Out.Success("Linked your deployments. Visit %s/t/%s to get started.", deployments.DashboardHost(d.Env), team.Slug)
	return nil
}

// linkLegacyLoop lets the user link legacy deployments one by one.
func (d *Deps) linkLegacyLoop(ctx context.Context, client *deployments.Client, p auth.Prompter, configured string) error {
	for {
		names, err := d.legacyAnonymousNames()
		if err != nil {
			return err
		}
		if len(names) == 0 {
			d.Out.Message("All deployments have been linked.")
			return nil
		}
		i, err := p.Select("Which deployment would you like to link to your account?", names)
		if err != nil {
			return err
		}
		if _, err := d.linkDeployment(ctx, client, p, names[i], configured, nil); err != nil {
			return err
		}
		more, err := p.Confirm("Would you like to link another deployment?", true)
		if err != nil || !more {
			return err
		}
	}
}

// offerLinkConfigured is `convex dev` with CONVEX_DEPLOYMENT naming an
// anonymous deployment while the user is logged in at a terminal (spec cli
// §4.1 E): on yes the deployment is linked and dev continues with the
// linked local deployment; otherwise t is returned unchanged.
func (d *Deps) offerLinkConfigured(c *cli.Context, t deployments.Target) (deployments.Target, error) {
	return d.offerLink(c.Context, t, d.prompter())
}

// offerLink is offerLinkConfigured with the prompter given; a prompter
// that cannot ask means no terminal, and nothing is offered.
func (d *Deps) offerLink(ctx context.Context, t deployments.Target, p auth.Prompter) (deployments.Target, error) {
	if t.Kind != deployments.KindAnonymous || t.Name == "" || !auth.IsInteractive(p) ||
		d.Env.Get("CONVEX_AGENT_MODE") != "" || d.Env.Get(deployments.EnvAllowAnonymous) == "false" {
		return t, nil
	}
	client, a, err := deployments.ManagementClient(deployments.Options{Env: d.Env, Dir: d.Cwd, AccessToken: d.storedToken(),
		HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}})
	if err != nil || a.Kind != "accessToken" || a.Token == "" {
		return t, nil // not logged in: stay anonymous
	}
	d.Log.AddSecret(a.Token)
	if _, err := d.findAnonymousState(t.Name); err != nil {
		return t, nil // nothing saved yet: dev creates it anonymously
	}
	ok, err := p.Confirm(fmt.Sprintf("CONVEX_DEPLOYMENT is configured with deployment %s, which is not linked with your account. Would you like to link it now?", t.Name), true)
	if err != nil || !ok {
		return t, err
	}
	l, err := d.linkDeployment(ctx, client, p, t.Name, t.Name, nil)
	if err != nil {
		return t, err
	}
	return deployments.Target{Kind: deployments.KindLocal, Name: l.Name, URL: l.URL, Team: l.Team, Project: l.Project,
		Source: "CONVEX_DEPLOYMENT", Auth: a.Token, AuthKind: a.Kind}, nil
}

// linkDeployment links the anonymous deployment name to a project: in team
// (asked when nil) and a project chosen or created, or, with team given, a
// new project named after the deployment. The data stays where it is for
// the project-local deployment and moves with the state directory for a
// legacy one. .env.local is updated when name is the configured deployment.
func (d *Deps) linkDeployment(ctx context.Context, client *deployments.Client, p auth.Prompter, name, configured string, team *deployments.Team) (linkedDeployment, error) {
	src, err := d.findAnonymousState(name)
	if err != nil {
		return linkedDeployment{}, err
	}
	cfg, err := anonymous.LoadConfig(src)
	if err != nil {
		return linkedDeployment{}, err
	}
	if err := waitBackendStopped(ctx, cfg.Ports.Cloud, name, 5*time.Second); err != nil {
		return linkedDeployment{}, err
	}
	projectName := strings.TrimPrefix(name, "anonymous-")
	var project string
	if team == nil {
		t, err := linkTeam(ctx, client, p, "Choose a team for your deployment:")
		if err != nil {
			return linkedDeployment{}, err
		}
		team = &t
		if project, err = d.linkProject(ctx, client, p, t, projectName); err != nil {
			return linkedDeployment{}, err
		}
	} else if project, err = d.createLinkProject(ctx, client, *team, projectName); err != nil {
		return linkedDeployment{}, err
	}
	started, err := client.StartLocalDeployment(ctx, cfg.Ports.Cloud, team.Slug, project, "")
	if err != nil {
		return linkedDeployment{}, err
	}
	newName := started.DeploymentName
	dst := src
	projectLocal := src == anonymous.ProjectStateDir(d.Cwd)
	if !projectLocal {
		dst = filepath.Join(deployments.GlobalDir(d.Env), "convex-backend-state", newName)
	}
	if taken, err := d.localDeploymentExists(newName); err != nil {
		return linkedDeployment{}, err
	} else if taken {
		return linkedDeployment{}, ui.Errorf("Project %s already has a local deployment, so the deployment %s cannot be linked to it.", project, name).
			WithHint("Choose another project, or use the project's own local deployment with `convex deployment select local`.")
	}
	id := started.ProjectID
	if id == 0 {
		if pr, err := client.ProjectBySlugs(ctx, team.Slug, project); err == nil {
			id = pr.ID
		}
	}
	linked := *cfg
	linked.DeploymentName = newName
	linked.CloudProjectID = &id
	// The admin key names the instance, so the new name needs new credentials.
	if err := mintLocalCredentials(&linked, newName); err != nil {
		return linkedDeployment{}, err
	}
	d.Log.AddSecret(linked.AdminKey)
	if !projectLocal {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return linkedDeployment{}, ui.Wrap(err, "cannot create %s", filepath.Dir(dst))
		}
		if err := os.Rename(src, dst); err != nil {
			return linkedDeployment{}, ui.Wrap(err, "cannot move %s to %s", src, dst)
		}
	}
	if err := anonymous.SaveConfig(dst, &linked); err != nil {
		return linkedDeployment{}, err
	}
	if err := client.PauseLocalDeployment(ctx, team.Slug, project); err != nil {
		d.Out.Warn("Could not tell Convex that %s is stopped: %v", newName, err)
	}
	d.Out.Success("Linked %s to project %s", name, project)
	l := linkedDeployment{Name: newName, URL: fmt.Sprintf("http://127.0.0.1:%d", linked.Ports.Cloud), Team: team.Slug, Project: project}
	if configured != "" && configured == name {
		if _, _, err := config.SetDeployment(d.Cwd, config.DeploymentValue(string(deployments.KindLocal), newName), team.Slug, project); err != nil {
			return l, err
		}
	}
	return l, nil
}

// findAnonymousState is the state directory of the anonymous deployment
// name: the project-local one when its config names it, else the legacy
// home-directory one.
func (d *Deps) findAnonymousState(name string) (string, error) {
	dir := anonymous.ProjectStateDir(d.Cwd)
	if cfg, err := anonymous.LoadConfig(dir); err != nil {
		return "", err
	} else if cfg != nil && cfg.DeploymentName == name {
		return dir, nil
	}
	legacy := anonymous.LegacyAnonymousDir(deployments.GlobalDir(d.Env), name)
	if cfg, err := anonymous.LoadConfig(legacy); err != nil {
		return "", err
	} else if cfg != nil {
		return legacy, nil
	}
	return "", ui.Errorf("Could not find the saved state of the deployment %s.", name).
		WithHint("Run `convex dev` to start it once, or `convex dev --configure` to set up a project instead.")
}

// localDeploymentExists reports whether state for the local deployment
// name is already saved, in the project or in the home directory.
func (d *Deps) localDeploymentExists(name string) (bool, error) {
	if cfg, err := anonymous.LoadConfig(anonymous.ProjectStateDir(d.Cwd)); err != nil || (cfg != nil && cfg.DeploymentName == name) {
		return err == nil, err
	}
	cfg, err := anonymous.LoadConfig(filepath.Join(deployments.GlobalDir(d.Env), "convex-backend-state", name))
	return cfg != nil, err
}

// legacyAnonymousNames lists the anonymous deployments older CLIs kept in
// the home directory, sorted.
func (d *Deps) legacyAnonymousNames() ([]string, error) {
	root := filepath.Join(deployments.GlobalDir(d.Env), "anonymous-convex-backend-state")
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "cannot list %s", root)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), "config.json")); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// configuredAnonymous is the anonymous deployment CONVEX_DEPLOYMENT names
// (environment first, then .env.local, then .env), or "".
func (d *Deps) configuredAnonymous() string {
	v := d.Env.Get(config.DeploymentVar)
	for _, f := range []string{config.EnvLocalFile, config.EnvFileName} {
		if v != "" {
			break
		}
		if ef, err := config.ReadEnvFile(filepath.Join(d.Cwd, f)); err == nil {
			v, _ = ef.Get(config.DeploymentVar)
		}
	}
	v = strings.TrimSpace(v)
	v = v[strings.LastIndexByte(v, ':')+1:]
	if !strings.HasPrefix(v, "anonymous-") {
		return ""
	}
	return v
}

// linkTeam is the only team, or the one the user picks.
func linkTeam(ctx context.Context, client *deployments.Client, p auth.Prompter, question string) (deployments.Team, error) {
	teams, err := client.Teams(ctx)
	if err != nil {
		return deployments.Team{}, err
	}
	switch len(teams) {
	case 0:
		return deployments.Team{}, ui.Errorf("Your account belongs to no team.").WithHint("Create a team on the Convex dashboard first.")
	case 1:
		return teams[0], nil
	}
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = fmt.Sprintf("%s (%s)", t.Name, t.Slug)
	}
	i, err := p.Select(question, names)
	if err != nil {
		return deployments.Team{}, err
	}
	return teams[i], nil
}

// linkProject chooses an existing project of team or creates one, the
// deployment's name (without "anonymous-") offered as its name.
func (d *Deps) linkProject(ctx context.Context, client *deployments.Client, p auth.Prompter, team deployments.Team, defName string) (string, error) {
	projects, err := client.ListProjects(ctx, team.ID)
	if err != nil {
		return "", err
	}
	if len(projects) > 0 {
		i, err := p.Select("What would you like to configure?", []string{"create a new project", "choose an existing project"})
		if err != nil {
			return "", err
		}
		if i == 1 {
			names := make([]string, len(projects))
			for i, pr := range projects {
				names[i] = fmt.Sprintf("%s (%s)", pr.Name, pr.Slug)
			}
			j, err := p.Select("Project:", names)
			if err != nil {
				return "", err
			}
			return projects[j].Slug, nil
		}
	}
	name, err := p.Input("Project name:", defName)
	if err != nil {
		return "", err
	}
	if name = strings.TrimSpace(name); name == "" {
		name = defName
	}
	return d.createLinkProject(ctx, client, team, name)
}

// createLinkProject creates a project without a cloud deployment.
func (d *Deps) createLinkProject(ctx context.Context, client *deployments.Client, team deployments.Team, name string) (string, error) {
	sp := d.Out.Spinner("Creating new Convex project...")
	slug, err := client.CreateProject(ctx, team.ID, name, "", "")
	if err != nil {
		sp.Fail("Unable to create project.")
		return "", err
	}
	sp.Stop()
	d.Out.Success("Created project %s in team %s, manage it at %s", slug, team.Slug, deployments.ProjectDashboardURL(d.Env, team.Slug, slug))
	return slug, nil
}

// waitBackendStopped waits up to max for a backend serving name on port to
// stop (another `convex dev` exiting); another program there is fine.
func waitBackendStopped(ctx context.Context, port int, name string, max time.Duration) error {
	deadline := time.Now().Add(max)
	for {
		if !servesInstance(ctx, port, name) {
			return nil
		}
		if time.Now().After(deadline) {
			return ui.Errorf("A local backend for %s is still running on port %d.", name, port).
				WithHint("Stop the `convex dev` that runs it, then run this command again.")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// servesInstance reports whether the backend on port answers with name.
func servesInstance(ctx context.Context, port int, name string) bool {
	if port == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/instance_name", port), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == name
}
