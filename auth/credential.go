package auth

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// CredentialKind says what authenticates management-API requests.
type CredentialKind int

const (
	CredNone          CredentialKind = iota // no credential: requests go without Authorization
	CredAccessToken                         // a personal access token (stored login or override)
	CredProjectKey                          // a project key
	CredDeploymentKey                       // a dev or prod deploy key
	CredPreviewKey                          // a preview deploy key
)

func (k CredentialKind) String() string {
	switch k {
	case CredAccessToken:
		return "access token"
	case CredProjectKey:
		return "project key"
	case CredDeploymentKey:
		return "deployment key"
	case CredPreviewKey:
		return "preview deploy key"
	}
	return "none"
}

// OverrideTokenVar replaces the stored login token (never written to disk).
const OverrideTokenVar = "CONVEX_OVERRIDE_ACCESS_TOKEN"

// Credential is the winner of the precedence rules together with where it
// came from. Token is secret; String redacts it.
type Credential struct {
	Kind   CredentialKind
	Token  string
	Source string // a variable name, "<file> (VAR)", or the token file's path
}

// Header is the Authorization header value, "" for CredNone.
func (c Credential) Header() string {
	if c.Kind == CredNone || c.Token == "" {
		return ""
	}
	return "Bearer " + c.Token
}

// String describes the credential without revealing it.
func (c Credential) String() string {
	if c.Kind == CredNone {
		return "no credentials"
	}
	return c.Kind.String() + " " + RedactKey(c.Token) + " from " + c.Source
}

// GoString redacts as well.
func (c Credential) GoString() string { return "auth.Credential{" + c.String() + "}" }

// Candidates are every credential that could authenticate a command.
type Candidates struct {
	OverrideToken string    // CONVEX_OVERRIDE_ACCESS_TOKEN
	Key           DeployKey // the deploy key in effect (KeyNone if none)
	KeySource     string    // where Key came from
	StoredToken   string    // accessToken of the token file ("" if none)
	StoredSource  string    // the token file's path
}

// ChooseCredential applies spec cli §2.3, first match wins:
//  1. CONVEX_OVERRIDE_ACCESS_TOKEN;
//  2. a project key;
//  3. a dev or prod deploy key;
//  4. the stored login token;
//  5. a preview deploy key;
//  6. nothing.
//
// So a project or dev/prod key beats the user's login, but the login beats
// a preview key. Other keys (admin, other-prefixed, legacy) never
// authenticate to the management API.
func ChooseCredential(c Candidates) Credential {
	switch {
	case c.OverrideToken != "":
		return Credential{CredAccessToken, c.OverrideToken, OverrideTokenVar}
	case c.Key.Kind == KeyProject:
		return Credential{CredProjectKey, c.Key.Raw, c.KeySource}
	case c.Key.Kind == KeyProd || c.Key.Kind == KeyDev:
		return Credential{CredDeploymentKey, c.Key.Raw, c.KeySource}
	case c.StoredToken != "":
		return Credential{CredAccessToken, c.StoredToken, c.StoredSource}
	case c.Key.Kind == KeyPreview:
		return Credential{CredPreviewKey, c.Key.Raw, c.KeySource}
	}
	return Credential{}
}

// AuthOptions are the inputs of ResolveAuth.
type AuthOptions struct {
	Env config.Env // the real process environment
	Dir string     // project directory holding .env.local / .env
	// EnvFile is --env-file: when set, the deploy key is read from that file
	// only and the project env files are ignored.
	EnvFile string
	// URL and AdminKey are --url/--admin-key; when both are set no deploy key
	// is considered at all.
	URL, AdminKey string
	// TokenPath is the token file; "" means config.GlobalConfigPath(Env).
	TokenPath string
}

// Resolved is what ResolveAuth found.
type Resolved struct {
	Credential Credential
	Key        DeployKey // the deploy key in effect, KeyNone if none
	KeyVar     string    // CONVEX_DEPLOY_KEY or CONVEX_DEPLOYMENT_TOKEN
	// KeySource is where the key was found: the --env-file path, ".env.local",
	// ".env" or "shell environment".
	KeySource string
	// TokenFileErr reports a token file that exists but cannot be read or
	// parsed. It is advisory: like the reference, such a file counts as
	// "not logged in"; show the error and carry on.
	TokenFileErr error
	// Warnings are to be shown before going on (a leftover variable of a
	// split deploy key ignored because of CONVEX_IGNORE_SUSPICIOUS_ENV_VARS).
	Warnings []string
}

// IgnoreSuspiciousEnvVar (any value) turns CheckSuspiciousEnv's refusal
// into a warning.
const IgnoreSuspiciousEnvVar = "CONVEX_IGNORE_SUSPICIOUS_ENV_VARS"

// ResolveAuth finds the deploy key the way every command does (spec cli
// §2.3 steps 1–3) and picks the management-API credential. The returned
// error is fatal: the leftover variable of a deploy key split at an
// unquoted '|' (CheckSuspiciousEnv, run first as in the reference), a
// missing --env-file, an unreadable env file, a <missing_deploy_key:…>
// sentinel or a key cut by the shell.
func ResolveAuth(o AuthOptions) (Resolved, error) {
	var r Resolved
	env := o.Env
	if env == nil {
		env = config.MapEnv{}
	}
	w, err := CheckSuspiciousEnv(config.Environ(env), env.Get(IgnoreSuspiciousEnvVar) != "")
	if err != nil {
		return r, err
	}
	r.Warnings = w
	// Where CONVEX_OVERRIDE_ACCESS_TOKEN is read: the real environment, plus
	// the project env files in the default case (the reference loads them
	// into its process environment before looking).
	overrideEnv := env
	switch {
	case o.URL != "" && o.AdminKey != "":
		// --url and --admin-key: deploy keys are ignored.
	case o.EnvFile != "":
		if _, err := os.Stat(o.EnvFile); errors.Is(err, fs.ErrNotExist) {
			return r, ui.Errorf("env file %s does not exist", o.EnvFile)
		}
		f, err := config.ReadEnvFile(o.EnvFile)
		if err != nil {
			return r, err
		}
		k, name, err := ReadDeployKey(config.MapEnv(f.Values()))
		if err != nil {
			return r, err
		}
		r.Key, r.KeyVar, r.KeySource = k, name, o.EnvFile
	default:
		penv, err := config.ProjectEnv(env, o.Dir)
		if err != nil {
			return r, err
		}
		overrideEnv = penv
		k, name, err := ReadDeployKey(penv)
		if err != nil {
			return r, err
		}
		r.Key, r.KeyVar = k, name
		if name != "" {
			r.KeySource = keySource(env, o.Dir, name, k.Raw)
		}
	}
	cands := Candidates{OverrideToken: overrideEnv.Get(OverrideTokenVar), Key: r.Key, KeySource: r.KeyVar}
	if r.KeySource != "" && r.KeySource != "shell environment" {
		cands.KeySource = r.KeyVar + " in " + r.KeySource
	}
	// The token file is read only when it could matter, as in the reference.
	if cands.OverrideToken == "" && r.Key.Kind != KeyProject && r.Key.Kind != KeyProd && r.Key.Kind != KeyDev {
		path := o.TokenPath
		if path == "" {
			p, err := config.GlobalConfigPath(env)
			if err != nil {
				return r, err
			}
			path = p
		}
		gc, err := config.ReadGlobalConfig(path)
		if err != nil {
			r.TokenFileErr = err
		} else if gc != nil {
			cands.StoredToken, cands.StoredSource = gc.AccessToken, path
		}
	}
	r.Credential = ChooseCredential(cands)
	return r, nil
}

// keySource names where a key read through the layered env came from: the
// env file whose value equals it, else the shell environment.
func keySource(env config.Env, dir, name, raw string) string {
	if l, ok := env.(config.LookupEnv); ok {
		if v, set := l.Lookup(name); set && v == raw {
			return "shell environment"
		}
	} else if env.Get(name) == raw {
		return "shell environment"
	}
	for _, file := range []string{config.EnvLocalFile, config.EnvFileName} {
		if f, err := config.ReadEnvFile(filepath.Join(dir, file)); err == nil {
			if v, ok := f.Get(name); ok && v == raw {
				return file
			}
		}
	}
	return "shell environment"
}
