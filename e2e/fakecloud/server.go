package fakecloud

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultClientID is the OAuth client id the reference CLI logs in with.
const DefaultClientID = "HFtA247jp9iNs08NTLIB7JsNPMmRIyfi"

// Options configure a fake cloud.
type Options struct {
	// StartDeployment, when set, provides each new deployment: its URL and an
	// admin key it accepts (e.g. a built-in backend). By default every
	// deployment is a recording stub.
	StartDeployment func(name string) (url, adminKey string, err error)
	// ClientID is the OAuth client the device flow accepts (DefaultClientID).
	ClientID string
	// DeviceInterval is the polling interval (seconds) announced by the device flow.
	DeviceInterval float64
	// PendingPolls is how many token polls answer authorization_pending
	// before the device login is approved.
	PendingPolls int
	// DenyLogin makes every device login end in access_denied.
	DenyLogin bool
	// OptIns are terms the user still has to accept (messages).
	OptIns []string
	// DeprecationState and DeprecationMessage, when set, are sent as the
	// x-convex-deprecation-* headers on every management-API answer.
	DeprecationState, DeprecationMessage string
	// User is the account everything belongs to.
	User User
}

// Server is the fake cloud.
type Server struct {
	opts Options

	mu          sync.Mutex
	url         string
	ln          net.Listener
	srv         *http.Server
	user        User
	idSeq       int64
	nameSeq     int
	teams       []*Team
	projects    []*Project
	deployments map[string]*Deployment
	order       []string
	keys        []*DeployKey
	tokens      map[string]bool // personal access tokens
	idpTokens   map[string]bool // identity-provider tokens from the device flow
	devices     map[string]*deviceGrant
	calls       []string
	accepted    bool
}

type deviceGrant struct {
	userCode string
	polls    int
	used     bool
}

// New creates a fake cloud; nothing listens until Start.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.User.ID == "" {
		opts.User = User{ID: "user-1", Name: "tester", Email: "tester@example.com"}
	}
	return &Server{
		opts:        opts,
		user:        opts.User,
		deployments: map[string]*Deployment{},
		tokens:      map[string]bool{},
		idpTokens:   map[string]bool{},
		devices:     map[string]*deviceGrant{},
	}
}

// Start listens on a free loopback port and returns the base URL (use it as
// CONVEX_PROVISION_HOST and as the login issuer).
func (s *Server) Start() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakecloud: " + err.Error())
	}
	s.mu.Lock()
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Unlock()
	go func() { _ = s.srv.Serve(ln) }()
	return s.url
}

// URL is the base URL after Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the server and every stub deployment.
func (s *Server) Close() {
	s.mu.Lock()
	srv := s.srv
	var stubs []*stubDeployment
	for _, d := range s.deployments {
		if d.stub != nil {
			stubs = append(stubs, d.stub)
		}
	}
	s.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
	for _, st := range stubs {
		st.close()
	}
}

// Calls lists the management-API requests received, as "METHOD /path".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Seeded is what Seed created.
type Seeded struct {
	Team, Project          string
	TeamID, ProjectID      int64
	Prod, Dev              Deployment
	ProdKey, DevKey        string
	PreviewKey, ProjectKey string
	AccessToken            string
}

// Seed creates the usual world: team "acme" with project "chat", its default
// prod and the user's dev deployment, a key of each kind and a login token.
func (s *Server) Seed() (Seeded, error) {
	t := s.AddTeam("acme", "Acme")
	p, err := s.AddProject("acme", "chat", "Chat")
	if err != nil {
		return Seeded{}, err
	}
	prod, err := s.AddDeployment("acme", "chat", "prod", "", true)
	if err != nil {
		return Seeded{}, err
	}
	dev, err := s.AddDeployment("acme", "chat", "dev", "", true)
	if err != nil {
		return Seeded{}, err
	}
	out := Seeded{Team: t.Slug, Project: p.Slug, TeamID: t.ID, ProjectID: p.ID, Prod: prod, Dev: dev}
	if out.ProdKey, err = s.MintDeployKey("prod", prod.Name, "ci"); err != nil {
		return out, err
	}
	if out.DevKey, err = s.MintDeployKey("dev", dev.Name, "dev-key"); err != nil {
		return out, err
	}
	if out.PreviewKey, err = s.MintDeployKey("preview", prod.Name, "previews"); err != nil {
		return out, err
	}
	if out.ProjectKey, err = s.MintDeployKey("project", prod.Name, "project"); err != nil {
		return out, err
	}
	out.AccessToken = s.IssueAccessToken()
	return out, nil
}

// ---- HTTP plumbing ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

// apiError is returned by handlers to answer with {"code","message"}.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func fail(status int, code, msg string) error { return &apiError{status, code, msg} }

var (
	errUnauthenticated = fail(http.StatusUnauthorized, "Unauthenticated", "Missing or invalid access token or deploy key")
	errForbidden       = fail(http.StatusForbidden, "Forbidden", "This credential is not allowed to perform this operation")
)

// principal is who a request acts as.
type principal struct {
	user bool       // a personal access token
	key  *DeployKey // a deploy key
}

func (s *Server) principal(r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return principal{}, false
	}
	if s.tokens[tok] {
		return principal{user: true}, true
	}
	if k := s.keyRecord(tok); k != nil {
		return principal{key: k}, true
	}
	// `login status` checks a deploy key by its secret half alone.
	for _, k := range s.keys {
		if _, sec, _ := strings.Cut(k.Key, "|"); sec == tok {
			return principal{key: k}, true
		}
	}
	return principal{}, false
}

// canSeeProject says whether p may act in project.
func (p principal) canSeeProject(pr *Project) bool {
	if p.user {
		return true
	}
	return p.key != nil && p.key.ProjectID == pr.ID
}

type handlerFunc func(r *http.Request, p principal, body []byte) (any, error)

// Handler serves the whole fake cloud.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("POST /oauth/device/code", s.deviceCode)
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /activate", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("Device activation page of the fake Convex cloud.\n"))
	})

	api := func(pattern string, needAuth bool, h handlerFunc) {
		mux.HandleFunc(pattern, s.wrap(needAuth, h))
	}
	api("HEAD /api/authorize", true, func(*http.Request, principal, []byte) (any, error) { return nil, nil })
	api("POST /api/check_opt_ins", true, s.checkOptIns)
	api("POST /api/accept_opt_ins", true, s.acceptOptIns)
	api("GET /api/teams", true, s.listTeams)
	api("GET /api/has_projects", true, s.hasProjects)
	api("GET /api/deployment/{name}/team_and_project", true, s.teamAndProject)
	// The key travels in the body; these work without a login.
	api("POST /api/deployment/team_and_project_for_key", false, s.teamAndProjectForKey)
	api("POST /api/deployment/url_for_key", false, s.urlForKey)
	api("POST /api/deployment/provision_and_authorize", true, s.provisionAndAuthorize)
	api("POST /api/deployment/authorize_prod", true, s.authorizeProd)
	api("POST /api/deployment/authorize_preview", true, s.authorizePreview)
	api("POST /api/deployment/authorize_within_current_project", true, s.authorizeWithin)
	api("POST /api/deployment/existing_dev", true, s.existingDev)
	api("POST /api/claim_preview_deployment", true, s.claimPreview)
	api("POST /api/local_deployment/start", true, s.localStart)
	api("POST /api/local_deployment/pause", true, okHandler)
	api("POST /api/local_deployment/record_activity", true, okHandler)
	api("POST /api/local_deployment/enable_feature_metadata", true, s.featureMetadata)
	api("GET /api/dashboard/teams/{id}/usage/team_usage_state", true, func(*http.Request, principal, []byte) (any, error) {
		return map[string]string{"usageState": "Default"}, nil
	})
	api("GET /api/dashboard/teams/{id}/get_spending_limits", true, func(*http.Request, principal, []byte) (any, error) {
		return map[string]any{"disableThresholdCents": nil, "state": nil}, nil
	})

	api("POST /v1/create_personal_access_token", false, s.createPAT)
	api("GET /v1/teams/{team}/projects/{project}", true, s.getProject)
	api("GET /v1/projects/{id}", true, s.getProjectByID)
	api("GET /v1/deployments/{name}", true, s.getDeployment)
	api("GET /v1/teams/{team}/projects", true, s.listProjects)
	api("GET /v1/teams/{team}/projects/{project}/deployment", true, s.findDeployment)
	api("POST /v1/teams/{team}/create_project", true, s.createProject)
	api("GET /v1/teams/{team}/list_deployment_regions", true, s.listRegions)
	api("GET /v1/teams/{team}/list_deployment_classes", true, s.listClasses)
	api("POST /v1/projects/{id}/create_deployment", true, s.createDeployment)
	api("POST /v1/deployments/{name}/create_deploy_key", true, s.createDeployKey)
	api("POST /v1/deployments/{name}/delete_deploy_key", true, s.deleteDeployKey)
	api("GET /v1/projects/{id}/list_default_environment_variables", true, s.listDefaultEnv)
	api("POST /v1/projects/{id}/update_default_environment_variables", true, s.updateDefaultEnv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls = append(s.calls, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "NotFound", "No route "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func okHandler(*http.Request, principal, []byte) (any, error) { return map[string]any{}, nil }

func (s *Server) wrap(needAuth bool, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := readBody(r)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls = append(s.calls, r.Method+" "+r.URL.Path)
		if s.opts.DeprecationState != "" {
			w.Header().Set("x-convex-deprecation-state", s.opts.DeprecationState)
			w.Header().Set("x-convex-deprecation-message", s.opts.DeprecationMessage)
		}
		if !strings.HasPrefix(r.Header.Get("Convex-Client"), "npm-cli-") {
			writeError(w, http.StatusBadRequest, "MissingClientHeader", "The Convex-Client header is missing")
			return
		}
		p, ok := s.principal(r)
		if needAuth && !ok {
			e := errUnauthenticated.(*apiError)
			writeError(w, e.status, e.code, e.message)
			return
		}
		out, err := h(r, p, body)
		var ae *apiError
		switch {
		case errors.As(err, &ae):
			writeError(w, ae.status, ae.code, ae.message)
		case err != nil:
			writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		case r.Method == http.MethodHead:
			w.WriteHeader(http.StatusOK)
		default:
			writeJSON(w, http.StatusOK, out)
		}
	}
}

func readBody(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	var buf strings.Builder
	b := make([]byte, 4096)
	for {
		n, err := r.Body.Read(b)
		buf.Write(b[:n])
		if err != nil || buf.Len() > 1<<20 {
			break
		}
	}
	return []byte(buf.String()), nil
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fail(http.StatusBadRequest, "BadJsonBody", "Could not parse the request body: "+err.Error())
	}
	return nil
}
