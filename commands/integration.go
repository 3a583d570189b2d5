package commands

import "github.com/urfave/cli/v2"

func newIntegrationCommand(d *Deps) *cli.Command {
	workos := func(name, usage, desc string, flags []cli.Flag, action string) *cli.Command {
		return &cli.Command{
			Name:        name,
			Usage:       usage,
			Description: desc,
			Flags:       withFlags(flags, selectionFlags(action, false)),
			Action:      d.notImplemented("integration workos " + name),
		}
	}
	return &cli.Command{
		Name:        "integration",
		Hidden:      true,
		Usage:       "Integration commands",
		Description: "Manage third-party integrations.",
		Subcommands: []*cli.Command{
			{
				Name:        "workos",
				Usage:       "WorkOS integration commands",
				Description: "Manage the WorkOS AuthKit team and environments linked to your Convex team and deployments.",
				Subcommands: []*cli.Command{
					workos("provision-environment", "Provision a WorkOS environment",
						"Create (or find) the WorkOS environment and API key of this deployment.",
						[]cli.Flag{valueFlag("name", "name", "Name for the WorkOS environment (default: the deployment's name).")},
						"Provision WorkOS environment for"),
					workos("status", "Status of associated WorkOS team and environment",
						"Show the WorkOS team and environment linked to this deployment.", nil, "Check WorkOS status for"),
					workos("provision-team", "Provision a WorkOS team for this Convex team",
						"Create a WorkOS team linked to this Convex team, so deployments can get WorkOS environments automatically.",
						nil, "Provision WorkOS team for"),
					workos("disconnect-team", "Disconnect WorkOS team from Convex team",
						"Unlink the WorkOS team from this Convex team. No new environments can be provisioned afterwards; existing ones keep working with their API keys.",
						nil, "Disconnect WorkOS team for"),
					workos("invite", "Invite yourself to the WorkOS team",
						"Send an invitation to join the WorkOS team linked to your Convex team.",
						[]cli.Flag{valueFlag("email", "email", "Address to invite (not checked against your account).")},
						"Invite yourself to WorkOS team for"),
					workos("list-project-environments", "List WorkOS environments for current project",
						"List the WorkOS AuthKit environments made for this project; several deployments can share one.",
						nil, "List project environments for"),
					workos("create-project-environment", "Create a new WorkOS environment for the project",
						"Create a WorkOS AuthKit environment for this project, usable by several deployments.",
						[]cli.Flag{
							valueFlag("name", "name", "Name of the new environment.").Required(),
							boolFlag("production", "Make it a production environment."),
						}, "Create project environment for"),
					workos("delete-project-environment", "Delete a WorkOS environment from the project",
						"Delete a WorkOS environment of this project, with its credentials, for good. Find the client id with list-project-environments.",
						[]cli.Flag{valueFlag("client-id", "clientId", "WorkOS client id of the environment.").Required()},
						"Delete project environment for"),
				},
			},
		},
	}
}
