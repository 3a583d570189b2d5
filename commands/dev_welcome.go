package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

// Choices of the fresh-machine question, in the reference's order: the
// default (first) keeps a newcomer offline and account-free.
var welcomeChoices = []string{
	"Start without an account (run Convex locally)",
	"Login or create an account",
}

// welcome is what `convex dev` asks a person at a terminal on a machine with
// nothing configured and no login: start a local deployment without an
// account, or log in and choose a project. Without a terminal, with a login,
// in agent mode or when the project already has a local deployment, nothing
// is asked and t is returned as it is. When CONVEX_DEPLOYMENT already names
// an anonymous deployment, a logged-in user is offered to link it instead.
func (d *Deps) welcome(c *cli.Context, t deployments.Target) (deployments.Target, error) {
	if t.Kind == deployments.KindAnonymous && t.Name != "" {
		return d.offerLinkConfigured(c, t)
	}
	if t.Kind != deployments.KindAnonymous || t.Name != "" || t.Auth != "" ||
		!d.interactive() || d.Env.Get("CONVEX_AGENT_MODE") != "" {
		return t, nil
	}
	if cfg, err := anonymous.LoadConfig(anonymous.ProjectStateDir(d.Cwd)); err != nil || cfg != nil {
		return t, err
	}
	p := d.prompter()
	choice, err := p.Select("Welcome to Convex! Would you like to login to your account?", welcomeChoices)
	if err != nil {
		return t, err
	}
	if choice == 1 {
		return d.ConfigureProject(c, ProjectSetup{Configure: "ask", Team: c.String("team"), Project: c.String("project"), DevDeployment: c.String("dev-deployment")})
	}
	d.Out.Message("`convex dev` will run a Convex backend on this machine and keep it updated with the functions you write in the convex/ folder.")
	d.Out.Message("Use `convex dashboard` to browse your data, `convex docs` for the documentation and `convex help` for the other commands.")
	ok, err := p.Confirm("Continue?", true)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, ui.Errorf("Exiting.").WithHint("Run `convex dev` again when you are ready, or `convex login` to use an account.")
	}
	return t, nil
}

// firstNonEmpty returns the first of vs that is not "".
func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
