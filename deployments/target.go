package deployments

import (
	"fmt"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
)

// Kind is what sort of deployment a Target is.
type Kind string

const (
	KindProd       Kind = "prod"
	KindPreview    Kind = "preview"
	KindDev        Kind = "dev"
	KindCustom     Kind = "custom"
	KindLocal      Kind = "local"
	KindAnonymous  Kind = "anonymous"
	KindSelfHosted Kind = "self-hosted"
	KindURL        Kind = "url"
	// KindChooseProject is only returned to dev/init: nothing is configured
	// and a project must be chosen or created interactively.
	KindChooseProject Kind = "choose-project"
)

// Target is the deployment a command acts on, with what it takes to reach it.
type Target struct {
	Kind Kind
	Name string // deployment name; "" for self-hosted, --url, new anonymous and choose-project
	// URL is the deployment URL; "" when it is not known yet: an anonymous or
	// local deployment dev/init must (re)start, or a dry-run preview.
	URL      string
	AdminKey string
	// Source says what chose this deployment, e.g. "CONVEX_DEPLOY_KEY",
	// "CONVEX_DEPLOYMENT in .env.local", "--prod", "--url and --admin-key".
	Source    string
	Team      string // team slug, when known
	Project   string // project slug, when known
	Reference string // deployment reference (e.g. "production", "dev/james"), when known
	IsDefault bool   // the project's default deployment of its type

	// ConfiguredType is the type CONVEX_DEPLOYMENT's prefix gives ("" when
	// none), for naming the configured deployment.
	ConfiguredType string
	// ConfiguredName is the deployment named by CONVEX_DEPLOYMENT (deploy
	// uses it to warn when pushing somewhere else).
	ConfiguredName string
	// PreviewName is the preview identifier (deploy with a preview deploy key).
	PreviewName string
	// IsNewDeployment is set when claiming a preview deployment created it.
	IsNewDeployment bool
	// DeployKeyVar names the env var holding a deploy key in effect ("" if none).
	DeployKeyVar string
	// Auth is the management-API credential selection used ("" = none).
	Auth string
	// AuthKind is how Auth was obtained: "accessToken", "projectKey",
	// "deploymentKey", "previewDeployKey" or "".
	AuthKind string
}

// Describe is the one-line "where it goes" text commands print before they
// change a deployment, e.g. "prod deployment happy-animal-123 (from CONVEX_DEPLOY_KEY)".
func (t Target) Describe() string {
	var what string
	switch t.Kind {
	case KindSelfHosted:
		what = "self-hosted deployment at " + t.URL
	case KindURL:
		what = "deployment at " + t.URL
	case KindChooseProject:
		what = "a project still to be chosen"
	case KindAnonymous:
		// With a login it still belongs to no cloud project.
		switch {
		case t.Name == "" && t.Auth != "":
			what = "a new local deployment not linked to a cloud project"
		case t.Name == "":
			what = "a new local deployment without an account"
		case t.Auth != "":
			what = "local deployment " + t.Name + " (not linked to a cloud project)"
		default:
			what = "local deployment " + t.Name + " (no account)"
		}
	case KindPreview:
		switch {
		case t.Name != "":
			what = "preview deployment " + t.Name
		case t.PreviewName != "":
			what = fmt.Sprintf("preview deployment for %q", t.PreviewName)
		default:
			what = "a preview deployment"
		}
	default:
		what = string(t.Kind) + " deployment " + t.Name
	}
	if t.Team != "" && t.Project != "" && t.Kind != KindAnonymous {
		what += " in " + t.Team + ":" + t.Project
	}
	if t.Source != "" {
		what += " (from " + t.Source + ")"
	}
	return what
}

// Cloud reports whether the target is a deployment in Convex's cloud.
func (t Target) Cloud() bool {
	switch t.Kind {
	case KindProd, KindPreview, KindDev, KindCustom:
		return true
	}
	return false
}

var deploymentNameRe = lazy.Regexp(`^[a-z]+-[a-z]+-[0-9]+$`)

// IsDeploymentName reports whether s looks like a generated deployment name
// ("word-word-123"), which the selector grammar treats as a name.
func IsDeploymentName(s string) bool { return deploymentNameRe.Get().MatchString(s) }

// Selector is a parsed --deployment value (spec §2.6).
type Selector struct {
	// Name is set when the selector is a bare deployment name.
	Name string
	// Team and Project are set for team:project:X; only Project for project:X.
	Team, Project string
	// Ref is "dev", "prod", "local" or a deployment reference, when Name is "".
	Ref string
}

// ParseSelector parses the --deployment grammar.
func ParseSelector(s string) Selector {
	if IsDeploymentName(s) {
		return Selector{Name: s}
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 3:
		return Selector{Team: parts[0], Project: parts[1], Ref: parts[2]}
	case 2:
		return Selector{Project: parts[0], Ref: parts[1]}
	}
	return Selector{Ref: s}
}

// FullyQualified reports team:project:X or a bare deployment name.
func (s Selector) FullyQualified() bool { return s.Name != "" || s.Team != "" }
