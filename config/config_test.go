package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/convex-go/convex/ui"
)

func TestDirs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix layout")
	}
	cases := []struct {
		host, global, cache string
	}{
		{"", "/h/.convex", "/h/.cache/convex"},
		{"http://127.0.0.1:18050", "/h/.convex-test-18050", "/h/.cache/convex-test-18050"},
		{"http://127.0.0.1:8050", "/h/.convex-test", "/h/.cache/convex-test"},
		{"https://api.example.com", "/h/.convex-test", "/h/.cache/convex-test"},
		{"http://127.0.0.1:18050/", "/h/.convex-test-18050", "/h/.cache/convex-test-18050"},
	}
	for _, c := range cases {
		env := MapEnv{"HOME": "/h", "CONVEX_PROVISION_HOST": c.host, "XDG_CACHE_HOME": "/xdg"}
		g, err := GlobalDir(env)
		if err != nil || g != c.global {
			t.Errorf("GlobalDir(%q) = %q, %v; want %q", c.host, g, err, c.global)
		}
		cd, err := CacheDir(env)
		if err != nil || cd != c.cache {
			t.Errorf("CacheDir(%q) = %q, %v; want %q", c.host, cd, err, c.cache)
		}
	}
	if p, _ := GlobalConfigPath(MapEnv{"HOME": "/h"}); p != "/h/.convex/config.json" {
		t.Errorf("GlobalConfigPath = %q", p)
	}
	if h := ProvisionHost(MapEnv{}); h != "https://api.convex.dev" {
		t.Errorf("ProvisionHost = %q", h)
	}
	if h := ProvisionHost(MapEnv{"CONVEX_PROVISION_HOST": "http://x:1/"}); h != "http://x:1" {
		t.Errorf("ProvisionHost = %q", h)
	}
	if DashboardHost(MapEnv{"CONVEX_PROVISION_HOST": "http://x:1"}) != "http://localhost:6789" || DashboardHost(MapEnv{}) != "https://dashboard.convex.dev" {
		t.Error("DashboardHost")
	}
	if LocalStateDir("/p") != "/p/.convex/local/default" {
		t.Error("LocalStateDir")
	}
	if d, _ := LegacyLocalStateDir(MapEnv{"HOME": "/h"}, "my-team", "my-proj"); d != "/h/.convex/convex-backend-state/local-my_team-my_proj" {
		t.Errorf("LegacyLocalStateDir = %q", d)
	}
}

func TestGlobalConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config.json")

	c, err := ReadGlobalConfig(path)
	if c != nil || err != nil {
		t.Fatalf("missing file: %v %v", c, err)
	}
	if err := WriteGlobalConfig(path, &GlobalConfig{AccessToken: "tok1"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "{\n  \"accessToken\": \"tok1\"\n}" {
		t.Errorf("written %q", data)
	}
	st, _ := os.Stat(path)
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}

	// Unknown keys survive, in order, when the token is replaced.
	os.WriteFile(path, []byte(`{"z": {"nested": [1, 2]}, "accessToken": "old", "a": true}`), 0o644)
	if err := WriteGlobalConfig(path, &GlobalConfig{AccessToken: "new"}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	want := "{\n  \"z\": {\n    \"nested\": [\n      1,\n      2\n    ]\n  },\n  \"accessToken\": \"new\",\n  \"a\": true\n}"
	if string(data) != want {
		t.Errorf("merged\n got  %q\n want %q", data, want)
	}
	st, _ = os.Stat(path)
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite %v", st.Mode().Perm())
	}
	c, err = ReadGlobalConfig(path)
	if err != nil || c.AccessToken != "new" {
		t.Fatalf("read back %v %v", c, err)
	}
	if raw, ok := c.Extra("a"); !ok || string(raw) != "true" {
		t.Errorf("Extra(a) = %s", raw)
	}

	bad := []struct{ name, content string }{
		{"syntax", `{"accessToken": "x"`},
		{"not an object", `["x"]`},
		{"token not a string", `{"accessToken": 5}`},
		{"trailing garbage", `{"accessToken": "x"} {}`},
		{"empty file", ``},
	}
	for _, b := range bad {
		os.WriteFile(path, []byte(b.content), 0o600)
		_, err := ReadGlobalConfig(path)
		var ue *ui.Error
		if err == nil || !errorsAs(err, &ue) || !strings.Contains(ue.Error(), path) || ue.Hint == "" {
			t.Errorf("%s: err = %v", b.name, err)
		}
		// A corrupt file is never overwritten.
		if err := WriteGlobalConfig(path, &GlobalConfig{AccessToken: "t"}); err == nil {
			t.Errorf("%s: corrupt file overwritten", b.name)
		}
		if now, _ := os.ReadFile(path); string(now) != b.content {
			t.Errorf("%s: content changed to %q", b.name, now)
		}
	}
}

func TestWriteFileAtomicFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "real.env")
	link := filepath.Join(dir, ".env.local")
	os.WriteFile(target, []byte("A=1\n"), 0o644)
	os.Symlink(target, link)
	if err := WriteFileAtomic(link, []byte("A=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "A=2\n" {
		t.Errorf("target = %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temp files left: %v", entries)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadProjectConfig(t *testing.T) {
	// Defaults.
	c, err := ReadProjectConfig(writeFiles(t, nil))
	if err != nil || c.Functions != "convex/" || c.Path != "" || c.Node.ExternalPackages != nil {
		t.Errorf("defaults: %+v %v", c, err)
	}
	c, err = ReadProjectConfig(writeFiles(t, map[string]string{"package.json": `{"dependencies":{"react-scripts":"5"}}`}))
	if err != nil || c.Functions != "src/convex/" {
		t.Errorf("create-react-app default: %+v %v", c, err)
	}

	full := `{
	  "$schema": "./node_modules/convex/schemas/convex.schema.json",
	  "functions": "src/backend/",
	  "node": {"externalPackages": ["sharp", "*"], "nodeVersion": "20", "future": 1},
	  "generateCommonJSApi": true,
	  "codegen": {"staticApi": true, "staticDataModel": true, "legacyComponentApi": false, "fileType": "js/dts"},
	  "bundler": {"includeSourcesContent": true},
	  "typescriptCompiler": "tsgo",
	  "authKit": {"dev": {"configure": {"redirectUris": ["http://localhost:3000/cb"]}, "localEnvVars": {"A": "b"}}, "prod": {"environmentType": "production", "configure": false}},
	  "aiFiles": {"enabled": false, "skills": {"agents": ["claude"]}},
	  "project": "p", "team": "t", "prodUrl": "https://x",
	  "somethingNew": {"x": 1}
	}`
	dir := writeFiles(t, map[string]string{"convex.json": full})
	c, err = ReadProjectConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := false
	want := ProjectConfig{
		Path:                filepath.Join(dir, "convex.json"),
		Functions:           "src/backend/",
		Node:                NodeConfig{ExternalPackages: []string{"sharp", "*"}, NodeVersion: "20"},
		GenerateCommonJSAPI: true,
		Codegen:             CodegenConfig{StaticAPI: true, StaticDataModel: true, LegacyComponentAPI: &f, FileType: "js/dts"},
		Bundler:             BundlerConfig{IncludeSourcesContent: true},
		TypescriptCompiler:  "tsgo",
		AIFiles:             AIFilesConfig{Enabled: &f, SkillsAgents: []string{"claude"}},
		Schema:              "./node_modules/convex/schemas/convex.schema.json",
		Project:             "p", Team: "t", ProdURL: "https://x",
		Unknown: []string{"node.future", "somethingNew"},
	}
	got := *c
	got.Raw, got.AuthKit = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n got  %+v\n want %+v", got, want)
	}
	if !json.Valid(c.AuthKit) || c.Raw["somethingNew"] == nil {
		t.Error("authKit or unknown key not kept")
	}
	if w := c.Warnings(); len(w) != 2 || !strings.Contains(w[0], "`future`") || !strings.Contains(w[0], "`node`") {
		t.Errorf("warnings %q", w)
	}
	if c.FunctionsDir("/p") != filepath.Join("/p", "src", "backend") {
		t.Errorf("FunctionsDir = %q", c.FunctionsDir("/p"))
	}

	bad := []struct{ content, field string }{
		{`{"functions": 5}`, "`functions`"},
		{`{"functions": null}`, "`functions`"},
		{`{"node": []}`, "`node`"},
		{`{"node": {"externalPackages": "sharp"}}`, "`node.externalPackages`"},
		{`{"node": {"externalPackages": [1]}}`, "`node.externalPackages`"},
		{`{"codegen": {"staticApi": "yes"}}`, "`codegen.staticApi`"},
		{`{"codegen": {"fileType": "tsx"}}`, "`codegen.fileType`"},
		{`{"typescriptCompiler": "babel"}`, "`typescriptCompiler`"},
		{`{"generateCommonJSApi": true, "codegen": {"fileType": "ts"}}`, "`generateCommonJSApi`"},
		{`{"bundler": {"includeSourcesContent": 1}}`, "`bundler.includeSourcesContent`"},
		{`{"aiFiles": {"skills": {"agents": "x"}}}`, "`aiFiles.skills.agents`"},
		{`{"authKit": {"dev": {"environmentType": "development"}}}`, "`authKit.dev.environmentType`"},
		{`{"authKit": {"prod": {"localEnvVars": {"A": "b"}}}}`, "`authKit.prod.localEnvVars`"},
		{`{"authKit": {"dev": {"configure": true}}}`, "`authKit.dev.configure`"},
		{`[1]`, "JSON object"},
		{`"x"`, "JSON object"},
		{`{"functions": "convex/"`, "cannot parse"},
	}
	for _, b := range bad {
		dir := writeFiles(t, map[string]string{"convex.json": b.content})
		_, err := ReadProjectConfig(dir)
		var ue *ui.Error
		if err == nil || !errorsAs(err, &ue) {
			t.Errorf("%s: err = %v", b.content, err)
			continue
		}
		if !strings.Contains(err.Error(), filepath.Join(dir, "convex.json")) || !strings.Contains(err.Error(), b.field) {
			t.Errorf("%s: message %q should name the file and %s", b.content, err, b.field)
		}
	}

	for _, files := range []map[string]string{
		{"convex.json": "{}", "src/convex.json": "{}"},
		{"src/convex.json": "{}"},
	} {
		if _, err := ReadProjectConfig(writeFiles(t, files)); err == nil || !strings.Contains(err.Error(), "src") {
			t.Errorf("%v: err = %v", files, err)
		}
	}
}

func TestDetectFramework(t *testing.T) {
	cases := []struct {
		pkg, name, url, site string
	}{
		{"", "", "CONVEX_URL", "CONVEX_SITE_URL"},
		{`{"dependencies":{"react":"18"}}`, "", "CONVEX_URL", "CONVEX_SITE_URL"},
		{`{"dependencies":{"react-scripts":"5","next":"14"}}`, "create-react-app", "REACT_APP_CONVEX_URL", "REACT_APP_CONVEX_SITE_URL"},
		{`{"dependencies":{"next":"14"}}`, "Next.js", "NEXT_PUBLIC_CONVEX_URL", "NEXT_PUBLIC_CONVEX_SITE_URL"},
		{`{"dependencies":{"expo":"50"}}`, "Expo", "EXPO_PUBLIC_CONVEX_URL", "EXPO_PUBLIC_CONVEX_SITE_URL"},
		{`{"devDependencies":{"@sveltejs/kit":"2"}}`, "SvelteKit", "PUBLIC_CONVEX_URL", "PUBLIC_CONVEX_SITE_URL"},
		{`{"dependencies":{"@tanstack/react-start":"1","vite":"5"}}`, "TanStackStart", "VITE_CONVEX_URL", "VITE_CONVEX_SITE_URL"},
		{`{"devDependencies":{"vite":"5","@remix-run/dev":"2"}}`, "Vite", "VITE_CONVEX_URL", "VITE_CONVEX_SITE_URL"},
		{`{"devDependencies":{"@remix-run/dev":"2"}}`, "Remix", "CONVEX_URL", "CONVEX_SITE_URL"},
	}
	for _, c := range cases {
		files := map[string]string{}
		if c.pkg != "" {
			files["package.json"] = c.pkg
		}
		fw, err := DetectFramework(writeFiles(t, files))
		if err != nil || fw != (Framework{c.name, c.url, c.site}) {
			t.Errorf("%s: %+v %v", c.pkg, fw, err)
		}
	}
	if _, err := DetectFramework(writeFiles(t, map[string]string{"package.json": "{oops"})); err == nil || !strings.Contains(err.Error(), "package.json") {
		t.Errorf("bad package.json: %v", err)
	}
}

func TestWriteURLVars(t *testing.T) {
	read := func(dir, name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	// Fresh Vite project: .env.local with framework names.
	dir := writeFiles(t, map[string]string{"package.json": `{"devDependencies":{"vite":"5"}}`})
	res, err := WriteURLVars(dir, "https://a.convex.cloud", "https://a.convex.site")
	if err != nil || !res.Changed() {
		t.Fatal(res, err)
	}
	if got := read(dir, ".env.local"); got != "VITE_CONVEX_URL=https://a.convex.cloud\n\nVITE_CONVEX_SITE_URL=https://a.convex.site\n" {
		t.Errorf("got %q", got)
	}
	// Same values: no change.
	if res, _ := WriteURLVars(dir, "https://a.convex.cloud", "https://a.convex.site"); res.Changed() {
		t.Error("rewrote identical values")
	}
	// An existing name is kept even if the framework suggests another.
	dir = writeFiles(t, map[string]string{"package.json": `{"dependencies":{"next":"14"}}`, ".env.local": "# mine\nCONVEX_URL=old\n"})
	if _, err := WriteURLVars(dir, "new", ""); err != nil {
		t.Fatal(err)
	}
	if got := read(dir, ".env.local"); got != "# mine\nCONVEX_URL=new\n" {
		t.Errorf("got %q", got)
	}
	// Two URL names: refuse with a warning.
	dir = writeFiles(t, map[string]string{".env.local": "CONVEX_URL=a\nVITE_CONVEX_URL=b\n"})
	res, _ = WriteURLVars(dir, "new", "")
	if res.Changed() || len(res.Warnings) != 1 || read(dir, ".env.local") != "CONVEX_URL=a\nVITE_CONVEX_URL=b\n" {
		t.Errorf("multiple: %+v", res)
	}
	// Old value shared with another variable: refuse.
	dir = writeFiles(t, map[string]string{".env.local": "CONVEX_URL=a\nOTHER=a\n"})
	res, _ = WriteURLVars(dir, "new", "")
	if res.Changed() || len(res.Warnings) != 1 {
		t.Errorf("shared: %+v", res)
	}
	// Remix without .env.local writes .env.
	dir = writeFiles(t, map[string]string{"package.json": `{"devDependencies":{"@remix-run/dev":"2"}}`})
	if res, _ := WriteURLVars(dir, "u", ""); res.File != filepath.Join(dir, ".env") || read(dir, ".env") != "CONVEX_URL=u\n" {
		t.Errorf("remix: %+v", res)
	}
}

func TestSetDeploymentAndGitignore(t *testing.T) {
	dir := writeFiles(t, nil)
	changed, isNew, err := SetDeployment(dir, "dev:happy-animal-123", "my-team", "my-project")
	if err != nil || !changed || !isNew {
		t.Fatal(changed, isNew, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ".env.local"))
	if string(b) != DeploymentCommentLine+"\nCONVEX_DEPLOYMENT=dev:happy-animal-123 # team: my-team, project: my-project\n" {
		t.Errorf(".env.local = %q", b)
	}
	if g, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(g) != "\n.env.local\n" {
		t.Errorf(".gitignore = %q", g)
	}
	// Same deployment: nothing to do.
	if changed, _, _ := SetDeployment(dir, "dev:happy-animal-123", "my-team", "my-project"); changed {
		t.Error("rewrote same deployment")
	}
	// Legacy bare value counts as the same deployment.
	os.WriteFile(filepath.Join(dir, ".env.local"), []byte("CONVEX_DEPLOYMENT=happy-animal-123\n"), 0o644)
	changed, isNew, _ = SetDeployment(dir, "dev:happy-animal-123", "t", "p")
	if !changed || isNew {
		t.Errorf("legacy value: changed=%v new=%v", changed, isNew)
	}
	if removed, err := RemoveDeployment(dir); !removed || err != nil {
		t.Error("RemoveDeployment", removed, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".env.local")); strings.Contains(string(b), "CONVEX_DEPLOYMENT") {
		t.Errorf("still there: %q", b)
	}

	for content, wantWrite := range map[string]bool{
		"node_modules\n":    true,
		"*.local\n":         false,
		".env*\n":           false,
		".env.local   \r\n": false,
		"# .env.local\n":    true,
		"!.env.local\n":     true,
		"dist\n.env.*\n":    false,
		".env*.local":       false,
	} {
		dir := writeFiles(t, map[string]string{".gitignore": content})
		wrote, err := EnsureGitignored(dir)
		if err != nil || wrote != wantWrite {
			t.Errorf("%q: wrote=%v err=%v", content, wrote, err)
		}
		if g, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); wantWrite && string(g) != content+"\n.env.local\n" {
			t.Errorf("%q: now %q", content, g)
		}
	}
}
