package aifiles

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The markers around the Convex section of AGENTS.md and CLAUDE.md. They
// are shared with the npm CLI so either tool recognises the other's
// section; everything outside them belongs to the user.
const (
	StartMarker = "<!-- convex-ai-start -->"
	EndMarker   = "<!-- convex-ai-end -->"
)

// Files managed at the project root.
const (
	AgentsMD = "AGENTS.md"
	ClaudeMD = "CLAUDE.md"
	// legacyCursorRules was kept up to date by older CLIs; the guidelines
	// replace it.
	legacyCursorRules = ".cursor/rules/convex_rules.mdc"
	skillsLock        = "skills-lock.json"
)

// AIDir is the directory of the managed files inside the functions dir.
func AIDir(functionsDir string) string { return filepath.Join(functionsDir, "_generated", "ai") }

// GuidelinesPath is the guidelines file inside the functions dir.
func GuidelinesPath(functionsDir string) string {
	return filepath.Join(AIDir(functionsDir), "guidelines.md")
}

// StatePath is the file recording what was installed.
func StatePath(functionsDir string) string {
	return filepath.Join(AIDir(functionsDir), "ai-files.state.json")
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Section is the managed section for a project whose functions dir is
// functionsDirName (relative to the project, e.g. "convex").
func Section(functionsDirName string) string {
	dir := filepath.ToSlash(functionsDirName)
	return StartMarker + "\n\n" +
		"The backend of this project runs on [Convex](https://convex.dev).\n\n" +
		"Before writing or changing Convex code, **read\n`" + dir + "/_generated/ai/guidelines.md`**. It describes\n" +
		"the current Convex APIs and patterns, and it takes precedence over anything\n" +
		"remembered about Convex from elsewhere.\n\n" +
		"Run `npx convex ai-files install` to add Convex agent skills for common tasks.\n\n" +
		EndMarker
}

// State is ai-files.state.json: the hashes of what was last installed
// (nil = not installed). The layout is shared with the npm CLI.
type State struct {
	GuidelinesHash      *string `json:"guidelinesHash"`
	AgentsMDSectionHash *string `json:"agentsMdSectionHash"`
	ClaudeMDHash        *string `json:"claudeMdHash"`
	AgentSkillsSHA      *string `json:"agentSkillsSha"`
}

// ErrNoState is returned by ReadState when there is no (or an empty) state file.
var ErrNoState = errors.New("no AI files state")

// ReadState reads the state file. A file that is not a valid state is an
// error other than ErrNoState.
func ReadState(functionsDir string) (State, error) {
	data, err := os.ReadFile(StatePath(functionsDir))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(data) == 0) {
		return State{}, ErrNoState
	}
	if err != nil {
		return State{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return State{}, errors.New("ai-files.state.json is not a JSON object")
	}
	var s State
	fields := map[string]**string{"guidelinesHash": &s.GuidelinesHash, "agentsMdSectionHash": &s.AgentsMDSectionHash,
		"claudeMdHash": &s.ClaudeMDHash, "agentSkillsSha": &s.AgentSkillsSHA}
	for k, dst := range fields {
		v, ok := raw[k]
		if !ok {
			return State{}, errors.New("ai-files.state.json lacks " + k)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return State{}, errors.New("ai-files.state.json: " + k + " is not a string or null")
		}
	}
	return s, nil
}

// WriteState writes the state file (2-space JSON).
func WriteState(functionsDir string, s State) error {
	if err := os.MkdirAll(AIDir(functionsDir), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(StatePath(functionsDir), append(data, '\n'), 0o644)
}

// readOrEmpty reads path; a missing file is ("", false, nil).
func readOrEmpty(path string) (string, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(data), true, nil
}

// HasSection reports whether content holds both markers.
func HasSection(content string) bool {
	return strings.Contains(content, StartMarker) && strings.Contains(content, EndMarker)
}

// injectSection puts section into the file at path: in place of the one
// between the markers, or appended after the user's content, or as the
// whole new file. It writes only when something changes.
func injectSection(path, section string) (wrote bool, err error) {
	old, _, err := readOrEmpty(path)
	if err != nil {
		return false, err
	}
	start, end := strings.Index(old, StartMarker), strings.Index(old, EndMarker)
	var updated string
	switch {
	case start >= 0 && end >= 0 && end > start:
		updated = old[:start] + section + old[end+len(EndMarker):]
	case old != "":
		updated = strings.TrimRight(old, " \t\r\n") + "\n\n" + section + "\n"
	default:
		updated = section + "\n"
	}
	if updated == old {
		return false, nil
	}
	return true, os.WriteFile(path, []byte(updated), 0o644)
}

// stripResult says what stripSection did.
type stripResult int

const (
	strippedNothing stripResult = iota
	strippedSection
	deletedFile
)

// stripSection removes the managed section from the file at path, and the
// file itself when nothing else is left in it.
func stripSection(path string) (stripResult, error) {
	content, ok, err := readOrEmpty(path)
	if err != nil || !ok {
		return strippedNothing, err
	}
	start, end := strings.Index(content, StartMarker), strings.Index(content, EndMarker)
	if start < 0 || end < 0 || end < start {
		return strippedNothing, nil
	}
	before := strings.TrimRight(content[:start], " \t\r\n")
	after := strings.TrimLeft(content[end+len(EndMarker):], " \t\r\n")
	var parts []string
	for _, p := range []string{before, after} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	rest := strings.TrimRight(strings.Join(parts, "\n\n"), " \t\r\n")
	if strings.TrimSpace(rest) == "" {
		return deletedFile, os.Remove(path)
	}
	return strippedSection, os.WriteFile(path, []byte(rest+"\n"), 0o644)
}
