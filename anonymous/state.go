// Package anonymous owns local deployments that run on this machine: anonymous
// ones (no account) and local ones linked to a cloud project. It keeps their
// state where the reference CLI keeps it, mints their credentials and runs the
// built-in backend for them.
package anonymous

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/convex-go/convex/ui"
)

// LegacyInstanceSecret is the constant secret very old local deployments used;
// a config carrying it gets fresh credentials.
const LegacyInstanceSecret = "4361726e697461732c206c69746572616c6c79206d65616e696e6720226c6974"

// dbFileName is where the built-in backend keeps its data inside the state
// directory. It differs from the reference backend's file name on purpose, so
// a directory both CLIs have used never has one backend read the other's
// database.
const dbFileName = "convex_go_backend"

// storageDirName holds uploaded files; shared name with the reference layout.
const storageDirName = "convex_local_storage"

// Ports are the two ports a local deployment listens on.
type Ports struct {
	Cloud int `json:"cloud"`
	Site  int `json:"site"`
}

// Config is `.convex/local/default/config.json`, in the reference's format
// so either CLI can pick up a deployment the other created.
type Config struct {
	Ports          Ports  `json:"ports"`
	BackendVersion string `json:"backendVersion"`
	AdminKey       string `json:"adminKey"`
	InstanceSecret string `json:"instanceSecret,omitempty"`
	DeploymentName string `json:"deploymentName,omitempty"`
	CloudProjectID *int64 `json:"cloudProjectId,omitempty"`
}

// IsAnonymous reports whether the config belongs to an anonymous deployment.
func (c *Config) IsAnonymous() bool { return strings.HasPrefix(c.DeploymentName, "anonymous-") }

// ProjectStateDir is the project-local state directory the reference CLI uses.
func ProjectStateDir(projectDir string) string {
	return filepath.Join(projectDir, ".convex", "local", "default")
}

// LegacyAnonymousDir is the home-directory location older CLIs used for an
// anonymous deployment's state.
func LegacyAnonymousDir(globalDir, name string) string {
	return filepath.Join(globalDir, "anonymous-convex-backend-state", name)
}

// LegacyLinkedDir is the home-directory location older CLIs used for a local
// deployment linked to team/project.
func LegacyLinkedDir(globalDir, team, project string) string {
	slug := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	return filepath.Join(globalDir, "convex-backend-state", "local-"+slug(team)+"-"+slug(project))
}

// DBPath is the built-in backend's database inside a state directory.
func DBPath(stateDir string) string { return filepath.Join(stateDir, dbFileName) }

// StoragePath is the file-storage directory inside a state directory.
func StoragePath(stateDir string) string { return filepath.Join(stateDir, storageDirName) }

// LoadConfig reads a state directory's config.json. A missing file returns
// (nil, nil); a corrupt one is an error naming the file, never overwritten.
func LoadConfig(stateDir string) (*Config, error) {
	path := filepath.Join(stateDir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "cannot read the local deployment config %s", path)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, ui.Wrap(err, "the local deployment config %s is not valid JSON", path).
			WithHint("Fix the file, or move the %s directory away to start a fresh local deployment (its data stays in that directory).", stateDir)
	}
	if c.AdminKey == "" || c.Ports.Cloud == 0 {
		return nil, ui.Errorf("the local deployment config %s lacks its admin key or ports", path).
			WithHint("Move the %s directory away to start a fresh local deployment (its data stays in that directory).", stateDir)
	}
	return &c, nil
}

// SaveConfig writes config.json as one line, atomically, mode 0600 since it
// holds the admin key and instance secret.
func SaveConfig(stateDir string, c *Config) error {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return ui.Wrap(err, "cannot create the local deployment directory %s", stateDir)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode local deployment config: %w", err)
	}
	return writeAtomic(filepath.Join(stateDir, "config.json"), data, 0o600)
}

// EnsureGitignore keeps `.convex/` out of version control the way the
// reference does: a `.convex/.gitignore` ignoring everything, written only
// when absent.
func EnsureGitignore(projectDir string) error {
	dir := filepath.Join(projectDir, ".convex")
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	path := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.WriteFile(path, []byte("/*\n"), 0o644); err != nil {
		return ui.Wrap(err, "cannot write %s", path)
	}
	return nil
}

// NewAnonymousName names a new anonymous deployment after the project folder,
// or the fixed agent name in CONVEX_AGENT_MODE=anonymous.
func NewAnonymousName(projectDir string, agentMode bool) string {
	if agentMode {
		return "anonymous-agent"
	}
	return "anonymous-" + filepath.Base(filepath.Clean(projectDir))
}

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return ui.Wrap(err, "cannot write %s", path)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return ui.Wrap(err, "cannot write %s", path)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return ui.Wrap(err, "cannot write %s", path)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return ui.Wrap(err, "cannot write %s", path)
	}
	if err := tmp.Close(); err != nil {
		return ui.Wrap(err, "cannot write %s", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return ui.Wrap(err, "cannot write %s", path)
	}
	return nil
}
