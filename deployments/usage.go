package deployments

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// UsageLimit is one usage limit of a deployment.
type UsageLimit struct {
	ID        string  `json:"id"`
	Metric    string  `json:"metric"`
	Window    string  `json:"window"`    // day or month
	LimitType string  `json:"limitType"` // warning or disable
	Limit     float64 `json:"limit"`
	Enabled   bool    `json:"enabled"`
}

// UsageLimitConfig is the body of create/update_usage_limit.
type UsageLimitConfig struct {
	Metric    string  `json:"metric"`
	Window    string  `json:"window"`
	LimitType string  `json:"limitType"`
	Limit     float64 `json:"limit"`
	Enabled   bool    `json:"enabled"`
}

// MetricUsage is the current usage of one metric.
type MetricUsage struct {
	Unit  string `json:"unit"`
	Usage struct {
		CurrentDay   float64 `json:"current_day"`
		CurrentMonth float64 `json:"current_month"`
	} `json:"usage"`
}

// CurrentUsage answers get_current_usage. Raw keeps the answer as sent, for --json.
type CurrentUsage struct {
	SeedStatus string                 `json:"seedStatus"` // complete, pending, partial, failed
	Metrics    map[string]MetricUsage `json:"metrics"`
	Raw        json.RawMessage        `json:"-"`
}

// ListUsageLimits lists the deployment's usage limits.
func (c *DeploymentClient) ListUsageLimits(ctx context.Context) ([]UsageLimit, error) {
	var out struct {
		UsageLimits []UsageLimit `json:"usageLimits"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/v1/list_usage_limits", nil, &out)
	return out.UsageLimits, err
}

// CreateUsageLimit creates a usage limit.
func (c *DeploymentClient) CreateUsageLimit(ctx context.Context, cfg UsageLimitConfig) (UsageLimit, error) {
	var out struct {
		UsageLimit UsageLimit `json:"usageLimit"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/v1/create_usage_limit", cfg, &out)
	return out.UsageLimit, err
}

// UpdateUsageLimit replaces the usage limit with id.
func (c *DeploymentClient) UpdateUsageLimit(ctx context.Context, id string, cfg UsageLimitConfig) (UsageLimit, error) {
	var out struct {
		UsageLimit UsageLimit `json:"usageLimit"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/v1/update_usage_limit/"+url.PathEscape(id), cfg, &out)
	return out.UsageLimit, err
}

// DeleteUsageLimit deletes the usage limit with id.
func (c *DeploymentClient) DeleteUsageLimit(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, "/api/v1/delete_usage_limit/"+url.PathEscape(id), nil, nil)
}

// CurrentUsage returns the usage of every metric today and this month.
func (c *DeploymentClient) CurrentUsage(ctx context.Context) (CurrentUsage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, "/api/v1/get_current_usage", nil, &raw); err != nil {
		return CurrentUsage{}, err
	}
	var out CurrentUsage
	if err := json.Unmarshal(raw, &out); err != nil {
		return CurrentUsage{}, err
	}
	out.Raw = raw
	return out, nil
}

// UsageWarning is the team-usage notice dev and deploy show for a cloud
// deployment when the user is logged in (spec cli §12.2). Empty Title: nothing to say.
type UsageWarning struct {
	Title, Subtitle, TeamSlug string
}

// TeamUsageWarning checks the team of deploymentName. A failing lookup of
// the team is an error; the usage endpoints failing is not (the notice is advisory).
func (c *Client) TeamUsageWarning(ctx context.Context, deploymentName string) (UsageWarning, error) {
	tp, err := c.TeamAndProject(ctx, deploymentName)
	if err != nil {
		return UsageWarning{}, err
	}
	usage, err1 := c.TeamUsageState(ctx, tp.TeamID)
	spending, err2 := c.SpendingLimitState(ctx, tp.TeamID)
	if err1 != nil || err2 != nil {
		return UsageWarning{}, nil
	}
	w := UsageWarning{TeamSlug: tp.Team}
	switch {
	case spending == "Disabled":
		w.Title, w.Subtitle = "Your projects are disabled because you exceeded your spending limit.", "Increase it from the dashboard to re-enable your projects."
	case usage == "Approaching":
		w.Title, w.Subtitle = "Your projects are approaching the Free plan limits.", "Consider upgrading to avoid service interruption."
	case usage == "Exceeded":
		w.Title, w.Subtitle = "Your projects are above the Free plan limits.", "Decrease your usage or upgrade to avoid service interruption."
	case usage == "Disabled":
		w.Title, w.Subtitle = "Your projects are disabled because the team exceeded Free plan limits.", "Decrease your usage or upgrade to re-enable your projects."
	case usage == "Paused":
		w.Title, w.Subtitle = "Your projects are disabled because the team previously exceeded Free plan limits.", "Restore your projects from the dashboard."
	}
	return w, nil
}
