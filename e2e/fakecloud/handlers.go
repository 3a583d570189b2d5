package fakecloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/convex-go/convex/deployments"
)

// ---- OpenID Connect and the device flow ----

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	base := s.URL()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                        base,
		"device_authorization_endpoint": base + "/oauth/device/code",
		"token_endpoint":                base + "/oauth/token",
		"authorization_endpoint":        base + "/authorize",
		"grant_types_supported":         []string{"urn:ietf:params:oauth:grant-type:device_code"},
	})
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != s.opts.ClientID {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client_id"})
		return
	}
	code := randHex(16)
	user := strings.ToUpper(randHex(2) + "-" + randHex(2))
	s.mu.Lock()
	s.devices[code] = &deviceGrant{userCode: user}
	base := s.url
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               code,
		"user_code":                 user,
		"verification_uri":          base + "/activate",
		"verification_uri_complete": base + "/activate?user_code=" + user,
		"expires_in":                900,
		"interval":                  s.opts.DeviceInterval,
	})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(code, desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		oauthErr("invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" {
		oauthErr("unsupported_grant_type", "only the device code grant is supported")
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		oauthErr("invalid_client", "unknown client_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.devices[r.PostForm.Get("device_code")]
	switch {
	case g == nil || g.used:
		oauthErr("expired_token", "the device code expired or was used")
		return
	case s.opts.DenyLogin:
		oauthErr("access_denied", "the user denied the request")
		return
	case g.polls < s.opts.PendingPolls:
		g.polls++
		oauthErr("authorization_pending", "waiting for the user")
		return
	}
	g.used = true
	tok := "idp_" + randHex(16)
	s.idpTokens[tok] = true
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": "openid"})
}

func (s *Server) createPAT(r *http.Request, _ principal, body []byte) (any, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !s.idpTokens[tok] {
		return nil, errUnauthenticated
	}
	var req struct {
		Name        string  `json:"name"`
		AnonymousID *string `json:"anonymousId"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, fail(http.StatusBadRequest, "InvalidDeviceName", "A device name is required")
	}
	return map[string]string{"accessToken": s.issueToken()}, nil
}

// ---- account ----

func (s *Server) checkOptIns(_ *http.Request, p principal, _ []byte) (any, error) {
	items := []map[string]any{}
	if p.user && !s.accepted {
		for i, m := range s.opts.OptIns {
			items = append(items, map[string]any{"optIn": map[string]any{"tos": i + 1}, "message": m})
		}
	}
	return map[string]any{"optInsToAccept": items}, nil
}

func (s *Server) acceptOptIns(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		OptInsAccepted []json.RawMessage `json:"optInsAccepted"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.OptInsAccepted) >= len(s.opts.OptIns) {
		s.accepted = true
	}
	return map[string]any{}, nil
}

func (s *Server) teamJSON(t *Team) map[string]any {
	var region any
	if t.DefaultRegion != "" {
		region = t.DefaultRegion
	}
	return map[string]any{"id": t.ID, "name": t.Name, "slug": t.Slug, "defaultRegion": region, "suspended": false, "referralCode": "REF" + strconv.FormatInt(t.ID, 10)}
}

func (s *Server) listTeams(_ *http.Request, p principal, _ []byte) (any, error) {
	out := []map[string]any{}
	for _, t := range s.teams {
		if p.user || (p.key != nil && s.projectByID(p.key.ProjectID).TeamID == t.ID) {
			out = append(out, s.teamJSON(t))
		}
	}
	return out, nil
}

func (s *Server) hasProjects(_ *http.Request, p principal, _ []byte) (any, error) {
	return len(s.projects) > 0, nil
}

// ---- deployments by name and key ----

func (s *Server) deploymentVisible(p principal, name string) (*Deployment, *Project, error) {
	d := s.deployments[name]
	if d == nil {
		return nil, nil, fail(http.StatusNotFound, "DeploymentNotFound", fmt.Sprintf("Deployment %s not found", name))
	}
	pr := s.projectByID(d.ProjectID)
	if pr == nil {
		return nil, nil, fail(http.StatusNotFound, "ProjectNotFound", "Project not found")
	}
	if !p.canSeeProject(pr) {
		return nil, nil, fail(http.StatusNotFound, "DeploymentNotFound", fmt.Sprintf("Deployment %s not found", name))
	}
	return d, pr, nil
}

func (s *Server) teamAndProject(r *http.Request, p principal, _ []byte) (any, error) {
	_, pr, err := s.deploymentVisible(p, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	t := s.teamByID(pr.TeamID)
	return map[string]any{"team": t.Slug, "project": pr.Slug, "teamId": t.ID, "projectId": pr.ID}, nil
}

func (s *Server) keyFromBody(body []byte) (*DeployKey, error) {
	var req struct {
		DeployKey string `json:"deployKey"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	k := s.keyRecord(req.DeployKey)
	if k == nil {
		return nil, fail(http.StatusUnauthorized, "BadDeployKey", "The deploy key is not valid (it may have been deleted)")
	}
	return k, nil
}

func (s *Server) teamAndProjectForKey(_ *http.Request, _ principal, body []byte) (any, error) {
	k, err := s.keyFromBody(body)
	if err != nil {
		return nil, err
	}
	pr := s.projectByID(k.ProjectID)
	t := s.teamByID(pr.TeamID)
	out := map[string]any{"team": t.Slug, "project": pr.Slug, "teamId": t.ID, "projectId": pr.ID, "reference": nil, "isDefault": false}
	if d := s.deployments[k.Deployment]; d != nil && k.Kind != "preview" && k.Kind != "project" {
		out["reference"], out["isDefault"] = d.Reference, d.IsDefault
	}
	return out, nil
}

func (s *Server) urlForKey(_ *http.Request, _ principal, body []byte) (any, error) {
	k, err := s.keyFromBody(body)
	if err != nil {
		return nil, err
	}
	if k.Kind == "preview" || k.Kind == "project" {
		return nil, fail(http.StatusBadRequest, "NotADeploymentKey", "This key does not belong to a single deployment")
	}
	d := s.deployments[k.Deployment]
	if d == nil {
		return nil, fail(http.StatusNotFound, "DeploymentNotFound", "The key's deployment no longer exists")
	}
	return d.URL, nil
}

func credentials(d *Deployment) map[string]any {
	return map[string]any{"deploymentName": d.Name, "url": d.URL, "adminKey": d.AdminKey,
		"deploymentType": d.Type, "reference": d.Reference, "isDefault": d.IsDefault}
}

// projectFor resolves the project a request names, by slugs or (when the
// credential is a project key and no slugs are sent) the key's project.
func (s *Server) projectFor(p principal, team, project *string) (*Project, error) {
	if team == nil || project == nil {
		if p.key != nil && p.key.Kind == "project" {
			return s.projectByID(p.key.ProjectID), nil
		}
		return nil, fail(http.StatusBadRequest, "MissingProject", "teamSlug and projectSlug are required")
	}
	if s.teamByRef(*team) == nil {
		return nil, fail(http.StatusNotFound, "TeamNotFound", fmt.Sprintf("Team %s not found", *team))
	}
	pr := s.projectBySlugs(*team, *project)
	if pr == nil || !p.canSeeProject(pr) {
		return nil, fail(http.StatusNotFound, "ProjectNotFound", fmt.Sprintf("Project %s not found", *project))
	}
	return pr, nil
}

func (s *Server) defaultOf(pr *Project, typ, creator string) *Deployment {
	for _, d := range s.projectDeployments(pr) {
		if d.Type == typ && d.IsDefault && (typ != "dev" || d.Creator == creator) {
			return d
		}
	}
	return nil
}

func (s *Server) creatorOf(p principal) string {
	if p.user {
		return s.user.ID
	}
	if p.key != nil {
		return "key:" + p.key.Key[:strings.IndexByte(p.key.Key, '|')]
	}
	return ""
}

func (s *Server) provisionAndAuthorize(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		TeamSlug       *string `json:"teamSlug"`
		ProjectSlug    *string `json:"projectSlug"`
		DeploymentType string  `json:"deploymentType"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.DeploymentType != "dev" && req.DeploymentType != "prod" {
		return nil, fail(http.StatusBadRequest, "InvalidDeploymentType", "deploymentType must be dev or prod")
	}
	if p.key != nil && p.key.Kind != "project" {
		return nil, errForbidden
	}
	pr, err := s.projectFor(p, req.TeamSlug, req.ProjectSlug)
	if err != nil {
		return nil, err
	}
	creator := s.user.ID
	if !p.user {
		creator = s.creatorOf(p)
	}
	d := s.defaultOf(pr, req.DeploymentType, creator)
	if d == nil {
		if d, err = s.addDeployment(pr, req.DeploymentType, "", true, creator); err != nil {
			return nil, err
		}
	}
	return credentials(d), nil
}

func (s *Server) authorizeProd(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		DeploymentName string `json:"deploymentName"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if p.key != nil && p.key.Kind != "project" {
		return nil, errForbidden
	}
	_, pr, err := s.deploymentVisible(p, req.DeploymentName)
	if err != nil {
		return nil, err
	}
	d := s.defaultOf(pr, "prod", "")
	if d == nil {
		if d, err = s.addDeployment(pr, "prod", "", true, ""); err != nil {
			return nil, err
		}
	}
	return credentials(d), nil
}

func (s *Server) selectionProject(p principal, sel deployments.ProjectSelection) (*Project, error) {
	switch sel.Kind {
	case deployments.SelSlugs:
		return s.projectFor(p, &sel.TeamSlug, &sel.ProjectSlug)
	case deployments.SelDeploymentName:
		_, pr, err := s.deploymentVisible(p, sel.DeploymentName)
		return pr, err
	}
	return nil, fail(http.StatusBadRequest, "InvalidProjectSelection", "unsupported projectSelection kind "+sel.Kind)
}

// previewDeployment is pr's preview deployment named ref, or nil.
func (s *Server) previewDeployment(pr *Project, ref string) *Deployment {
	for _, d := range s.projectDeployments(pr) {
		if d.Type == "preview" && d.Reference == ref {
			return d
		}
	}
	return nil
}

func (s *Server) authorizePreview(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		PreviewName      string                       `json:"previewName"`
		ProjectSelection deployments.ProjectSelection `json:"projectSelection"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if p.key != nil && p.key.Kind != "preview" && p.key.Kind != "project" {
		return nil, errForbidden
	}
	pr, err := s.selectionProject(p, req.ProjectSelection)
	if err != nil {
		return nil, err
	}
	if d := s.previewDeployment(pr, req.PreviewName); d != nil {
		return credentials(d), nil
	}
	return nil, fail(http.StatusNotFound, "DeploymentNotFound", fmt.Sprintf("No preview deployment named %q", req.PreviewName))
}

func (s *Server) authorizeWithin(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		SelectedDeploymentName string                       `json:"selectedDeploymentName"`
		ProjectSelection       deployments.ProjectSelection `json:"projectSelection"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if p.key != nil && p.key.Kind != "project" {
		return nil, errForbidden
	}
	pr, err := s.selectionProject(p, req.ProjectSelection)
	if err != nil {
		return nil, err
	}
	d, dpr, err := s.deploymentVisible(p, req.SelectedDeploymentName)
	if err != nil {
		return nil, err
	}
	if dpr.ID != pr.ID {
		return nil, fail(http.StatusNotFound, "DeploymentNotFound", fmt.Sprintf("Deployment %s is not in project %s", d.Name, pr.Slug))
	}
	return credentials(d), nil
}

func (s *Server) existingDev(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		TeamSlug    string `json:"teamSlug"`
		ProjectSlug string `json:"projectSlug"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	pr, err := s.projectFor(p, &req.TeamSlug, &req.ProjectSlug)
	if err != nil {
		return nil, err
	}
	if s.defaultOf(pr, "dev", s.user.ID) != nil {
		return map[string]string{"kind": "Exists"}, nil
	}
	return map[string]string{"kind": "DoesNotExist"}, nil
}

func (s *Server) claimPreview(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		ProjectSelection deployments.ProjectSelection `json:"projectSelection"`
		Identifier       string                       `json:"identifier"`
		Reuse            bool                         `json:"reuse"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Identifier == "" {
		return nil, fail(http.StatusBadRequest, "InvalidPreviewName", "A preview identifier is required")
	}
	if p.key != nil && p.key.Kind != "preview" {
		return nil, errForbidden
	}
	pr, err := s.selectionProject(p, req.ProjectSelection)
	if err != nil {
		return nil, err
	}
	if d := s.previewDeployment(pr, req.Identifier); d != nil {
		if req.Reuse {
			return map[string]any{"adminKey": d.AdminKey, "instanceUrl": d.URL, "deploymentName": d.Name, "reference": d.Reference, "isNewDeployment": false}, nil
		}
		s.removeDeployment(d.Name)
	}
	d, err := s.addDeployment(pr, "preview", req.Identifier, false, "")
	if err != nil {
		return nil, err
	}
	return map[string]any{"adminKey": d.AdminKey, "instanceUrl": d.URL, "deploymentName": d.Name, "reference": d.Reference, "isNewDeployment": true}, nil
}

func (s *Server) removeDeployment(name string) {
	d := s.deployments[name]
	if d == nil {
		return
	}
	if d.stub != nil {
		d.stub.close()
	}
	delete(s.deployments, name)
	kept := s.keys[:0]
	for _, k := range s.keys {
		if k.Deployment != name || k.Kind == "preview" || k.Kind == "project" {
			kept = append(kept, k)
		}
	}
	s.keys = kept
}

func (s *Server) localStart(_ *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		Port         int     `json:"port"`
		ProjectSlug  string  `json:"projectSlug"`
		TeamSlug     string  `json:"teamSlug"`
		InstanceName *string `json:"instanceName"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	pr, err := s.projectFor(p, &req.TeamSlug, &req.ProjectSlug)
	if err != nil {
		return nil, err
	}
	name := pr.LocalDeployment
	if req.InstanceName != nil && *req.InstanceName != "" {
		name = *req.InstanceName
	}
	if name == "" {
		name = "local-" + strings.ReplaceAll(req.TeamSlug, "-", "_") + "-" + strings.ReplaceAll(req.ProjectSlug, "-", "_")
	}
	pr.LocalDeployment = name
	if _, ok := s.deployments[name]; !ok {
		s.deployments[name] = &Deployment{Name: name, Type: "local", ProjectID: pr.ID, URL: "http://127.0.0.1:" + strconv.Itoa(req.Port)}
		s.order = append(s.order, name)
	}
	return map[string]any{"deploymentName": name, "projectId": pr.ID}, nil
}

func (s *Server) featureMetadata(*http.Request, principal, []byte) (any, error) {
	kind := "none"
	switch n := len(s.projects); {
	case n == 1:
		kind = "one"
	case n > 1:
		kind = "multiple"
	}
	return map[string]any{"totalProjects": map[string]string{"kind": kind}}, nil
}

// ---- platform API ----

func (s *Server) projectJSON(pr *Project) map[string]any {
	t := s.teamByID(pr.TeamID)
	return map[string]any{"id": pr.ID, "name": pr.Name, "slug": pr.Slug, "teamId": t.ID, "teamSlug": t.Slug, "createTime": 1700000000000}
}

func (s *Server) deploymentJSON(d *Deployment) map[string]any {
	var ref any
	if d.Reference != "" {
		ref = d.Reference
	}
	return map[string]any{"kind": "cloud", "name": d.Name, "deploymentUrl": d.URL, "deploymentType": d.Type,
		"projectId": d.ProjectID, "reference": ref, "isDefault": d.IsDefault, "region": d.Region,
		"createTime": 1700000000000, "expiresAt": d.ExpiresAt}
}

func (s *Server) getProject(r *http.Request, p principal, _ []byte) (any, error) {
	team, project := r.PathValue("team"), r.PathValue("project")
	pr, err := s.projectFor(p, &team, &project)
	if err != nil {
		return nil, err
	}
	return s.projectJSON(pr), nil
}

func (s *Server) projectByIDVisible(p principal, raw string) (*Project, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	pr := s.projectByID(id)
	if err != nil || pr == nil || !p.canSeeProject(pr) {
		return nil, fail(http.StatusNotFound, "ProjectNotFound", "Project "+raw+" not found")
	}
	return pr, nil
}

func (s *Server) getProjectByID(r *http.Request, p principal, _ []byte) (any, error) {
	pr, err := s.projectByIDVisible(p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.projectJSON(pr), nil
}

func (s *Server) getDeployment(r *http.Request, p principal, _ []byte) (any, error) {
	d, _, err := s.deploymentVisible(p, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return s.deploymentJSON(d), nil
}

func (s *Server) listProjects(r *http.Request, p principal, _ []byte) (any, error) {
	t := s.teamByRef(r.PathValue("team"))
	if t == nil {
		return nil, fail(http.StatusNotFound, "TeamNotFound", "Team not found")
	}
	// Two projects per page so clients must follow the cursor.
	var mine []*Project
	for _, pr := range s.projects {
		if pr.TeamID == t.ID && p.canSeeProject(pr) {
			mine = append(mine, pr)
		}
	}
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		start, _ = strconv.Atoi(c)
	}
	end := min(start+2, len(mine))
	items := []map[string]any{}
	for _, pr := range mine[min(start, len(mine)):end] {
		items = append(items, s.projectJSON(pr))
	}
	var next any
	if end < len(mine) {
		next = strconv.Itoa(end)
	}
	return map[string]any{"items": items, "pagination": map[string]any{"hasMore": end < len(mine), "nextCursor": next}}, nil
}

func (s *Server) findDeployment(r *http.Request, p principal, _ []byte) (any, error) {
	team, project := r.PathValue("team"), r.PathValue("project")
	pr, err := s.projectFor(p, &team, &project)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	for _, d := range s.projectDeployments(pr) {
		if q.Get("defaultDev") == "true" && d.Type == "dev" && d.IsDefault && d.Creator == s.user.ID {
			return s.deploymentJSON(d), nil
		}
		if ref := q.Get("reference"); ref != "" && d.Reference == ref {
			return s.deploymentJSON(d), nil
		}
	}
	return nil, fail(http.StatusNotFound, "DeploymentNotFound", "No matching deployment in "+pr.Slug)
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

func (s *Server) requireUser(p principal) error {
	if !p.user {
		return fail(http.StatusForbidden, "Forbidden", "This operation needs a personal access token")
	}
	return nil
}

func (s *Server) createProject(r *http.Request, p principal, body []byte) (any, error) {
	if err := s.requireUser(p); err != nil {
		return nil, err
	}
	t := s.teamByRef(r.PathValue("team"))
	if t == nil {
		return nil, fail(http.StatusNotFound, "TeamNotFound", "Team not found")
	}
	var req struct {
		ProjectName      string  `json:"projectName"`
		DeploymentType   *string `json:"deploymentType"`
		DeploymentRegion *string `json:"deploymentRegion"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	base := strings.Trim(slugRe.ReplaceAllString(strings.ToLower(req.ProjectName), "-"), "-")
	if base == "" {
		return nil, fail(http.StatusBadRequest, "InvalidProjectName", "The project name must contain a letter or digit")
	}
	slug := base
	for i := 2; s.projectBySlugs(t.Slug, slug) != nil; i++ {
		slug = fmt.Sprintf("%s-%d", base, i)
	}
	pr := s.addProject(t, slug, req.ProjectName)
	out := map[string]any{"projectSlug": slug, "slug": slug, "projectId": pr.ID}
	if req.DeploymentType != nil {
		d, err := s.addDeployment(pr, *req.DeploymentType, "", true, s.user.ID)
		if err != nil {
			return nil, err
		}
		out["deploymentName"], out["url"], out["adminKey"] = d.Name, d.URL, d.AdminKey
	}
	return out, nil
}

var regions = []map[string]any{
	{"name": "aws-us-east-1", "displayName": "US East (N. Virginia)", "available": true},
	{"name": "aws-eu-west-1", "displayName": "EU West (Ireland)", "available": true},
	{"name": "aws-ap-south-9", "displayName": "Unavailable Region", "available": false},
}

func (s *Server) listRegions(r *http.Request, _ principal, _ []byte) (any, error) {
	if s.teamByRef(r.PathValue("team")) == nil {
		return nil, fail(http.StatusNotFound, "TeamNotFound", "Team not found")
	}
	return map[string]any{"items": regions}, nil
}

func (s *Server) listClasses(r *http.Request, _ principal, _ []byte) (any, error) {
	if s.teamByRef(r.PathValue("team")) == nil {
		return nil, fail(http.StatusNotFound, "TeamNotFound", "Team not found")
	}
	return map[string]any{"items": []map[string]any{{"type": "s16", "available": true}, {"type": "s256", "available": false}}}, nil
}

var refRe = regexp.MustCompile(`^[a-z0-9/-]{3,100}$`)

func (s *Server) createDeployment(r *http.Request, p principal, body []byte) (any, error) {
	pr, err := s.projectByIDVisible(p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !p.user && (p.key == nil || p.key.Kind != "project") {
		return nil, fail(http.StatusForbidden, "Forbidden", "Creating deployments needs a personal access token or a project key")
	}
	var req struct {
		Type      string  `json:"type"`
		Region    *string `json:"region"`
		Reference *string `json:"reference"`
		IsDefault *bool   `json:"isDefault"`
		ExpiresAt *int64  `json:"expiresAt"`
		Class     string  `json:"class"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch req.Type {
	case "dev", "prod", "preview":
	default:
		return nil, fail(http.StatusBadRequest, "InvalidDeploymentType", "type must be dev, prod or preview")
	}
	region := "aws-us-east-1"
	if req.Region != nil {
		ok := false
		for _, rg := range regions {
			if rg["name"] == *req.Region && rg["available"] == true {
				ok = true
			}
		}
		if !ok {
			return nil, fail(http.StatusBadRequest, "InvalidRegion", "Unknown or unavailable region "+*req.Region)
		}
		region = *req.Region
	}
	ref := ""
	if req.Reference != nil {
		ref = *req.Reference
		if !refRe.MatchString(ref) || deployments.IsDeploymentName(ref) {
			return nil, fail(http.StatusBadRequest, "InvalidReference", "Invalid deployment reference "+ref)
		}
		for _, d := range s.projectDeployments(pr) {
			if d.Reference == ref {
				return nil, fail(http.StatusBadRequest, "DeploymentReferenceTaken", "A deployment with reference "+ref+" already exists")
			}
		}
	}
	isDefault := req.IsDefault != nil && *req.IsDefault
	creator := ""
	if req.Type == "dev" {
		creator = s.user.ID
	}
	if isDefault {
		if old := s.defaultOf(pr, req.Type, creator); old != nil {
			old.IsDefault = false
		}
	}
	if req.ExpiresAt != nil && *req.ExpiresAt < time.Now().UnixMilli() {
		return nil, fail(http.StatusBadRequest, "InvalidExpiration", "expiresAt is in the past")
	}
	d, err := s.addDeployment(pr, req.Type, ref, isDefault, creator)
	if err != nil {
		return nil, err
	}
	d.Region, d.Class, d.ExpiresAt = region, req.Class, req.ExpiresAt
	return s.deploymentJSON(d), nil
}

// userDeploymentRequest checks a deploy-key request: a user's token, the
// deployment in the path visible to it, and the body decoded into req.
func (s *Server) userDeploymentRequest(r *http.Request, p principal, body []byte, req any) (*Deployment, error) {
	if err := s.requireUser(p); err != nil {
		return nil, err
	}
	d, _, err := s.deploymentVisible(p, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	if err := decode(body, req); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) createDeployKey(r *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		Name string `json:"name"`
	}
	d, err := s.userDeploymentRequest(r, p, body, &req)
	if err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, fail(http.StatusBadRequest, "InvalidDeployKeyName", "A deploy key needs a name")
	}
	return map[string]string{"deployKey": s.mintKey("deployment", d, req.Name)}, nil
}

func (s *Server) deleteDeployKey(r *http.Request, p principal, body []byte) (any, error) {
	var req struct {
		ID string `json:"id"`
	}
	d, err := s.userDeploymentRequest(r, p, body, &req)
	if err != nil {
		return nil, err
	}
	kept, found := s.keys[:0], false
	for _, k := range s.keys {
		_, sec, _ := strings.Cut(k.Key, "|")
		if k.Deployment == d.Name && k.Kind != "preview" && k.Kind != "project" && (k.Name == req.ID || sec == req.ID) {
			found = true
			if d.stub != nil {
				d.stub.removeKey(k.Key)
			}
			continue
		}
		kept = append(kept, k)
	}
	s.keys = kept
	if !found {
		return nil, fail(http.StatusNotFound, "DeployKeyNotFound", "No deploy key "+req.ID+" for "+d.Name)
	}
	return map[string]any{}, nil
}

// checkDeploymentType accepts the deployment types default variables are
// kept for.
func checkDeploymentType(typ string) error {
	if typ != "dev" && typ != "prod" && typ != "preview" {
		return fail(http.StatusBadRequest, "InvalidDeploymentType", "deploymentType must be dev, prod or preview")
	}
	return nil
}

func (s *Server) listDefaultEnv(r *http.Request, p principal, _ []byte) (any, error) {
	pr, err := s.projectByIDVisible(p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	typ := r.URL.Query().Get("deploymentType")
	if err := checkDeploymentType(typ); err != nil {
		return nil, err
	}
	vars := pr.DefaultEnv[typ]
	items := []map[string]string{}
	for _, k := range sortedKeys(vars) {
		if n := r.URL.Query().Get("name"); n == "" || n == k {
			items = append(items, map[string]string{"name": k, "value": vars[k]})
		}
	}
	return map[string]any{"items": items}, nil
}

func (s *Server) updateDefaultEnv(r *http.Request, p principal, body []byte) (any, error) {
	if err := s.requireUser(p); err != nil {
		return nil, err
	}
	pr, err := s.projectByIDVisible(p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var req struct {
		Changes []struct {
			Name           string  `json:"name"`
			DeploymentType string  `json:"deploymentType"`
			Value          *string `json:"value"`
		} `json:"changes"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	for _, c := range req.Changes {
		if err := checkDeploymentType(c.DeploymentType); err != nil {
			return nil, err
		}
		if c.Name == "" {
			return nil, fail(http.StatusBadRequest, "InvalidName", "variable names must not be empty")
		}
	}
	for _, c := range req.Changes {
		if pr.DefaultEnv[c.DeploymentType] == nil {
			pr.DefaultEnv[c.DeploymentType] = map[string]string{}
		}
		if c.Value == nil {
			delete(pr.DefaultEnv[c.DeploymentType], c.Name)
		} else {
			pr.DefaultEnv[c.DeploymentType][c.Name] = *c.Value
		}
	}
	return map[string]any{}, nil
}
