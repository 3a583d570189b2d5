package deployments

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// LocalConfig is the saved state of a local or anonymous deployment
// (.convex/local/default/config.json, spec §3.3). Only what selection needs
// is read here; the anonymous package owns writing it.
type LocalConfig struct {
	Ports struct {
		Cloud int `json:"cloud"`
		Site  int `json:"site"`
	} `json:"ports"`
	BackendVersion string `json:"backendVersion"`
	AdminKey       string `json:"adminKey"`
	DeploymentName string `json:"deploymentName"`
	CloudProjectID *int64 `json:"cloudProjectId,omitempty"`
	path           string
}

// Path is the config file this was read from.
func (c *LocalConfig) Path() string { return c.path }

// URL is where the local backend listens.
func (c *LocalConfig) URL() string { return "http://127.0.0.1:" + strconv.Itoa(c.Ports.Cloud) }

// SiteURL is where the local backend serves HTTP actions; "" when the
// config names no site port.
func (c *LocalConfig) SiteURL() string {
	if c.Ports.Site == 0 {
		return ""
	}
	return "http://127.0.0.1:" + strconv.Itoa(c.Ports.Site)
}

// LocalSiteURL is the HTTP-actions URL of the local or anonymous deployment
// name (kind KindLocal or KindAnonymous) from its saved config: "" when
// there is no config or it has no site port.
func LocalSiteURL(projectDir, globalDir string, kind Kind, name string) (string, error) {
	c, err := loadLocalDeployment(projectDir, globalDir, string(kind), name)
	if err != nil || c == nil {
		return "", err
	}
	return c.SiteURL(), nil
}

// ProjectLocalStateDir is the state directory of a project's local deployment.
func ProjectLocalStateDir(projectDir string) string {
	return filepath.Join(projectDir, ".convex", "local", "default")
}

// GlobalDir is ~/.convex (renamed per CONVEX_PROVISION_HOST); "" when no
// home directory can be found.
func GlobalDir(env Env) string {
	d, err := config.GlobalDir(env)
	if err != nil {
		return ""
	}
	return d
}

func readLocalConfig(path string) (*LocalConfig, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "Could not read %s", path)
	}
	var c LocalConfig
	if err := json.Unmarshal(b, &c); err != nil {
		// The reference CLI treats such a file as absent and then reports
		// the deployment as missing (or writes a fresh config over it);
		// name the broken file instead and leave it alone.
		return nil, corruptLocalConfig(path, err)
	}
	c.path = path
	return &c, nil
}

// corruptLocalConfig is the error for a local deployment config that is
// not valid JSON. Nothing is rewritten: the file holds the deployment's
// admin key and instance secret, which cannot be recovered from its data.
func corruptLocalConfig(path string, err error) *ui.Error {
	return ui.Wrap(err, "The local deployment config %s is not valid JSON", path).
		WithHint("Fix the file (it holds the deployment's ports, admin key and instance secret), or move the %s directory away "+
			"and run `convex dev` to start a fresh local deployment. This command changed nothing.", filepath.Dir(path))
}

// LoadProjectLocalConfig reads the project-local deployment config; nil when
// there is none or it names no deployment.
func LoadProjectLocalConfig(projectDir string) (*LocalConfig, error) {
	c, err := readLocalConfig(filepath.Join(ProjectLocalStateDir(projectDir), "config.json"))
	if err != nil || c == nil || c.DeploymentName == "" {
		return nil, err
	}
	return c, nil
}

// loadLocalDeployment finds the config of a named local ("local") or
// anonymous ("anonymous") deployment: the project-local one when it has no
// name or the same name, else the legacy home-directory one. (nil, nil)
// means there is none; a config that cannot be read is an error.
func loadLocalDeployment(projectDir, globalDir, kind, name string) (*LocalConfig, error) {
	c, err := readLocalConfig(filepath.Join(ProjectLocalStateDir(projectDir), "config.json"))
	if err != nil {
		return nil, err
	}
	if c != nil && (c.DeploymentName == "" || c.DeploymentName == name) {
		if c.DeploymentName == "" {
			c.DeploymentName = name
		}
		return c, nil
	}
	root := "convex-backend-state"
	if kind == "anonymous" {
		root = "anonymous-convex-backend-state"
	}
	c, err = readLocalConfig(filepath.Join(globalDir, root, name, "config.json"))
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, nil
	}
	if c.DeploymentName == "" {
		c.DeploymentName = name
	}
	return c, nil
}

// errLocalNotFound is the error for a local or anonymous deployment with no
// saved state anywhere (dev and init create one instead).
func errLocalNotFound(name string) error {
	return ui.Errorf("Could not find deployment with name %s!", name).
		WithHint("Run `convex dev` to start it, or check CONVEX_DEPLOYMENT in .env.local.")
}
