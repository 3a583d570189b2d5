package deployments

import "github.com/convex-go/convex/auth"

// Deploy keys are parsed by auth.ParseDeployKey and the management-API
// credential is chosen by auth.ChooseCredential; this file only adapts
// them to selection.

// KeyKind is the coarse kind of a deploy key as selection sees it.
type KeyKind string

const (
	// KeyPreview is "preview:<team>:<project>|…": creates preview deployments.
	KeyPreview KeyKind = "preview"
	// KeyProject is "project:<team>:<project>|…": any deployment of a project.
	KeyProject KeyKind = "project"
	// KeyDeployment is "dev:<name>|…" or "prod:<name>|…": one deployment, and
	// also a management-API credential.
	KeyDeployment KeyKind = "deployment"
	// KeyOther is any other key naming one deployment (a concrete preview
	// deployment's key, local/anonymous/self-hosted admin keys, custom
	// types); never a management-API credential.
	KeyOther KeyKind = "other"
	// KeyLegacy has no "|" and names no deployment.
	KeyLegacy KeyKind = "legacy"
	// KeyInvalid is a value auth.ParseDeployKey rejects (cut off by the
	// shell, whitespace, a malformed preview key, …).
	KeyInvalid KeyKind = "invalid"
)

// ClassifyKey returns the kind of a deploy key (a thin view of
// auth.ParseDeployKey, kept for callers outside this package).
func ClassifyKey(key string) KeyKind {
	k, err := auth.ParseDeployKey(key)
	if err != nil {
		return KeyInvalid
	}
	return keyKind(k)
}

func keyKind(k auth.DeployKey) KeyKind {
	switch k.Kind {
	case auth.KeyPreview:
		return KeyPreview
	case auth.KeyProject:
		return KeyProject
	case auth.KeyProd, auth.KeyDev:
		return KeyDeployment
	case auth.KeyLegacy, auth.KeyNone:
		return KeyLegacy
	}
	return KeyOther
}

// KeyDeploymentName is the deployment a key names ("" for preview, project,
// legacy and invalid keys).
func KeyDeploymentName(key string) string {
	k, err := auth.ParseDeployKey(key)
	if err != nil {
		return ""
	}
	return k.DeploymentName
}

// getterEnv adapts a lookup function to config.Env.
type getterEnv func(string) string

func (g getterEnv) Get(name string) string { return g(name) }

// deployKeyFrom reads the deploy key through get (CONVEX_DEPLOY_KEY wins over
// its alias CONVEX_DEPLOYMENT_TOKEN) with auth.ReadDeployKey: the ignore
// sentinel reads as unset; the missing sentinel, a key the shell cut at '|'
// and other malformed keys are errors. It returns the key and the variable
// it came from ("" when there is none).
func deployKeyFrom(get func(string) string) (auth.DeployKey, string, error) {
	k, name, err := auth.ReadDeployKey(getterEnv(get))
	if err != nil {
		return auth.DeployKey{}, "", err
	}
	if k.Kind == auth.KeyNone {
		return auth.DeployKey{}, "", nil
	}
	return k, name, nil
}

// credential applies auth.ChooseCredential (spec §2.3) and names the
// result the way Target.AuthKind does.
func credential(key auth.DeployKey, keySource, override, stored string) (token, kind string) {
	c := auth.ChooseCredential(auth.Candidates{OverrideToken: override, Key: key, KeySource: keySource, StoredToken: stored})
	switch c.Kind {
	case auth.CredAccessToken:
		return c.Token, "accessToken"
	case auth.CredProjectKey:
		return c.Token, "projectKey"
	case auth.CredDeploymentKey:
		return c.Token, "deploymentKey"
	case auth.CredPreviewKey:
		return c.Token, "previewDeployKey"
	}
	return "", ""
}
