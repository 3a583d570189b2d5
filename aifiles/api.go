// Package aifiles manages the Convex AI files of a project (spec cli §12.3):
// the guidelines under <functions>/_generated/ai/, the Convex section of
// AGENTS.md and CLAUDE.md, and the agent skills, with the version API
// (version.convex.dev) as the source of their content.
package aifiles

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultOrigin is the version API used unless OriginEnv names another.
const DefaultOrigin = "https://version.convex.dev"

// OriginEnv overrides the version API origin.
const OriginEnv = "CONVEX_VERSION_API_ORIGIN"

// API is a client of the version API.
type API struct {
	Origin string // no trailing slash
	HTTP   *http.Client
	// Header is sent with every request (Convex-Client and friends).
	Header http.Header
}

// NewAPI returns a client for origin ("" = DefaultOrigin). clientHeader is
// the Convex-Client value; agentMode the CONVEX_AGENT_MODE value, if any.
func NewAPI(origin, clientHeader string, interactive bool, agentMode string, hc *http.Client) *API {
	if origin == "" {
		origin = DefaultOrigin
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	h := http.Header{}
	h.Set("Convex-Client", clientHeader)
	h.Set("Convex-Interactive", fmt.Sprint(interactive))
	if agentMode != "" {
		h.Set("Convex-Agent-Mode", agentMode)
	}
	return &API{Origin: strings.TrimRight(origin, "/"), HTTP: hc, Header: h}
}

// VersionInfo is the answer of /v1/version. Hash fields are "" when the
// API did not send them.
type VersionInfo struct {
	Message                 *string
	GuidelinesHash          string
	AgentSkillsSHA          string
	DisableSkillsCLI        bool
	DisableSkillsCLIMessage string
}

// Skill is one entry of the agent skills catalog.
type Skill struct {
	Name   string `json:"skillName"`
	Status struct {
		Kind string `json:"kind"` // "active" or "deleted"
	} `json:"status"`
	Hash string `json:"hash"`
}

// Catalog is the answer of /v1/agent_skills: every skill Convex has
// published, deleted ones included (remove needs their names too).
type Catalog struct {
	LatestRepoSHA *string `json:"latestRepoSha"`
	Skills        []Skill `json:"skills"`
}

func (a *API) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Origin+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range a.Header {
		req.Header[k] = v
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %s", path, resp.Status)
	}
	return body, nil
}

// Version fetches /v1/version.
func (a *API) Version(ctx context.Context) (VersionInfo, error) {
	body, err := a.get(ctx, "/v1/version")
	if err != nil {
		return VersionInfo{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return VersionInfo{}, fmt.Errorf("unexpected answer from /v1/version")
	}
	var v VersionInfo
	// message is the one required field: a string or null.
	m, ok := raw["message"]
	if !ok {
		return VersionInfo{}, fmt.Errorf("unexpected answer from /v1/version: no message")
	}
	if string(m) != "null" {
		var s string
		if json.Unmarshal(m, &s) != nil {
			return VersionInfo{}, fmt.Errorf("unexpected answer from /v1/version: message is not a string")
		}
		v.Message = &s
	}
	// The optional fields count only when they have the expected type.
	optString := func(key string) string {
		var s string
		if json.Unmarshal(raw[key], &s) != nil {
			return ""
		}
		return s
	}
	v.GuidelinesHash = optString("guidelinesHash")
	v.AgentSkillsSHA = optString("agentSkillsSha")
	v.DisableSkillsCLIMessage = optString("disableSkillsCliMessage")
	v.DisableSkillsCLI = string(raw["disableSkillsCli"]) == "true"
	return v, nil
}

// Guidelines downloads the guidelines markdown.
func (a *API) Guidelines(ctx context.Context) (string, error) {
	body, err := a.get(ctx, "/v1/guidelines")
	return string(body), err
}

// SkillsCatalog fetches /v1/agent_skills.
func (a *API) SkillsCatalog(ctx context.Context) (Catalog, error) {
	body, err := a.get(ctx, "/v1/agent_skills")
	if err != nil {
		return Catalog{}, err
	}
	var c Catalog
	if err := json.Unmarshal(body, &c); err != nil || c.Skills == nil {
		return Catalog{}, fmt.Errorf("unexpected answer from /v1/agent_skills")
	}
	for _, s := range c.Skills {
		if s.Name == "" {
			return Catalog{}, fmt.Errorf("unexpected answer from /v1/agent_skills: a skill without a name")
		}
	}
	return c, nil
}
