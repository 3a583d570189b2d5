package commands

import (
	"fmt"

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
