package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Team is a team the logged-in user can access (GET /api/teams).
type Team struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Teams lists the teams header may access.
func (c *Client) Teams(ctx context.Context, header string) ([]Team, error) {
	resp, err := c.resty().R().SetContext(ctx).SetHeader("Authorization", header).Get(c.ProvisionHost + "/api/teams")
	if err != nil {
		return nil, ui.Wrap(err, "cannot reach %s to list your teams", c.ProvisionHost)
	}
	if !resp.IsSuccess() {
		return nil, apiError("listing teams", resp)
	}
	var teams []Team
	if err := json.Unmarshal(resp.Body(), &teams); err != nil {
		return nil, ui.Wrap(err, "unexpected answer when listing teams")
	}
	return teams, nil
}

// Status is what `convex login status` reports.
type Status struct {
	TokenPath    string
	HasToken     bool  // the token file holds an access token
	TokenFileErr error // the token file exists but is unreadable (treated as no token)
	LoggedIn     bool  // the management API accepts the stored token
	Teams        []Team
	// A project or dev/prod deploy key outranks the login for commands run
	// in this directory; it is checked separately.
	KeyVar    string // "" when no such key is in effect
	KeySource string // ".env.local", ".env" or "shell environment"
	KeyValid  bool
}

// LoginStatus checks the stored login and any deploy key of dir (spec cli
// §5.5). Only network failures are errors.
func LoginStatus(ctx context.Context, env config.Env, dir string, c *Client) (Status, error) {
	var st Status
	r, err := ResolveAuth(AuthOptions{Env: env, Dir: dir})
	if err != nil {
		return st, err
	}
	store, err := NewTokenStore(env)
	if err != nil {
		return st, err
	}
	st.TokenPath = store.Path
	tok, err := store.Token()
	st.TokenFileErr = err
	st.HasToken = tok != ""
	if st.HasToken {
		if st.LoggedIn, err = c.Authorized(ctx, "Bearer "+tok); err != nil {
			return st, err
		}
		if st.LoggedIn {
			if st.Teams, err = c.Teams(ctx, "Bearer "+tok); err != nil {
				return st, err
			}
		}
	}
	if k := r.Credential.Kind; k == CredProjectKey || k == CredDeploymentKey {
		st.KeyVar, st.KeySource = r.KeyVar, r.KeySource
		// The management API takes a deploy key's secret without its prefix
		// here; split at the first '|' so a secret containing '|' survives.
		if st.KeyValid, err = c.Authorized(ctx, "Bearer "+r.Key.Secret()); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Lines renders the report for stderr; warn marks lines to show as warnings.
func (s Status) Lines() (lines []string, warn []bool) {
	add := func(w bool, format string, args ...any) {
		lines = append(lines, fmt.Sprintf(format, args...))
		warn = append(warn, w)
	}
	if s.TokenFileErr != nil {
		add(true, "%s", s.TokenFileErr.Error())
	}
	if !s.HasToken {
		add(false, "No Convex account token found in: %s", s.TokenPath)
	} else {
		add(false, "Convex account token found in: %s", s.TokenPath)
	}
	if !s.LoggedIn {
		add(false, "Status: Not logged in")
	} else {
		add(false, "Status: Logged in")
		plural := "s"
		if len(s.Teams) == 1 {
			plural = ""
		}
		add(false, "Teams: %d team%s accessible", len(s.Teams), plural)
		for _, t := range s.Teams {
			add(false, "  - %s (%s)", t.Name, t.Slug)
		}
	}
	if s.KeyVar != "" {
		if s.KeyValid {
			add(false, "Working Directory: Valid %s in %s", s.KeyVar, s.KeySource)
		} else {
			add(true, "Working Directory: Invalid %s in %s", s.KeyVar, s.KeySource)
		}
	}
	return lines, warn
}

// String joins Lines for tests and logs.
func (s Status) String() string {
	l, _ := s.Lines()
	return strings.Join(l, "\n")
}
