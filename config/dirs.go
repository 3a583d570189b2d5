package config

import (
	"path/filepath"
	"runtime"
	"strings"

	"github.com/adrg/xdg"

	"github.com/convex-go/convex/ui"
)

// File names the CLI shares with the reference CLI.
const (
	EnvLocalFile      = ".env.local"
	EnvFileName       = ".env"
	ProjectConfigFile = "convex.json"
	GlobalConfigFile  = "config.json"

	// DefaultProvisionHost is the management ("Big Brain") API host.
	DefaultProvisionHost = "https://api.convex.dev"
	// DefaultDashboardHost is the dashboard; CONVEX_PROVISION_HOST switches
	// it to a local one.
	DefaultDashboardHost = "https://dashboard.convex.dev"
	testDashboardHost    = "http://localhost:6789"
)

// ProvisionHost is the management API origin: CONVEX_PROVISION_HOST or
// https://api.convex.dev. A trailing slash is dropped so callers can append
// "/api/…" and "/v1/…".
func ProvisionHost(env Env) string {
	if h := env.Get("CONVEX_PROVISION_HOST"); h != "" {
		return strings.TrimRight(h, "/")
	}
	return DefaultProvisionHost
}

// DashboardHost is https://dashboard.convex.dev, or http://localhost:6789
// whenever CONVEX_PROVISION_HOST is set (as the reference does).
func DashboardHost(env Env) string {
	if env.Get("CONVEX_PROVISION_HOST") != "" {
		return testDashboardHost
	}
	return DefaultDashboardHost
}

// dirName is "convex", or "convex-test[-<port>]" when CONVEX_PROVISION_HOST
// points at a test management API, so test runs never touch a real login.
// The port is the third ':'-separated field of the host, as in the
// reference; we cut it at the first '/' so "http://h:18050/" still names
// ~/.convex-test-18050 instead of a nested directory.
func dirName(env Env) string {
	host := env.Get("CONVEX_PROVISION_HOST")
	if host == "" {
		return "convex"
	}
	parts := strings.Split(host, ":")
	if len(parts) < 3 {
		return "convex-test"
	}
	port := parts[2]
	if i := strings.IndexByte(port, '/'); i >= 0 {
		port = port[:i]
	}
	if port == "8050" {
		return "convex-test"
	}
	return "convex-test-" + port
}

// HomeDir is the user's home directory as Node's os.homedir() sees it: $HOME
// (%USERPROFILE% on Windows), falling back to the platform lookup.
func HomeDir(env Env) (string, error) {
	name := "HOME"
	if runtime.GOOS == "windows" {
		name = "USERPROFILE"
	}
	if h := env.Get(name); h != "" {
		return h, nil
	}
	if xdg.Home != "" {
		return xdg.Home, nil
	}
	return "", ui.Errorf("cannot find your home directory").WithHint("Set %s.", name)
}

// GlobalDir is ~/.convex (renamed per CONVEX_PROVISION_HOST, see dirName).
// There is deliberately no XDG variant: the reference CLI and this one must
// find the same login.
func GlobalDir(env Env) (string, error) {
	home, err := HomeDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "."+dirName(env)), nil
}

// GlobalConfigPath is <GlobalDir>/config.json, the token file.
func GlobalConfigPath(env Env) (string, error) {
	dir, err := GlobalDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, GlobalConfigFile), nil
}

// CacheDir is where downloaded artifacts (local backend binaries, the local
// dashboard) live. We use the reference CLI's location so both CLIs share
// one download: <home>/.cache/<name> on Linux and macOS (XDG_CACHE_HOME is
// ignored, as the reference ignores it; macOS's ~/Library/Caches is not
// used), and on Windows %LOCALAPPDATA%\<name>, else
// %USERPROFILE%\AppData\Local\<name>. adrg/xdg supplies the home directory
// when the environment does not.
func CacheDir(env Env) (string, error) {
	name := dirName(env)
	if runtime.GOOS == "windows" {
		if d := env.Get("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, name), nil
		}
		if d := env.Get("USERPROFILE"); d != "" {
			return filepath.Join(d, "AppData", "Local", name), nil
		}
		home, err := HomeDir(env)
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "AppData", "Local", name), nil
	}
	home, err := HomeDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", name), nil
}

// LocalStateDir is the project-local state directory of the current local
// or anonymous deployment: <project>/.convex/local/default.
func LocalStateDir(projectDir string) string {
	return filepath.Join(projectDir, ".convex", "local", "default")
}

// LegacyAnonymousStateDir is <GlobalDir>/anonymous-convex-backend-state,
// where older CLIs kept anonymous deployments.
func LegacyAnonymousStateDir(env Env) (string, error) {
	dir, err := GlobalDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "anonymous-convex-backend-state"), nil
}

// LegacyLocalStateDir is <GlobalDir>/convex-backend-state/local-<team>-<project>
// with dashes in the slugs turned into underscores.
func LegacyLocalStateDir(env Env, team, project string) (string, error) {
	dir, err := GlobalDir(env)
	if err != nil {
		return "", err
	}
	u := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	return filepath.Join(dir, "convex-backend-state", "local-"+u(team)+"-"+u(project)), nil
}

func joinDir(dir, name string) string {
	if dir == "" {
		return name
	}
	return filepath.Join(dir, name)
}
