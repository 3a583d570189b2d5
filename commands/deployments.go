package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

func newDeploymentsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "deployments",
		Hidden:      true,
		Usage:       "List deployments associated with a project",
		Description: "Show the deployment commands would use here and where that choice comes from (for debugging).",
		Action:      d.deployments,
	}
}

// deployments prints what the selection algorithm (spec cli §2.4) makes of
// the environment here. It is a debugging aid: the output is not stable.
func (d *Deps) deployments(c *cli.Context) error {
	if c.Args().Present() {
		return ui.Usage("`convex deployments` takes no arguments, got %q.", c.Args().First())
	}
	s, err := deployments.Resolve(c.Context, d.SelectionOptions(c, "deployments"))
	if err != nil {
		return err
	}
	d.Out.Message("Currently configured deployment:")
	line := func(format string, args ...any) { d.Out.Message("  "+format, args...) }
	switch s.Kind {
	case deployments.SelectionExisting:
		line("URL: %s", s.URL)
		if f := s.Fields; f != nil {
			line("Deployment: %s (%s)", f.Name, f.Kind)
			line("Team: %s", f.Team)
			line("Project: %s", f.Project)
		} else {
			line("Type: %s", s.ExistingFrom)
		}
	case deployments.SelectionWithinProject:
		p := s.Project
		switch p.Kind {
		case deployments.SelSlugs:
			line("Team: %s", p.TeamSlug)
			line("Project: %s", p.ProjectSlug)
		case deployments.SelDeploymentName:
			tp, err := s.Client().TeamAndProject(c.Context, p.DeploymentName)
			if err != nil {
				return err
			}
			line("Team: %s", tp.Team)
			line("Project: %s", tp.Project)
			line("Deployment: %s", p.DeploymentName)
			if p.DeploymentType != "" {
				line("Type: %s", p.DeploymentType)
			}
		default:
			line("Project deploy key configured")
		}
	case deployments.SelectionPreview:
		line("Preview deployment (deploy key configured)")
	case deployments.SelectionAnonymous:
		if s.AnonymousName != "" {
			line("Anonymous deployment: %s", s.AnonymousName)
		} else {
			line("Anonymous development (no deployment selected)")
		}
	case deployments.SelectionChooseProject:
		line("No project configured - will prompt interactively")
	default:
		line("Unknown deployment configuration")
	}
	return nil
}
