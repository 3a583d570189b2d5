//go:build unix

package anonymous

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An external convex-local-backend is started with the reference CLI's
// command line. The project's own standalone command stands in for it, behind
// a wrapper script that records the arguments it was given.
func TestExternalBackendBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the convex program")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "convex")
	build := exec.Command("go", "build", "-o", bin, "github.com/convex-go/convex")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	argsFile := filepath.Join(dir, "args")
	wrapper := filepath.Join(dir, "convex-local-backend")
	script := "#!/bin/sh\necho \"$@\" >> " + argsFile + "\nexec " + bin + " local-backend \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(dir, "app")
	os.MkdirAll(project, 0o755)
	cloud, site := freePorts(t)
	d, err := EnsureAnonymous(context.Background(), Options{ProjectDir: project, CloudPort: cloud, SitePort: site, Out: io.Discard, BackendBinary: wrapper})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(d.URL + "/instance_name")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != d.Name {
		t.Errorf("/instance_name = %q, want %q", body, d.Name)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.Done():
	default:
		t.Error("the backend process is still running after Close")
	}
	if _, ok := probe(context.Background(), cloud); ok {
		t.Error("something still answers on the port after Close")
	}
	calls, _ := os.ReadFile(argsFile)
	for _, want := range []string{"keygen admin-key --instance-name anonymous-app", "--port", "--site-proxy-port", "--instance-secret", "--beacon-tag cli-anonymous-dev", "convex_local_backend.sqlite3"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("the binary was not called with %q:\n%s", want, calls)
		}
	}
	if !strings.HasPrefix(d.AdminKey, "anonymous-app|") {
		t.Errorf("admin key %q", d.AdminKey)
	}
}

func TestExternalBackendBinaryMissing(t *testing.T) {
	project := t.TempDir()
	_, err := EnsureAnonymous(context.Background(), Options{ProjectDir: project, Out: io.Discard, BackendBinary: filepath.Join(project, "nope")})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing binary: %v", err)
	}
}
