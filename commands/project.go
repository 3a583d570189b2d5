package commands

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

func newProjectCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "project",
		Usage:       "Manage projects",
		Description: "Manage the projects of your team.",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "Create a new project",
				ArgsUsage: "[name]",
				Description: "Create a project. It has no deployment yet: add one with `convex deployment create`. " +
					"The name is asked for when left out on a terminal, and required otherwise.\n\n" +
					"• In your only team: convex project create my-app\n" +
					"• In a given team: convex project create my-app --team my-team",
				Flags: []cli.Flag{
					valueFlag("team", "team_slug", "Team to create the project in (default: your only team; asked when you have several)."),
				},
				Action: d.projectCreate,
			},
		},
	}
}

func (d *Deps) projectCreate(c *cli.Context) error {
	ctx := c.Context
	client, a, err := d.managementClient(c)
	if err != nil {
		return err
	}
	if err := ensureCanCreate(a, "project"); err != nil {
		return err
	}
	team, err := d.chooseTeam(c, client, c.String("team"))
	if err != nil {
		return err
	}
	name := c.Args().First()
	if name == "" {
		p := d.prompter()
		if !auth.IsInteractive(p) {
			return ui.Usage("Name the project to create.").WithHint("For example: convex project create my-app")
		}
		if name, err = p.Input("Project name:", ""); err != nil {
			return err
		}
		if name == "" {
			return ui.Usage("The project needs a name.")
		}
	}
	sp := d.Out.Spinner("Creating project " + name + "...")
	slug, err := client.CreateProject(ctx, team.ID, name, "", "")
	if err != nil {
		sp.Fail("Could not create the project.")
		return err
	}
	sp.Stop()
	d.Out.Success("Created project %s in team %s, manage it at %s", slug, team.Slug, deployments.ProjectDashboardURL(d.Env, team.Slug, slug))
	d.Out.Hint("Next, add a deployment: convex deployment create %s:%s:dev/my-feature --type dev --select (add --region us or --region eu to choose where it runs).", team.Slug, slug)
	return nil
}

// chooseTeam returns the team named by slug, the only team, or the one the
// user picks on a terminal.
func (d *Deps) chooseTeam(c *cli.Context, client *deployments.Client, slug string) (deployments.Team, error) {
	teams, err := client.Teams(c.Context)
	if err != nil {
		return deployments.Team{}, err
	}
	if len(teams) == 0 {
		return deployments.Team{}, ui.Errorf("Your account belongs to no team.").WithHint("Create a team on the Convex dashboard first.")
	}
	if slug != "" {
		for _, t := range teams {
			if t.Slug == slug {
				return t, nil
			}
		}
		return deployments.Team{}, ui.Usage("There is no team %q in your account.", slug).WithHint("Fix --team or leave it out.")
	}
	if len(teams) == 1 {
		return teams[0], nil
	}
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = fmt.Sprintf("%s (%s)", t.Name, t.Slug)
	}
	i, err := auth.WithAnswer(d.prompter(), "--team").Select("Team:", names)
	if err != nil {
		return deployments.Team{}, err
	}
	return teams[i], nil
}

// ProjectSetup are the answers `convex dev --configure` may give up front
// (spec cli §4.1 B): Configure is "", "new", "existing" or "ask"; Team and
// Project come from --team/--project; DevDeployment is "", "cloud" or "local".
type ProjectSetup struct {
	Configure     string
	Team, Project string
	DevDeployment string
}

// ConfigureProject chooses or creates a cloud project for `convex dev` and
// returns the user's dev deployment in it. It logs in first when needed.
// With DevDeployment "local" it registers a local deployment of the project
// (or reuses the project's saved one) and returns it; the caller starts it.
// Nothing is written to .env.local; the caller saves the selection.
func (d *Deps) ConfigureProject(c *cli.Context, s ProjectSetup) (deployments.Target, error) {
	ctx := c.Context
	client, err := d.loggedInClient(c)
	if err != nil {
		return deployments.Target{}, err
	}
	p := d.prompter()
	mode := s.Configure
	if mode == "" || mode == "ask" {
		has, err := client.HasProjects(ctx)
		if err != nil {
			return deployments.Target{}, err
		}
		mode = "new"
		if has {
			choices := []string{"create a new project", "choose an existing project"}
			i, err := auth.WithAnswer(p, "--configure new or --configure existing").Select("What would you like to configure?", choices)
			if err != nil {
				return deployments.Target{}, err
			}
			if i == 1 {
				mode = "existing"
			}
		}
	}
	team, err := d.chooseTeam(c, client, s.Team)
	if err != nil {
		return deployments.Target{}, err
	}
	var project string
	if mode == "new" {
		name := s.Project
		if name == "" {
			if name, err = auth.WithAnswer(p, "--project").Input("Project name:", filepath.Base(d.Cwd)); err != nil {
				return deployments.Target{}, err
			}
		}
		if s.DevDeployment == "local" {
			project, err = d.createProject(c, client, team, name, "", "")
		} else {
			region := ""
			if team.DefaultRegion != nil {
				region = *team.DefaultRegion
			} else if region, err = d.chooseRegion(c, client, team); err != nil {
				return deployments.Target{}, err
			}
			project, err = d.createProject(c, client, team, name, "dev", region)
		}
		if err != nil {
			return deployments.Target{}, err
		}
	} else {
		if project, err = d.chooseProject(c, client, team, s.Project); err != nil {
			return deployments.Target{}, err
		}
		d.Out.Success("Reinitialized project %s", project)
	}
	if s.DevDeployment == "local" {
		t, err := d.PrepareLocalDeployment(c, deployments.Target{Kind: deployments.KindLocal, Team: team.Slug, Project: project})
		t.Source = "convex dev --configure"
		return t, err
	}
	cr, err := client.ProvisionAndAuthorize(ctx, team.Slug, project, "dev")
	if err != nil {
		return deployments.Target{}, err
	}
	t := deployments.Target{Kind: deployments.KindDev, Name: cr.DeploymentName, URL: cr.URL, AdminKey: cr.AdminKey,
		Team: team.Slug, Project: project, IsDefault: cr.IsDefault, Source: "convex dev --configure",
		Auth: client.Auth(), AuthKind: "accessToken"}
	if cr.Reference != nil {
		t.Reference = *cr.Reference
	}
	d.Log.AddSecret(t.AdminKey)
	return t, nil
}

// loggedInClient is a management-API client with a credential the server
// accepts, running the login flow when there is none.
func (d *Deps) loggedInClient(c *cli.Context) (*deployments.Client, error) {
	r, err := auth.ResolveAuth(auth.AuthOptions{Env: d.Env, Dir: d.Cwd})
	if err != nil {
		return nil, err
	}
	for _, w := range r.Warnings {
		d.Out.Warn("%s", w)
	}
	// No message of its own: the login greets the user itself before it
	// asks for the device name.
	cred, err := auth.EnsureLoggedIn(c.Context, r.Credential, "", auth.LoginOptions{
		Env: d.Env, Prompter: d.prompter(), Out: d.Stderr, HTTPClient: d.httpClient(), AuthIssuer: c.String("override-auth-url"),
		OpenBrowser: func(u string) error { return openBrowser(d.Env, u) },
	})
	if err != nil {
		return nil, err
	}
	d.Log.AddSecret(cred.Token)
	return deployments.NewClient(deployments.ClientOptions{Host: deployments.ProvisionHost(d.Env), Auth: cred.Token,
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}}), nil
}

// createProject creates a project (provisioning a deployment of typ in
// region when typ is set) and reports it.
func (d *Deps) createProject(c *cli.Context, client *deployments.Client, team deployments.Team, name, typ, region string) (string, error) {
	sp := d.Out.Spinner("Creating new Convex project...")
	slug, err := client.CreateProject(c.Context, team.ID, name, typ, region)
	if err != nil {
		sp.Fail("Unable to create project.")
		return "", err
	}
	sp.Stop()
	d.Out.Success("Created project %s in team %s, manage it at %s", slug, team.Slug, deployments.ProjectDashboardURL(d.Env, team.Slug, slug))
	return slug, nil
}

// regionOrder lists regions the way the dashboard does; others follow.
var regionOrder = []string{"aws-us-east-1", "aws-eu-west-1", "aws-ca-central-1", "aws-ap-southeast-2"}

// chooseRegion asks where a new dev deployment runs ("" = the server's
// default when nobody can be asked).
func (d *Deps) chooseRegion(c *cli.Context, client *deployments.Client, team deployments.Team) (string, error) {
	tip := func() {
		d.Out.Hint("Tip: you can set a default region for your team at %s/t/%s/settings", deployments.DashboardHost(d.Env), team.Slug)
	}
	p := d.prompter()
	if !auth.IsInteractive(p) {
		tip()
		return "", nil
	}
	regions, err := client.ListRegions(c.Context, team.ID)
	if err != nil {
		return "", err
	}
	var avail []deployments.Region
	for _, r := range regions {
		if r.Available {
			avail = append(avail, r)
		}
	}
	rank := func(name string) int {
		for i, n := range regionOrder {
			if n == name {
				return i
			}
		}
		return len(regionOrder)
	}
	sort.SliceStable(avail, func(i, j int) bool { return rank(avail[i].Name) < rank(avail[j].Name) })
	if len(avail) == 0 {
		tip()
		return "", nil
	}
	names := make([]string, len(avail))
	for i, r := range avail {
		names[i] = r.DisplayName
	}
	i, err := p.Select("Where should this dev deployment run? (see https://www.convex.dev/pricing for pricing)", names)
	if err != nil {
		return "", err
	}
	tip()
	return avail[i].Name, nil
}

// chooseProject picks an existing project of team: the one named, the only
// one (confirmed), or one the user picks.
func (d *Deps) chooseProject(c *cli.Context, client *deployments.Client, team deployments.Team, slug string) (string, error) {
	projects, err := client.ListProjects(c.Context, team.ID)
	if err != nil {
		return "", err
	}
	if len(projects) == 0 {
		return "", ui.Errorf("Team %s has no projects yet.", team.Slug).
			WithHint("Run the command again and choose to create a new project (--configure new).")
	}
	if slug != "" {
		for _, pr := range projects {
			if pr.Slug == slug {
				return slug, nil
			}
		}
		return "", ui.Usage("There is no project %q in team %s.", slug, team.Slug).WithHint("Fix --project or leave it out.")
	}
	p := auth.WithAnswer(d.prompter(), "--project")
	if len(projects) == 1 {
		ok, err := p.Confirm(fmt.Sprintf("Configure project %s (%s)?", projects[0].Name, projects[0].Slug), true)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ui.Errorf("No project chosen.").WithHint("Run the command again to create a new project instead.")
		}
		return projects[0].Slug, nil
	}
	names := make([]string, len(projects))
	for i, pr := range projects {
		names[i] = fmt.Sprintf("%s (%s)", pr.Name, pr.Slug)
	}
	i, err := p.Select("Project:", names)
	if err != nil {
		return "", err
	}
	return projects[i].Slug, nil
}
