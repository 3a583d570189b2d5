package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

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
		Action: d.login,
		Subcommands: []*cli.Command{
			{
				Name:        "status",
				Usage:       "Check login status and list accessible teams",
				Description: "Say whether this machine is logged in, where the credentials come from, and which teams they reach.",
				Action:      d.loginStatus,
			},
		},
	}
}

func (d *Deps) login(c *cli.Context) error {
	ctx := c.Context
	if c.IsSet("override-auth-username") != c.IsSet("override-auth-password") {
		return ui.Usage("--override-auth-username and --override-auth-password go together.")
	}
	if c.IsSet("override-auth-username") {
		return ui.Errorf("Logging in with a user name and password is not supported by this CLI.").
			WithHint("Use the device login (the default) or --login-flow paste.")
	}
	apiOpts := deployments.Options{Env: d.Env, Dir: d.Cwd, AccessToken: d.storedToken(), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}}
	client, a, err := deployments.ManagementClient(apiOpts)
	if err != nil {
		return err
	}
	if !c.Bool("force") && !c.Bool("dump-access-token") && a.Token != "" {
		ok, err := client.Authorized(ctx)
		if err != nil {
			return err
		}
		if ok {
			if a.Kind == "accessToken" {
				ac := &auth.Client{ProvisionHost: deployments.ProvisionHost(d.Env), ClientHeader: auth.ClientHeader(d.Env), HTTPClient: d.httpClient()}
				if err := ac.EnsureOptIns(ctx, "Bearer "+a.Token, d.prompter(), c.Bool("accept-opt-ins")); err != nil {
					return err
				}
			}
			d.Out.Success("This device has previously been authorized and is ready for use with Convex.")
			if a.Kind != "accessToken" {
				return nil
			}
			return d.linkAfterLogin(ctx, client, d.prompter(), c.Bool("link-deployments"))
		}
	}
	if c.Bool("check-login") {
		return ui.Errorf("You are not logged in.").WithHint("Run `convex login`.")
	}
	vercel := ""
	if c.Bool("vercel") {
		vercel = "convex"
		if v := c.String("vercel-override"); v != "" {
			vercel = v
		}
	}
	token, err := auth.Login(ctx, auth.LoginOptions{
		VercelSlug:        vercel,
		Env:               d.Env,
		AuthIssuer:        c.String("override-auth-url"),
		ClientID:          c.String("override-auth-client"),
		DeviceName:        c.String("device-name"),
		Flow:              c.String("login-flow"),
		NoOpen:            c.Bool("no-open"),
		ProviderToken:     c.String("override-access-token"),
		ProviderTokenOnly: c.Bool("dump-access-token"),
		AcceptOptIns:      c.Bool("accept-opt-ins"),
		Prompter:          d.prompter(),
		Out:               d.Stderr,
		HTTPClient:        d.httpClient(),
		OpenBrowser:       func(u string) error { return openBrowser(d.Env, u) },
	})
	if err != nil {
		return err
	}
	if c.Bool("dump-access-token") {
		d.Out.Result("%s", token)
		return nil
	}
	d.Log.AddSecret(token)
	client = deployments.NewClient(deployments.ClientOptions{Host: deployments.ProvisionHost(d.Env), Auth: token,
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}})
	return d.linkAfterLogin(ctx, client, d.prompter(), c.Bool("link-deployments"))
}

func (d *Deps) loginStatus(c *cli.Context) error {
	ctx := c.Context
	r, err := auth.ResolveAuth(auth.AuthOptions{Env: d.Env, Dir: d.Cwd})
	if err != nil {
		return err
	}
	for _, w := range r.Warnings {
		d.Out.Warn("%s", w)
	}
	store, err := auth.NewTokenStore(d.Env)
	if err != nil {
		return err
	}
	api := func(tok string) *deployments.Client {
		return deployments.NewClient(deployments.ClientOptions{Host: deployments.ProvisionHost(d.Env), Auth: tok,
			Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Warn: warnWriter{d.Out}})
	}
	tok, err := store.Token()
	switch {
	case err != nil:
		d.Out.Warn("%v", err)
		d.Out.Message("Status: Not logged in")
	case tok == "":
		d.Out.Message("No Convex account token found in: %s", store.Path)
		d.Out.Message("Status: Not logged in")
	default:
		d.Log.AddSecret(tok)
		d.Out.Message("Convex account token found in: %s", store.Path)
		ok, err := api(tok).Authorized(ctx)
		if err != nil {
			return err
		}
		if !ok {
			d.Out.Message("Status: Not logged in (the server does not accept the token; run `convex login --force`)")
			break
		}
		d.Out.Message("Status: Logged in")
		teams, err := api(tok).Teams(ctx)
		if err != nil {
			return err
		}
		d.Out.Message("Teams: %d team(s) accessible", len(teams))
		for _, t := range teams {
			d.Out.Message("  - %s (%s)", t.Name, t.Slug)
		}
	}
	switch r.Key.Kind {
	case auth.KeyProject, auth.KeyProd, auth.KeyDev:
		d.Log.AddSecret(r.Key.Raw)
		ok, err := api(r.Key.Secret()).Authorized(ctx)
		if err != nil {
			return err
		}
		if ok {
			d.Out.Message("Working Directory: Valid %s in %s", r.KeyVar, r.KeySource)
		} else {
			d.Out.Warn("Working Directory: Invalid %s in %s", r.KeyVar, r.KeySource)
		}
	}
	return nil
}
