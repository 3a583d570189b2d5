//go:build linux || darwin

package e2e_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/convex-go/convex/e2e/fakecloud"
	"github.com/convex-go/convex/e2e/fakecloud/backends"
	"github.com/convex-go/convex/internal/syncbuf"
)

// The fresh-machine question of `convex dev`, answered at a real terminal:
// both branches must end with the functions pushed.

// screen collects what the program writes to its terminal.
type screen = syncbuf.Buffer

// answer is a prompt to wait for and the keys that answer it.
type answer struct {
	prompt *regexp.Regexp
	keys   string
}

// buildConvex builds the program once per test run.
var buildConvex = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "convex-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "convex")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// todosProject copies the example app into a temporary folder with the
// shared npm packages linked in.
func todosProject(t *testing.T) string {
	t.Helper()
	nm, err := filepath.Abs(filepath.Join("node", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nm, "convex")); err != nil {
		t.Skip("e2e/node/node_modules is missing: run `npm ci` in e2e/node (scripts/test.sh does)")
	}
	dir := filepath.Join(t.TempDir(), "todos")
	if err := copyApp(dir, filepath.Join("..", "examples", "todos")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nm, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runAtTerminal runs convex with args on a pseudo-terminal in dir, answers
// each prompt in order as it appears, and returns the screen once the
// program exits.
func runAtTerminal(t *testing.T, dir string, env []string, answers []answer, args ...string) (string, error) {
	t.Helper()
	bin, err := buildConvex()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer tty.Close()
	var scr screen
	go io.Copy(&scr, tty)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	deadline := time.After(90 * time.Second)
	seen := 0
	for _, a := range answers {
		for {
			out := scr.String()
			// Type only once the form is fully drawn: its key help line
			// ("… enter submit") follows the question.
			if loc := a.prompt.FindStringIndex(out[seen:]); loc != nil && strings.Contains(out[seen+loc[1]:], "submit") {
				seen += loc[1]
				seen += strings.Index(out[seen:], "submit")
				time.Sleep(300 * time.Millisecond)
				if _, err := tty.Write([]byte(a.keys)); err != nil {
					t.Fatalf("typing %q: %v", a.keys, err)
				}
				break
			}
			select {
			case err := <-done:
				t.Fatalf("convex exited (%v) before asking %q; screen:\n%s", err, a.prompt, scr.String())
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("no %q within 90s; screen:\n%s", a.prompt, scr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	select {
	case err = <-done:
	case <-deadline:
		cmd.Process.Kill()
		t.Fatalf("convex did not finish; screen:\n%s", scr.String())
	}
	time.Sleep(100 * time.Millisecond)
	return scr.String(), err
}

func freshEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "NO_COLOR=1",
		// Keep the version check of dev off the network (TestMain sets it).
		"CONVEX_VERSION_API_ORIGIN=" + os.Getenv("CONVEX_VERSION_API_ORIGIN")}
	return append(env, extra...)
}

func freePortArgs(t *testing.T) []string {
	t.Helper()
	var ports []string
	for range 2 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, strconv.Itoa(p))
	}
	return []string{"--local-cloud-port", ports[0], "--local-site-port", ports[1]}
}

func TestWelcomeStartWithoutAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and pushes an app")
	}
	dir := todosProject(t)
	args := append([]string{"dev", "--once", "--typecheck", "disable"}, freePortArgs(t)...)
	out, err := runAtTerminal(t, dir, freshEnv(t), []answer{
		{regexp.MustCompile(`Welcome to Convex! Would you like to login`), "\r"},
		{regexp.MustCompile(`Continue\?`), "\r"},
	}, args...)
	if err != nil {
		t.Fatalf("convex dev: %v; screen:\n%s", err, out)
	}
	if !strings.Contains(out, "Convex functions ready!") {
		t.Fatalf("no functions ready; screen:\n%s", out)
	}
	env, err := os.ReadFile(filepath.Join(dir, ".env.local"))
	if err != nil || !strings.Contains(string(env), "CONVEX_DEPLOYMENT=anonymous:anonymous-todos") {
		t.Errorf(".env.local: %q %v", env, err)
	}
	// The question is asked once: the next run reuses the deployment.
	out, err = runAtTerminal(t, dir, freshEnv(t), nil, args...)
	if err != nil || strings.Contains(out, "Welcome to Convex!") || !strings.Contains(out, "Convex functions ready!") {
		t.Errorf("second run asked again or failed (%v):\n%s", err, out)
	}
}

func TestWelcomeDeclined(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	dir := todosProject(t)
	out, err := runAtTerminal(t, dir, freshEnv(t), []answer{
		{regexp.MustCompile(`Welcome to Convex! Would you like to login`), "\r"},
		{regexp.MustCompile(`Continue\?`), "n"},
	}, append([]string{"dev", "--once"}, freePortArgs(t)...)...)
	if err == nil || !strings.Contains(out, "Exiting") {
		t.Fatalf("declining must stop with an error (%v):\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".env.local")); err == nil {
		t.Error("declining must not write .env.local")
	}
}

func TestWelcomeLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and pushes an app")
	}
	dir := todosProject(t)
	b := backends.New(t.TempDir())
	defer b.Close()
	cloud := fakecloud.New(fakecloud.Options{StartDeployment: b.Start, DeviceInterval: 0.05})
	url := cloud.Start()
	defer cloud.Close()
	if _, err := cloud.Seed(); err != nil {
		t.Fatal(err)
	}
	env := freshEnv(t, "CONVEX_PROVISION_HOST="+url)
	out, err := runAtTerminal(t, dir, env, []answer{
		{regexp.MustCompile(`Welcome to Convex! Would you like to login`), "\x1b[B\r"},
		{regexp.MustCompile(`Device name:`), "\r"},
		{regexp.MustCompile(`Open the browser\?`), "n"},
		{regexp.MustCompile(`What would you like to configure\?`), "\r"},
		{regexp.MustCompile(`Project name`), "\r"},
		{regexp.MustCompile(`Where should this dev deployment run\?`), "\r"},
	}, "dev", "--once", "--typecheck", "disable", "--override-auth-url", url)
	if err != nil {
		t.Fatalf("convex dev: %v; screen:\n%s", err, out)
	}
	for _, want := range []string{"Created project", "Convex functions ready!"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	env2, _ := os.ReadFile(filepath.Join(dir, ".env.local"))
	if !strings.Contains(string(env2), "CONVEX_DEPLOYMENT=dev:") {
		t.Errorf(".env.local after login: %q", env2)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
