package fakecloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/e2e/fakecloud"
)

func start(t *testing.T, o fakecloud.Options) (*fakecloud.Server, string, fakecloud.Seeded) {
	t.Helper()
	s := fakecloud.New(o)
	u := s.Start()
	t.Cleanup(s.Close)
	sd, err := s.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s, u, sd
}

func client(u, auth string) *deployments.Client {
	return deployments.NewClient(deployments.ClientOptions{Host: u, Auth: auth, RetryDelay: func(int) time.Duration { return 0 }})
}

func postForm(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestDeviceFlowLogin(t *testing.T) {
	_, u, _ := start(t, fakecloud.Options{PendingPolls: 2})
	resp, err := http.Get(u + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["issuer"] != u || disc["device_authorization_endpoint"] == "" || disc["token_endpoint"] == "" {
		t.Fatalf("discovery = %v", disc)
	}

	code, _ := postForm(t, disc["device_authorization_endpoint"], url.Values{"client_id": {"wrong"}, "scope": {"openid"}})
	if code != http.StatusUnauthorized {
		t.Errorf("unknown client accepted: %d", code)
	}
	code, dev := postForm(t, disc["device_authorization_endpoint"], url.Values{"client_id": {fakecloud.DefaultClientID}, "scope": {"openid"}})
	if code != 200 || dev["device_code"] == "" || !strings.Contains(fmt.Sprint(dev["verification_uri_complete"]), fmt.Sprint(dev["user_code"])) || dev["expires_in"] != float64(900) {
		t.Fatalf("device code answer %d %v", code, dev)
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dev["device_code"].(string)}, "client_id": {fakecloud.DefaultClientID}}
	for i := range 2 {
		code, out := postForm(t, disc["token_endpoint"], poll)
		if code != 400 || out["error"] != "authorization_pending" {
			t.Fatalf("poll %d = %d %v", i, code, out)
		}
	}
	code, tok := postForm(t, disc["token_endpoint"], poll)
	if code != 200 || tok["access_token"] == "" {
		t.Fatalf("final poll = %d %v", code, tok)
	}
	if code, out := postForm(t, disc["token_endpoint"], poll); code != 400 || out["error"] != "expired_token" {
		t.Errorf("reused device code = %d %v", code, out)
	}

	ctx := context.Background()
	if _, err := client(u, "").CreatePersonalAccessToken(ctx, "not-a-provider-token", "laptop", ""); deployments.StatusCode(err) != 401 {
		t.Errorf("bogus provider token: %v", err)
	}
	pat, err := client(u, "").CreatePersonalAccessToken(ctx, tok["access_token"].(string), "laptop", "")
	if err != nil || pat == "" {
		t.Fatalf("create_personal_access_token: %q %v", pat, err)
	}
	ok, err := client(u, pat).Authorized(ctx)
	if err != nil || !ok {
		t.Errorf("new token not authorized: %v %v", ok, err)
	}
	ok, err = client(u, "nonsense").Authorized(ctx)
	if err != nil || ok {
		t.Errorf("nonsense token authorized: %v %v", ok, err)
	}
}

func TestDeniedLogin(t *testing.T) {
	_, u, _ := start(t, fakecloud.Options{DenyLogin: true})
	_, dev := postForm(t, u+"/oauth/device/code", url.Values{"client_id": {fakecloud.DefaultClientID}})
	code, out := postForm(t, u+"/oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dev["device_code"].(string)}, "client_id": {fakecloud.DefaultClientID}})
	if code != 400 || out["error"] != "access_denied" {
		t.Errorf("denied login = %d %v", code, out)
	}
}

func TestKeysAndLookups(t *testing.T) {
	s, u, sd := start(t, fakecloud.Options{})
	ctx := context.Background()
	for _, k := range []string{sd.ProdKey, sd.DevKey, sd.PreviewKey, sd.ProjectKey} {
		if !strings.HasPrefix(k[strings.IndexByte(k, '|')+1:], "eyJ2MiI6") {
			t.Errorf("key secret not in Convex's shape: %s", k)
		}
	}
	if deployments.ClassifyKey(sd.ProdKey) != deployments.KeyDeployment || deployments.KeyDeploymentName(sd.ProdKey) != sd.Prod.Name ||
		deployments.ClassifyKey(sd.PreviewKey) != deployments.KeyPreview || deployments.ClassifyKey(sd.ProjectKey) != deployments.KeyProject {
		t.Fatalf("minted keys classify wrongly: %s %s %s", sd.ProdKey, sd.PreviewKey, sd.ProjectKey)
	}
	c := client(u, sd.ProdKey)
	got, err := c.URLForKey(ctx, sd.ProdKey)
	if err != nil || got != sd.Prod.URL {
		t.Errorf("url_for_key = %q %v", got, err)
	}
	tp, err := c.TeamAndProjectForKey(ctx, sd.ProdKey)
	if err != nil || tp.Team != "acme" || tp.Project != "chat" || tp.Reference == nil || *tp.Reference != "production" || !tp.IsDefault {
		t.Errorf("team_and_project_for_key = %+v %v", tp, err)
	}
	if _, err := client(u, sd.AccessToken).URLForKey(ctx, sd.PreviewKey); deployments.ErrorCode(err) != "NotADeploymentKey" {
		t.Errorf("url_for_key with a preview key: %v", err)
	}
	if _, err := client(u, sd.AccessToken).URLForKey(ctx, "prod:x-y-1|nope"); deployments.ErrorCode(err) != "BadDeployKey" {
		t.Errorf("url_for_key with an unknown key: %v", err)
	}
	// A deployment key cannot provision or list other deployments.
	if _, err := c.ProvisionAndAuthorize(ctx, "acme", "chat", "dev"); deployments.StatusCode(err) != 403 {
		t.Errorf("deployment key provisioning: %v", err)
	}
	if _, err := client(u, sd.AccessToken).TeamAndProject(ctx, "ghost-ghost-1"); deployments.ErrorCode(err) != "DeploymentNotFound" {
		t.Errorf("unknown deployment: %v", err)
	}
	if _, err := client(u, sd.AccessToken).ProjectBySlugs(ctx, "nope", "chat"); deployments.ErrorCode(err) != "TeamNotFound" {
		t.Errorf("unknown team: %v", err)
	}
	if _, err := client(u, sd.AccessToken).ProjectBySlugs(ctx, "acme", "nope"); deployments.ErrorCode(err) != "ProjectNotFound" {
		t.Errorf("unknown project: %v", err)
	}
	// The deploy key is an admin key of its stub deployment; others are not.
	if code := adminCall(t, sd.Prod.URL, sd.ProdKey); code != 200 {
		t.Errorf("prod key rejected by its deployment: %d", code)
	}
	if code := adminCall(t, sd.Prod.URL, sd.DevKey); code != 401 {
		t.Errorf("dev key accepted by the prod deployment: %d", code)
	}
	if env := s.DeploymentEnv(sd.Prod.Name); env["A"] != "1" {
		t.Errorf("stub env = %v", env)
	}
	if reqs := s.Requests(sd.Prod.Name); len(reqs) != 2 || !reqs[0].Authorized || reqs[1].Authorized {
		t.Errorf("recorded requests = %+v", reqs)
	}
}

func adminCall(t *testing.T, base, key string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/update_environment_variables", strings.NewReader(`{"changes":[{"name":"A","value":"1"}]}`))
	req.Header.Set("Authorization", "Convex "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestProjectsDeploymentsAndKeyLifecycle(t *testing.T) {
	s, u, sd := start(t, fakecloud.Options{})
	ctx := context.Background()
	c := client(u, sd.AccessToken)
	teams, err := c.Teams(ctx)
	if err != nil || len(teams) != 1 || teams[0].Slug != "acme" {
		t.Fatalf("teams = %+v %v", teams, err)
	}
	for _, name := range []string{"Second App", "Second App", "third"} {
		if _, err := c.CreateProject(ctx, teams[0].ID, name, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	projects, err := c.ListProjects(ctx, teams[0].ID)
	if err != nil || len(projects) != 4 {
		t.Fatalf("paginated projects = %+v %v", projects, err)
	}
	if projects[2].Slug != "second-app-2" {
		t.Errorf("duplicate names get a suffix: %s", projects[2].Slug)
	}
	if _, err := c.CreateProject(ctx, teams[0].ID, "!!!", "", ""); deployments.ErrorCode(err) != "InvalidProjectName" {
		t.Errorf("bad project name: %v", err)
	}
	if _, err := client(u, sd.ProdKey).CreateProject(ctx, teams[0].ID, "x", "", ""); deployments.StatusCode(err) != 403 {
		t.Errorf("deploy key created a project: %v", err)
	}

	regions, err := c.ListRegions(ctx, teams[0].ID)
	if err != nil || len(regions) == 0 {
		t.Fatal(regions, err)
	}
	ref, region := "staging", "aws-eu-west-1"
	d, err := c.CreateDeployment(ctx, sd.ProjectID, deployments.CreateDeploymentRequest{Type: "prod", Reference: &ref, Region: &region})
	if err != nil || d.Name == "" || d.DeploymentURL == "" || d.Reference == nil || *d.Reference != "staging" {
		t.Fatalf("create_deployment = %+v %v", d, err)
	}
	if _, err := c.CreateDeployment(ctx, sd.ProjectID, deployments.CreateDeploymentRequest{Type: "prod", Reference: &ref}); deployments.ErrorCode(err) != "DeploymentReferenceTaken" {
		t.Errorf("duplicate reference: %v", err)
	}
	bad := "mars-1"
	if _, err := c.CreateDeployment(ctx, sd.ProjectID, deployments.CreateDeploymentRequest{Type: "dev", Region: &bad}); deployments.ErrorCode(err) != "InvalidRegion" {
		t.Errorf("bad region: %v", err)
	}
	found, err := c.DeploymentByReference(ctx, "acme", "chat", "staging")
	if err != nil || found.Name != d.Name {
		t.Errorf("by reference = %+v %v", found, err)
	}
	dev, err := c.DefaultDevDeployment(ctx, "acme", "chat")
	if err != nil || dev.Name != sd.Dev.Name {
		t.Errorf("defaultDev = %+v %v", dev, err)
	}

	key, err := c.CreateDeployKey(ctx, d.Name, "ci")
	if err != nil || !strings.HasPrefix(key, "prod:"+d.Name+"|") {
		t.Fatalf("create_deploy_key = %q %v", key, err)
	}
	if code := adminCall(t, d.DeploymentURL, key); code != 200 {
		t.Errorf("new key rejected: %d", code)
	}
	if err := c.DeleteDeployKey(ctx, d.Name, key[strings.IndexByte(key, '|')+1:]); err != nil {
		t.Fatal(err)
	}
	if code := adminCall(t, d.DeploymentURL, key); code != 401 {
		t.Errorf("deleted key still accepted: %d", code)
	}
	if err := c.DeleteDeployKey(ctx, d.Name, "ci"); deployments.ErrorCode(err) != "DeployKeyNotFound" {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := client(u, sd.ProdKey).CreateDeployKey(ctx, sd.Prod.Name, "x"); deployments.StatusCode(err) != 403 {
		t.Errorf("deploy key minted a key: %v", err)
	}
	_ = s
}

func TestProvisionAndAuthorize(t *testing.T) {
	s, u, sd := start(t, fakecloud.Options{})
	ctx := context.Background()
	c := client(u, sd.AccessToken)
	cr, err := c.ProvisionAndAuthorize(ctx, "acme", "chat", "dev")
	if err != nil || cr.DeploymentName != sd.Dev.Name || cr.AdminKey == "" {
		t.Fatalf("existing dev = %+v %v", cr, err)
	}
	p, _ := s.AddProject("acme", "fresh", "Fresh")
	cr, err = c.ProvisionAndAuthorize(ctx, "acme", "fresh", "dev")
	if err != nil || cr.DeploymentName == "" {
		t.Fatalf("provisioned dev = %+v %v", cr, err)
	}
	if d, ok := s.Deployment(cr.DeploymentName); !ok || d.ProjectID != p.ID || d.Type != "dev" {
		t.Errorf("provisioned deployment = %+v", d)
	}
	again, _ := c.ProvisionAndAuthorize(ctx, "acme", "fresh", "dev")
	if again.DeploymentName != cr.DeploymentName {
		t.Errorf("second provision made another deployment: %s vs %s", again.DeploymentName, cr.DeploymentName)
	}
	prod, err := c.AuthorizeProd(ctx, cr.DeploymentName)
	if err != nil || prod.DeploymentType != "prod" {
		t.Errorf("authorize_prod on a fresh project = %+v %v", prod, err)
	}
	// A project key provisions within its own project, with null slugs.
	pk := client(u, sd.ProjectKey)
	cr, err = pk.ProvisionAndAuthorize(ctx, "", "", "prod")
	if err != nil || cr.DeploymentName != sd.Prod.Name {
		t.Errorf("project key prod = %+v %v", cr, err)
	}
	if _, err := pk.ProvisionAndAuthorize(ctx, "acme", "fresh", "dev"); deployments.ErrorCode(err) != "ProjectNotFound" {
		t.Errorf("project key reached another project: %v", err)
	}
	if _, err := c.ProvisionAndAuthorize(ctx, "acme", "chat", "preview"); deployments.ErrorCode(err) != "InvalidDeploymentType" {
		t.Errorf("bad type: %v", err)
	}
	// authorize_within_current_project refuses deployments of other projects.
	sel := deployments.ProjectSelection{Kind: deployments.SelSlugs, TeamSlug: "acme", ProjectSlug: "fresh"}
	if _, err := c.AuthorizeWithinCurrentProject(ctx, sd.Prod.Name, sel); deployments.ErrorCode(err) != "DeploymentNotFound" {
		t.Errorf("cross-project authorize: %v", err)
	}
	exists, err := c.ExistingDev(ctx, "acme", "chat")
	if err != nil || !exists {
		t.Errorf("existing_dev = %v %v", exists, err)
	}
}

func TestDefaultEnvVars(t *testing.T) {
	s, u, sd := start(t, fakecloud.Options{})
	ctx := context.Background()
	c := client(u, sd.AccessToken)
	v1, v2 := "one", "two"
	err := c.UpdateDefaultEnvVars(ctx, sd.ProjectID, []deployments.DefaultEnvChange{
		{Name: "A", DeploymentType: "dev", Value: &v1}, {Name: "B", DeploymentType: "dev", Value: &v2}, {Name: "A", DeploymentType: "prod", Value: &v2},
	})
	if err != nil {
		t.Fatal(err)
	}
	vars, err := c.ListDefaultEnvVars(ctx, sd.ProjectID, "dev", "")
	if err != nil || len(vars) != 2 || vars[0] != (deployments.EnvVar{Name: "A", Value: "one"}) {
		t.Errorf("dev defaults = %+v %v", vars, err)
	}
	vars, _ = c.ListDefaultEnvVars(ctx, sd.ProjectID, "dev", "B")
	if len(vars) != 1 || vars[0].Value != "two" {
		t.Errorf("filtered = %+v", vars)
	}
	if err := c.UpdateDefaultEnvVars(ctx, sd.ProjectID, []deployments.DefaultEnvChange{{Name: "A", DeploymentType: "dev"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.DefaultEnv(sd.ProjectID, "dev"); len(got) != 1 || got["B"] != "two" {
		t.Errorf("after delete = %v", got)
	}
	if _, err := c.ListDefaultEnvVars(ctx, sd.ProjectID, "staging", ""); deployments.ErrorCode(err) != "InvalidDeploymentType" {
		t.Errorf("bad type: %v", err)
	}
	if err := c.UpdateDefaultEnvVars(ctx, sd.ProjectID, []deployments.DefaultEnvChange{{Name: "", DeploymentType: "dev", Value: &v1}}); deployments.StatusCode(err) != 400 {
		t.Errorf("empty name: %v", err)
	}
}

func TestPluggableDeploymentsAndHeaders(t *testing.T) {
	var started []string
	s := fakecloud.New(fakecloud.Options{
		StartDeployment: func(name string) (string, string, error) {
			started = append(started, name)
			return "http://backend.invalid/" + name, name + "|deadbeef", nil
		},
		DeprecationState: "Upgrade", DeprecationMessage: "new CLI available",
	})
	u := s.Start()
	defer s.Close()
	sd, err := s.Seed()
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 2 || sd.Prod.URL != "http://backend.invalid/"+sd.Prod.Name {
		t.Fatalf("started = %v prod = %+v", started, sd.Prod)
	}
	// Deploy keys of real backends reuse the backend's admin key body.
	if sd.ProdKey != "prod:"+sd.Prod.Name+"|deadbeef" {
		t.Errorf("prod key = %q", sd.ProdKey)
	}
	var warn bytes.Buffer
	c := deployments.NewClient(deployments.ClientOptions{Host: u, Auth: sd.AccessToken, Warn: &warn})
	if _, err := c.Teams(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "new CLI available") {
		t.Errorf("deprecation warning missing: %q", warn.String())
	}
	// Requests without the Convex-Client header are refused.
	resp, err := http.Get(u + "/api/teams")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("missing Convex-Client header answered %d", resp.StatusCode)
	}
}
