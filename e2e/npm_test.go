//go:build unix

package e2e_test

// Tests of the npm packaging (npm/, scripts/build-npm.sh, docs/install.md):
//
//   - TestNPMTemplates checks the package.json templates in npm/ (Go only).
//   - TestNPMLauncher runs the launcher npm/convex-go/bin/convex with node
//     against a stand-in binary: arguments, exit codes, signals, errors.
//   - TestNPMInstall builds this platform's package and the main package
//     with the script, installs both tarballs into a scratch project with
//     npm offline and runs `npx convex` there, `dev --once` included once
//     the command is implemented (skipped with -short).
//   - TestNPMBuildScriptArgs checks the script's refusals.
//
// Run: go test ./e2e -run TestNPM

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// npmPlatforms are the platform packages, in Node's names.
var npmPlatforms = []string{"darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64", "win32-arm64", "win32-x64"}

// npmManifest is the part of a package.json these tests look at.
type npmManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Bin                  map[string]string `json:"bin"`
	Files                []string          `json:"files"`
	OS                   []string          `json:"os"`
	CPU                  []string          `json:"cpu"`
	PreferUnplugged      bool              `json:"preferUnplugged"`
	Scripts              map[string]string `json:"scripts"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

func npmRepoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd() // go test runs in the package directory, e2e/
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "npm", "convex-go", "package.json")); err != nil {
		t.Fatalf("repository root not found from %s: %v", wd, err)
	}
	return root
}

func readManifest(t *testing.T, data []byte, what string) npmManifest {
	t.Helper()
	var m npmManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	// Install-time code is what breaks under Bun, pnpm and
	// --ignore-scripts; the layout must work without any.
	for _, hook := range []string{"preinstall", "install", "postinstall", "prepare"} {
		if _, ok := m.Scripts[hook]; ok {
			t.Errorf("%s: has a %s script", what, hook)
		}
	}
	if len(m.Dependencies) > 0 {
		t.Errorf("%s: has dependencies %v; only optional platform packages are allowed", what, m.Dependencies)
	}
	return m
}

// checkPlatformManifest checks a platform package: its name says which
// os/cpu it is for, and npm may install it only there.
func checkPlatformManifest(t *testing.T, m npmManifest, platform, version string) {
	t.Helper()
	osName, cpu, _ := strings.Cut(platform, "-")
	exe := "bin/convex"
	if osName == "win32" {
		exe = "bin/convex.exe"
	}
	if m.Name != "@convex-go/"+platform {
		t.Errorf("%s: name %q", platform, m.Name)
	}
	if m.Version != version {
		t.Errorf("%s: version %q, want %q", platform, m.Version, version)
	}
	if !slices.Equal(m.OS, []string{osName}) || !slices.Equal(m.CPU, []string{cpu}) {
		t.Errorf("%s: os %v cpu %v, want [%s] [%s]", platform, m.OS, m.CPU, osName, cpu)
	}
	if !m.PreferUnplugged {
		t.Errorf("%s: preferUnplugged is not true (Yarn PnP cannot run a binary from a zip)", platform)
	}
	if len(m.Bin) > 0 {
		t.Errorf("%s: has bin %v; only the main package provides the command", platform, m.Bin)
	}
	if !slices.Equal(m.Files, []string{exe}) {
		t.Errorf("%s: files %v, want [%s]", platform, m.Files, exe)
	}
	if len(m.OptionalDependencies) > 0 {
		t.Errorf("%s: has optionalDependencies", platform)
	}
}

// checkMainManifest checks the convex-go package: the `convex` command, and
// every platform package pinned to its own version.
func checkMainManifest(t *testing.T, m npmManifest, version string) {
	t.Helper()
	if m.Name != "convex-go" || m.Version != version {
		t.Errorf("main package is %s@%s, want convex-go@%s", m.Name, m.Version, version)
	}
	// convex-go too: in an app that also has the convex library, npm links
	// .bin/convex to one of the two packages, and `npx convex-go` is the
	// name that always means this one.
	if len(m.Bin) != 2 || m.Bin["convex"] != "bin/convex" || m.Bin["convex-go"] != "bin/convex" {
		t.Errorf("main package bin %v, want {convex: bin/convex, convex-go: bin/convex}", m.Bin)
	}
	want := map[string]string{}
	for _, p := range npmPlatforms {
		want["@convex-go/"+p] = version
	}
	if !maps.Equal(m.OptionalDependencies, want) {
		t.Errorf("optionalDependencies %v, want %v", m.OptionalDependencies, want)
	}
}

func TestNPMTemplates(t *testing.T) {
	root := npmRepoRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "npm", "@convex-go", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, d := range dirs {
		found = append(found, filepath.Base(d))
	}
	slices.Sort(found)
	if !slices.Equal(found, npmPlatforms) {
		t.Errorf("platform package directories %v, want %v", found, npmPlatforms)
	}
	for _, p := range npmPlatforms {
		data, err := os.ReadFile(filepath.Join(root, "npm", "@convex-go", p, "package.json"))
		if err != nil {
			t.Error(err)
			continue
		}
		checkPlatformManifest(t, readManifest(t, data, p), p, "0.0.0")
	}
	data, err := os.ReadFile(filepath.Join(root, "npm", "convex-go", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkMainManifest(t, readManifest(t, data, "convex-go"), "0.0.0")

	launcher, err := os.ReadFile(filepath.Join(root, "npm", "convex-go", "bin", "convex"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(launcher, []byte("#!/usr/bin/env node\n")) {
		t.Error("the launcher does not start with a node shebang")
	}
	// The launcher's own list must match the packages, or a platform would
	// be reported as unsupported (or looked up under a name never published).
	for _, p := range npmPlatforms {
		if !bytes.Contains(launcher, []byte(`"`+p+`"`)) {
			t.Errorf("the launcher does not list %s", p)
		}
	}
}

// npmRun runs a command with a deadline and returns its output and error.
func npmRun(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := npmCommand(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), timeout, out.String(), errb.String())
	}
	return out.String(), errb.String(), err
}

// npmCommand is exec.CommandContext for a process tree (npx → node →
// convex): it runs in its own process group, and on timeout the whole group
// is killed, so no grandchild outlives the test or keeps its output pipes
// open.
func npmCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestNPMLauncher drives the launcher with CONVEX_GO_BINARY_PATH pointing at
// a shell script standing in for the binary.
func TestNPMLauncher(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in binary is a shell script")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	launcher := filepath.Join(npmRepoRoot(t), "npm", "convex-go", "bin", "convex")
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-convex")
	script := `#!/bin/sh
case "$1" in
args) shift; for a in "$@"; do echo "[$a]"; done; echo "CONVEX_X=$CONVEX_X" ;;
exit) exit "$2" ;;
die) kill -"$2" $$ ;;
trap) trap 'echo got-term; exit 42' TERM; echo ready; n=0; while [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done; echo no-signal ;;
esac
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "CONVEX_GO_BINARY_PATH="+fake, "CONVEX_X=kept")

	t.Run("arguments and environment", func(t *testing.T) {
		out, stderr, err := npmRun(t, dir, env, 20*time.Second, node, launcher, "args", "a b", "", "--flag=x")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if want := "[a b]\n[]\n[--flag=x]\nCONVEX_X=kept\n"; out != want {
			t.Errorf("stdout %q, want %q", out, want)
		}
	})
	t.Run("exit code", func(t *testing.T) {
		for _, code := range []int{0, 1, 2, 7, 130} {
			_, _, err := npmRun(t, dir, env, 20*time.Second, node, launcher, "exit", strconv.Itoa(code))
			if got := exitCode(err); got != code {
				t.Errorf("binary exited %d, launcher exited %d", code, got)
			}
		}
	})
	t.Run("killed by a signal", func(t *testing.T) {
		_, _, err := npmRun(t, dir, env, 20*time.Second, node, launcher, "die", "KILL")
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("launcher: %v, want killed", err)
		}
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("launcher ended with %v, want killed by SIGKILL like the binary", ee)
		}
	})
	t.Run("SIGTERM is forwarded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := npmCommand(ctx, node, launcher, "trap")
		cmd.Env = env
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Whatever happens, nothing of the group outlives the test.
		defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() || lines.Text() != "ready" {
			t.Fatalf("the stand-in did not start: %q", lines.Text())
		}
		// Only the launcher's pid: the binary must get it from the launcher.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(stdout)
		err = cmd.Wait()
		if !strings.Contains(string(rest), "got-term") {
			t.Errorf("the binary did not get SIGTERM; its output: %q", rest)
		}
		if got := exitCode(err); got != 42 {
			t.Errorf("launcher exited %d (%v), want the binary's 42", got, err)
		}
	})
	t.Run("binary that cannot run", func(t *testing.T) {
		missing := filepath.Join(dir, "no-such-binary")
		env := append(os.Environ(), "CONVEX_GO_BINARY_PATH="+missing)
		_, stderr, err := npmRun(t, dir, env, 20*time.Second, node, launcher, "--version")
		if exitCode(err) != 1 || !strings.Contains(stderr, missing) || !strings.Contains(stderr, "CONVEX_GO_BINARY_PATH") {
			t.Errorf("exit %d, stderr %q; want 1 and a message naming %s and the variable", exitCode(err), stderr, missing)
		}
	})
	t.Run("no platform package", func(t *testing.T) {
		// The launcher alone, outside any node_modules.
		bin := filepath.Join(dir, "lonely", "bin", "convex")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(launcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		env := withoutEnv(os.Environ(), "CONVEX_GO_BINARY_PATH")
		_, stderr, err := npmRun(t, dir, env, 20*time.Second, node, bin, "--version")
		want := `"@convex-go/` + nodePlatform() + `" is not installed`
		if exitCode(err) != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %s", exitCode(err), stderr, want)
		}
	})
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// nodePlatform is this machine in the platform packages' naming.
func nodePlatform() string {
	osName, arch := runtime.GOOS, runtime.GOARCH
	if osName == "windows" {
		osName = "win32"
	}
	if arch == "amd64" {
		arch = "x64"
	}
	return osName + "-" + arch
}

// tarEntries lists a package tarball: path → mode, and package.json.
func tarEntries(t *testing.T, file string) (map[string]int64, []byte) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	tr := tar.NewReader(gz)
	entries := map[string]int64{}
	var manifest []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		entries[h.Name] = h.Mode & 0o777
		if h.Name == "package/package.json" {
			if manifest, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	return entries, manifest
}

func TestNPMInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs npm: skipped with -short")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH: the npm packages cannot be packed or installed")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not on PATH: scripts/build-npm.sh cannot run")
	}
	platform := nodePlatform()
	if !slices.Contains(npmPlatforms, platform) {
		t.Skipf("no npm package for this platform (%s)", platform)
	}
	root := npmRepoRoot(t)
	tmp := t.TempDir()
	const version = "1.2.3-npmtest.7"

	// npm must not read the machine's settings nor reach a registry; a
	// registry that refuses connections makes any attempt fail loudly.
	npmrc := filepath.Join(tmp, "npmrc")
	if err := os.WriteFile(npmrc, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	npmEnv := append(withoutEnv(os.Environ(), "CONVEX_GO_BINARY_PATH", "NODE_OPTIONS"),
		"npm_config_userconfig="+npmrc,
		"npm_config_cache="+filepath.Join(tmp, "npm-cache"),
		"npm_config_registry=http://127.0.0.1:9/",
		"npm_config_update_notifier=false",
		"npm_config_fund=false",
		"npm_config_audit=false",
	)

	// Build: this platform only, from source (the go build cache is shared).
	out := filepath.Join(tmp, "out")
	stdout, stderr, err := npmRun(t, root, npmEnv, 5*time.Minute, bash, "scripts/build-npm.sh",
		"--platforms", "current", "--build", version, out)
	if err != nil {
		t.Fatalf("build-npm.sh: %v\n%s", err, stderr)
	}
	tarballs := strings.Fields(stdout)
	wantPlatform := filepath.Join(out, "convex-go-"+platform+"-"+version+".tgz")
	wantMain := filepath.Join(out, "convex-go-"+version+".tgz")
	if !slices.Equal(tarballs, []string{wantPlatform, wantMain}) {
		t.Fatalf("build-npm.sh printed %q, want the platform tarball then the main one: %s %s", tarballs, wantPlatform, wantMain)
	}

	exe := "bin/convex"
	if strings.HasPrefix(platform, "win32") {
		exe = "bin/convex.exe"
	}
	entries, manifest := tarEntries(t, wantPlatform)
	wantEntries := map[string]int64{"package/package.json": 0o644, "package/README.md": 0o644, "package/" + exe: 0o755}
	if !maps.Equal(entries, wantEntries) {
		t.Errorf("platform tarball holds %v, want %v", entries, wantEntries)
	}
	checkPlatformManifest(t, readManifest(t, manifest, "packed "+platform), platform, version)
	entries, manifest = tarEntries(t, wantMain)
	wantEntries = map[string]int64{"package/package.json": 0o644, "package/README.md": 0o644, "package/bin/convex": 0o755}
	if !maps.Equal(entries, wantEntries) {
		t.Errorf("main tarball holds %v, want %v", entries, wantEntries)
	}
	checkMainManifest(t, readManifest(t, manifest, "packed convex-go"), version)

	t.Run("binaries from a goreleaser dist", func(t *testing.T) {
		npmFromDist(t, root, tmp, npmEnv, filepath.Join(out, "packages", "@convex-go", platform, filepath.FromSlash(exe)), version)
	})

	// Install both tarballs offline; the other platforms' optional packages
	// are not available and must simply be left out.
	proj := filepath.Join(tmp, "proj")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, "package.json"), []byte(`{"name":"scratch","version":"1.0.0","private":true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	userEnv := append(withoutEnv(npmEnv, "HOME", "USERPROFILE", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"),
		"HOME="+home, "USERPROFILE="+home)
	_, stderr, err = npmRun(t, proj, userEnv, 2*time.Minute, "npm", "install", "--offline", "--no-audit", "--no-fund", wantPlatform, wantMain)
	if err != nil {
		t.Fatalf("npm install --offline: %v\n%s", err, stderr)
	}
	installed := filepath.Join(proj, "node_modules", "@convex-go", platform, filepath.FromSlash(exe))
	if _, err := os.Stat(installed); err != nil {
		t.Fatalf("the platform package was not installed: %v", err)
	}
	for _, p := range npmPlatforms {
		if p == platform {
			continue
		}
		if _, err := os.Stat(filepath.Join(proj, "node_modules", "@convex-go", p)); err == nil {
			t.Errorf("@convex-go/%s was installed on %s", p, platform)
		}
	}

	stdout, stderr, err = npmRun(t, proj, userEnv, time.Minute, "npx", "convex", "--version")
	if err != nil || stdout != version+"\n" {
		t.Fatalf("npx convex --version: %v, stdout %q, stderr %q; want %q", err, stdout, stderr, version+"\n")
	}
	stdout, stderr, err = npmRun(t, proj, userEnv, time.Minute, "npx", "convex-go", "--version")
	if err != nil || stdout != version+"\n" {
		t.Fatalf("npx convex-go --version: %v, stdout %q, stderr %q; want %q", err, stdout, stderr, version+"\n")
	}
	stdout, stderr, err = npmRun(t, proj, userEnv, time.Minute, "npx", "convex", "--help")
	if err != nil || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "deploy") {
		t.Fatalf("npx convex --help: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	_, stderr, err = npmRun(t, proj, userEnv, time.Minute, "npx", "convex", "no-such-command")
	if got := exitCode(err); got != 2 || !strings.Contains(stderr, "no-such-command") {
		t.Errorf("npx convex no-such-command: exit %d, stderr %q; want the binary's usage error, exit 2", got, stderr)
	}

	t.Run("dev --once", func(t *testing.T) {
		npmDevOnce(t, root, tmp, proj, userEnv)
	})

	// Without its platform package the launcher names the package to install.
	pkgDir := filepath.Join(proj, "node_modules", "@convex-go", platform)
	other := "linux-arm64"
	if platform == other {
		other = "linux-x64"
	}
	otherDir := filepath.Join(proj, "node_modules", "@convex-go", other)
	if err := os.Rename(pkgDir, otherDir); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = npmRun(t, proj, userEnv, time.Minute, "npx", "convex", "--version")
	if exitCode(err) != 1 {
		t.Errorf("npx convex without the platform package: exit %d, want 1", exitCode(err))
	}
	for _, want := range []string{`"@convex-go/` + platform + `" is not installed`, "@convex-go/" + other + " instead", "npm install --include=optional"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing-package error lacks %q:\n%s", want, stderr)
		}
	}
	if err := os.RemoveAll(otherDir); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ = npmRun(t, proj, userEnv, time.Minute, "npx", "convex", "--version")
	if !strings.Contains(stderr, "--omit=optional") {
		t.Errorf("with no platform package at all, the error does not explain why it can be missing:\n%s", stderr)
	}
}

// npmDevOnce runs `npx convex dev --once` on a copy of examples/todos whose
// node_modules has the e2e npm packages (the convex library the functions
// import) and, as its `convex` command, the installed launcher.
func npmDevOnce(t *testing.T, root, tmp, proj string, env []string) {
	shared := filepath.Join(root, "e2e", "node", "node_modules")
	if _, err := os.Stat(filepath.Join(shared, "convex", "package.json")); err != nil {
		t.Skipf("e2e/node/node_modules has no convex package (run `npm ci` in e2e/node): %v", err)
	}
	app := filepath.Join(tmp, "todos")
	if err := copyApp(app, filepath.Join(root, "examples", "todos")); err != nil {
		t.Fatal(err)
	}
	// Entry by entry rather than one link to the whole directory: its .bin
	// has the reference CLI's `convex`, and npx must find this one.
	nm := filepath.Join(app, "node_modules")
	if err := os.MkdirAll(filepath.Join(nm, ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := os.ReadDir(shared)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.Symlink(filepath.Join(shared, e.Name()), filepath.Join(nm, e.Name())); err != nil {
			t.Skipf("cannot symlink node_modules entries here: %v", err)
		}
	}
	if err := os.Symlink(filepath.Join(proj, "node_modules", "convex-go", "bin", "convex"), filepath.Join(nm, ".bin", "convex")); err != nil {
		t.Fatal(err)
	}

	// A local deployment with no account, on ports the OS just handed out
	// rather than the default 3210.
	env = append(env, "CONVEX_AGENT_MODE=anonymous")
	stdout, stderr, err := npmRun(t, app, env, 90*time.Second, "npx", "convex", "dev", "--once",
		"--local-cloud-port", strconv.Itoa(npmFreePort(t)), "--local-site-port", strconv.Itoa(npmFreePort(t)))
	if strings.Contains(stderr, "not implemented") {
		t.Skipf("convex dev is not implemented in this build yet: %s", strings.TrimSpace(stderr))
	}
	if err != nil {
		t.Fatalf("npx convex dev --once: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("npx convex dev --once:\n%s", stderr)
	if !strings.Contains(stderr, "Convex functions ready!") {
		t.Errorf("dev --once did not report the push:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(app, "convex", "_generated")); err != nil {
		t.Errorf("dev --once left no convex/_generated: %v", err)
	}
}

// npmFreePort returns a port that was free a moment ago.
func npmFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// npmFromDist checks that build-npm.sh takes the binaries from goreleaser's
// dist/ layout, and refuses a binary stamped with another version.
func npmFromDist(t *testing.T, root, tmp string, env []string, binary, version string) {
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	name := "convex"
	if goos == "windows" {
		name = "convex.exe"
	}
	dist := filepath.Join(tmp, "dist")
	variant := map[string]string{"amd64": "_v1", "arm64": "_v8.0"}[goarch]
	bin := filepath.Join(dist, "convex_"+goos+"_"+goarch+variant, name)
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"project_name":"convex","version":"` + version + `"}`
	if err := os.WriteFile(filepath.Join(dist, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out-dist")
	// An empty version argument: it comes from dist/metadata.json.
	_, stderr, err := npmRun(t, root, env, time.Minute, "bash", "scripts/build-npm.sh",
		"--platforms", "current", "--dist", dist, "--no-pack", "", out)
	if err != nil {
		t.Fatalf("build-npm.sh --dist: %v\n%s", err, stderr)
	}
	manifest, err := os.ReadFile(filepath.Join(out, "packages", "convex-go", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkMainManifest(t, readManifest(t, manifest, "convex-go from dist"), version)
	if !strings.Contains(stderr, "binary from "+bin) {
		t.Errorf("build-npm.sh did not say it used %s:\n%s", bin, stderr)
	}
	staged, err := os.ReadFile(filepath.Join(out, "packages", "@convex-go", nodePlatform(), "bin", name))
	if err != nil || !bytes.Equal(staged, data) {
		t.Errorf("the staged binary is not the one from dist (%v)", err)
	}

	// A dist of another version: the binary's --version gives it away.
	meta = `{"project_name":"convex","version":"9.9.9"}`
	if err := os.WriteFile(filepath.Join(dist, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = npmRun(t, root, env, time.Minute, "bash", "scripts/build-npm.sh",
		"--platforms", "current", "--dist", dist, "--no-pack", "9.9.9", out)
	if exitCode(err) != 1 || !strings.Contains(stderr, "says version "+version+", not 9.9.9") {
		t.Errorf("a stale binary was not refused: exit %d\n%s", exitCode(err), stderr)
	}
}

// TestNPMBuildScriptArgs checks that build-npm.sh refuses bad arguments
// before building anything.
func TestNPMBuildScriptArgs(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not on PATH")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	root := npmRepoRoot(t)
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"v1.x", out}, "not a semantic version"},
		{[]string{"1.2", out}, "not a semantic version"},
		{[]string{"--platforms", "freebsd-x64", "1.2.3", out}, "unknown platform freebsd-x64"},
		{[]string{"--platforms", "linux-x64,solaris", "1.2.3", out}, "unknown platform solaris"},
		{[]string{"--frob", "1.2.3", out}, "unknown option --frob"},
		{[]string{"1.2.3", out, "extra"}, "too many arguments"},
		{[]string{"--dist", out, "--build", "1.2.3", out}, "exclude each other"},
		{[]string{"--platforms", "current", "--dist", out, "--no-pack", "1.2.3", out}, "no " + nodePlatform() + " binary in"},
	} {
		_, stderr, err := npmRun(t, root, os.Environ(), time.Minute, bash, append([]string{"scripts/build-npm.sh"}, tc.args...)...)
		if exitCode(err) == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("build-npm.sh %q: exit %d, stderr %q; want failure with %q", tc.args, exitCode(err), stderr, tc.want)
		}
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() != "packages" { // the staging directory, rebuilt by every run
			t.Errorf("a failed run left %s in the output directory", e.Name())
		}
	}
}
