package aifiles

import (
	"context"
	"path/filepath"
)

// Staleness lines printed (in yellow) after the version check of dev, init
// and deploy (spec cli §12.1).
const (
	NotInstalledMessage = "Convex AI files are not installed. Run `convex ai-files install` to get started or `convex ai-files disable` to hide this message."
	OutOfDateMessage    = "Your Convex AI files are out of date. Run `convex ai-files update` to get the latest."
)

// hasArtifacts reports whether any managed file is there, state or not
// (files from before the state file existed count).
func (m *Manager) hasArtifacts() bool {
	if g, _, _ := readOrEmpty(GuidelinesPath(m.FunctionsDir)); g != "" {
		return true
	}
	for _, name := range []string{AgentsMD, ClaudeMD} {
		if c, _, _ := readOrEmpty(filepath.Join(m.ProjectDir, name)); HasSection(c) {
			return true
		}
	}
	return false
}

// Staleness compares what is installed with the hashes of a /v1/version
// answer and returns the line to print: NotInstalledMessage,
// OutOfDateMessage or "" (nothing to say, or AI files are disabled).
func (m *Manager) Staleness(v VersionInfo) string {
	if Disabled(m.Config) {
		return ""
	}
	state, err := ReadState(m.FunctionsDir)
	if err != nil {
		if m.hasArtifacts() {
			return ""
		}
		return NotInstalledMessage
	}
	guidelinesStale := v.GuidelinesHash != "" && state.GuidelinesHash != nil && *state.GuidelinesHash != v.GuidelinesHash
	skillsStale := v.AgentSkillsSHA != "" && state.AgentSkillsSHA != nil && *state.AgentSkillsSHA != v.AgentSkillsSHA
	if guidelinesStale || skillsStale {
		return OutOfDateMessage
	}
	return ""
}

// SetupQuestion is asked when a new project is set up on a terminal.
const SetupQuestion = "Set up Convex AI files? (guidelines, AGENTS.md, agent skills)"

// OfferSetup is what dev and init do for AI files when they set a project
// up: nothing without a terminal or when disabled; a silent refresh when
// AI files were installed before; otherwise ask (default yes) and install.
// Install failures are not fatal here and are not returned.
func (m *Manager) OfferSetup(ctx context.Context, interactive bool, confirm func(question string) (bool, error)) error {
	if !interactive || Disabled(m.Config) {
		return nil
	}
	if _, err := ReadState(m.FunctionsDir); err == nil || m.hasArtifacts() {
		_ = m.Install(ctx)
		return nil
	}
	yes, err := confirm(SetupQuestion)
	if err != nil || !yes {
		return err
	}
	_ = m.Install(ctx)
	return nil
}
