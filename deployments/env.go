// Package deployments decides which Convex deployment a command acts on and
// talks to Convex's management API ("big brain") and to deployments.
//
// Select turns flags, environment variables, env files, deploy keys and the
// user's login into one Target. Client is the management-API client; the
// DeploymentClient is the minimal admin-API client used to reach a Target.
package deployments

import (
	"net/url"
	"strings"

	"github.com/convex-go/convex/config"
)

// Env is read-only access to environment variables. config.Env and
// config.MapEnv satisfy it; library code never calls os.Getenv directly.
type Env interface{ Get(name string) string }

// MapEnv is an Env backed by a map, for tests and for env files.
type MapEnv map[string]string

// Get returns the value of name, or "" when unset.
func (m MapEnv) Get(name string) string { return m[name] }

// Environ lists the variables as NAME=value lines, like os.Environ.
func (m MapEnv) Environ() []string { return config.MapEnv(m).Environ() }

// Names of the environment variables that select a deployment (spec §2.1, §13).
const (
	EnvDeployKey           = "CONVEX_DEPLOY_KEY"
	EnvDeploymentToken     = "CONVEX_DEPLOYMENT_TOKEN"
	EnvDeployment          = "CONVEX_DEPLOYMENT"
	EnvSelfHostedURL       = "CONVEX_SELF_HOSTED_URL"
	EnvSelfHostedAdminKey  = "CONVEX_SELF_HOSTED_ADMIN_KEY"
	EnvOverrideAccessToken = "CONVEX_OVERRIDE_ACCESS_TOKEN"
	EnvProvisionHost       = "CONVEX_PROVISION_HOST"
	EnvVersionOverride     = "CONVEX_VERSION_OVERRIDE"
	EnvAllowAnonymous      = "CONVEX_ALLOW_ANONYMOUS"
	EnvAgentMode           = "CONVEX_AGENT_MODE"
	// EnvIgnoreSuspiciousEnvVars (any value) turns the refusal of a split
	// deploy key's leftover variable into a warning.
	EnvIgnoreSuspiciousEnvVars = "CONVEX_IGNORE_SUSPICIOUS_ENV_VARS"
)

// Version is the reference CLI version this program is compatible with; it
// is what the Convex-Client header announces.
const Version = "1.48.0"

// ProductionProvisionHost is Convex's management API.
const ProductionProvisionHost = "https://api.convex.dev"

// ProvisionHost is the management API host: CONVEX_PROVISION_HOST or Convex's.
func ProvisionHost(env Env) string {
	if h := env.Get(EnvProvisionHost); h != "" {
		return strings.TrimRight(h, "/")
	}
	return ProductionProvisionHost
}

// ClientVersion is the version the CLI announces (CONVEX_VERSION_OVERRIDE wins).
func ClientVersion(env Env) string {
	if v := env.Get(EnvVersionOverride); v != "" {
		return v
	}
	return Version
}

// DashboardHost is where the web dashboard lives. Any custom provision host
// means a development setup whose dashboard runs on localhost:6789.
func DashboardHost(env Env) string {
	if env.Get(EnvProvisionHost) != "" {
		return "http://localhost:6789"
	}
	return "https://dashboard.convex.dev"
}

// DashboardURL is the dashboard page of a deployment: the team/project form
// when the slugs are known, else the /d/<name> short form.
func DashboardURL(env Env, team, project, name string) string {
	host := DashboardHost(env)
	if team != "" && project != "" && name != "" {
		return host + "/t/" + url.PathEscape(team) + "/" + url.PathEscape(project) + "/" + url.PathEscape(name)
	}
	if name != "" {
		return host + "/d/" + url.PathEscape(name)
	}
	return host
}

// ProjectDashboardURL is the dashboard page of a project.
func ProjectDashboardURL(env Env, team, project string) string {
	return DashboardHost(env) + "/t/" + url.PathEscape(team) + "/" + url.PathEscape(project)
}

// BuildEnvironment names the hosting build system the process runs in
// (Vercel, Netlify, Cloudflare), or "" outside of one.
func BuildEnvironment(env Env) string {
	switch {
	case env.Get("VERCEL") != "":
		return "Vercel"
	case env.Get("NETLIFY") != "":
		return "Netlify"
	case env.Get("CF_PAGES") != "" || env.Get("WORKERS_CI") != "":
		return "Cloudflare"
	}
	return ""
}

// IsNonProdBuildEnvironment reports a preview/branch build on a hosting
// provider, where a production deploy key is most likely a mistake.
func IsNonProdBuildEnvironment(env Env) bool {
	switch {
	case env.Get("VERCEL") != "":
		return env.Get("VERCEL_ENV") != "production"
	case env.Get("NETLIFY") != "":
		return env.Get("CONTEXT") != "production"
	case env.Get("CF_PAGES") != "" || env.Get("WORKERS_CI") != "":
		branch := env.Get("CF_PAGES_BRANCH")
		if branch == "" {
			branch = env.Get("WORKERS_CI_BRANCH")
		}
		return branch != "main"
	}
	return false
}

// GitBranchFromEnvironment is the branch a CI build is for, used to name
// preview deployments (spec §9.2); "" when unknown.
func GitBranchFromEnvironment(env Env) string {
	switch {
	case env.Get("VERCEL") != "":
		return env.Get("VERCEL_GIT_COMMIT_REF")
	case env.Get("NETLIFY") != "":
		return env.Get("HEAD")
	case env.Get("CF_PAGES") != "" || env.Get("WORKERS_CI") != "":
		if b := env.Get("CF_PAGES_BRANCH"); b != "" {
			return b
		}
		return env.Get("WORKERS_CI_BRANCH")
	case env.Get("CI") != "":
		if b := env.Get("GITHUB_HEAD_REF"); b != "" {
			return b
		}
		return env.Get("CI_COMMIT_REF_NAME")
	}
	return ""
}
