package aifiles

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Printer is where progress goes (a *ui.Printer).
type Printer interface {
	Message(format string, args ...any)
	Success(format string, args ...any)
	Warn(format string, args ...any)
}

// SkillsRunner runs the skills CLI (`npx skills …`) with args in dir and
// returns its combined output.
type SkillsRunner func(ctx context.Context, dir string, args []string) (output string, err error)

// NpxSkills returns a runner of the skills package through npx, as the npm
// CLI does, finding npx in pathList (a PATH value; "" = this process's PATH).
func NpxSkills(pathList string) SkillsRunner {
	return func(ctx context.Context, dir string, args []string) (string, error) {
		npx, err := findProgram("npx", pathList)
		if err != nil {
			return "", err
		}
		cmd := exec.CommandContext(ctx, npx, append([]string{"--yes", "skills@latest"}, args...)...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		return out.String(), err
	}
}

// findProgram looks name up in pathList, or in PATH when pathList is "".
func findProgram(name, pathList string) (string, error) {
	if pathList == "" {
		return exec.LookPath(name)
	}
	names := []string{name}
	if runtime.GOOS == "windows" {
		names = []string{name + ".cmd", name + ".exe"}
	}
	for _, dir := range filepath.SplitList(pathList) {
		for _, n := range names {
			p := filepath.Join(dir, n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found in PATH", name)
}

// DefaultAgents are the coding agents skills go to unless convex.json's
// aiFiles.skills.agents lists others ("codex" uses .agents/, which many
// other tools read too).
var DefaultAgents = []string{"claude-code", "codex"}

// Manager installs, inspects and removes the AI files of one project.
type Manager struct {
	ProjectDir   string // holds convex.json, AGENTS.md and CLAUDE.md
	FunctionsDir string // absolute functions dir
	Config       config.AIFilesConfig
	API          *API
	Out          Printer
	Skills       SkillsRunner
}

// functionsDirName is the functions dir relative to the project.
func (m *Manager) functionsDirName() string {
	rel, err := filepath.Rel(m.ProjectDir, m.FunctionsDir)
	if err != nil {
		return m.FunctionsDir
	}
	return rel
}

func (m *Manager) rel(path string) string {
	if rel, err := filepath.Rel(m.ProjectDir, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}

// Disabled reports whether convex.json turns AI files off (enabled: false,
// or the older disableStalenessMessage: true when enabled is not set).
func Disabled(c config.AIFilesConfig) bool {
	if c.Enabled != nil {
		return !*c.Enabled
	}
	return c.DisableStalenessMessage != nil && *c.DisableStalenessMessage
}

func (m *Manager) agents() []string {
	if m.Config.SkillsAgents != nil {
		return m.Config.SkillsAgents
	}
	return DefaultAgents
}

// fetchError is the error when the version API cannot be reached or
// answers badly.
func (m *Manager) fetchError(err error) *ui.Error {
	return ui.Wrap(err, "could not fetch the AI files from %s", m.API.Origin).
		WithHint("Check the network connection (or " + OriginEnv + "), then run `convex ai-files install` again.")
}

// Install writes (or refreshes) every AI file. Like the npm CLI it writes
// all it can when a part fails, then reports the failure.
func (m *Manager) Install(ctx context.Context) error {
	state, err := ReadState(m.FunctionsDir)
	if err != nil {
		state = State{} // missing or unreadable: start afresh
	}
	var fetchErr error
	guidelines, err := m.API.Guidelines(ctx)
	if err != nil {
		fetchErr = err
		m.Out.Warn("Could not download the Convex guidelines; writing the other files.")
	} else {
		if err := os.MkdirAll(AIDir(m.FunctionsDir), 0o755); err != nil {
			return ui.Wrap(err, "cannot create %s", m.rel(AIDir(m.FunctionsDir)))
		}
		if err := os.WriteFile(GuidelinesPath(m.FunctionsDir), []byte(guidelines), 0o644); err != nil {
			return ui.Wrap(err, "cannot write %s", m.rel(GuidelinesPath(m.FunctionsDir)))
		}
		h := hash(guidelines)
		state.GuidelinesHash = &h
		m.Out.Success("%s written", m.rel(GuidelinesPath(m.FunctionsDir)))
	}
	section := Section(m.functionsDirName())
	sectionHash := hash(section)
	for _, name := range []string{AgentsMD, ClaudeMD} {
		wrote, err := injectSection(filepath.Join(m.ProjectDir, name), section)
		if err != nil {
			return ui.Wrap(err, "cannot update %s", name)
		}
		if wrote {
			m.Out.Success("%s written", name)
		}
	}
	state.AgentsMDSectionHash, state.ClaudeMDHash = &sectionHash, &sectionHash
	skillsOK := m.installSkills(ctx, &state)
	m.removeLegacyCursorRules()
	if err := WriteState(m.FunctionsDir, state); err != nil {
		return ui.Wrap(err, "cannot write %s", m.rel(StatePath(m.FunctionsDir)))
	}
	if fetchErr != nil {
		return m.fetchError(fetchErr)
	}
	if !skillsOK {
		return ui.Errorf("Some Convex AI files could not be installed. See the messages above.")
	}
	return nil
}

// skillsAllowed asks the version API whether the skills CLI may run: the
// API can switch it off. An unreachable API does not stop it.
func (m *Manager) skillsAllowed(ctx context.Context) (VersionInfo, bool) {
	v, err := m.API.Version(ctx)
	if err != nil {
		return VersionInfo{}, true
	}
	if v.DisableSkillsCLI {
		msg := v.DisableSkillsCLIMessage
		if msg == "" {
			msg = "Agent skills are switched off for now."
		}
		m.Out.Warn("%s", msg)
		return v, false
	}
	return v, true
}

func (m *Manager) runSkills(ctx context.Context, args []string) bool {
	run := m.Skills
	if run == nil {
		run = NpxSkills("")
	}
	out, err := run(ctx, m.ProjectDir, args)
	if err != nil {
		if tail := lastLines(out, 10); tail != "" {
			m.Out.Message("skills output (last lines):\n%s", tail)
		}
		return false
	}
	return true
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func (m *Manager) installSkills(ctx context.Context, state *State) bool {
	agents := m.agents()
	if len(agents) == 0 {
		return true
	}
	v, ok := m.skillsAllowed(ctx)
	if !ok {
		return true
	}
	m.Out.Message("Installing Convex agent skills...")
	args := []string{"add", "convex/agent-skills", "--yes", "--copy"}
	for _, a := range agents {
		args = append(args, "--agent", a)
	}
	if !m.runSkills(ctx, args) {
		m.Out.Warn("Could not install the agent skills. To retry by hand: npx skills add convex/agent-skills --copy")
		return false
	}
	if v.AgentSkillsSHA != "" {
		sha := v.AgentSkillsSHA
		state.AgentSkillsSHA = &sha
	}
	m.Out.Success("Skills installed")
	return true
}

func (m *Manager) removeLegacyCursorRules() bool {
	if os.Remove(filepath.Join(m.ProjectDir, filepath.FromSlash(legacyCursorRules))) != nil {
		return false
	}
	m.Out.Success("Removed the old %s (%s replaces it).", legacyCursorRules, m.rel(GuidelinesPath(m.FunctionsDir)))
	return true
}

// Remove deletes every AI file. It needs the skills catalog to know which
// skills are Convex's, and removes nothing without it.
func (m *Manager) Remove(ctx context.Context) error {
	catalog, err := m.API.SkillsCatalog(ctx)
	if err != nil {
		return m.fetchError(err).WithHint("`convex ai-files remove` needs the list of Convex agent skills; nothing was removed.")
	}
	removed := false
	for _, name := range []string{AgentsMD, ClaudeMD} {
		res, err := stripSection(filepath.Join(m.ProjectDir, name))
		if err != nil {
			return ui.Wrap(err, "cannot update %s", name)
		}
		switch res {
		case strippedSection:
			m.Out.Success("Removed the Convex section from %s.", name)
			removed = true
		case deletedFile:
			m.Out.Success("Deleted %s.", name)
			removed = true
		}
	}
	names := make([]string, 0, len(catalog.Skills))
	for _, s := range catalog.Skills {
		names = append(names, s.Name)
	}
	if m.removeSkills(ctx, names) {
		removed = true
	}
	if m.removeLegacyCursorRules() {
		removed = true
	}
	dir := AIDir(m.FunctionsDir)
	if _, err := os.Stat(dir); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			m.Out.Warn("Could not delete %s/ (%v). Remove it by hand.", m.rel(dir), err)
		} else {
			m.Out.Success("Deleted %s/", m.rel(dir))
			removed = true
		}
	}
	if removed {
		m.Out.Message("Convex AI files removed.")
	} else {
		m.Out.Message("No Convex AI files found: nothing to remove.")
	}
	return nil
}

// removeSkills removes the named skills with the skills CLI and reports
// whether it did.
func (m *Manager) removeSkills(ctx context.Context, names []string) bool {
	if len(names) == 0 {
		return false
	}
	if _, ok := m.skillsAllowed(ctx); !ok {
		return false
	}
	m.Out.Message("Removing Convex agent skills: %s", strings.Join(names, ", "))
	if !m.runSkills(ctx, append(append([]string{"remove"}, names...), "--yes")) {
		m.Out.Warn("Could not remove the agent skills. To remove them by hand: npx skills remove")
		return false
	}
	// The skills CLI leaves its lock file behind even when nothing is left in it.
	lockPath := filepath.Join(m.ProjectDir, skillsLock)
	if data, err := os.ReadFile(lockPath); err == nil {
		var lock struct {
			Skills map[string]json.RawMessage `json:"skills"`
		}
		if json.Unmarshal(data, &lock) == nil && lock.Skills != nil {
			left := 0
			for name := range lock.Skills {
				if !contains(names, name) {
					left++
				}
			}
			if left == 0 && os.Remove(lockPath) == nil {
				m.Out.Success("Deleted %s.", skillsLock)
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Status prints whether AI files are enabled and the state of each one.
// Without the version API the currency checks are skipped.
func (m *Manager) Status(ctx context.Context) error {
	if Disabled(m.Config) {
		m.Out.Message("Convex AI files: disabled")
		m.Out.Message("  Run `convex ai-files enable` to turn them back on.")
		return nil
	}
	state, err := ReadState(m.FunctionsDir)
	if err != nil {
		m.Out.Message("Convex AI files: not installed")
		m.Out.Message("Run `convex ai-files install` to set them up.")
		return nil
	}
	m.Out.Message("Convex AI files: enabled")
	v, verr := m.API.Version(ctx)
	online := verr == nil
	upToDate := ""
	if online {
		upToDate = ", up to date"
	}
	ok := func(format string, args ...any) { m.Out.Message("  ✔ "+format, args...) }
	warn := func(format string, args ...any) { m.Out.Warn("  ⚠ "+format, args...) }

	gpath := m.rel(GuidelinesPath(m.FunctionsDir))
	guidelines, _, err := readOrEmpty(GuidelinesPath(m.FunctionsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ui.Wrap(err, "cannot read %s", gpath)
	}
	switch {
	case guidelines == "":
		warn("%s: missing; run `convex ai-files install` to restore it", gpath)
	case state.GuidelinesHash != nil && hash(guidelines) != *state.GuidelinesHash:
		warn("%s: installed, changed locally (the next update overwrites it)", gpath)
	case online && v.GuidelinesHash != "" && state.GuidelinesHash != nil && *state.GuidelinesHash != v.GuidelinesHash:
		warn("%s: installed, out of date; run `convex ai-files update`", gpath)
	default:
		ok("%s: installed%s", gpath, upToDate)
	}

	current := hash(Section(m.functionsDirName()))
	for _, f := range []struct {
		name     string
		recorded *string
	}{{AgentsMD, state.AgentsMDSectionHash}, {ClaudeMD, state.ClaudeMDHash}} {
		content, exists, err := readOrEmpty(filepath.Join(m.ProjectDir, f.name))
		if err != nil {
			return ui.Wrap(err, "cannot read %s", f.name)
		}
		switch {
		case !exists:
			warn("%s: missing; run `convex ai-files install` to create it", f.name)
		case !HasSection(content):
			warn("%s: no Convex section; run `convex ai-files install` to add it", f.name)
		case f.recorded != nil && *f.recorded != current:
			warn("%s: Convex section out of date; run `convex ai-files update`", f.name)
		default:
			ok("%s: Convex section present, up to date", f.name)
		}
	}

	switch {
	case state.AgentSkillsSHA == nil:
		warn("Agent skills: not installed; run `convex ai-files install` to add them")
	case online && v.AgentSkillsSHA != "" && *state.AgentSkillsSHA != v.AgentSkillsSHA:
		warn("Agent skills: installed, out of date; run `convex ai-files update`")
	default:
		ok("Agent skills: installed%s", upToDate)
	}
	return nil
}
