package anonymous

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigRoundTripAndFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".convex", "local", "default")
	id := int64(42)
	in := &Config{Ports: Ports{Cloud: 3210, Site: 3211}, BackendVersion: "convex-go-1", AdminKey: "anonymous-x|0123", InstanceSecret: strings.Repeat("ab", 32), DeploymentName: "anonymous-x", CloudProjectID: &id}
	if err := SaveConfig(dir, in); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "\n") {
		t.Errorf("config.json must be one line like the reference writes it: %q", raw)
	}
	for _, want := range []string{`"ports":{"cloud":3210,"site":3211}`, `"adminKey":"anonymous-x|0123"`, `"cloudProjectId":42`, `"deploymentName":"anonymous-x"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("config.json lacks %s: %s", want, raw)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "config.json"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config.json mode %v, want 0600", st.Mode().Perm())
	}
	out, err := LoadConfig(dir)
	if err != nil || out == nil {
		t.Fatalf("LoadConfig: %v %v", out, err)
	}
	if out.AdminKey != in.AdminKey || out.Ports != in.Ports || *out.CloudProjectID != 42 || !out.IsAnonymous() {
		t.Errorf("round trip changed the config: %+v", out)
	}
}

func TestLoadConfigBadInput(t *testing.T) {
	dir := t.TempDir()
	if c, err := LoadConfig(dir); c != nil || err != nil {
		t.Fatalf("missing config: got %v, %v; want nil, nil", c, err)
	}
	for name, body := range map[string]string{
		"corrupt":      `{"ports":`,
		"no admin key": `{"ports":{"cloud":3210,"site":3211}}`,
	} {
		path := filepath.Join(dir, "config.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(dir)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v should name %s", name, err, path)
		}
		if got, _ := os.ReadFile(path); string(got) != body {
			t.Errorf("%s: a bad config must not be rewritten", name)
		}
	}
}

func TestEnsureGitignore(t *testing.T) {
	dir := t.TempDir()
	if err := EnsureGitignore(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".convex", ".gitignore")); err == nil {
		t.Fatal("no .convex directory: nothing should be written")
	}
	os.MkdirAll(filepath.Join(dir, ".convex"), 0o755)
	if err := EnsureGitignore(dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, ".convex", ".gitignore"))
	if string(got) != "/*\n" {
		t.Errorf(".gitignore = %q", got)
	}
	os.WriteFile(filepath.Join(dir, ".convex", ".gitignore"), []byte("mine\n"), 0o644)
	EnsureGitignore(dir)
	got, _ = os.ReadFile(filepath.Join(dir, ".convex", ".gitignore"))
	if string(got) != "mine\n" {
		t.Errorf("an existing .gitignore was overwritten: %q", got)
	}
}

func TestNames(t *testing.T) {
	if got := NewAnonymousName("/home/me/my-app/", false); got != "anonymous-my-app" {
		t.Errorf("got %q", got)
	}
	if got := NewAnonymousName("/home/me/my-app", true); got != "anonymous-agent" {
		t.Errorf("got %q", got)
	}
	if got := LegacyLinkedDir("/h/.convex", "my-team", "my-proj"); got != "/h/.convex/convex-backend-state/local-my_team-my_proj" {
		t.Errorf("got %q", got)
	}
}

func TestChoosePorts(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	if _, err := ChoosePorts(PortRequest{Cloud: busyPort}); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("a requested busy port must be refused, got %v", err)
	}
	p, err := ChoosePorts(PortRequest{PrevCloud: busyPort})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cloud == busyPort || p.Site == p.Cloud || p.Cloud == 0 || p.Site == 0 {
		t.Errorf("bad choice %+v with %d busy", p, busyPort)
	}
	free, _ := osPort()
	p, err = ChoosePorts(PortRequest{PrevCloud: free})
	if err != nil || p.Cloud != free {
		t.Errorf("a free previous port should be reused: %+v %v", p, err)
	}
}
