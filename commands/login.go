package commands

import "github.com/urfave/cli/v2"

func newLoginCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:   "login",
		Hidden: true,
		Usage:  "Login to Convex",
		Description: "Log this machine in to your Convex account. It shows a link and a code to confirm in your browser, " +
			"then stores an access token in ~/.convex/config.json. `convex dev` does this for you when needed.",
		Flags: []cli.Flag{
			valueFlag("device-name", "name", "Name this machine is listed under in your account."),
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "Log in again even if this machine already has a valid login."},
			boolFlag("no-open", "Do not open the login link in a browser."),
			valueFlag("login-flow", "mode", "How to log in: `poll` waits for you to confirm in the browser, `paste` asks you to paste a token, `auto` picks one for this environment.").
				Default("auto").OneOf("paste", "auto", "poll"),
			hiddenBool("link-deployments", "Link local deployments made without an account to the account."),
			valueFlag("override-auth-url", "url", "Log in through this authentication server (testing).").Hide(),
			valueFlag("override-auth-client", "id", "Client id for the authentication server (testing).").Hide(),
			valueFlag("override-auth-username", "username", "User name for the authentication server (testing).").Hide(),
			valueFlag("override-auth-password", "password", "Password for the authentication server (testing).").Hide(),
			valueFlag("override-access-token", "token", "Store this access token instead of logging in.").Hide(),
			hiddenBool("accept-opt-ins", "Accept the terms without asking."),
			hiddenBool("dump-access-token", "Print the access token from the authentication server and stop."),
			hiddenBool("check-login", "Only check whether this machine is logged in."),
			hiddenBool("vercel", "Log in through the Vercel integration."),
			valueFlag("vercel-override", "slug", "Vercel integration slug to use.").Hide(),
		},
		Action: d.notImplemented("login"),
		Subcommands: []*cli.Command{
			{
				Name:        "status",
				Usage:       "Check login status and list accessible teams",
				Description: "Say whether this machine is logged in, where the credentials come from, and which teams they reach.",
				Action:      d.notImplemented("login status"),
			},
		},
	}
}
