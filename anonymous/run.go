package anonymous

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/internal/buildinfo"
	"github.com/convex-go/convex/ui"
)

// The built-in backend runs inside the CLI's own process rather than as a
// child process: it starts in milliseconds, there is no binary to find or
// preflight, and when the CLI exits — cleanly, on Ctrl-C or killed — the
// ports close with it, so no orphaned backend is ever left listening.

// Options say which local deployment to run and how.
type Options struct {
	ProjectDir string
	GlobalDir  string // ~/.convex, for legacy state directories
	// Name is the deployment CONVEX_DEPLOYMENT named ("" when none).
	Name string
	// New forces a fresh deployment (--configure new).
	New bool
	// AgentMode is CONVEX_AGENT_MODE=anonymous.
	AgentMode bool
	// CloudPort and SitePort are --local-cloud-port / --local-site-port.
	CloudPort, SitePort int
	// Out receives progress messages meant for a person (stderr).
	Out io.Writer
	// BackendBinary, when set, runs that convex-local-backend binary as a
	// child process instead of the built-in backend.
	BackendBinary string

	// choosePorts replaces ChoosePorts in tests.
	choosePorts func(PortRequest) (Ports, error)
}

// Deployment is a running local deployment.
type Deployment struct {
	Name     string
	URL      string
	SiteURL  string
	AdminKey string
	StateDir string
	Config   *Config
	// Created is true when this run made the deployment.
	Created bool

	running backendProcess
}

// Close stops the backend this process started. Safe to call twice.
func (d *Deployment) Close() error {
	if d == nil || d.running == nil {
		return nil
	}
	return d.running.Close()
}

// Done is closed when the backend stops.
func (d *Deployment) Done() <-chan struct{} {
	if d.running == nil {
		c := make(chan struct{})
		return c
	}
	return d.running.Done()
}

// BackendVersion names our backend in config.json. It never matches the
// reference's version pattern, so the reference CLI treats a deployment we
// created as one to upgrade onto its own backend (which keeps its data in a
// different file) rather than trying to run a version that does not exist.
func BackendVersion() string { return "convex-go-" + buildinfo.Version }

// EnsureAnonymous picks or creates the project's anonymous deployment and
// starts the built-in backend for it (spec: anonymous flow).
func EnsureAnonymous(ctx context.Context, o Options) (*Deployment, error) {
	stateDir := ProjectStateDir(o.ProjectDir)
	cfg, err := LoadConfig(stateDir)
	if err != nil {
		return nil, err
	}
	name := ""
	switch {
	case cfg != nil && cfg.IsAnonymous() && !o.New && (o.Name == "" || o.Name == cfg.DeploymentName):
		name = cfg.DeploymentName
	case o.Name != "" && !o.New && cfg == nil:
		// A deployment named in CONVEX_DEPLOYMENT may live in the legacy
		// home-directory location of older CLIs.
		if legacy := LegacyAnonymousDir(o.GlobalDir, o.Name); o.GlobalDir != "" && dirExists(legacy) {
			stateDir = legacy
			if cfg, err = LoadConfig(stateDir); err != nil {
				return nil, err
			}
		} else {
			fmt.Fprintf(o.Out, "Could not find a local deployment named %s; creating a new one.\n", o.Name)
		}
		name = o.Name
	}
	created := false
	if name == "" || cfg == nil || cfg.DeploymentName != name {
		if name == "" {
			name = NewAnonymousName(o.ProjectDir, o.AgentMode)
		}
		if cfg == nil || cfg.DeploymentName != name {
			fmt.Fprintln(o.Out, "Setting up a new local deployment...")
			created = true
			prev := cfg
			cfg = &Config{DeploymentName: name}
			if prev != nil {
				cfg.Ports = prev.Ports
			}
		}
	}
	d, err := start(ctx, stateDir, cfg, o)
	if err != nil {
		return nil, err
	}
	d.Created = created
	if err := EnsureGitignore(o.ProjectDir); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// start fills in missing credentials and ports, saves the config and runs
// the backend on it.
func start(ctx context.Context, stateDir string, cfg *Config, o Options) (*Deployment, error) {
	var occ occupancy
	if cfg.Ports.Cloud != 0 {
		occ = occupantOf(ctx, cfg.Ports.Cloud, cfg.DeploymentName, cfg.AdminKey)
		if occ.kind == thisDeployment {
			return nil, ui.Errorf("a local backend for %s is already running on port %d", cfg.DeploymentName, cfg.Ports.Cloud).
				WithHint("Another `convex dev` is serving this project. Stop it, or use that one.")
		}
		// Anything else on the saved port (a deployment of the same name from
		// another project folder, another deployment, another program) only
		// means that port is taken: choose others below.
	}
	choose := o.choosePorts
	if choose == nil {
		choose = ChoosePorts
	}
	ports, err := choose(PortRequest{Cloud: o.CloudPort, Site: o.SitePort, PrevCloud: cfg.Ports.Cloud, PrevSite: cfg.Ports.Site})
	if err != nil {
		return nil, err
	}
	if saved := cfg.Ports; saved.Cloud != 0 && ports != saved && o.Out != nil {
		fmt.Fprintln(o.Out, movedMessage(cfg.DeploymentName, saved, ports, occ))
	}
	cfg.Ports = ports
	if cfg.InstanceSecret == "" || cfg.InstanceSecret == LegacyInstanceSecret || cfg.AdminKey == "" {
		if err := mintCredentials(cfg); err != nil {
			return nil, err
		}
	}
	if o.BackendBinary != "" {
		// The key must be in the format of the binary that checks it.
		key, err := externalKey(ctx, o.BackendBinary, cfg.DeploymentName, cfg.InstanceSecret)
		if err != nil {
			return nil, err
		}
		cfg.AdminKey = key
		if err := SaveConfig(stateDir, cfg); err != nil {
			return nil, err
		}
		return startExternal(ctx, o.BackendBinary, stateDir, cfg)
	}
	cfg.BackendVersion = BackendVersion()
	for attempt := 1; ; attempt++ {
		if err := SaveConfig(stateDir, cfg); err != nil {
			return nil, err
		}
		d, err := run(ctx, stateDir, cfg)
		if err == nil || attempt == 5 || !errors.Is(err, syscall.EADDRINUSE) || (o.CloudPort != 0 && o.SitePort != 0) {
			return d, err
		}
		// Another program bound a port between the check and the bind (two
		// `convex dev` starting at once): choose again from what is free now.
		if cfg.Ports, err = choose(PortRequest{Cloud: o.CloudPort, Site: o.SitePort}); err != nil {
			return nil, err
		}
	}
}

// run starts the built-in backend for a saved config on its saved ports.
func run(ctx context.Context, stateDir string, cfg *Config) (*Deployment, error) {
	if err := os.MkdirAll(StoragePath(stateDir), 0o755); err != nil {
		return nil, ui.Wrap(err, "cannot create %s", StoragePath(stateDir))
	}
	r, err := server.Start(ctx, server.Config{
		DBPath:         DBPath(stateDir),
		StorageDir:     StoragePath(stateDir),
		Port:           cfg.Ports.Cloud,
		SitePort:       cfg.Ports.Site,
		InstanceName:   cfg.DeploymentName,
		InstanceSecret: cfg.InstanceSecret,
	})
	if err != nil {
		return nil, ui.Wrap(err, "cannot start the local backend for %s", cfg.DeploymentName).
			WithHint("If another program holds port %d or %d, stop it or pass --local-cloud-port / --local-site-port.", cfg.Ports.Cloud, cfg.Ports.Site)
	}
	return &Deployment{
		Name: cfg.DeploymentName, URL: r.CloudURL, SiteURL: r.SiteURL,
		AdminKey: cfg.AdminKey, StateDir: stateDir, Config: cfg, running: r,
	}, nil
}

func mintCredentials(cfg *Config) error {
	secret, err := adminkey.NewSecret()
	if err != nil {
		return fmt.Errorf("generate an instance secret: %w", err)
	}
	parsed, err := adminkey.ParseSecret(secret)
	if err != nil {
		return fmt.Errorf("generate an instance secret: %w", err)
	}
	key, err := adminkey.Mint(cfg.DeploymentName, parsed)
	if err != nil {
		return fmt.Errorf("mint an admin key: %w", err)
	}
	cfg.InstanceSecret, cfg.AdminKey = secret, key
	return nil
}

// Running is what a command that needs a local deployment gets: the
// deployment, and whether this process started it (and so must stop it).
type Running struct {
	*Deployment
	Started bool
}

// EnsureRunning makes a saved local deployment reachable for the duration of
// a command (`env`, `run`, `codegen`): it uses the backend already serving it
// (a `convex dev` in another terminal), or starts one and stops it on Close.
func EnsureRunning(ctx context.Context, projectDir, globalDir, name string) (*Running, error) {
	stateDir, cfg, err := findConfig(projectDir, globalDir, name)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, ui.Errorf("the local deployment %s has no saved configuration", name).
			WithHint("Run `convex dev` first to create it.")
	}
	occ := occupantOf(ctx, cfg.Ports.Cloud, cfg.DeploymentName, cfg.AdminKey)
	if occ.kind == thisDeployment {
		return &Running{Deployment: &Deployment{
			Name: cfg.DeploymentName, URL: localURL(cfg.Ports.Cloud), SiteURL: localURL(cfg.Ports.Site),
			AdminKey: cfg.AdminKey, StateDir: stateDir, Config: cfg,
		}}, nil
	}
	runCfg := cfg
	if occ.kind != nobody || !portFree(cfg.Ports.Site) {
		// Something else (another project's backend, possibly one with the
		// same name, or another program) holds a saved port. This command
		// only needs the deployment while it runs, so it serves it on free
		// ports for that time and leaves the saved ones to the next
		// `convex dev`.
		ports, err := ChoosePorts(PortRequest{})
		if err != nil {
			return nil, err
		}
		copied := *cfg
		copied.Ports = ports
		runCfg = &copied
	}
	d, err := run(ctx, stateDir, runCfg)
	if err != nil {
		return nil, err
	}
	return &Running{Deployment: d, Started: true}, nil
}

// RequireRunning returns the saved local deployment only when its backend is
// already answering (`data`, `logs`, `import`, `export`, …).
func RequireRunning(ctx context.Context, projectDir, globalDir, name string) (*Deployment, error) {
	stateDir, cfg, err := findConfig(projectDir, globalDir, name)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, ui.Errorf("the local deployment %s has no saved configuration", name).
			WithHint("Run `convex dev` first to create it.")
	}
	url := localURL(cfg.Ports.Cloud)
	switch occ := occupantOf(ctx, cfg.Ports.Cloud, cfg.DeploymentName, cfg.AdminKey); occ.kind {
	case nobody:
		return nil, ui.Errorf("the local backend isn't running (nothing answers at %s)", url).
			WithHint("Run `convex dev` in another terminal first.")
	case namesake:
		return nil, ui.Errorf("the local backend at %s is another deployment also named %s: it does not accept this project's admin key", url, cfg.DeploymentName).
			WithHint("It belongs to another project folder with the same name. Run `convex dev` in this project: it moves this deployment to free ports, where this command then finds it.")
	case otherBackend, otherProgram:
		return nil, otherListener(occ.name, url)
	}
	return &Deployment{Name: cfg.DeploymentName, URL: url, SiteURL: localURL(cfg.Ports.Site), AdminKey: cfg.AdminKey, StateDir: stateDir, Config: cfg}, nil
}

// findConfig looks for a deployment's state: the project-local directory
// when its config names the deployment (or names none), else the legacy
// home-directory location.
func findConfig(projectDir, globalDir, name string) (string, *Config, error) {
	dir := ProjectStateDir(projectDir)
	cfg, err := LoadConfig(dir)
	if err != nil {
		return "", nil, err
	}
	if cfg != nil && (name == "" || cfg.DeploymentName == "" || cfg.DeploymentName == name) {
		if cfg.DeploymentName == "" {
			cfg.DeploymentName = name
		}
		return dir, cfg, nil
	}
	if globalDir != "" && name != "" {
		for _, legacy := range []string{LegacyAnonymousDir(globalDir, name), legacyByName(globalDir, name)} {
			if c, err := LoadConfig(legacy); err != nil {
				return "", nil, err
			} else if c != nil {
				if c.DeploymentName == "" {
					c.DeploymentName = name
				}
				return legacy, c, nil
			}
		}
	}
	return dir, nil, nil
}

func legacyByName(globalDir, name string) string {
	return filepath.Join(globalDir, "convex-backend-state", name)
}

// otherListener explains that something other than this deployment's
// backend answers on its port: another deployment, or another program.
func otherListener(name, url string) error {
	if name == "" {
		return ui.Errorf("another program, not a Convex backend, is listening at %s", url).
			WithHint("Stop it, or start `convex dev` with --local-cloud-port to use another port.")
	}
	return ui.Errorf("a different local backend, %s, is running at %s", name, url).
		WithHint("Stop it (it is another project's `convex dev`), then run this command again.")
}

func localURL(port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }

// Who answers on a local deployment's saved cloud port.
const (
	nobody         = iota
	thisDeployment // the deployment itself: its name, and it accepts its admin key
	// namesake answers with the deployment's name but refuses its admin key:
	// the anonymous deployment of another project folder with the same base
	// name (both are called anonymous-<folder>).
	namesake
	otherBackend // a Convex backend with another name
	otherProgram // something that is not a Convex backend
)

type occupancy struct {
	kind int
	name string // what /instance_name answered
}

// occupantOf finds out who answers on port: nobody, the deployment called
// name whose admin key is adminKey, or something else.
func occupantOf(ctx context.Context, port int, name, adminKey string) occupancy {
	other, ok := probe(ctx, port)
	switch {
	case !ok:
		return occupancy{kind: nobody}
	case other == "":
		return occupancy{kind: otherProgram}
	case other != name:
		return occupancy{kind: otherBackend, name: other}
	case adminKey != "" && keyRefused(ctx, port, adminKey):
		return occupancy{kind: namesake, name: other}
	}
	return occupancy{kind: thisDeployment, name: other}
}

// keyRefused reports whether the backend on port answers that adminKey is
// not one of its admin keys. Any other outcome (accepted, no such endpoint,
// no answer) is false: only a clear refusal proves it is another deployment.
func keyRefused(ctx context.Context, port int, adminKey string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, localURL(port)+"/api/check_admin_key", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Convex "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
}

// movedMessage tells the user that the deployment now listens on other
// ports than the saved ones, and why when the saved cloud port is taken.
func movedMessage(name string, saved, now Ports, occ occupancy) string {
	why := ""
	switch occ.kind {
	case namesake:
		why = fmt.Sprintf("Port %d is serving another deployment also named %s (from another project folder with the same name). ", saved.Cloud, name)
	case otherBackend:
		why = fmt.Sprintf("Port %d is serving another local deployment, %s. ", saved.Cloud, occ.name)
	case otherProgram:
		why = fmt.Sprintf("Port %d is taken by another program. ", saved.Cloud)
	case nobody:
		// Nothing answered over HTTP, but something may still hold it.
		if now.Cloud != saved.Cloud && !portFree(saved.Cloud) {
			why = fmt.Sprintf("Port %d is taken by another program. ", saved.Cloud)
		}
	}
	return fmt.Sprintf("%sServing %s on ports %d (API) and %d (HTTP actions) instead of %d and %d.", why, name, now.Cloud, now.Site, saved.Cloud, saved.Site)
}

// probe asks whatever listens on the port for its instance name; ok is true
// when anything answers, and name is "" when it is not a Convex backend.
func probe(ctx context.Context, port int) (string, bool) {
	if port == 0 {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, localURL(port)+"/instance_name", nil)
	if err != nil {
		return "", false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return "", true
	}
	return strings.TrimSpace(string(b)), true
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
