package aifiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(prefix, format string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, prefix+fmt.Sprintf(format, args...))
}
func (r *recorder) Message(f string, a ...any) { r.add("", f, a) }
func (r *recorder) Success(f string, a ...any) { r.add("✔ ", f, a) }
func (r *recorder) Warn(f string, a ...any)    { r.add("! ", f, a) }
func (r *recorder) String() string             { return strings.Join(r.lines, "\n") }

const guidelinesText = "# Convex guidelines\n\nUse the new function syntax.\n"

// versionAPI stands in for version.convex.dev.
type versionAPI struct {
	version  string
	failAll  bool
	requests []string
	headers  http.Header
}

func (v *versionAPI) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.requests = append(v.requests, r.URL.Path)
		v.headers = r.Header.Clone()
		if v.failAll {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/v1/version":
			body := v.version
			if body == "" {
				body = `{"message":null,"guidelinesHash":"` + hash(guidelinesText) + `","agentSkillsSha":"sha1"}`
			}
			fmt.Fprint(w, body)
		case "/v1/guidelines":
			fmt.Fprint(w, guidelinesText)
		case "/v1/agent_skills":
			fmt.Fprint(w, `{"latestRepoSha":"sha1","skills":[{"skillName":"convex-a","status":{"kind":"active"},"hash":"h","lastSeenRepoSha":"sha1","lastSeenAt":1},{"skillName":"convex-old","status":{"kind":"deleted","deletedAt":2},"hash":"h","lastSeenRepoSha":"sha0","lastSeenAt":1}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func closedOrigin(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

type skillsCalls struct {
	calls [][]string
	fail  bool
}

func (s *skillsCalls) run(_ context.Context, dir string, args []string) (string, error) {
	s.calls = append(s.calls, args)
	if s.fail {
		return "line1\nboom", errors.New("exit status 1")
	}
	return "ok", nil
}

func newManager(t *testing.T, origin string, skills *skillsCalls) (*Manager, *recorder) {
	dir := t.TempDir()
	out := &recorder{}
	return &Manager{
		ProjectDir:   dir,
		FunctionsDir: filepath.Join(dir, "convex"),
		API:          NewAPI(origin, "npm-cli-1.48.0", false, "anonymous", nil),
		Out:          out,
		Skills:       skills.run,
	}, out
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInstallWritesEverything(t *testing.T) {
	api := &versionAPI{}
	skills := &skillsCalls{}
	m, out := newManager(t, api.start(t), skills)
	write(t, filepath.Join(m.ProjectDir, "AGENTS.md"), "# My rules\n\nBe nice.\n\n\n")
	write(t, filepath.Join(m.ProjectDir, ".cursor/rules/convex_rules.mdc"), "old")

	if err := m.Install(context.Background()); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	if got := read(t, GuidelinesPath(m.FunctionsDir)); got != guidelinesText {
		t.Errorf("guidelines = %q", got)
	}
	section := Section("convex")
	if got := read(t, filepath.Join(m.ProjectDir, "AGENTS.md")); got != "# My rules\n\nBe nice.\n\n"+section+"\n" {
		t.Errorf("AGENTS.md = %q", got)
	}
	if got := read(t, filepath.Join(m.ProjectDir, "CLAUDE.md")); got != section+"\n" {
		t.Errorf("CLAUDE.md = %q", got)
	}
	if !strings.Contains(section, "`convex/_generated/ai/guidelines.md`") {
		t.Errorf("section does not point at the guidelines: %q", section)
	}
	if _, err := os.Stat(filepath.Join(m.ProjectDir, ".cursor/rules/convex_rules.mdc")); !os.IsNotExist(err) {
		t.Errorf("legacy cursor rules still there: %v", err)
	}
	want := [][]string{{"add", "convex/agent-skills", "--yes", "--copy", "--agent", "claude-code", "--agent", "codex"}}
	if fmt.Sprint(skills.calls) != fmt.Sprint(want) {
		t.Errorf("skills calls %v", skills.calls)
	}
	st, err := ReadState(m.FunctionsDir)
	if err != nil {
		t.Fatal(err)
	}
	if st.GuidelinesHash == nil || *st.GuidelinesHash != hash(guidelinesText) || st.AgentSkillsSHA == nil || *st.AgentSkillsSHA != "sha1" ||
		st.AgentsMDSectionHash == nil || *st.AgentsMDSectionHash != hash(section) || st.ClaudeMDHash == nil {
		t.Errorf("state %+v", st)
	}
	raw := read(t, StatePath(m.FunctionsDir))
	if !strings.HasPrefix(raw, "{\n  \"guidelinesHash\": \"") || !strings.HasSuffix(raw, "\n}\n") {
		t.Errorf("state file layout:\n%s", raw)
	}
	if api.headers.Get("Convex-Client") != "npm-cli-1.48.0" || api.headers.Get("Convex-Interactive") != "false" || api.headers.Get("Convex-Agent-Mode") != "anonymous" {
		t.Errorf("headers %v", api.headers)
	}

	// A second install leaves the markdown files alone and replaces only
	// the section when it changed.
	agents := filepath.Join(m.ProjectDir, "AGENTS.md")
	write(t, agents, "# My rules\n\n"+StartMarker+"\nold text\n"+EndMarker+"\n\nMore of mine.\n")
	out.lines = nil
	if err := m.Install(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, agents); got != "# My rules\n\n"+section+"\n\nMore of mine.\n" {
		t.Errorf("AGENTS.md after update = %q", got)
	}
	if strings.Contains(out.String(), "CLAUDE.md written") || !strings.Contains(out.String(), "AGENTS.md written") {
		t.Errorf("second install output:\n%s", out)
	}
}

func TestInstallWithoutVersionAPI(t *testing.T) {
	origin := closedOrigin(t)
	skills := &skillsCalls{}
	m, out := newManager(t, origin, skills)
	err := m.Install(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "could not fetch the AI files from "+origin+": ") || ui.ExitCode(err) != 1 {
		t.Fatalf("err = %v (exit %d)", err, ui.ExitCode(err))
	}
	if _, err := os.Stat(GuidelinesPath(m.FunctionsDir)); !os.IsNotExist(err) {
		t.Errorf("guidelines written without the API: %v", err)
	}
	// What needs no network is still written, and the state says the
	// guidelines are missing.
	if !HasSection(read(t, filepath.Join(m.ProjectDir, "AGENTS.md"))) {
		t.Error("AGENTS.md not written")
	}
	st, err := ReadState(m.FunctionsDir)
	if err != nil || st.GuidelinesHash != nil {
		t.Errorf("state %+v, %v", st, err)
	}
	if !strings.Contains(out.String(), "Could not download the Convex guidelines") {
		t.Errorf("output:\n%s", out)
	}

	// A server error is a failure too.
	api := &versionAPI{failAll: true}
	m, _ = newManager(t, api.start(t), skills)
	if err := m.Install(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("503: err = %v", err)
	}
}

func TestInstallSkills(t *testing.T) {
	api := &versionAPI{}
	origin := api.start(t)

	failing := &skillsCalls{fail: true}
	m, out := newManager(t, origin, failing)
	err := m.Install(context.Background())
	if err == nil || err.Error() != "Some Convex AI files could not be installed. See the messages above." {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(out.String(), "boom") || !strings.Contains(out.String(), "Could not install the agent skills") {
		t.Errorf("output:\n%s", out)
	}
	if st, _ := ReadState(m.FunctionsDir); st.AgentSkillsSHA != nil || st.GuidelinesHash == nil {
		t.Errorf("state %+v", st)
	}

	// No agents configured: no skills CLI.
	none := &skillsCalls{}
	m, _ = newManager(t, origin, none)
	m.Config.SkillsAgents = []string{}
	if err := m.Install(context.Background()); err != nil || len(none.calls) != 0 {
		t.Errorf("err %v, calls %v", err, none.calls)
	}
	m.Config.SkillsAgents = []string{"cursor"}
	if err := m.Install(context.Background()); err != nil || len(none.calls) != 1 || none.calls[0][len(none.calls[0])-1] != "cursor" {
		t.Errorf("err %v, calls %v", err, none.calls)
	}

	// The version API can switch the skills CLI off.
	api.version = `{"message":null,"disableSkillsCli":true,"disableSkillsCliMessage":"Skills are paused."}`
	off := &skillsCalls{}
	m, out = newManager(t, origin, off)
	if err := m.Install(context.Background()); err != nil || len(off.calls) != 0 || !strings.Contains(out.String(), "! Skills are paused.") {
		t.Errorf("err %v, calls %v, output:\n%s", err, off.calls, out)
	}
}

func TestRemove(t *testing.T) {
	api := &versionAPI{}
	skills := &skillsCalls{}
	m, out := newManager(t, api.start(t), skills)
	if err := m.Install(context.Background()); err != nil {
		t.Fatal(err)
	}
	agents := filepath.Join(m.ProjectDir, "AGENTS.md")
	write(t, agents, "Mine first.\n\n"+Section("convex")+"\n\nMine after.\n")
	write(t, filepath.Join(m.ProjectDir, "skills-lock.json"), `{"version":1,"skills":{"convex-a":{}}}`)
	write(t, filepath.Join(m.ProjectDir, "convex", "_generated", "api.d.ts"), "keep")
	skills.calls, out.lines = nil, nil

	if err := m.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, agents); got != "Mine first.\n\nMine after.\n" {
		t.Errorf("AGENTS.md = %q", got)
	}
	for _, gone := range []string{"CLAUDE.md", "skills-lock.json", "convex/_generated/ai"} {
		if _, err := os.Stat(filepath.Join(m.ProjectDir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(m.ProjectDir, "convex", "_generated", "api.d.ts")); err != nil {
		t.Errorf("other generated files touched: %v", err)
	}
	if fmt.Sprint(skills.calls) != "[[remove convex-a convex-old --yes]]" {
		t.Errorf("skills calls %v", skills.calls)
	}
	if !strings.HasSuffix(out.String(), "Convex AI files removed.") {
		t.Errorf("output:\n%s", out)
	}

	// Nothing left: says so. A lock file with other skills stays.
	write(t, filepath.Join(m.ProjectDir, "skills-lock.json"), `{"skills":{"convex-a":{},"theirs":{}}}`)
	skills.fail = true
	out.lines = nil
	if err := m.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "No Convex AI files found: nothing to remove.") {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(m.ProjectDir, "skills-lock.json")); err != nil {
		t.Errorf("foreign lock file removed: %v", err)
	}
}

func TestRemoveWithoutVersionAPI(t *testing.T) {
	origin := closedOrigin(t)
	m, _ := newManager(t, origin, &skillsCalls{})
	claude := filepath.Join(m.ProjectDir, "CLAUDE.md")
	write(t, claude, Section("convex")+"\n")
	err := m.Remove(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "could not fetch the AI files from "+origin) || !strings.Contains(ui.HintOf(err), "nothing was removed") {
		t.Errorf("err = %v (hint %q)", err, ui.HintOf(err))
	}
	if !HasSection(read(t, claude)) {
		t.Error("removed something without the catalog")
	}
}

func TestStatus(t *testing.T) {
	api := &versionAPI{}
	origin := api.start(t)
	m, out := newManager(t, origin, &skillsCalls{})
	if err := m.Status(context.Background()); err != nil || !strings.HasPrefix(out.String(), "Convex AI files: not installed") {
		t.Errorf("fresh: %v\n%s", err, out)
	}
	off := false
	m.Config.Enabled = &off
	out.lines = nil
	if err := m.Status(context.Background()); err != nil || !strings.HasPrefix(out.String(), "Convex AI files: disabled") {
		t.Errorf("disabled: %v\n%s", err, out)
	}
	m.Config.Enabled = nil
	if err := m.Install(context.Background()); err != nil {
		t.Fatal(err)
	}
	out.lines = nil
	if err := m.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "Convex AI files: enabled\n" +
		"  ✔ convex/_generated/ai/guidelines.md: installed, up to date\n" +
		"  ✔ AGENTS.md: Convex section present, up to date\n" +
		"  ✔ CLAUDE.md: Convex section present, up to date\n" +
		"  ✔ Agent skills: installed, up to date"
	if out.String() != want {
		t.Errorf("installed:\n%s\nwant:\n%s", out, want)
	}

	// Newer content upstream, a local edit and a missing section.
	api.version = `{"message":null,"guidelinesHash":"other","agentSkillsSha":"sha2"}`
	os.Remove(filepath.Join(m.ProjectDir, "CLAUDE.md"))
	write(t, filepath.Join(m.ProjectDir, "AGENTS.md"), "just mine\n")
	out.lines = nil
	m.Status(context.Background())
	for _, s := range []string{"! ", "guidelines.md: installed, out of date", "AGENTS.md: no Convex section", "CLAUDE.md: missing", "Agent skills: installed, out of date"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("missing %q in:\n%s", s, out)
		}
	}
	write(t, GuidelinesPath(m.FunctionsDir), "edited")
	out.lines = nil
	m.Status(context.Background())
	if !strings.Contains(out.String(), "guidelines.md: installed, changed locally") {
		t.Errorf("local edit:\n%s", out)
	}

	// Offline: no currency claims.
	m.API = NewAPI(closedOrigin(t), "x", false, "", nil)
	write(t, GuidelinesPath(m.FunctionsDir), guidelinesText)
	out.lines = nil
	m.Status(context.Background())
	if !strings.Contains(out.String(), "  ✔ convex/_generated/ai/guidelines.md: installed\n") || strings.Contains(out.String(), "up to date\n  ✔ Agent") {
		t.Errorf("offline:\n%s", out)
	}
}

func TestReadState(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadState(dir); !errors.Is(err, ErrNoState) {
		t.Errorf("missing: %v", err)
	}
	for content, ok := range map[string]bool{
		"":   false,
		"[]": false,
		`{"guidelinesHash":null,"agentsMdSectionHash":null,"claudeMdHash":null,"agentSkillsSha":"x"}`: true,
		`{"guidelinesHash":null,"agentsMdSectionHash":null,"claudeMdHash":null}`:                      false,
		`{"guidelinesHash":1,"agentsMdSectionHash":null,"claudeMdHash":null,"agentSkillsSha":null}`:   false,
	} {
		write(t, StatePath(dir), content)
		st, err := ReadState(dir)
		if ok != (err == nil) {
			t.Errorf("%q: %+v, %v", content, st, err)
		}
	}
}

func TestVersionAnswer(t *testing.T) {
	api := &versionAPI{}
	a := NewAPI(api.start(t), "c", true, "", nil)
	for body, ok := range map[string]bool{
		`{"message":"hi","guidelinesHash":5}`: true,
		`{"message":5}`:                       false,
		`{}`:                                  false,
		`not json`:                            false,
	} {
		api.version = body
		v, err := a.Version(context.Background())
		if ok != (err == nil) {
			t.Errorf("%s: %+v %v", body, v, err)
		}
		if ok && (v.Message == nil || *v.Message != "hi" || v.GuidelinesHash != "") {
			t.Errorf("%s: %+v", body, v)
		}
	}
	if api.headers.Get("Convex-Interactive") != "true" || api.headers.Get("Convex-Agent-Mode") != "" {
		t.Errorf("headers %v", api.headers)
	}
}

func TestSetEnabled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "convex.json")
	if err := SetEnabled(dir, false); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"$schema\": \"node_modules/convex/schemas/convex.schema.json\",\n  \"aiFiles\": {\n    \"enabled\": false\n  }\n}\n"
	if got := read(t, path); got != want {
		t.Errorf("new file:\n%s", got)
	}

	write(t, path, `{"functions": "src/convex/", "aiFiles": {"skills": {"agents": []}, "disableStalenessMessage": true, "enabled": false}, "node": {"externalPackages": ["a<b"]}, "$schema": "./my.schema.json", "zzz": 1.5}`)
	if err := SetEnabled(dir, true); err != nil {
		t.Fatal(err)
	}
	want = `{
  "$schema": "./my.schema.json",
  "functions": "src/convex/",
  "node": {
    "externalPackages": [
      "a<b"
    ]
  },
  "zzz": 1.5,
  "aiFiles": {
    "skills": {
      "agents": []
    },
    "enabled": true
  }
}
`
	got := read(t, path)
	if got != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, want)
	}
	// The result is still a valid project config.
	c, err := config.ReadProjectConfig(dir)
	if err != nil || c.AIFiles.Enabled == nil || !*c.AIFiles.Enabled || c.Functions != "src/convex/" {
		t.Errorf("re-read: %+v, %v", c, err)
	}

	write(t, path, `[1]`)
	if err := SetEnabled(dir, true); err == nil {
		t.Error("array accepted")
	}
	write(t, path, `{"aiFiles": 3}`)
	if err := SetEnabled(dir, true); err == nil || !strings.Contains(err.Error(), "aiFiles") {
		t.Errorf("aiFiles not an object: %v", err)
	}
	if got := read(t, path); got != `{"aiFiles": 3}` {
		t.Errorf("file changed on error: %q", got)
	}
}

func TestStripSection(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "X.md")
	if r, err := stripSection(p); r != strippedNothing || err != nil {
		t.Errorf("missing: %v %v", r, err)
	}
	write(t, p, "no markers\n")
	if r, _ := stripSection(p); r != strippedNothing || read(t, p) != "no markers\n" {
		t.Errorf("no markers: %v", r)
	}
	write(t, p, "\n"+Section("convex")+"\n\n")
	if r, _ := stripSection(p); r != deletedFile {
		t.Errorf("only section: %v", r)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("empty file kept")
	}
	var buf bytes.Buffer
	buf.WriteString(Section("convex") + "\nafter\n")
	write(t, p, buf.String())
	if r, _ := stripSection(p); r != strippedSection || read(t, p) != "after\n" {
		t.Errorf("section first: %v %q", r, read(t, p))
	}
}

func TestNpxSkillsUsesGivenPath(t *testing.T) {
	bin := t.TempDir()
	write(t, filepath.Join(bin, "npx"), "#!/bin/sh\necho \"args: $*\"\nexit 3\n")
	if err := os.Chmod(filepath.Join(bin, "npx"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := NpxSkills(bin)(context.Background(), t.TempDir(), []string{"add", "x"})
	if err == nil || !strings.Contains(out, "args: --yes skills@latest add x") {
		t.Errorf("out %q err %v", out, err)
	}
	if _, err := NpxSkills(t.TempDir())(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "npx not found") {
		t.Errorf("no npx: %v", err)
	}
}

func TestStaleness(t *testing.T) {
	api := &versionAPI{}
	m, _ := newManager(t, api.start(t), &skillsCalls{})
	v := VersionInfo{GuidelinesHash: hash(guidelinesText), AgentSkillsSHA: "sha1"}
	if got := m.Staleness(v); got != NotInstalledMessage {
		t.Errorf("fresh: %q", got)
	}
	// Files from before the state file existed: nothing to say.
	write(t, filepath.Join(m.ProjectDir, "CLAUDE.md"), Section("convex"))
	if got := m.Staleness(v); got != "" {
		t.Errorf("artifacts only: %q", got)
	}
	if err := m.Install(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := m.Staleness(v); got != "" {
		t.Errorf("current: %q", got)
	}
	if got := m.Staleness(VersionInfo{AgentSkillsSHA: "sha2"}); got != OutOfDateMessage {
		t.Errorf("new skills: %q", got)
	}
	if got := m.Staleness(VersionInfo{GuidelinesHash: "other"}); got != OutOfDateMessage {
		t.Errorf("new guidelines: %q", got)
	}
	if got := m.Staleness(VersionInfo{}); got != "" {
		t.Errorf("no hashes: %q", got)
	}
	yes := true
	m.Config.DisableStalenessMessage = &yes
	if got := m.Staleness(VersionInfo{GuidelinesHash: "other"}); got != "" {
		t.Errorf("disabled: %q", got)
	}
}

func TestOfferSetup(t *testing.T) {
	api := &versionAPI{}
	origin := api.start(t)
	asked := 0
	answer := false
	confirm := func(q string) (bool, error) {
		asked++
		if q != SetupQuestion {
			t.Errorf("question %q", q)
		}
		return answer, nil
	}
	m, _ := newManager(t, origin, &skillsCalls{})
	if err := m.OfferSetup(context.Background(), false, confirm); err != nil || asked != 0 {
		t.Errorf("no terminal: asked %d, %v", asked, err)
	}
	if err := m.OfferSetup(context.Background(), true, confirm); err != nil || asked != 1 {
		t.Errorf("asked %d, %v", asked, err)
	}
	if _, err := os.Stat(filepath.Join(m.ProjectDir, "AGENTS.md")); !os.IsNotExist(err) {
		t.Error("installed after no")
	}
	answer = true
	if err := m.OfferSetup(context.Background(), true, confirm); err != nil || asked != 2 {
		t.Errorf("asked %d, %v", asked, err)
	}
	if _, err := ReadState(m.FunctionsDir); err != nil {
		t.Errorf("not installed after yes: %v", err)
	}
	// Installed before: refreshed without asking.
	os.Remove(GuidelinesPath(m.FunctionsDir))
	if err := m.OfferSetup(context.Background(), true, confirm); err != nil || asked != 2 {
		t.Errorf("asked %d, %v", asked, err)
	}
	if _, err := os.Stat(GuidelinesPath(m.FunctionsDir)); err != nil {
		t.Errorf("not refreshed: %v", err)
	}
}
