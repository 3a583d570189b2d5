package deployments

import (
	"regexp"
	"strings"

	"github.com/convex-go/convex/ui"
)

// KeyKind classifies a deploy key purely by its text (spec §2.2).
type KeyKind string

const (
	// KeyPreview is "preview:<team>:<project>|…": creates preview deployments.
	KeyPreview KeyKind = "preview"
	// KeyProject is "project:<team>:<project>|…": any deployment of a project.
	KeyProject KeyKind = "project"
	// KeyDeployment is "dev:<name>|…" or "prod:<name>|…": one deployment, and
	// also a management-API credential.
	KeyDeployment KeyKind = "deployment"
	// KeyOther is any other "<prefix>|<secret>" (a concrete preview
	// deployment's key, local/anonymous admin keys, custom types): one
	// deployment, but not a management-API credential.
	KeyOther KeyKind = "other"
	// KeyLegacy has no "|" and names no deployment.
	KeyLegacy KeyKind = "legacy"
)

var (
	projectKeyRe    = regexp.MustCompile(`^project:.*\|`)
	deploymentKeyRe = regexp.MustCompile(`^(dev|prod):.*\|`)
	missingKeyRe    = regexp.MustCompile(`^<missing_deploy_key:(.+)>$`)
)

// ClassifyKey returns the kind of a deploy key.
func ClassifyKey(key string) KeyKind {
	prefix, _, hasBar := strings.Cut(key, "|")
	switch {
	case !hasBar:
		return KeyLegacy
	case strings.HasPrefix(prefix, "preview:") && len(strings.Split(prefix, ":")) == 3:
		return KeyPreview
	case projectKeyRe.MatchString(key):
		return KeyProject
	case deploymentKeyRe.MatchString(key):
		return KeyDeployment
	}
	return KeyOther
}

// KeyDeploymentName is the deployment a deployment key names: the part before
// "|" with any "type:" prefix removed. Preview and legacy keys name none.
func KeyDeploymentName(key string) string {
	prefix, _, ok := strings.Cut(key, "|")
	if !ok || ClassifyKey(key) == KeyPreview {
		return ""
	}
	return prefix[strings.LastIndexByte(prefix, ':')+1:]
}

// KeyDeploymentType is the deployment type a key announces: the text before
// the first ":" ("prod" when there is none, as for legacy and admin keys).
func KeyDeploymentType(key string) string {
	t, _, ok := strings.Cut(key, ":")
	if !ok {
		return "prod"
	}
	return t
}

// KeyTeamProject returns the team and project slugs in a preview or project key.
func KeyTeamProject(key string) (team, project string, ok bool) {
	prefix, _, _ := strings.Cut(key, "|")
	parts := strings.Split(prefix, ":")
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// deployKeyFrom reads the deploy key through get (CONVEX_DEPLOY_KEY wins over
// its alias CONVEX_DEPLOYMENT_TOKEN) and applies the sentinel values: the
// ignore sentinel reads as unset, the missing sentinel is an error carrying
// its message. It returns the key and the variable it came from.
func deployKeyFrom(get func(string) string) (key, varName string, err error) {
	key, varName = get(EnvDeployKey), EnvDeployKey
	if key == "" {
		key, varName = get(EnvDeploymentToken), EnvDeploymentToken
	}
	if key == "" || key == "<ignore_deploy_key>" {
		return "", "", nil
	}
	if m := missingKeyRe.FindStringSubmatch(key); m != nil {
		return "", "", ui.Errorf("%s", m[1])
	}
	return key, varName, nil
}
