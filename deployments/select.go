package deployments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Options are everything that can choose a deployment: the command's flags,
// the environment and the user's login.
type Options struct {
	// Command is the command name ("dev", "deploy", "env", "run", "codegen",
	// "deployment select", …). It decides the default target and refusals.
	Command string

	// Selection flags (spec §1.2). Precedence: Deployment > PreviewName >
	// DeploymentName > Prod > the command's default.
	Prod           bool
	PreviewName    string
	DeploymentName string
	Deployment     string
	URL, AdminKey  string // both set: talk to exactly this deployment
	EnvFile        string // --env-file: read selection variables only from this file

	// deploy only.
	PreviewCreate             string // --preview-create: recreate the preview deployment
	DryRun                    bool   // no preview claim
	SkipBuildEnvironmentCheck bool   // --check-build-environment disable

	// Dir is the project directory (env files, local deployment state).
	Dir string
	// Env is the process environment.
	Env Env
	// AccessToken is the personal access token from the global config file
	// (the caller reads it); CONVEX_OVERRIDE_ACCESS_TOKEN in Env beats it.
	AccessToken string
	// Interactive is true when stdin is a terminal.
	Interactive bool
	// GlobalDir overrides ~/.convex (legacy local deployment state).
	GlobalDir string

	// Warn receives warnings (ignored flags, server deprecation notices).
	Warn io.Writer
	// Verbose, when set, logs every management-API request.
	Verbose io.Writer
	// HTTPClient and RetryDelay are passed to the management-API client.
	HTTPClient *http.Client
	RetryDelay func(attempt int) time.Duration
}

// Within-project selections (which deployment of the chosen project).
const (
	withinUnspecified  = "unspecified"
	withinImplicitProd = "implicitProd"
	withinProd         = "prod"
	withinPreviewName  = "previewName"
	withinName         = "deploymentName"
	withinSelector     = "deploymentSelector"
)

type within struct{ kind, value string }

// Selection kinds (spec §2.4).
const (
	SelectionExisting      = "existingDeployment"
	SelectionWithinProject = "deploymentWithinProject"
	SelectionPreview       = "preview"
	SelectionChooseProject = "chooseProject"
	SelectionAnonymous     = "anonymous"
)

// Selection is the intermediate result of the selection algorithm: what the
// flags and environment point at, before any credential is fetched. Commands
// that only need the project (deployment create, env default) stop here.
type Selection struct {
	Kind string

	// existingDeployment
	URL, AdminKey string
	ExistingFrom  string // "cliArgs", "selfHosted" or "deployKey"
	Fields        *Target

	// deploymentWithinProject (and the project part of preview)
	Project ProjectSelection

	// preview
	PreviewKey string

	// anonymous
	AnonymousName string

	// ConfiguredName is the deployment CONVEX_DEPLOYMENT names, if any, and
	// ConfiguredType the type its prefix gives ("dev", "prod", "preview",
	// "local"; "" for none or another prefix).
	ConfiguredName, ConfiguredType string

	within   within
	source   string
	keyVar   string
	auth     string
	authKind string
	opts     Options
	client   *Client
}

// Client is the management-API client authenticated the way the selection decided.
func (s *Selection) Client() *Client { return s.client }

// AuthKind is how the management API is authenticated: "accessToken",
// "projectKey", "deploymentKey", "previewDeployKey" or "" (none).
func (s *Selection) AuthKind() string { return s.authKind }

// DeployKeyVar names the variable holding the deploy key in effect, or "".
func (s *Selection) DeployKeyVar() string { return s.keyVar }

// Source says what chose this selection.
func (s *Selection) Source() string { return s.source }

// Select runs the whole selection algorithm and returns the target with its
// credentials. dev/init get KindChooseProject and nameless KindAnonymous
// targets instead of errors, because they set those up themselves.
func Select(ctx context.Context, o Options) (Target, error) {
	s, err := Resolve(ctx, o)
	if err != nil {
		return Target{}, err
	}
	return s.Target(ctx)
}

// lookup reads variables the way the reference CLI sees them: the real
// environment first, then .env.local, then .env (empty counts as unset).
type lookup struct {
	env     Env
	files   []envFile
	envOnly bool // --env-file: only the file counts
}

type envFile struct {
	name string
	vars map[string]string
}

func (l lookup) get(name string) (value, origin string) {
	if !l.envOnly {
		// A variable set in the real environment, even to "", hides the env
		// files (dotenv never overrides); empty then reads as unset.
		if le, ok := l.env.(config.LookupEnv); ok {
			if v, set := le.Lookup(name); set {
				return v, ""
			}
		} else if v := l.env.Get(name); v != "" {
			return v, ""
		}
	}
	for _, f := range l.files {
		if v := f.vars[name]; v != "" {
			return v, f.name
		}
	}
	return "", ""
}

func readDotenv(path string) (map[string]string, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, ui.Wrap(err, "Could not read %s", path)
	}
	return config.ParseDotenv(b), true, nil
}

func (o *Options) lookup() (lookup, error) {
	if o.EnvFile != "" {
		path := o.EnvFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(o.Dir, path)
		}
		m, ok, err := readDotenv(path)
		if err != nil {
			return lookup{}, err
		}
		if !ok {
			return lookup{}, ui.Errorf("env file does not exist: %s", o.EnvFile).
				WithHint("Check the path given to --env-file.")
		}
		return lookup{env: o.Env, files: []envFile{{name: o.EnvFile, vars: m}}, envOnly: true}, nil
	}
	l := lookup{env: o.Env}
	for _, name := range []string{".env.local", ".env"} {
		m, ok, err := readDotenv(filepath.Join(o.Dir, name))
		if err != nil {
			return lookup{}, err
		}
		if ok {
			l.files = append(l.files, envFile{name: name, vars: m})
		}
	}
	return l, nil
}

func origin(varName, file string) string {
	if file == "" {
		return varName
	}
	return varName + " in " + file
}

func (o *Options) implicitProd() bool { return o.Command == "deploy" }

// startsLocal reports commands that start local deployments themselves, so
// a missing local state is not an error for them.
func (o *Options) startsLocal() bool { return o.Command == "dev" || o.Command == "init" }

func (o *Options) withinFromFlags() within {
	switch {
	case o.Deployment != "":
		return within{withinSelector, o.Deployment}
	case o.PreviewName != "":
		return within{withinPreviewName, o.PreviewName}
	case o.DeploymentName != "":
		return within{withinName, o.DeploymentName}
	case o.Prod:
		return within{withinProd, ""}
	case o.implicitProd():
		return within{withinImplicitProd, ""}
	}
	return within{withinUnspecified, ""}
}

func (w within) flagText() string {
	switch w.kind {
	case withinSelector:
		return "--deployment " + w.value
	case withinPreviewName:
		return "--preview-name " + w.value
	case withinName:
		return "--deployment-name " + w.value
	case withinProd:
		return "--prod"
	}
	return ""
}

func (o *Options) warnf(format string, args ...any) {
	if o.Warn != nil {
		fmt.Fprintf(o.Warn, "⚠ "+format+"\n", args...)
	}
}

func (o *Options) client(auth, keyVar string) *Client {
	return NewClient(ClientOptions{
		Host: ProvisionHost(o.Env), Auth: auth, Version: ClientVersion(o.Env),
		Verbose: o.Verbose, Warn: o.Warn, HTTPClient: o.HTTPClient, RetryDelay: o.RetryDelay,
		DeployKeyVar: keyVar,
	})
}

func (o *Options) allowAnonymous() bool { return o.Env.Get(EnvAllowAnonymous) != "false" }

// bigBrainAuth picks the management-API credential when no deploy key is in
// play (--url with --admin-key): the override token, else the user's login.
func (o *Options) bigBrainAuth() (token, kind string) {
	return credential(auth.DeployKey{}, "", o.Env.Get(EnvOverrideAccessToken), o.AccessToken)
}

// suspiciousEnv refuses to run (or only warns, with
// CONVEX_IGNORE_SUSPICIOUS_ENV_VARS) when the environment holds the
// leftover of a deploy key an unquoted '|' split in two, as the reference
// does before it computes the management-API credential.
func (o *Options) suspiciousEnv() error {
	warnings, err := auth.CheckSuspiciousEnv(config.Environ(o.Env), o.Env.Get(EnvIgnoreSuspiciousEnvVars) != "")
	for _, w := range warnings {
		o.warnf("%s", w)
	}
	return err
}

// Resolve runs the selection algorithm of spec §2.4 without fetching
// credentials (except for deploy keys, whose URL must be asked for).
func Resolve(ctx context.Context, o Options) (*Selection, error) {
	if o.Env == nil {
		o.Env = MapEnv{}
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.GlobalDir == "" {
		o.GlobalDir = GlobalDir(o.Env)
	}
	w := o.withinFromFlags()

	if err := o.suspiciousEnv(); err != nil {
		return nil, err
	}

	// 1. --url with --admin-key: nothing else is consulted.
	if o.URL != "" && o.AdminKey != "" {
		token, kind := o.bigBrainAuth()
		s := &Selection{Kind: SelectionExisting, URL: o.URL, AdminKey: o.AdminKey, ExistingFrom: "cliArgs",
			within: w, source: "--url and --admin-key", auth: token, authKind: kind, opts: o}
		s.client = o.client(token, "")
		if err := s.validateExisting(); err != nil {
			return nil, err
		}
		return s, s.refuse()
	}

	look, err := o.lookup()
	if err != nil {
		return nil, err
	}
	key, keyVar, keyOrigin, token, authKind, err := o.credential(look)
	if err != nil {
		return nil, err
	}
	client := o.client(token, keyVar)
	base := &Selection{within: w, keyVar: keyVar, auth: token, authKind: authKind, opts: o, client: client}
	if cd, _ := look.get(EnvDeployment); cd != "" {
		base.ConfiguredName, base.ConfiguredType = stripTypePrefix(cd), configuredType(cd)
	}

	// 2. Fully qualified --deployment needs no project context.
	var sel Selector
	if o.Deployment != "" {
		sel = ParseSelector(o.Deployment)
		switch {
		case sel.Team != "" && sel.Ref != "local":
			s := *base
			s.Kind, s.source = SelectionWithinProject, "--deployment "+o.Deployment
			s.Project = ProjectSelection{Kind: SelSlugs, TeamSlug: sel.Team, ProjectSlug: sel.Project}
			return &s, s.refuse()
		case sel.Name != "":
			s := *base
			s.Kind, s.source = SelectionWithinProject, "--deployment "+o.Deployment
			s.Project = ProjectSelection{Kind: SelDeploymentName, DeploymentName: sel.Name}
			return &s, s.refuse()
		case sel.Team != "": // team:project:local
			s, err := base.resolveLocal(ctx, sel, nil)
			if err != nil {
				return nil, err
			}
			return s, s.refuse()
		}
	}

	// 3. The base selection from the environment.
	s, err := base.fromEnv(ctx, look, key, keyOrigin)
	if err != nil {
		return nil, err
	}

	// 4. local / project:local selectors use the base selection as context.
	if o.Deployment != "" && sel.Name == "" && sel.Team == "" && sel.Ref == "local" {
		s, err = base.resolveLocal(ctx, sel, s)
		if err != nil {
			return nil, err
		}
	}

	// 5. Flags that cannot apply to a fixed deployment.
	if s.Kind == SelectionExisting {
		if err := s.validateExisting(); err != nil {
			return nil, err
		}
	}
	return s, s.refuse()
}

func stripTypePrefix(v string) string { return v[strings.LastIndexByte(v, ':')+1:] }

func configuredType(v string) string {
	t, _, _ := strings.Cut(v, ":")
	switch t {
	case "prod", "dev", "preview", "local":
		if strings.Contains(v, ":") {
			return t
		}
	}
	return ""
}

func (base *Selection) fromEnv(ctx context.Context, look lookup, key auth.DeployKey, keyOrigin string) (*Selection, error) {
	o := &base.opts
	s := *base
	if key.Kind != auth.KeyNone {
		s.source = keyOrigin
		switch key.Kind {
		case auth.KeyPreview:
			s.Kind, s.PreviewKey = SelectionPreview, key.Raw
			s.Project = ProjectSelection{Kind: SelSlugs, TeamSlug: key.Team, ProjectSlug: key.Project}
			return &s, nil
		case auth.KeyProject:
			s.Kind = SelectionWithinProject
			s.Project = ProjectSelection{Kind: SelProjectKey, ProjectDeployKey: key.Raw, TeamSlug: key.Team, ProjectSlug: key.Project}
			return &s, nil
		case auth.KeyLegacy:
			return nil, ui.Errorf("%s holds a key in an old format that names no deployment.", s.keyVar).
				WithHint("Set %s to a new key from the deployment's settings on the Convex dashboard.", s.keyVar)
		}
		// dev/prod keys, a concrete deployment's key, admin keys.
		url, err := base.client.URLForKey(ctx, key.Raw)
		if err != nil {
			return nil, err
		}
		tp, err := base.client.TeamAndProjectForKey(ctx, key.Raw)
		if err != nil {
			return nil, err
		}
		s.Kind, s.URL, s.AdminKey, s.ExistingFrom = SelectionExisting, url, key.Raw, "deployKey"
		s.Fields = &Target{Kind: Kind(key.DeploymentType()), Name: key.DeploymentName, Team: tp.Team, Project: tp.Project, IsDefault: tp.IsDefault}
		if tp.Reference != nil {
			s.Fields.Reference = *tp.Reference
		}
		return &s, nil
	}

	cd, cdFile := look.get(EnvDeployment)
	shURL, shFile := look.get(EnvSelfHostedURL)
	shKey, _ := look.get(EnvSelfHostedAdminKey)
	if shURL != "" && shKey != "" {
		if cd != "" {
			return nil, ui.Errorf("CONVEX_DEPLOYMENT must not be set when CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY are set").
				WithHint("Remove CONVEX_DEPLOYMENT%s to use the self-hosted deployment, or the two self-hosted variables to use Convex's cloud.", inFile(cdFile))
		}
		s.Kind, s.URL, s.AdminKey, s.ExistingFrom = SelectionExisting, shURL, shKey, "selfHosted"
		s.source = origin(EnvSelfHostedURL, shFile)
		return &s, nil
	}
	if base.within.kind == withinName {
		s.Kind, s.source = SelectionWithinProject, base.within.flagText()
		s.Project = ProjectSelection{Kind: SelDeploymentName, DeploymentName: base.within.value}
		return &s, nil
	}
	if cd != "" {
		if shURL != "" || shKey != "" {
			return nil, ui.Errorf("CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY must not be set when CONVEX_DEPLOYMENT is set").
				WithHint("Keep either CONVEX_DEPLOYMENT (Convex's cloud or a local deployment) or both self-hosted variables, not a mix.")
		}
		name, typ := stripTypePrefix(cd), configuredType(cd)
		s.source = origin(EnvDeployment, cdFile)
		if strings.HasPrefix(name, "anonymous-") {
			if o.allowAnonymous() {
				s.Kind, s.AnonymousName = SelectionAnonymous, name
				return &s, nil
			}
			return base.unknown(look)
		}
		s.Kind = SelectionWithinProject
		s.Project = ProjectSelection{Kind: SelDeploymentName, DeploymentName: name, DeploymentType: typ}
		if s.within.kind == withinUnspecified && typ != "local" {
			s.within = within{withinName, name}
		}
		return &s, nil
	}
	// Nothing configured. In a hosting provider's build that is a mistake:
	// deploying from there needs a deploy key or a self-hosted pair (both of
	// which were checked above, so a self-hosted build never lands here).
	if envName := BuildEnvironment(o.Env); envName != "" {
		return nil, ui.Errorf("This is a %s build, but no Convex deployment is configured for it.", envName).
			WithHint("Set CONVEX_DEPLOY_KEY (Convex Cloud) or both CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY (self-hosted) in the %s project's environment variables.\nSee https://docs.convex.dev/production/hosting or https://docs.convex.dev/self-hosting", envName)
	}
	return base.unknown(look)
}

func inFile(f string) string {
	if f == "" {
		return " from the environment"
	}
	return " from " + f
}

// unknown is the fallback when the environment names no deployment.
func (base *Selection) unknown(look lookup) (*Selection, error) {
	o := &base.opts
	if o.EnvFile != "" {
		return nil, ui.Errorf("The env file %s names no Convex deployment.", o.EnvFile).
			WithHint("It needs CONVEX_DEPLOY_KEY, CONVEX_DEPLOYMENT, or both CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY.")
	}
	s := *base
	if (base.auth == "" || o.Env.Get(EnvAgentMode) == "anonymous" || !o.Interactive) && !o.implicitProd() && o.allowAnonymous() {
		s.Kind = SelectionAnonymous
		return &s, nil
	}
	s.Kind = SelectionChooseProject
	return &s, nil
}

// validateExisting checks selection flags against a fixed deployment (step 5).
func (s *Selection) validateExisting() error {
	switch s.within.kind {
	case withinUnspecified, withinImplicitProd:
		return nil
	case withinSelector:
		switch s.ExistingFrom {
		case "selfHosted":
			return ui.Usage("--deployment cannot be used with a self-hosted deployment.").
				WithHint("CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY already pick the deployment; drop --deployment.")
		case "deployKey":
			return ui.Usage("--deployment cannot be used with %s.", keyVarOr(s.keyVar)).
				WithHint("The deploy key already picks the deployment; drop --deployment or unset the key.")
		default:
			return ui.Usage("--deployment cannot be used with --url and --admin-key.")
		}
	}
	switch s.ExistingFrom {
	case "selfHosted":
		return ui.Usage("--prod, --preview-name and --deployment-name cannot be used with a self-hosted deployment.").
			WithHint("CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY already pick the deployment.")
	case "deployKey":
		s.opts.warnf("Ignoring %s: the deployment comes from %s.", s.within.flagText(), keyVarOr(s.keyVar))
	case "cliArgs":
		s.opts.warnf("Ignoring %s: this command was given --url and --admin-key.", s.within.flagText())
	}
	return nil
}

func keyVarOr(v string) string {
	if v == "" {
		return EnvDeployKey
	}
	return v
}

// refuse applies the per-command refusals of spec §2.7 and §9.1 that depend
// only on the selection.
func (s *Selection) refuse() error {
	o := &s.opts
	switch o.Command {
	case "dev", "init":
		if s.Kind == SelectionPreview {
			return ui.Errorf("A preview deploy key (%s) cannot be used with `convex %s`.", keyVarOr(s.keyVar), o.Command).
				WithHint("Use `convex deploy` to deploy to preview deployments.")
		}
	case "codegen":
		if s.Kind == SelectionPreview {
			return ui.Errorf("Codegen needs an existing deployment, so it does not work with a preview deploy key in %s.", keyVarOr(s.keyVar)).
				WithHint("Generate code during development and commit convex/_generated to the repository instead:\nhttps://docs.convex.dev/understanding/best-practices/other-recommendations#check-generated-code-into-version-control")
		}
	case "deploy":
		if !o.SkipBuildEnvironmentCheck && s.Kind == SelectionExisting && s.ExistingFrom == "deployKey" &&
			s.Fields != nil && s.Fields.Kind == KindProd && IsNonProdBuildEnvironment(o.Env) {
			return ui.Errorf("This looks like a preview or branch build, but %s holds a key for the production deployment %s.", keyVarOr(s.keyVar), s.Fields.Name).
				WithHint("That is probably unintended: give non-production builds a preview deploy key instead, or pass --check-build-environment disable if you really mean it.")
		}
		if s.Kind == SelectionAnonymous && s.auth != "" {
			return ui.Errorf("The configured deployment %s runs on this machine and belongs to no cloud project, so there is nothing in the cloud to deploy to.", s.AnonymousName).
				WithHint("Configure a project with `convex dev --configure` first. See https://docs.convex.dev/production for how production hosting works.")
		}
		if s.Kind == SelectionAnonymous {
			return ui.Errorf("You are developing without an account, against a deployment on this machine, so there is nothing in the cloud to deploy to.").
				WithHint("Log in with `convex login` to deploy to Convex's cloud. See https://docs.convex.dev/production for how production hosting works.")
		}
		if s.Kind != SelectionPreview && o.PreviewCreate != "" {
			where := "on the dashboard"
			if name := s.deploymentName(); name != "" {
				where = "at " + DashboardHost(o.Env) + "/dp/" + name + "/settings#preview-deploy-keys"
			}
			return ui.Errorf("--preview-create only works with a preview deploy key.").
				WithHint("Create a preview deploy key %s and put it in CONVEX_DEPLOY_KEY.", where)
		}
	}
	return nil
}

// deploymentName is the deployment the selection names directly, if any.
func (s *Selection) deploymentName() string {
	switch {
	case s.Kind == SelectionExisting && s.Fields != nil:
		return s.Fields.Name
	case s.Kind == SelectionWithinProject && s.Project.Kind == SelDeploymentName:
		return s.Project.DeploymentName
	}
	return ""
}

// resolveLocal handles the [team:[project:]]local selectors (step 6).
func (base *Selection) resolveLocal(ctx context.Context, sel Selector, current *Selection) (*Selection, error) {
	o := &base.opts
	lc, err := LoadProjectLocalConfig(o.Dir)
	if err != nil {
		return nil, err
	}
	if lc == nil {
		return nil, ui.Errorf("No local deployment found in this project.").
			WithHint("Create one with `convex deployment create local`.")
	}
	if lc.CloudProjectID != nil {
		team, project, id, known, err := base.localSelectorProject(ctx, sel, current)
		if err != nil {
			return nil, err
		}
		if known && id != *lc.CloudProjectID {
			return nil, ui.Errorf("The local deployment in this directory belongs to a different project than %s:%s.", team, project).
				WithHint("To move the local deployment to that project, run `convex deployment select %s:%s:local`.", team, project)
		}
	}
	s := *base
	s.Kind, s.source = SelectionWithinProject, "--deployment "+o.Deployment
	s.Project = ProjectSelection{Kind: SelDeploymentName, DeploymentName: lc.DeploymentName, DeploymentType: "local"}
	return &s, nil
}

// localSelectorProject finds the cloud project a local selector refers to.
func (base *Selection) localSelectorProject(ctx context.Context, sel Selector, current *Selection) (team, project string, id int64, known bool, err error) {
	c := base.client
	switch {
	case sel.Team != "":
		team, project = sel.Team, sel.Project
	default:
		if current == nil {
			return "", "", 0, false, nil
		}
		switch {
		case current.Kind == SelectionWithinProject && current.Project.Kind == SelDeploymentName:
			tp, err := c.TeamAndProject(ctx, current.Project.DeploymentName)
			if err != nil {
				return "", "", 0, false, err
			}
			team, project = tp.Team, tp.Project
		case current.Project.Kind == SelSlugs || current.Kind == SelectionPreview:
			team, project = current.Project.TeamSlug, current.Project.ProjectSlug
		case current.Kind == SelectionExisting && current.Fields != nil:
			team, project = current.Fields.Team, current.Fields.Project
		default:
			return "", "", 0, false, nil
		}
		if sel.Project != "" {
			project = sel.Project
		}
	}
	if team == "" || project == "" {
		return "", "", 0, false, nil
	}
	p, err := c.ProjectBySlugs(ctx, team, project)
	if err != nil {
		return "", "", 0, false, err
	}
	return team, project, p.ID, true, nil
}

// Auth is the management-API credential in effect (spec §2.3).
type Auth struct {
	// Token is sent as "Bearer <Token>"; "" means none.
	Token string
	// Kind is "accessToken", "projectKey", "deploymentKey",
	// "previewDeployKey" or "" (none).
	Kind string
	// KeyVar names the variable holding the deploy key in effect ("" if none).
	KeyVar string
}

// ManagementAuth computes the management-API credential for o without
// selecting a deployment: --url with --admin-key ignores deploy keys,
// --env-file is the only place a key is read from when given, else the
// environment and .env.local/.env are.
func ManagementAuth(o Options) (Auth, error) {
	if o.Env == nil {
		o.Env = MapEnv{}
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	if err := o.suspiciousEnv(); err != nil {
		return Auth{}, err
	}
	if o.URL != "" && o.AdminKey != "" {
		t, k := o.bigBrainAuth()
		return Auth{Token: t, Kind: k}, nil
	}
	look, err := o.lookup()
	if err != nil {
		return Auth{}, err
	}
	_, keyVar, _, t, k, err := o.credential(look)
	if err != nil {
		return Auth{}, err
	}
	return Auth{Token: t, Kind: k, KeyVar: keyVar}, nil
}

// credential reads the deploy key the selection variables hold and picks
// the management-API credential: the override token (from the real
// environment, or also .env.local/.env unless --env-file is given), a
// project or dev/prod key, the user's login, a preview key.
func (o *Options) credential(look lookup) (key auth.DeployKey, keyVar, keyOrigin, token, kind string, err error) {
	key, keyVar, err = deployKeyFrom(func(n string) string { v, _ := look.get(n); return v })
	if err != nil {
		return auth.DeployKey{}, "", "", "", "", err
	}
	if keyVar != "" {
		_, f := look.get(keyVar)
		keyOrigin = origin(keyVar, f)
	}
	override, _ := look.get(EnvOverrideAccessToken)
	if look.envOnly {
		override = o.Env.Get(EnvOverrideAccessToken)
	}
	token, kind = credential(key, keyOrigin, override, o.AccessToken)
	return key, keyVar, keyOrigin, token, kind, nil
}

// ManagementClient is a management-API client authenticated as
// ManagementAuth decides.
func ManagementClient(o Options) (*Client, Auth, error) {
	if o.Env == nil {
		o.Env = MapEnv{}
	}
	a, err := ManagementAuth(o)
	if err != nil {
		return nil, Auth{}, err
	}
	return o.client(a.Token, a.KeyVar), a, nil
}
