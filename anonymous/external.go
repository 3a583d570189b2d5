package anonymous

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/convex-go/convex/ui"
)

// refDBFileName is the reference backend's database file. An external
// convex-local-backend keeps its data there, apart from the built-in
// backend's, since the two formats differ.
const refDBFileName = "convex_local_backend.sqlite3"

// backendProcess is what a deployment's backend must offer, in-process or
// as a child process.
type backendProcess interface {
	Close() error
	Done() <-chan struct{}
}

// external is a convex-local-backend child process.
type external struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (e *external) Done() <-chan struct{} { return e.done }

// Close asks the backend to stop (SIGTERM, as the reference CLI does) and
// kills it if it has not stopped within five seconds.
func (e *external) Close() error {
	select {
	case <-e.done:
		return nil
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
	return nil
}

// externalKey asks the binary for the admin key of name and secret, the way
// the reference CLI does, so the key always matches that binary's format.
func externalKey(ctx context.Context, binary, name, secret string) (string, error) {
	if err := checkBinary(binary); err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "keygen", "admin-key", "--instance-name", name, "--instance-secret", secret)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", ui.Errorf("%s could not generate an admin key: %v", binary, err).
			WithHint("%s", strings.TrimSpace(stderr.String()))
	}
	key := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(key, name+"|") {
		return "", ui.Errorf("%s printed something that is not an admin key for %s", binary, name)
	}
	return key, nil
}

// startExternal runs binary with the reference CLI's command line for a
// local deployment and waits until it answers with the deployment's name.
func startExternal(ctx context.Context, binary, stateDir string, cfg *Config) (*Deployment, error) {
	if err := checkBinary(binary); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(cfg.DeploymentName))
	tag := "cli-local-dev"
	if cfg.IsAnonymous() {
		tag = "cli-anonymous-dev"
	}
	args := []string{
		"--port", strconv.Itoa(cfg.Ports.Cloud), "--site-proxy-port", strconv.Itoa(cfg.Ports.Site),
		"--sentry-identifier", hex.EncodeToString(sum[:]),
		"--instance-name", cfg.DeploymentName, "--instance-secret", cfg.InstanceSecret,
		"--local-storage", StoragePath(stateDir), "--beacon-tag", tag,
		filepath.Join(stateDir, refDBFileName),
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = stateDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, ui.Wrap(err, "cannot start %s", binary)
	}
	e := &external{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(e.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		name, ok := probe(ctx, cfg.Ports.Cloud)
		if ok && name == cfg.DeploymentName {
			break
		}
		if ok && name != cfg.DeploymentName {
			e.Close()
			return nil, otherListener(name, localURL(cfg.Ports.Cloud))
		}
		select {
		case <-e.done:
			return nil, ui.Errorf("%s exited before it was ready: %s", binary, strings.TrimSpace(stderr.String()))
		case <-ctx.Done():
			e.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.Close()
			return nil, ui.Errorf("%s did not answer on port %d within 30 seconds", binary, cfg.Ports.Cloud)
		}
	}
	return &Deployment{
		Name: cfg.DeploymentName, URL: localURL(cfg.Ports.Cloud), SiteURL: localURL(cfg.Ports.Site),
		AdminKey: cfg.AdminKey, StateDir: stateDir, Config: cfg, running: e,
	}, nil
}

// checkBinary says clearly when the --local-backend-binary path is unusable.
func checkBinary(binary string) error {
	st, err := os.Stat(binary)
	if err == nil && st.IsDir() {
		err = fmt.Errorf("it is a directory")
	}
	if err != nil {
		return ui.Wrap(err, "cannot run the local backend binary %s", binary).
			WithHint("Check the path given with --local-backend-binary or CONVEX_LOCAL_BACKEND_BINARY.")
	}
	return nil
}
