package deployments

import (
	"context"

	"github.com/convex-go/convex/ui"
)

// errNoAccess is a literal rather than a ui.Errorf call so that it is laid
// out at build time and costs nothing at start-up.
var errNoAccess = &ui.Error{
	Msg:  "You don't have access to the selected project.",
	Hint: "Run `convex dev` to choose a different project, or log in with an account that belongs to it.",
	Code: ui.ExitError,
}

func errNotConfigured() *ui.Error {
	return ui.Errorf("No Convex deployment is configured here (CONVEX_DEPLOYMENT is not set).").
		WithHint("Run `convex dev` to set up a project, or set CONVEX_DEPLOY_KEY.")
}

// Target fetches the credentials of the selection (spec §2.5) and returns
// the final target.
func (s *Selection) Target(ctx context.Context) (Target, error) {
	t, err := s.target(ctx)
	if err != nil {
		return Target{}, err
	}
	t.ConfiguredName, t.ConfiguredType = s.ConfiguredName, s.ConfiguredType
	t.DeployKeyVar = s.keyVar
	t.Auth, t.AuthKind = s.auth, s.authKind
	if t.Source == "" {
		t.Source = s.source
	}
	return t, nil
}

func (s *Selection) target(ctx context.Context) (Target, error) {
	o := &s.opts
	switch s.Kind {
	case SelectionExisting:
		switch s.ExistingFrom {
		case "cliArgs":
			return Target{Kind: KindURL, URL: s.URL, AdminKey: s.AdminKey, Source: s.source}, nil
		case "selfHosted":
			return Target{Kind: KindSelfHosted, URL: s.URL, AdminKey: s.AdminKey, Source: s.source}, nil
		}
		t := *s.Fields
		t.URL, t.AdminKey, t.Source = s.URL, s.AdminKey, s.source
		return t, nil
	case SelectionChooseProject:
		if o.Command == "dev" || o.Command == "init" {
			return Target{Kind: KindChooseProject, Source: "no configuration"}, nil
		}
		return Target{}, errNotConfigured()
	case SelectionAnonymous:
		if s.AnonymousName == "" {
			if o.Command == "dev" || o.Command == "init" {
				return Target{Kind: KindAnonymous, Source: "no configuration"}, nil
			}
			return Target{}, errNotConfigured()
		}
		lc, err := loadLocalDeployment(o.Dir, o.GlobalDir, "anonymous", s.AnonymousName)
		if err != nil {
			return Target{}, err
		}
		if lc == nil {
			if o.startsLocal() {
				// dev/init (re)create it; they only need the name.
				return Target{Kind: KindAnonymous, Name: s.AnonymousName, Source: s.source}, nil
			}
			return Target{}, errLocalNotFound(s.AnonymousName)
		}
		return Target{Kind: KindAnonymous, Name: s.AnonymousName, URL: lc.URL(), AdminKey: lc.AdminKey, Source: s.source}, nil
	case SelectionPreview:
		if o.Command == "deploy" {
			return s.previewForDeploy(ctx)
		}
		return s.withinProject(ctx, s.Project)
	case SelectionWithinProject:
		return s.withinProject(ctx, s.Project)
	}
	return Target{}, ui.Errorf("unknown deployment selection %q", s.Kind)
}

// previewForDeploy claims the preview deployment a preview deploy key names
// (spec §9.2); a dry run only names it.
func (s *Selection) previewForDeploy(ctx context.Context) (Target, error) {
	o := &s.opts
	name := o.PreviewCreate
	if name == "" {
		name = o.PreviewName
	}
	if name == "" {
		name = GitBranchFromEnvironment(o.Env)
	}
	team, project := s.Project.TeamSlug, s.Project.ProjectSlug
	if team == "" || project == "" {
		return Target{}, ui.Errorf("The preview deploy key in %s is malformed.", keyVarOr(s.keyVar)).
			WithHint("Get a new preview deploy key from the project's settings on the dashboard.")
	}
	if name == "" {
		return Target{}, ui.Errorf("Could not tell which preview deployment to deploy to: no Git branch was found in the CI environment.").
			WithHint("Name it with --preview-name <name>.")
	}
	t := Target{Kind: KindPreview, PreviewName: name, Team: team, Project: project, Source: s.source}
	if o.DryRun {
		return t, nil
	}
	claim, err := s.client.ClaimPreviewDeployment(ctx, team, project, name, o.PreviewCreate == "")
	if err != nil {
		return Target{}, err
	}
	t.Name, t.URL, t.AdminKey, t.IsNewDeployment = claim.DeploymentName, claim.InstanceURL, claim.AdminKey, claim.IsNewDeployment
	if claim.Reference != nil {
		t.Reference = *claim.Reference
	}
	return t, nil
}

// access checks that the credential can see the project (spec §2.5) and
// returns its slugs when known.
func (s *Selection) access(ctx context.Context, p ProjectSelection) (team, project string, err error) {
	switch p.Kind {
	case SelDeploymentName:
		tp, err := s.client.TeamAndProject(ctx, p.DeploymentName)
		if err != nil {
			if c := ErrorCode(err); c == "DeploymentNotFound" || c == "ProjectNotFound" {
				return "", "", errNoAccess
			}
			return "", "", err
		}
		return tp.Team, tp.Project, nil
	case SelSlugs:
		if _, err := s.client.ProjectBySlugs(ctx, p.TeamSlug, p.ProjectSlug); err != nil {
			if c := ErrorCode(err); c == "TeamNotFound" || c == "ProjectNotFound" {
				return "", "", errNoAccess
			}
			return "", "", err
		}
		return p.TeamSlug, p.ProjectSlug, nil
	}
	// Project keys are checked by their first real use.
	return p.TeamSlug, p.ProjectSlug, nil
}

func (s *Selection) withinProject(ctx context.Context, p ProjectSelection) (Target, error) {
	team, project, err := s.access(ctx, p)
	if err != nil {
		return Target{}, err
	}
	t, err := s.credentialsWithin(ctx, p, s.within)
	if err != nil {
		return Target{}, err
	}
	if t.Team == "" {
		t.Team, t.Project = team, project
	}
	if s.within.kind != withinUnspecified && s.within.kind != withinImplicitProd && s.within.kind != withinName {
		t.Source = s.within.flagText()
	} else if s.within.kind == withinName && s.opts.DeploymentName != "" && s.opts.Deployment == "" && s.opts.PreviewName == "" {
		t.Source = s.within.flagText()
	} else if s.within.kind == withinImplicitProd && s.source != "" {
		t.Source = "the project of " + s.source
	}
	return t, nil
}

func fromCredentials(c Credentials, fallbackKind Kind) Target {
	k := Kind(c.DeploymentType)
	if k == "" {
		k = fallbackKind
	}
	t := Target{Kind: k, Name: c.DeploymentName, URL: c.URL, AdminKey: c.AdminKey, IsDefault: c.IsDefault}
	if c.Reference != nil {
		t.Reference = *c.Reference
	}
	return t
}

func (s *Selection) credentialsWithin(ctx context.Context, p ProjectSelection, w within) (Target, error) {
	c := s.client
	switch w.kind {
	case withinUnspecified:
		return s.ownDev(ctx, p)
	case withinProd, withinImplicitProd:
		return s.prod(ctx, p)
	case withinPreviewName:
		if p.Kind == SelProjectKey {
			return Target{}, ui.Errorf("Project deploy keys cannot select preview deployments by name.").
				WithHint("Use a personal login (`convex login`) or the preview deployment's own deploy key.")
		}
		cr, err := c.AuthorizePreview(ctx, w.value, p)
		if err != nil {
			return Target{}, err
		}
		return fromCredentials(cr, KindPreview), nil
	case withinName:
		return s.byName(ctx, w.value, p)
	case withinSelector:
		return s.bySelector(ctx, w.value, p)
	}
	return Target{}, ui.Errorf("unknown selection %q", w.kind)
}

// ownDev is the caller's own dev deployment, provisioned on first use.
func (s *Selection) ownDev(ctx context.Context, p ProjectSelection) (Target, error) {
	c := s.client
	switch p.Kind {
	case SelDeploymentName:
		if p.DeploymentType == "local" {
			return s.local(p.DeploymentName)
		}
		tp, err := c.TeamAndProject(ctx, p.DeploymentName)
		if err != nil {
			return Target{}, err
		}
		cr, err := c.ProvisionAndAuthorize(ctx, tp.Team, tp.Project, "dev")
		if err != nil {
			return Target{}, err
		}
		t := fromCredentials(cr, KindDev)
		t.Team, t.Project = tp.Team, tp.Project
		return t, nil
	case SelProjectKey:
		if s.authKind != "projectKey" || s.auth != p.ProjectDeployKey {
			return Target{}, ui.Errorf("Unexpected error when loading the Convex deployment: the project key is not the credential in use.")
		}
		cr, err := c.ProvisionAndAuthorize(ctx, "", "", "dev")
		if err != nil {
			return Target{}, err
		}
		return fromCredentials(cr, KindDev), nil
	}
	cr, err := c.ProvisionAndAuthorize(ctx, p.TeamSlug, p.ProjectSlug, "dev")
	if err != nil {
		return Target{}, err
	}
	return fromCredentials(cr, KindDev), nil
}

func (s *Selection) prod(ctx context.Context, p ProjectSelection) (Target, error) {
	c := s.client
	if p.Kind == SelDeploymentName {
		cr, err := c.AuthorizeProd(ctx, p.DeploymentName)
		if err != nil {
			return Target{}, err
		}
		return fromCredentials(cr, KindProd), nil
	}
	team, project := p.TeamSlug, p.ProjectSlug
	if p.Kind == SelProjectKey {
		if s.authKind != "projectKey" || s.auth != p.ProjectDeployKey {
			return Target{}, ui.Errorf("Unexpected error when loading the Convex deployment: the project key is not the credential in use.")
		}
		team, project = "", ""
	}
	cr, err := c.ProvisionAndAuthorize(ctx, team, project, "prod")
	if err != nil {
		return Target{}, err
	}
	return fromCredentials(cr, KindProd), nil
}

func (s *Selection) byName(ctx context.Context, name string, p ProjectSelection) (Target, error) {
	if p.Kind == SelProjectKey {
		return Target{}, ui.Errorf("Project deploy keys cannot select deployments by name yet.").
			WithHint("Use --prod, or a personal login (`convex login`).")
	}
	cr, err := s.client.AuthorizeWithinCurrentProject(ctx, name, p)
	if err != nil {
		return Target{}, err
	}
	return fromCredentials(cr, KindDev), nil
}

func (s *Selection) local(name string) (Target, error) {
	lc, err := loadLocalDeployment(s.opts.Dir, s.opts.GlobalDir, "local", name)
	if err != nil {
		return Target{}, err
	}
	if lc == nil {
		if s.opts.startsLocal() {
			// dev/init start it (and write its state) themselves.
			return Target{Kind: KindLocal, Name: name}, nil
		}
		return Target{}, errLocalNotFound(name)
	}
	return Target{Kind: KindLocal, Name: name, URL: lc.URL(), AdminKey: lc.AdminKey}, nil
}

// bySelector resolves a --deployment value within the selected project.
func (s *Selection) bySelector(ctx context.Context, selector string, p ProjectSelection) (Target, error) {
	sel := ParseSelector(selector)
	switch {
	case sel.Name != "":
		return s.byName(ctx, sel.Name, p)
	case sel.Team != "":
		return s.refInProject(ctx, sel.Ref, ProjectSelection{Kind: SelSlugs, TeamSlug: sel.Team, ProjectSlug: sel.Project})
	case sel.Project != "":
		team, _, err := s.access(ctx, p)
		if err != nil {
			return Target{}, err
		}
		if team == "" {
			return Target{}, errNoAccess
		}
		return s.refInProject(ctx, sel.Ref, ProjectSelection{Kind: SelSlugs, TeamSlug: team, ProjectSlug: sel.Project})
	}
	return s.refInProject(ctx, sel.Ref, p)
}

func (s *Selection) refInProject(ctx context.Context, ref string, p ProjectSelection) (Target, error) {
	c := s.client
	switch ref {
	case "local":
		lc, err := LoadProjectLocalConfig(s.opts.Dir)
		if err != nil {
			return Target{}, err
		}
		if lc == nil {
			return Target{}, ui.Errorf("No local deployment found in this project.").
				WithHint("Create one with `convex deployment create local`.")
		}
		return Target{Kind: KindLocal, Name: lc.DeploymentName, URL: lc.URL(), AdminKey: lc.AdminKey}, nil
	case "prod":
		return s.prod(ctx, p)
	}
	team, project, err := s.access(ctx, p)
	if err != nil {
		return Target{}, err
	}
	if team == "" || project == "" {
		return Target{}, errNoAccess
	}
	var d Deployment
	if ref == "dev" {
		d, err = c.DefaultDevDeployment(ctx, team, project)
		if ErrorCode(err) == "DeploymentNotFound" {
			return Target{}, ui.Errorf("You don't have a personal cloud dev deployment in %s:%s.", team, project).
				WithHint("Create one with `convex deployment create --type dev --default`.")
		}
	} else {
		d, err = c.DeploymentByReference(ctx, team, project, ref)
		if ErrorCode(err) == "DeploymentNotFound" {
			return Target{}, ui.Errorf("There is no deployment %q in %s:%s.", ref, team, project).
				WithHint("Create it with `convex deployment create %s:%s:%s --select`.", team, project, ref)
		}
	}
	if err != nil {
		return Target{}, err
	}
	slugs := ProjectSelection{Kind: SelSlugs, TeamSlug: team, ProjectSlug: project}
	if ref != "dev" {
		slugs = p
	}
	t, err := s.byName(ctx, d.Name, slugs)
	if err == nil {
		t.Team, t.Project = team, project
	}
	return t, err
}

// CloudProject finds the cloud project the selection belongs to, for commands
// that act on a project rather than a deployment (deployment create, env
// default). It asks the management API; nothing is provisioned.
func (s *Selection) CloudProject(ctx context.Context) (Project, error) {
	c := s.client
	byName := func(name, typ string) (Project, error) {
		if typ == "local" {
			tp, err := c.TeamAndProject(ctx, name)
			if err != nil {
				if code := ErrorCode(err); code == "DeploymentNotFound" || code == "ProjectNotFound" {
					return Project{}, errNoAccess
				}
				return Project{}, err
			}
			return c.ProjectBySlugs(ctx, tp.Team, tp.Project)
		}
		d, err := c.DeploymentByName(ctx, name)
		if err != nil {
			return Project{}, err
		}
		return c.ProjectByID(ctx, d.ProjectID)
	}
	switch s.Kind {
	case SelectionExisting:
		if s.Fields == nil {
			return Project{}, ui.Errorf("Cannot tell which cloud project this %s deployment belongs to.", map[string]string{"selfHosted": "self-hosted", "cliArgs": "--url"}[s.ExistingFrom]).
				WithHint("Name the project explicitly with team:project:ref.")
		}
		return byName(s.Fields.Name, "")
	case SelectionWithinProject, SelectionPreview:
		switch s.Project.Kind {
		case SelDeploymentName:
			return byName(s.Project.DeploymentName, s.Project.DeploymentType)
		case SelSlugs:
			return c.ProjectBySlugs(ctx, s.Project.TeamSlug, s.Project.ProjectSlug)
		case SelProjectKey:
			tp, err := c.TeamAndProjectForKey(ctx, s.Project.ProjectDeployKey)
			if err != nil {
				return Project{}, err
			}
			return c.ProjectByID(ctx, tp.ProjectID)
		}
	case SelectionChooseProject:
		return Project{}, ui.Errorf("No project is configured here yet.").
			WithHint("Run `convex dev` to set one up, or name it explicitly with team:project:ref.")
	case SelectionAnonymous:
		if s.auth != "" {
			return Project{}, ui.Errorf("The configured deployment %s runs on this machine and is not linked to a cloud project.", s.AnonymousName).
				WithHint("Configure a project with `convex dev --configure`, or name one explicitly with team:project:ref.")
		}
		return Project{}, ui.Errorf("You are developing without an account, so there is no cloud project.").
			WithHint("Run `convex login` and configure a project with `convex dev` first.")
	}
	return Project{}, ui.Errorf("unknown deployment selection %q", s.Kind)
}
