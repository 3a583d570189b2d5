package anonymous

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/convex-go/convex/ui"
)

func freePorts(t *testing.T) (int, int) {
	t.Helper()
	a, err := osPort()
	if err != nil {
		t.Fatal(err)
	}
	b, err := osPort()
	if err != nil || b == a {
		t.Fatalf("no second free port: %v", err)
	}
	return a, b
}

func TestEnsureAnonymousCreatesThenReuses(t *testing.T) {
	ctx := context.Background()
	project := filepath.Join(t.TempDir(), "my-app")
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	cloud, site := freePorts(t)
	opts := Options{ProjectDir: project, CloudPort: cloud, SitePort: site, Out: io.Discard}
	d, err := EnsureAnonymous(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "anonymous-my-app" || !d.Created || !strings.HasPrefix(d.AdminKey, "anonymous-my-app|") {
		t.Fatalf("unexpected deployment %+v", d)
	}
	resp, err := http.Get(d.URL + "/instance_name")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != d.Name {
		t.Fatalf("/instance_name = %q", body)
	}
	if _, err := os.Stat(filepath.Join(project, ".convex", ".gitignore")); err != nil {
		t.Errorf(".convex/.gitignore not written: %v", err)
	}

	// While it runs, a command that needs it uses the running one.
	r, err := EnsureRunning(ctx, project, "", d.Name)
	if err != nil || r.Started || r.URL != d.URL {
		t.Fatalf("EnsureRunning while running: %+v %v", r, err)
	}
	// A second dev on the same project is refused instead of clashing.
	if _, err := EnsureAnonymous(ctx, Options{ProjectDir: project, Out: io.Discard}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second EnsureAnonymous: %v", err)
	}
	first := *d.Config
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := RequireRunning(ctx, project, "", d.Name); err == nil || !strings.Contains(err.Error(), "isn't running") {
		t.Errorf("RequireRunning after stop: %v", err)
	}

	// The next run reuses name, ports and credentials.
	d2, err := EnsureAnonymous(ctx, Options{ProjectDir: project, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if d2.Created || d2.Name != first.DeploymentName || d2.AdminKey != first.AdminKey || d2.Config.Ports != first.Ports || d2.Config.InstanceSecret != first.InstanceSecret {
		t.Errorf("second run did not reuse the deployment: %+v vs %+v", d2.Config, first)
	}
}

func TestEnsureRunningStartsAndStops(t *testing.T) {
	ctx := context.Background()
	project := t.TempDir()
	cloud, site := freePorts(t)
	d, err := EnsureAnonymous(ctx, Options{ProjectDir: project, CloudPort: cloud, SitePort: site, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	r, err := EnsureRunning(ctx, project, "", d.Name)
	if err != nil || !r.Started {
		t.Fatalf("EnsureRunning: %+v %v", r, err)
	}
	if _, err := RequireRunning(ctx, project, "", d.Name); err != nil {
		t.Errorf("RequireRunning while started: %v", err)
	}
	r.Close()
	if _, err := EnsureRunning(ctx, t.TempDir(), "", "anonymous-nothing"); err == nil || !strings.Contains(ui.HintOf(err), "convex dev") {
		t.Errorf("no config: %v", err)
	}
}

func TestEnsureAnonymousCorruptConfig(t *testing.T) {
	project := t.TempDir()
	dir := ProjectStateDir(project)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{oops"), 0o600)
	if _, err := EnsureAnonymous(context.Background(), Options{ProjectDir: project, Out: io.Discard}); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("corrupt config: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(got) != "{oops" {
		t.Error("corrupt config was rewritten")
	}
}

func TestEnsureRunningOtherListener(t *testing.T) {
	ctx := context.Background()
	for name, handler := range map[string]http.HandlerFunc{
		"another program": func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"anonymous-other": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "anonymous-other") },
	} {
		srv := httptest.NewServer(handler)
		port := srv.Listener.Addr().(*net.TCPAddr).Port
		project := t.TempDir()
		cfg := &Config{Ports: Ports{Cloud: port, Site: port + 1}, AdminKey: "anonymous-mine|00", InstanceSecret: strings.Repeat("ab", 32), DeploymentName: "anonymous-mine"}
		if err := SaveConfig(ProjectStateDir(project), cfg); err != nil {
			t.Fatal(err)
		}
		// A command that only needs the deployment for a moment serves it
		// elsewhere, leaving the saved ports as they were.
		r, err := EnsureRunning(ctx, project, "", "anonymous-mine")
		if err != nil || !r.Started || r.Config.Ports.Cloud == port {
			t.Errorf("%s on the port: EnsureRunning = %+v, %v", name, r, err)
		} else {
			if got, _ := probe(ctx, r.Config.Ports.Cloud); got != "anonymous-mine" {
				t.Errorf("%s on the port: the deployment answers %q elsewhere", name, got)
			}
			r.Close()
		}
		if saved, _ := LoadConfig(ProjectStateDir(project)); saved.Ports.Cloud != port {
			t.Errorf("%s on the port: the saved port changed to %d", name, saved.Ports.Cloud)
		}
		if _, err := RequireRunning(ctx, project, "", "anonymous-mine"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("RequireRunning with %s on the port: got %v", name, err)
		}
		srv.Close()
	}
}

// Two deployments starting at once can both find a port free; the one that
// loses the bind chooses again instead of failing.
func TestEnsureAnonymousRetriesATakenPort(t *testing.T) {
	project := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	// The first choice returns the port another program holds, as a choice
	// made just before that program bound it would.
	choose := func(r PortRequest) (Ports, error) {
		calls++
		if calls == 1 {
			return Ports{Cloud: taken, Site: taken + 1}, nil
		}
		return ChoosePorts(r)
	}
	d, err := EnsureAnonymous(context.Background(), Options{ProjectDir: project, Out: io.Discard, choosePorts: choose})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if calls < 2 || d.Config.Ports.Cloud == taken {
		t.Errorf("did not choose again after losing the port: calls=%d ports=%+v", calls, d.Config.Ports)
	}
	saved, _ := LoadConfig(ProjectStateDir(project))
	if saved.Ports != d.Config.Ports {
		t.Errorf("saved ports %+v differ from the ones in use %+v", saved.Ports, d.Config.Ports)
	}
}

// keyAccepted reports whether the backend on port takes adminKey.
func keyAccepted(t *testing.T, port int, adminKey string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, localURL(port)+"/api/check_admin_key", nil)
	req.Header.Set("Authorization", "Convex "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Two project folders with the same base name get deployments of the same
// name. While one runs, the other's saved port answers with that name but
// refuses its admin key: a port taken by another deployment, not a second
// copy of this one.
func TestNamesakeOnSavedPort(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a, b := filepath.Join(root, "a", "todos"), filepath.Join(root, "b", "todos")
	for _, dir := range []string{a, b} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cloud, site := freePorts(t)
	db, err := EnsureAnonymous(ctx, Options{ProjectDir: b, CloudPort: cloud, SitePort: site, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bKey := db.AdminKey
	// The other folder's deployment now runs on the ports b saved.
	da, err := EnsureAnonymous(ctx, Options{ProjectDir: a, CloudPort: cloud, SitePort: site, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer da.Close()
	if da.Name != db.Name || da.AdminKey == bKey {
		t.Fatalf("want two deployments of one name with different keys: %q %q", da.Name, db.Name)
	}

	// run, env, codegen: b is served on free ports for the command's
	// duration, with its own key; its saved ports stay.
	r, err := EnsureRunning(ctx, b, "", db.Name)
	if err != nil || !r.Started || r.Config.Ports.Cloud == cloud {
		t.Fatalf("EnsureRunning = %+v, %v", r, err)
	}
	if !keyAccepted(t, r.Config.Ports.Cloud, bKey) {
		t.Error("the backend EnsureRunning started does not take b's key")
	}
	r.Close()
	if saved, _ := LoadConfig(ProjectStateDir(b)); saved.Ports.Cloud != cloud {
		t.Errorf("saved port changed to %d", saved.Ports.Cloud)
	}

	// data, logs: the namesake is not b's backend.
	if _, err := RequireRunning(ctx, b, "", db.Name); err == nil || !strings.Contains(err.Error(), "another deployment also named "+db.Name) {
		t.Errorf("RequireRunning = %v", err)
	}

	// dev: other ports, said out loud, and saved.
	var out strings.Builder
	d2, err := EnsureAnonymous(ctx, Options{ProjectDir: b, Out: &out})
	if err != nil {
		t.Fatalf("dev beside the namesake: %v", err)
	}
	if d2.Config.Ports.Cloud == cloud || d2.AdminKey != bKey || !keyAccepted(t, d2.Config.Ports.Cloud, bKey) {
		t.Errorf("dev: ports %+v, key kept %v", d2.Config.Ports, d2.AdminKey == bKey)
	}
	if !strings.Contains(out.String(), "also named "+db.Name) || !strings.Contains(out.String(), strconv.Itoa(d2.Config.Ports.Cloud)) {
		t.Errorf("dev did not say why it moved: %q", out.String())
	}
	if saved, _ := LoadConfig(ProjectStateDir(b)); saved.Ports != d2.Config.Ports {
		t.Errorf("saved ports %+v, in use %+v", saved.Ports, d2.Config.Ports)
	}
	if got, err := RequireRunning(ctx, b, "", db.Name); err != nil || got.URL != d2.URL {
		t.Errorf("RequireRunning while b's dev runs: %+v, %v", got, err)
	}
	d2.Close()

	// dev with explicit ports beside the namesake uses those ports.
	saved, _ := LoadConfig(ProjectStateDir(b))
	saved.Ports = Ports{Cloud: cloud, Site: site}
	if err := SaveConfig(ProjectStateDir(b), saved); err != nil {
		t.Fatal(err)
	}
	c3, s3 := freePorts(t)
	d3, err := EnsureAnonymous(ctx, Options{ProjectDir: b, CloudPort: c3, SitePort: s3, Out: io.Discard})
	if err != nil {
		t.Fatalf("dev --local-cloud-port beside the namesake: %v", err)
	}
	if d3.Config.Ports != (Ports{Cloud: c3, Site: s3}) {
		t.Errorf("requested ports not used: %+v", d3.Config.Ports)
	}
	d3.Close()

	// The deployment itself running is still refused a second backend.
	if _, err := EnsureAnonymous(ctx, Options{ProjectDir: a, Out: io.Discard}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second dev in a: %v", err)
	}
}

// dev says why it left the saved ports, whatever holds them.
func TestMovedMessage(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := l.Addr().(*net.TCPAddr).Port
	free, _ := freePorts(t)
	now := Ports{Cloud: 4000, Site: 4001}
	for _, c := range []struct {
		saved Ports
		occ   occupancy
		want  string
	}{
		{Ports{held, held + 1}, occupancy{kind: namesake, name: "anonymous-todos"}, "also named anonymous-todos (from another project folder with the same name)"},
		{Ports{held, held + 1}, occupancy{kind: otherBackend, name: "anonymous-chat"}, "another local deployment, anonymous-chat"},
		{Ports{held, held + 1}, occupancy{kind: otherProgram}, "taken by another program"},
		{Ports{held, held + 1}, occupancy{kind: nobody}, "taken by another program"},
		{Ports{free, free + 1}, occupancy{kind: nobody}, ""},
	} {
		got := movedMessage("anonymous-todos", c.saved, now, c.occ)
		tail := fmt.Sprintf("Serving anonymous-todos on ports 4000 (API) and 4001 (HTTP actions) instead of %d and %d.", c.saved.Cloud, c.saved.Site)
		if !strings.HasSuffix(got, tail) || !strings.Contains(got, c.want) || (c.want == "" && got != tail) {
			t.Errorf("%+v: %q", c.occ, got)
		}
	}
}
