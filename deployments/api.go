package deployments

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convex-go/convex/ui"
)

// Team is one entry of GET /api/teams.
type Team struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	Slug          string  `json:"slug"`
	DefaultRegion *string `json:"defaultRegion,omitempty"`
	Suspended     bool    `json:"suspended"`
	ReferralCode  string  `json:"referralCode,omitempty"`
}

// TeamAndProject answers the team_and_project lookups: slugs and numeric ids.
// Reference and IsDefault are only sent for deploy-key lookups.
type TeamAndProject struct {
	Team      string  `json:"team"`
	Project   string  `json:"project"`
	TeamID    int64   `json:"teamId"`
	ProjectID int64   `json:"projectId"`
	Reference *string `json:"reference,omitempty"`
	IsDefault bool    `json:"isDefault"`
}

// Credentials are what the authorize/provision endpoints hand out for one deployment.
type Credentials struct {
	DeploymentName string  `json:"deploymentName"`
	URL            string  `json:"url"`
	AdminKey       string  `json:"adminKey"`
	DeploymentType string  `json:"deploymentType,omitempty"`
	Reference      *string `json:"reference"`
	IsDefault      bool    `json:"isDefault"`
}

// ProjectSelection names a project the way the authorize endpoints expect it.
type ProjectSelection struct {
	Kind             string // "teamAndProjectSlugs", "deploymentName" or "projectDeployKey"
	TeamSlug         string
	ProjectSlug      string
	DeploymentName   string
	DeploymentType   string // "" = unknown (sent as null)
	ProjectDeployKey string
}

// Selection kinds of ProjectSelection.
const (
	SelSlugs          = "teamAndProjectSlugs"
	SelDeploymentName = "deploymentName"
	SelProjectKey     = "projectDeployKey"
)

// MarshalJSON writes the tagged object the management API parses.
func (p ProjectSelection) MarshalJSON() ([]byte, error) {
	switch p.Kind {
	case SelSlugs:
		return json.Marshal(map[string]any{"kind": p.Kind, "teamSlug": p.TeamSlug, "projectSlug": p.ProjectSlug})
	case SelDeploymentName:
		var typ any
		if p.DeploymentType != "" {
			typ = p.DeploymentType
		}
		return json.Marshal(map[string]any{"kind": p.Kind, "deploymentName": p.DeploymentName, "deploymentType": typ})
	case SelProjectKey:
		return json.Marshal(map[string]any{"kind": p.Kind, "projectDeployKey": p.ProjectDeployKey})
	}
	return nil, fmt.Errorf("unknown project selection kind %q", p.Kind)
}

// UnmarshalJSON reads the tagged object (used by fakecloud).
func (p *ProjectSelection) UnmarshalJSON(b []byte) error {
	var raw struct {
		Kind             string  `json:"kind"`
		TeamSlug         string  `json:"teamSlug"`
		ProjectSlug      string  `json:"projectSlug"`
		DeploymentName   string  `json:"deploymentName"`
		DeploymentType   *string `json:"deploymentType"`
		ProjectDeployKey string  `json:"projectDeployKey"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = ProjectSelection{Kind: raw.Kind, TeamSlug: raw.TeamSlug, ProjectSlug: raw.ProjectSlug,
		DeploymentName: raw.DeploymentName, ProjectDeployKey: raw.ProjectDeployKey}
	if raw.DeploymentType != nil {
		p.DeploymentType = *raw.DeploymentType
	}
	return nil
}

// Project is a project as the platform API describes it.
type Project struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Slug       string `json:"slug"`
	TeamID     int64  `json:"teamId"`
	TeamSlug   string `json:"teamSlug"`
	CreateTime int64  `json:"createTime"`
}

// Deployment is a deployment as the platform API describes it.
type Deployment struct {
	Kind           string  `json:"kind,omitempty"`
	Name           string  `json:"name"`
	DeploymentURL  string  `json:"deploymentUrl,omitempty"`
	DeploymentType string  `json:"deploymentType"`
	ProjectID      int64   `json:"projectId"`
	Reference      *string `json:"reference,omitempty"`
	IsDefault      bool    `json:"isDefault"`
	Region         *string `json:"region,omitempty"`
	CreateTime     int64   `json:"createTime,omitempty"`
	ExpiresAt      *int64  `json:"expiresAt,omitempty"`
}

// Region is one entry of list_deployment_regions.
type Region struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Available   bool   `json:"available"`
}

// DeploymentClass is one entry of list_deployment_classes.
type DeploymentClass struct {
	Type      string `json:"type"`
	Available bool   `json:"available"`
}

// EnvVar is a name/value pair.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DefaultEnvChange sets (Value non-nil) or deletes (nil) one project default.
type DefaultEnvChange struct {
	Name           string  `json:"name"`
	DeploymentType string  `json:"deploymentType"`
	Value          *string `json:"value"`
}

// PreviewClaim answers claim_preview_deployment.
type PreviewClaim struct {
	AdminKey        string  `json:"adminKey"`
	InstanceURL     string  `json:"instanceUrl"`
	DeploymentName  string  `json:"deploymentName"`
	Reference       *string `json:"reference"`
	IsNewDeployment bool    `json:"isNewDeployment"`
}

// OptIn is one terms-of-service opt-in the user still has to accept.
type OptIn struct {
	OptIn   json.RawMessage `json:"optIn"`
	Message string          `json:"message"`
}

// CreateDeploymentRequest is the body of create_deployment.
type CreateDeploymentRequest struct {
	Type      string  `json:"type"`
	Region    *string `json:"region"`
	Reference *string `json:"reference"`
	IsDefault *bool   `json:"isDefault"`
	ExpiresAt *int64  `json:"expiresAt,omitempty"`
	Class     string  `json:"class,omitempty"`
}

// LocalDeploymentStart answers local_deployment/start.
type LocalDeploymentStart struct {
	DeploymentName string `json:"deploymentName"`
	ProjectID      int64  `json:"projectId"`
	AdminKey       string `json:"adminKey,omitempty"`
}

// ---- legacy /api/ routes ----

// Authorized reports whether the current credential is accepted
// (HEAD /api/authorize answers 200). Only network failures are errors.
func (c *Client) Authorized(ctx context.Context) (bool, error) {
	if c.auth == "" {
		return false, nil
	}
	err := c.Do(ctx, http.MethodHead, c.apiURL("authorize"), nil, nil)
	if err == nil {
		return true, nil
	}
	if StatusCode(err) != 0 {
		return false, nil
	}
	return false, err
}

// CheckOptIns lists the opt-ins the user has not accepted yet.
func (c *Client) CheckOptIns(ctx context.Context) ([]OptIn, error) {
	var out struct {
		OptInsToAccept []OptIn `json:"optInsToAccept"`
	}
	err := c.Do(ctx, http.MethodPost, c.apiURL("check_opt_ins"), nil, &out)
	return out.OptInsToAccept, err
}

// AcceptOptIns records the user's acceptance.
func (c *Client) AcceptOptIns(ctx context.Context, optIns []json.RawMessage) error {
	return c.Do(ctx, http.MethodPost, c.apiURL("accept_opt_ins"), map[string]any{"optInsAccepted": optIns}, nil)
}

// Teams lists the teams the credential can see.
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	var out []Team
	err := c.Do(ctx, http.MethodGet, c.apiURL("teams"), nil, &out)
	return out, err
}

// HasProjects reports whether the user has any project at all.
func (c *Client) HasProjects(ctx context.Context) (bool, error) {
	var out bool
	err := c.Do(ctx, http.MethodGet, c.apiURL("has_projects"), nil, &out)
	return out, err
}

// TeamAndProject looks up the team and project of a deployment by name.
func (c *Client) TeamAndProject(ctx context.Context, deploymentName string) (TeamAndProject, error) {
	var out TeamAndProject
	err := c.Do(ctx, http.MethodGet, c.apiURL("deployment/"+url.PathEscape(deploymentName)+"/team_and_project"), nil, &out)
	if err == nil && (out.Team == "" || out.Project == "") {
		err = ui.Errorf("Unexpected answer when looking up the team and project of %s", deploymentName)
	}
	return out, err
}

// TeamAndProjectForKey looks up the team and project a deploy key belongs to.
func (c *Client) TeamAndProjectForKey(ctx context.Context, deployKey string) (TeamAndProject, error) {
	var out TeamAndProject
	err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/team_and_project_for_key"), map[string]string{"deployKey": deployKey}, &out)
	if err == nil && (out.Team == "" || out.Project == "") {
		err = ui.Errorf("Unexpected answer when looking up the team and project of a deploy key")
	}
	return out, err
}

// URLForKey asks for the URL of a deploy key's deployment; it is never
// derived locally because deployments may use custom domains.
func (c *Client) URLForKey(ctx context.Context, deployKey string) (string, error) {
	var out string
	err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/url_for_key"), map[string]string{"deployKey": deployKey}, &out)
	if err == nil && out == "" {
		err = ui.Errorf("The management API returned no URL for the deploy key %s", ui.Redact(deployKey))
	}
	return out, err
}

// ProvisionAndAuthorize returns the caller's default dev or prod deployment
// of a project, creating it when missing. Empty slugs are sent as null (the
// project then comes from a project key used as the credential).
func (c *Client) ProvisionAndAuthorize(ctx context.Context, teamSlug, projectSlug, deploymentType string) (Credentials, error) {
	body := map[string]any{"teamSlug": nullable(teamSlug), "projectSlug": nullable(projectSlug), "deploymentType": deploymentType}
	var out Credentials
	if err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/provision_and_authorize"), body, &out); err != nil {
		return out, err
	}
	if out.DeploymentType == "" {
		out.DeploymentType = deploymentType
	}
	return out, checkCredentials(out)
}

// AuthorizeProd returns the default prod deployment of the project that
// deploymentName belongs to.
func (c *Client) AuthorizeProd(ctx context.Context, deploymentName string) (Credentials, error) {
	var out Credentials
	if err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/authorize_prod"), map[string]string{"deploymentName": deploymentName}, &out); err != nil {
		return out, err
	}
	if out.DeploymentType == "" {
		out.DeploymentType = "prod"
	}
	return out, checkCredentials(out)
}

// AuthorizePreview returns an existing preview deployment by name.
func (c *Client) AuthorizePreview(ctx context.Context, previewName string, sel ProjectSelection) (Credentials, error) {
	var out Credentials
	if err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/authorize_preview"), map[string]any{"previewName": previewName, "projectSelection": sel}, &out); err != nil {
		return out, err
	}
	if out.DeploymentType == "" {
		out.DeploymentType = "preview"
	}
	return out, checkCredentials(out)
}

// AuthorizeWithinCurrentProject returns any deployment by name.
func (c *Client) AuthorizeWithinCurrentProject(ctx context.Context, deploymentName string, sel ProjectSelection) (Credentials, error) {
	var out Credentials
	if err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/authorize_within_current_project"), map[string]any{"selectedDeploymentName": deploymentName, "projectSelection": sel}, &out); err != nil {
		return out, err
	}
	return out, checkCredentials(out)
}

func checkCredentials(c Credentials) error {
	if c.AdminKey == "" || c.URL == "" {
		b, _ := json.Marshal(map[string]any{"deploymentName": c.DeploymentName, "url": c.URL, "hasAdminKey": c.AdminKey != ""})
		return ui.Errorf("Unknown error during authorization: %s", b)
	}
	return nil
}

// ExistingDev reports whether the user already has a cloud dev deployment in a project.
func (c *Client) ExistingDev(ctx context.Context, teamSlug, projectSlug string) (bool, error) {
	var out struct {
		Kind string `json:"kind"`
	}
	if err := c.Do(ctx, http.MethodPost, c.apiURL("deployment/existing_dev"), map[string]string{"projectSlug": projectSlug, "teamSlug": teamSlug}, &out); err != nil {
		return false, err
	}
	switch out.Kind {
	case "Exists":
		return true, nil
	case "DoesNotExist":
		return false, nil
	}
	return false, ui.Errorf("Unexpected /api/deployment/existing_dev response: kind %q", out.Kind)
}

// ClaimPreviewDeployment gets (reuse) or recreates the preview deployment
// named identifier in a project; used by deploy with a preview deploy key.
func (c *Client) ClaimPreviewDeployment(ctx context.Context, teamSlug, projectSlug, identifier string, reuse bool) (PreviewClaim, error) {
	body := map[string]any{
		"projectSelection": ProjectSelection{Kind: SelSlugs, TeamSlug: teamSlug, ProjectSlug: projectSlug},
		"identifier":       identifier,
		"reuse":            reuse,
	}
	var out PreviewClaim
	err := c.Do(ctx, http.MethodPost, c.apiURL("claim_preview_deployment"), body, &out)
	if err == nil && (out.AdminKey == "" || out.InstanceURL == "") {
		err = ui.Errorf("Unexpected answer when claiming the preview deployment %q", identifier)
	}
	return out, err
}

// StartLocalDeployment registers (or re-registers) a local deployment with a project.
func (c *Client) StartLocalDeployment(ctx context.Context, port int, teamSlug, projectSlug, instanceName string) (LocalDeploymentStart, error) {
	body := map[string]any{"port": port, "projectSlug": projectSlug, "teamSlug": teamSlug, "instanceName": nullable(instanceName)}
	var out LocalDeploymentStart
	err := c.Do(ctx, http.MethodPost, c.apiURL("local_deployment/start"), body, &out)
	return out, err
}

// PauseLocalDeployment tells Convex a project's local deployment stopped.
func (c *Client) PauseLocalDeployment(ctx context.Context, teamSlug, projectSlug string) error {
	return c.Do(ctx, http.MethodPost, c.apiURL("local_deployment/pause"), map[string]string{"projectSlug": projectSlug, "teamSlug": teamSlug}, nil)
}

// RecordLocalActivity is the periodic heartbeat of a running local deployment.
func (c *Client) RecordLocalActivity(ctx context.Context, instanceName, adminKey string) error {
	return c.Do(ctx, http.MethodPost, c.apiURL("local_deployment/record_activity"), map[string]string{"instanceName": instanceName, "adminKey": adminKey}, nil)
}

// TotalProjectsKind returns "none", "one" or "multiple" (enable_feature_metadata).
func (c *Client) TotalProjectsKind(ctx context.Context) (string, error) {
	var out struct {
		TotalProjects struct {
			Kind string `json:"kind"`
		} `json:"totalProjects"`
	}
	err := c.Do(ctx, http.MethodPost, c.apiURL("local_deployment/enable_feature_metadata"), nil, &out)
	return out.TotalProjects.Kind, err
}

// TeamUsageState returns Default, Approaching, Exceeded, Disabled or Paused.
func (c *Client) TeamUsageState(ctx context.Context, teamID int64) (string, error) {
	var out struct {
		UsageState string `json:"usageState"`
	}
	err := c.Do(ctx, http.MethodGet, c.apiURL("dashboard/teams/"+strconv.FormatInt(teamID, 10)+"/usage/team_usage_state"), nil, &out)
	return out.UsageState, err
}

// SpendingLimitState returns the spending-limit state (null → "").
func (c *Client) SpendingLimitState(ctx context.Context, teamID int64) (string, error) {
	var out struct {
		State *string `json:"state"`
	}
	err := c.Do(ctx, http.MethodGet, c.apiURL("dashboard/teams/"+strconv.FormatInt(teamID, 10)+"/get_spending_limits"), nil, &out)
	if out.State == nil {
		return "", err
	}
	return *out.State, err
}

// ---- platform /v1/ routes ----

// CreatePersonalAccessToken trades an identity-provider token (sent as the
// bearer credential) for a Convex personal access token.
func (c *Client) CreatePersonalAccessToken(ctx context.Context, providerToken, deviceName, anonymousID string) (string, error) {
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	err := c.WithAuth(providerToken).Do(ctx, http.MethodPost, c.v1URL("create_personal_access_token"),
		map[string]any{"name": deviceName, "anonymousId": nullable(anonymousID)}, &out)
	if err == nil && out.AccessToken == "" {
		err = ui.Errorf("Login failed: the management API returned no access token")
	}
	return out.AccessToken, err
}

// ProjectBySlugs fetches a project by team (slug or id) and project slug.
func (c *Client) ProjectBySlugs(ctx context.Context, team, project string) (Project, error) {
	var out Project
	err := c.Do(ctx, http.MethodGet, c.v1URL("teams/"+url.PathEscape(team)+"/projects/"+url.PathEscape(project)), nil, &out)
	return out, err
}

// ProjectByID fetches a project by its numeric id.
func (c *Client) ProjectByID(ctx context.Context, id int64) (Project, error) {
	var out Project
	err := c.Do(ctx, http.MethodGet, c.v1URL("projects/"+strconv.FormatInt(id, 10)), nil, &out)
	return out, err
}

// DeploymentByName fetches a deployment's description.
func (c *Client) DeploymentByName(ctx context.Context, name string) (Deployment, error) {
	var out Deployment
	err := c.Do(ctx, http.MethodGet, c.v1URL("deployments/"+url.PathEscape(name)), nil, &out)
	return out, err
}

// ListProjects returns every project of a team, following pagination.
func (c *Client) ListProjects(ctx context.Context, teamID int64) ([]Project, error) {
	var all []Project
	cursor := ""
	for {
		u := c.v1URL("teams/" + strconv.FormatInt(teamID, 10) + "/projects")
		if cursor != "" {
			u += "?cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []Project `json:"items"`
			Pagination struct {
				HasMore    bool    `json:"hasMore"`
				NextCursor *string `json:"nextCursor"`
			} `json:"pagination"`
		}
		if err := c.Do(ctx, http.MethodGet, u, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if !page.Pagination.HasMore || page.Pagination.NextCursor == nil || *page.Pagination.NextCursor == "" {
			return all, nil
		}
		cursor = *page.Pagination.NextCursor
	}
}

// DeploymentByReference resolves a deployment reference (e.g. "staging",
// "dev/james") in a project to its deployment.
func (c *Client) DeploymentByReference(ctx context.Context, team, project, reference string) (Deployment, error) {
	var out Deployment
	u := c.v1URL("teams/"+url.PathEscape(team)+"/projects/"+url.PathEscape(project)+"/deployment") + "?reference=" + url.QueryEscape(reference)
	err := c.Do(ctx, http.MethodGet, u, nil, &out)
	return out, err
}

// DefaultDevDeployment finds the caller's personal cloud dev deployment in a project.
func (c *Client) DefaultDevDeployment(ctx context.Context, team, project string) (Deployment, error) {
	var out Deployment
	u := c.v1URL("teams/"+url.PathEscape(team)+"/projects/"+url.PathEscape(project)+"/deployment") + "?defaultDev=true"
	err := c.Do(ctx, http.MethodGet, u, nil, &out)
	return out, err
}

// CreateProject creates a project in a team, optionally provisioning a
// deployment of deploymentType ("" = none) in region ("" = default).
func (c *Client) CreateProject(ctx context.Context, teamID int64, name, deploymentType, region string) (string, error) {
	var out struct {
		Slug string `json:"slug"`
	}
	body := map[string]any{"projectName": name, "deploymentType": nullable(deploymentType), "deploymentRegion": nullable(region)}
	err := c.Do(ctx, http.MethodPost, c.v1URL("teams/"+strconv.FormatInt(teamID, 10)+"/create_project"), body, &out)
	if err == nil && out.Slug == "" {
		err = ui.Errorf("Unexpected response during provisioning: no project slug")
	}
	return out.Slug, err
}

// ListRegions lists the regions a team can deploy to.
func (c *Client) ListRegions(ctx context.Context, teamID int64) ([]Region, error) {
	var out struct {
		Items []Region `json:"items"`
	}
	err := c.Do(ctx, http.MethodGet, c.v1URL("teams/"+strconv.FormatInt(teamID, 10)+"/list_deployment_regions"), nil, &out)
	return out.Items, err
}

// ListClasses lists the deployment classes a team can use.
func (c *Client) ListClasses(ctx context.Context, teamID int64) ([]DeploymentClass, error) {
	var out struct {
		Items []DeploymentClass `json:"items"`
	}
	err := c.Do(ctx, http.MethodGet, c.v1URL("teams/"+strconv.FormatInt(teamID, 10)+"/list_deployment_classes"), nil, &out)
	return out.Items, err
}

// CreateDeployment creates a cloud deployment in a project.
func (c *Client) CreateDeployment(ctx context.Context, projectID int64, req CreateDeploymentRequest) (Deployment, error) {
	var out Deployment
	err := c.Do(ctx, http.MethodPost, c.v1URL("projects/"+strconv.FormatInt(projectID, 10)+"/create_deployment"), req, &out)
	if err == nil && out.Kind != "" && out.Kind != "cloud" {
		err = ui.Errorf("Expected cloud deployment to be created but got %s", out.Kind)
	}
	return out, err
}

// CreateDeployKey mints a named deploy key for a deployment.
func (c *Client) CreateDeployKey(ctx context.Context, deploymentName, keyName string) (string, error) {
	var out struct {
		DeployKey string `json:"deployKey"`
	}
	err := c.Do(ctx, http.MethodPost, c.v1URL("deployments/"+url.PathEscape(deploymentName)+"/create_deploy_key"), map[string]string{"name": keyName}, &out)
	if err == nil && out.DeployKey == "" {
		err = ui.Errorf("The management API returned no deploy key")
	}
	return out.DeployKey, err
}

// DeleteDeployKey revokes a deploy key by its name or its secret part.
func (c *Client) DeleteDeployKey(ctx context.Context, deploymentName, id string) error {
	return c.Do(ctx, http.MethodPost, c.v1URL("deployments/"+url.PathEscape(deploymentName)+"/delete_deploy_key"), map[string]string{"id": id}, nil)
}

// ListDefaultEnvVars lists a project's default environment variables for one
// deployment type; name filters to one variable when non-empty.
func (c *Client) ListDefaultEnvVars(ctx context.Context, projectID int64, deploymentType, name string) ([]EnvVar, error) {
	q := url.Values{"deploymentType": {deploymentType}}
	if name != "" {
		q.Set("name", name)
	}
	var out struct {
		Items []EnvVar `json:"items"`
	}
	err := c.Do(ctx, http.MethodGet, c.v1URL("projects/"+strconv.FormatInt(projectID, 10)+"/list_default_environment_variables")+"?"+q.Encode(), nil, &out)
	return out.Items, err
}

// UpdateDefaultEnvVars applies changes to a project's default environment variables.
func (c *Client) UpdateDefaultEnvVars(ctx context.Context, projectID int64, changes []DefaultEnvChange) error {
	return c.Do(ctx, http.MethodPost, c.v1URL("projects/"+strconv.FormatInt(projectID, 10)+"/update_default_environment_variables"), map[string]any{"changes": changes}, nil)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
