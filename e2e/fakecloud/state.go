// Package fakecloud is a loopback stand-in for Convex's cloud: the
// management API ("big brain", /api/ and /v1/), an OpenID provider with the
// device flow used by `convex login`, and the deployments themselves.
//
// It keeps real state (teams, projects, deployments, deploy keys, tokens,
// default environment variables) and answers with the error codes the CLI
// reacts to. Deployments are tiny recording stubs unless
// Options.StartDeployment plugs in real backends.
package fakecloud

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Team is a team in the fake cloud.
type Team struct {
	ID            int64
	Slug, Name    string
	DefaultRegion string
}

// Project is a project in the fake cloud.
type Project struct {
	ID         int64
	Slug, Name string
	TeamID     int64
	// DefaultEnv holds default environment variables by deployment type.
	DefaultEnv map[string]map[string]string
	// LocalDeployment is the name of its registered local deployment, if any.
	LocalDeployment string
}

// Deployment is a cloud (or registered local) deployment.
type Deployment struct {
	Name      string
	Type      string // dev, prod, preview, custom, local
	ProjectID int64
	Reference string
	IsDefault bool
	Creator   string // user id for personal dev deployments
	Region    string
	Class     string
	ExpiresAt *int64
	URL       string
	AdminKey  string
	stub      *stubDeployment
}

// DeployKey is a minted key and what it grants.
type DeployKey struct {
	Name string
	// Kind is "preview" or "project" for the project-level keys, else the
	// deployment's own key: "prod", "dev", "custom" or "preview-deployment".
	Kind       string
	Key        string
	Deployment string // for deployment keys
	ProjectID  int64  // for project and preview keys
}

// User is the person personal access tokens belong to.
type User struct {
	ID    string
	Name  string
	Email string
}

var words1 = []string{"happy", "brave", "calm", "eager", "fancy", "gentle", "jolly", "lively", "proud", "witty"}
var words2 = []string{"animal", "fox", "otter", "panda", "heron", "lynx", "moose", "koala", "tiger", "zebra"}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// secret mints the secret half of a key in the shape Convex uses: base64 of a
// JSON object with a "v2" field (so it starts with "eyJ2MiI6").
func secret() string {
	b, _ := json.Marshal(map[string]string{"v2": randHex(20)})
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) newDeploymentName() string {
	for {
		s.nameSeq++
		n := s.nameSeq
		name := fmt.Sprintf("%s-%s-%d", words1[n%len(words1)], words2[(n/len(words1))%len(words2)], 100+n)
		if _, taken := s.deployments[name]; !taken {
			return name
		}
	}
}

// ---- seeding API (also used by the HTTP handlers, under s.mu) ----

// AddTeam creates a team.
func (s *Server) AddTeam(slug, name string) Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTeam(slug, name)
}

func (s *Server) addTeam(slug, name string) Team {
	s.idSeq++
	t := &Team{ID: s.idSeq, Slug: slug, Name: name}
	s.teams = append(s.teams, t)
	return *t
}

// AddProject creates a project in a team (by slug).
func (s *Server) AddProject(teamSlug, slug, name string) (Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teamBySlug(teamSlug)
	if t == nil {
		return Project{}, fmt.Errorf("no team %q", teamSlug)
	}
	return *s.addProject(t, slug, name), nil
}

func (s *Server) addProject(t *Team, slug, name string) *Project {
	s.idSeq++
	p := &Project{ID: s.idSeq, Slug: slug, Name: name, TeamID: t.ID, DefaultEnv: map[string]map[string]string{}}
	s.projects = append(s.projects, p)
	return p
}

// AddDeployment creates a deployment of typ in a project; reference ""
// picks one ("production" for the default prod, "dev/<user>" for dev).
func (s *Server) AddDeployment(teamSlug, projectSlug, typ, reference string, isDefault bool) (Deployment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projectBySlugs(teamSlug, projectSlug)
	if p == nil {
		return Deployment{}, fmt.Errorf("no project %s:%s", teamSlug, projectSlug)
	}
	creator := ""
	if typ == "dev" {
		creator = s.user.ID
	}
	d, err := s.addDeployment(p, typ, reference, isDefault, creator)
	if err != nil {
		return Deployment{}, err
	}
	return *d, nil
}

func (s *Server) addDeployment(p *Project, typ, reference string, isDefault bool, creator string) (*Deployment, error) {
	name := s.newDeploymentName()
	if reference == "" {
		switch {
		case typ == "prod" && isDefault:
			reference = "production"
		case typ == "dev" && creator != "":
			reference = "dev/" + s.user.Name
		default:
			reference = typ + "/" + name
		}
	}
	d := &Deployment{Name: name, Type: typ, ProjectID: p.ID, Reference: reference, IsDefault: isDefault, Creator: creator, Region: "aws-us-east-1"}
	if s.opts.StartDeployment != nil {
		url, key, err := s.opts.StartDeployment(name)
		if err != nil {
			return nil, fmt.Errorf("starting deployment %s: %w", name, err)
		}
		d.URL, d.AdminKey = url, key
	} else {
		st, err := startStub(name)
		if err != nil {
			return nil, err
		}
		d.stub = st
		d.URL = st.url
		d.AdminKey = name + "|" + randHex(32)
		st.addKey(d.AdminKey)
	}
	s.deployments[name] = d
	s.order = append(s.order, name)
	return d, nil
}

// MintDeployKey creates a key for a deployment: kind "preview" or "project"
// makes the project-level key of the deployment's project; any other kind
// ("prod", "dev", "deployment") the deployment's own key, whose prefix is
// the deployment's type ("preview:<name>|…" for a preview deployment).
func (s *Server) MintDeployKey(kind, deploymentName, keyName string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[deploymentName]
	if d == nil {
		return "", fmt.Errorf("no deployment %q", deploymentName)
	}
	return s.mintKey(kind, d, keyName), nil
}

func (s *Server) mintKey(kind string, d *Deployment, keyName string) string {
	var key string
	switch kind {
	case "preview", "project":
		p := s.projectByID(d.ProjectID)
		t := s.teamByID(p.TeamID)
		key = kind + ":" + t.Slug + ":" + p.Slug + "|" + secret()
	default:
		// A deployment's deploy key doubles as its admin key.
		body := secret()
		if d.stub == nil {
			_, body, _ = strings.Cut(d.AdminKey, "|")
		}
		key = d.Type + ":" + d.Name + "|" + body
		if d.stub != nil {
			d.stub.addKey(key)
		}
		kind = d.Type
		if kind == "preview" {
			kind = "preview-deployment" // not to be confused with the project's preview key
		}
	}
	s.keys = append(s.keys, &DeployKey{Name: keyName, Kind: kind, Key: key, Deployment: d.Name, ProjectID: d.ProjectID})
	return key
}

// IssueAccessToken returns a fresh personal access token for the fake user.
func (s *Server) IssueAccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueToken()
}

func (s *Server) issueToken() string {
	t := "cvx_pat_" + randHex(16)
	s.tokens[t] = true
	return t
}

// RevokeAccessTokens invalidates every personal access token.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// Deployment returns a deployment by name.
func (s *Server) Deployment(name string) (Deployment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deployments[name]
	if !ok {
		return Deployment{}, false
	}
	return *d, true
}

// Deployments lists deployments in creation order.
func (s *Server) Deployments() []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Deployment, 0, len(s.order))
	for _, n := range s.order {
		if d, ok := s.deployments[n]; ok {
			out = append(out, *d)
		}
	}
	return out
}

// Keys lists the deploy keys that exist.
func (s *Server) Keys() []DeployKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DeployKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, *k)
	}
	return out
}

// Projects lists projects.
func (s *Server) Projects() []Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Project, 0, len(s.projects))
	for _, p := range s.projects {
		out = append(out, *p)
	}
	return out
}

// DefaultEnv returns a project's default env vars for a deployment type.
func (s *Server) DefaultEnv(projectID int64, typ string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	if p := s.projectByID(projectID); p != nil {
		for k, v := range p.DefaultEnv[typ] {
			out[k] = v
		}
	}
	return out
}

// ---- lookups (callers hold s.mu) ----

func (s *Server) teamBySlug(slug string) *Team {
	for _, t := range s.teams {
		if t.Slug == slug {
			return t
		}
	}
	return nil
}

func (s *Server) teamByID(id int64) *Team {
	for _, t := range s.teams {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// teamByRef accepts a numeric id or a slug.
func (s *Server) teamByRef(ref string) *Team {
	var id int64
	if _, err := fmt.Sscan(ref, &id); err == nil && fmt.Sprint(id) == ref {
		if t := s.teamByID(id); t != nil {
			return t
		}
	}
	return s.teamBySlug(ref)
}

func (s *Server) projectByID(id int64) *Project {
	for _, p := range s.projects {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (s *Server) projectBySlugs(team, project string) *Project {
	t := s.teamByRef(team)
	if t == nil {
		return nil
	}
	for _, p := range s.projects {
		if p.TeamID == t.ID && p.Slug == project {
			return p
		}
	}
	return nil
}

func (s *Server) projectDeployments(p *Project) []*Deployment {
	var out []*Deployment
	for _, n := range s.order {
		if d, ok := s.deployments[n]; ok && d.ProjectID == p.ID {
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) keyRecord(key string) *DeployKey {
	for _, k := range s.keys {
		if k.Key == key {
			return k
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
