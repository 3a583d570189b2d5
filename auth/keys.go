// Package auth knows credentials: deploy-key kinds and parsing, which
// credential authenticates to the management API, the stored login token,
// the device-flow login, and the Prompter used for questions.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/internal/lazy"
	"github.com/convex-go/convex/ui"
)

// Environment variables that carry a deploy key.
const (
	DeployKeyVar      = "CONVEX_DEPLOY_KEY"
	DeployKeyAliasVar = "CONVEX_DEPLOYMENT_TOKEN" // accepted wherever DeployKeyVar is; DeployKeyVar wins
)

// Sentinel values a deploy key variable may hold (set by hosting platforms).
const (
	IgnoreDeployKey = "<ignore_deploy_key>" // behave as if unset
)

var missingKeyRe = lazy.Regexp(`^<missing_deploy_key:(.+)>$`)

// KeyKind classifies a deploy key by its text alone.
type KeyKind int

const (
	// KeyNone: no key (unset, empty, or <ignore_deploy_key>).
	KeyNone KeyKind = iota
	// KeyProd: "prod:<deployment>|<secret>".
	KeyProd
	// KeyDev: "dev:<deployment>|<secret>".
	KeyDev
	// KeyPreview: "preview:<team>:<project>|<secret>", creates and selects
	// preview deployments of that project.
	KeyPreview
	// KeyProject: "project:<team>:<project>|<secret>", acts on any deployment
	// of the project.
	KeyProject
	// KeyOther: any other "<type>:<name>|<secret>", e.g. a concrete preview
	// deployment's key "preview:<deployment>|…" or "custom:…". Selects a
	// deployment; never authenticates to the management API.
	KeyOther
	// KeyAdmin: "<name>|<secret>" with no type prefix: admin keys of local,
	// anonymous and self-hosted backends.
	KeyAdmin
	// KeyLegacy: no '|' at all; no deployment can be derived from it.
	KeyLegacy
)

func (k KeyKind) String() string {
	switch k {
	case KeyNone:
		return "none"
	case KeyProd:
		return "prod deploy key"
	case KeyDev:
		return "dev deploy key"
	case KeyPreview:
		return "preview deploy key"
	case KeyProject:
		return "project key"
	case KeyOther:
		return "deployment key"
	case KeyAdmin:
		return "admin key"
	case KeyLegacy:
		return "legacy deploy key"
	}
	return "unknown key"
}

// DeployKey is a classified key. Raw is the secret-bearing original; print a
// DeployKey (its String method redacts) or RedactKey(Raw), never Raw.
type DeployKey struct {
	Raw  string
	Kind KeyKind
	// Type is the prefix's text before the first ':' ("prod", "dev",
	// "preview", "project", "custom", …); "" for admin and legacy keys.
	Type string
	// DeploymentName for prod, dev, other and admin keys: the part before
	// '|' after the last ':'.
	DeploymentName string
	// Team and Project slugs for preview and project keys.
	Team, Project string
}

// String is the redacted key, safe to print.
func (k DeployKey) String() string { return RedactKey(k.Raw) }

// GoString redacts too, so %#v cannot leak the secret.
func (k DeployKey) GoString() string {
	return "auth.DeployKey{" + k.Kind.String() + " " + RedactKey(k.Raw) + "}"
}

// RedactKey shows a key as "prod:happy-animal-123|abcd…wxyz": the prefix
// before the first '|' names a deployment and is kept; of the secret only
// the ends are shown, and nothing of a short one. (ui.Redact splits at the
// last '|', which would reveal a secret that itself contains '|'.)
func RedactKey(s string) string {
	prefix, secret, ok := strings.Cut(s, "|")
	if !ok {
		prefix, secret = "", s
	} else {
		prefix += "|"
	}
	if secret == "" {
		return prefix
	}
	if len(secret) <= 12 {
		return prefix + "…"
	}
	return prefix + secret[:4] + "…" + secret[len(secret)-4:]
}

// Secret is the part after the first '|' ("" for legacy keys).
func (k DeployKey) Secret() string {
	_, s, _ := strings.Cut(k.Raw, "|")
	return s
}

// DeploymentType is the deployment type the reference derives from a
// deployment key: Type, or "prod" when the key has none.
func (k DeployKey) DeploymentType() string {
	if k.Type == "" {
		return "prod"
	}
	return k.Type
}

// AuthenticatesManagement reports whether the key may be sent to the
// management API as a bearer credential (project, dev/prod and preview
// keys; spec cli §2.3).
func (k DeployKey) AuthenticatesManagement() bool {
	switch k.Kind {
	case KeyProject, KeyProd, KeyDev, KeyPreview:
		return true
	}
	return false
}

var cutKeyRe = lazy.Regexp(`^(prod|dev|preview|project):`)

// ParseDeployKey classifies s as CONVEX_DEPLOY_KEY. See ParseDeployKeyFrom.
func ParseDeployKey(s string) (DeployKey, error) { return ParseDeployKeyFrom(s, DeployKeyVar) }

// ParseDeployKeyFrom classifies s, naming varName in errors.
//
// "" and <ignore_deploy_key> give KeyNone. <missing_deploy_key:MSG> is an
// error whose message is MSG (platforms use it to explain why no key was
// provided). A value that a shell cut at an unquoted '|' — a known prefix
// with no '|', or nothing after the '|' — is an error with a quoting hint,
// as is a value with spaces or control characters.
func ParseDeployKeyFrom(s, varName string) (DeployKey, error) {
	if s == "" || s == IgnoreDeployKey {
		return DeployKey{}, nil
	}
	if m := missingKeyRe.Get().FindStringSubmatch(s); m != nil {
		return DeployKey{}, &ui.Error{Msg: m[1], Code: ui.ExitError}
	}
	k := DeployKey{Raw: s}
	quoteHint := "Put the value in single quotes, e.g. " + varName + "='prod:happy-animal-123|ey…' (an unquoted '|' makes the shell start a pipe there)."
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return k, ui.Errorf("%s contains whitespace or a control character (%s)", varName, RedactKey(s)).
			WithHint("Copy the key again without surrounding spaces or line breaks.")
	}
	prefix, secret, hasBar := strings.Cut(s, "|")
	if !hasBar {
		if cutKeyRe.Get().MatchString(s) {
			return k, ui.Errorf("%s=%s has no secret part: it looks cut off at '|'", varName, s).WithHint("%s", quoteHint)
		}
		k.Kind = KeyLegacy
		return k, nil
	}
	if secret == "" {
		return k, ui.Errorf("%s=%s has nothing after '|': it looks cut off", varName, prefix+"|").WithHint("%s", quoteHint)
	}
	if prefix == "" {
		return k, ui.Errorf("%s has nothing before '|' (%s)", varName, RedactKey(s)).
			WithHint("Copy the whole key from the dashboard; it starts with its kind, e.g. prod:… or project:….")
	}
	parts := strings.Split(prefix, ":")
	if len(parts) == 1 {
		k.Kind, k.DeploymentName = KeyAdmin, prefix
		return k, nil
	}
	k.Type = parts[0]
	switch {
	case k.Type == "preview" && len(parts) == 3:
		k.Kind, k.Team, k.Project = KeyPreview, parts[1], parts[2]
	case k.Type == "preview" && len(parts) > 3:
		return k, ui.Errorf("%s is a malformed preview key (%s)", varName, RedactKey(s)).
			WithHint("Create a new preview deploy key in the project's settings on the dashboard.")
	case k.Type == "project":
		k.Kind = KeyProject
		if len(parts) == 3 {
			k.Team, k.Project = parts[1], parts[2]
		}
	case k.Type == "prod":
		k.Kind, k.DeploymentName = KeyProd, parts[len(parts)-1]
	case k.Type == "dev":
		k.Kind, k.DeploymentName = KeyDev, parts[len(parts)-1]
	default:
		k.Kind, k.DeploymentName = KeyOther, parts[len(parts)-1]
	}
	return k, nil
}

// ReadDeployKey reads the deploy key from env: CONVEX_DEPLOY_KEY, else its
// alias CONVEX_DEPLOYMENT_TOKEN (empty counts as unset). It returns the key,
// the variable it came from ("" when none) and any parse error.
func ReadDeployKey(env config.Env) (DeployKey, string, error) {
	for _, name := range []string{DeployKeyVar, DeployKeyAliasVar} {
		if v := env.Get(name); v != "" {
			k, err := ParseDeployKeyFrom(v, name)
			if k.Kind == KeyNone && err == nil {
				return k, "", nil
			}
			return k, name, err
		}
	}
	return DeployKey{}, "", nil
}

// CheckSuspiciousEnv looks for the trace an unquoted key leaves when the
// shell splits `KEY=project:t:p|eyXXXX= cmd` at '|': a variable whose name
// is the key's secret ("ey…", base64 JSON with a "v2" field) and whose
// value is empty. environ is os.Environ()-style. With ignore set it returns
// warnings instead of an error.
func CheckSuspiciousEnv(environ []string, ignore bool) (warnings []string, err error) {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if value != "" || !strings.HasPrefix(name, "ey") || !looksLikeKeySecret(name+"=") {
			continue
		}
		if ignore {
			warnings = append(warnings, "Ignoring the environment variable "+ui.Redact(name)+"; it looks like part of a deploy key. Quote keys like CONVEX_DEPLOY_KEY='…'.")
			continue
		}
		shown := name
		if len(name) > 8 {
			shown = name[:4] + "..." + name[len(name)-4:]
		}
		return nil, ui.Errorf("the shell split a deploy key at '|': an environment variable named %s= appeared", shown).
			WithHint("Quote the key: CONVEX_DEPLOY_KEY='project:name:project|%s=' convex dev (or set CONVEX_IGNORE_SUSPICIOUS_ENV_VARS to only warn).", shown)
	}
	return warnings, nil
}

// looksLikeKeySecret decodes s leniently as base64 (standard or URL
// alphabet, padded or not, as Node's Buffer does) and checks for a JSON
// object with a "v2" field.
func looksLikeKeySecret(s string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		in := s
		if enc == base64.RawStdEncoding || enc == base64.RawURLEncoding {
			in = strings.TrimRight(s, "=")
		}
		b, err := enc.DecodeString(in)
		if err != nil {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) == nil {
			_, ok := obj["v2"]
			return ok
		}
	}
	return false
}
