// Package api is the HTTP face of the built-in backend: the admin API the
// CLI uses (push, env, logs, import/export), the public function API, the
// WebSocket sync protocol, file storage, HTTP actions, "use node" actions in
// a Node.js child process, and the scheduler and cron loops. It glues store
// (data), runtime (JavaScript), sync, system and snapshot together.
package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/snapshot"
	"github.com/convex-go/convex/backend/store"
	convexsync "github.com/convex-go/convex/backend/sync"
	"github.com/convex-go/convex/backend/system"
)

// Version is what /version and /instance_version report.
const Version = "convex-go-local"

// Config configures a Server.
type Config struct {
	InstanceName string
	Secret       adminkey.Secret
	Store        *store.Store
	CloudURL     string // public URL of the API port (CONVEX_CLOUD_URL)
	SiteURL      string // public URL of the HTTP-actions port (CONVEX_SITE_URL)
	// Log receives diagnostic lines (never secrets); nil discards them.
	Log io.Writer
	// SchedulerInterval is how often due jobs are polled (default 100ms).
	SchedulerInterval time.Duration
	// Hooks connect a sync (subscription) layer; see also SetHooks.
	Hooks Hooks
}

// Hooks let a WebSocket sync layer plug into the server.
type Hooks struct {
	// SyncHandler, when set, replaces the built-in sync hub at
	// /api/<client version>/sync.
	SyncHandler http.Handler
	// OnCommit, when set, is called after every committed function write
	// (mutations, scheduling from actions) with what was written, so that
	// subscriptions can be invalidated.
	OnCommit func(ts int64, writes store.WriteSet)
	// OnInvalidateAll, when set, is called when every cached query result is
	// stale: new code was pushed or environment variables changed.
	OnInvalidateAll func()
}

// SetHooks replaces the hooks; safe while serving.
func (s *Server) SetHooks(h Hooks) { s.hooks.Store(&h) }

func (s *Server) getHooks() Hooks {
	if h := s.hooks.Load(); h != nil {
		return *h
	}
	return Hooks{}
}

// Server serves one deployment. Create it with New, start background work
// with Start, and stop with Close.
type Server struct {
	cfg    Config
	store  *store.Store
	engine *runtime.Engine
	logs   *logBuffer
	mux    *http.ServeMux

	dep   atomic.Pointer[deployment] // the currently pushed code
	hooks atomic.Pointer[Hooks]

	pushMu  sync.Mutex
	pushes  map[string]*pendingPush
	envMu   sync.Mutex
	envMemo map[string]string // cached env vars; nil = reload

	kick      chan struct{} // wakes the scheduler after a commit that scheduled work
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closed    atomic.Bool
	logMu     sync.Mutex
	crons     *cronState
	hub       *convexsync.Hub // WebSocket sync protocol
	snapshots *snapshot.Manager
	system    *system.Functions
	jwks      *jwksCache
	started   atomic.Bool
}

// New builds a Server and loads the last pushed code from the store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("api: Config.Store is required")
	}
	if cfg.InstanceName == "" {
		return nil, fmt.Errorf("api: Config.InstanceName is required")
	}
	if cfg.SchedulerInterval <= 0 {
		cfg.SchedulerInterval = 100 * time.Millisecond
	}
	cfg.CloudURL = strings.TrimRight(cfg.CloudURL, "/")
	cfg.SiteURL = strings.TrimRight(cfg.SiteURL, "/")
	s := &Server{
		cfg:    cfg,
		store:  cfg.Store,
		engine: runtime.New(runtime.Options{CloudURL: cfg.CloudURL, SiteURL: cfg.SiteURL, DeploymentName: cfg.InstanceName}),
		logs:   newLogBuffer(10000),
		pushes: map[string]*pendingPush{},
		kick:   make(chan struct{}, 1),
		crons:  newCronState(),
		jwks:   newJWKSCache(),
	}
	s.SetHooks(cfg.Hooks)
	s.hub = convexsync.NewHub(syncBackend{s}, convexsync.Options{Logf: s.logf})
	latest, err := s.store.LatestTS()
	if err != nil {
		return nil, fmt.Errorf("reading the latest commit: %w", err)
	}
	s.hub.Committed(latest, nil)
	s.snapshots, err = snapshot.NewManager(s.store, snapshot.Options{Notify: s.notifySnapshot, Committed: s.committed})
	if err != nil {
		return nil, fmt.Errorf("opening snapshot records: %w", err)
	}
	s.system = &system.Functions{Store: s.store, Deployment: systemDeployment{s}, Snapshots: s.snapshots}
	s.store.SetOrigin(cfg.CloudURL)
	if err := s.loadDeployment(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Start runs the scheduler and cron loops until ctx ends or Close is called.
func (s *Server) Start(ctx context.Context) {
	if !s.started.CompareAndSwap(false, true) {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.schedulerLoop(ctx)
	}()
}

// Close stops background work and waits for it. It does not close the store.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	err := s.snapshots.Close()
	if herr := s.hub.Close(); err == nil {
		err = herr
	}
	return err
}

// Handler serves the API ("cloud") port.
func (s *Server) Handler() http.Handler { return s.cors(s.mux) }

// SiteHandler serves the site port: every request is an HTTP action, the
// same as /http/<path> on the API port. There is no CORS layer here: HTTP
// actions set their own CORS headers and answer their own preflight
// requests with OPTIONS routes, as on Convex.
func (s *Server) SiteHandler() http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return s.serveHTTPAction(w, r, r.URL.Path)
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, time.Now().UTC().Format("2006-01-02T15:04:05.000Z ")+format+"\n", args...)
}

// cors implements the permissive CORS of spec §2.0. HTTP actions under
// /http/ are left to the app, as on the site port.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/http/") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS, PATCH, DELETE, PUT")
			if reqHeaders := r.Header.Get("Access-Control-Request-Headers"); reqHeaders != "" {
				h.Set("Access-Control-Allow-Headers", reqHeaders)
			}
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) routes() {
	m := http.NewServeMux()
	s.mux = m
	h := func(pattern string, fn handlerFunc) { m.Handle(pattern, s.wrap(fn)) }

	// Health and identity (§2.1).
	h("GET /{$}", func(w http.ResponseWriter, r *http.Request) error {
		return writeText(w, "This Convex deployment is running. See https://docs.convex.dev/.")
	})
	h("GET /instance_name", func(w http.ResponseWriter, r *http.Request) error {
		return writeText(w, s.cfg.InstanceName)
	})
	h("GET /instance_version", func(w http.ResponseWriter, r *http.Request) error { return writeText(w, Version) })
	h("GET /version", func(w http.ResponseWriter, r *http.Request) error { return writeText(w, Version) })
	h("POST /echo", s.handleEcho)
	h("GET /api/check_admin_key", s.handleCheckAdminKey)

	// Push (§2.2).
	h("POST /api/get_config_hashes", s.handleGetConfigHashes)
	h("POST /api/deploy2/start_push", s.handleStartPush)
	h("POST /api/deploy2/evaluate_push", s.handleEvaluatePush)
	h("POST /api/deploy2/wait_for_schema", s.handleWaitForSchema)
	h("POST /api/deploy2/finish_push", s.handleFinishPush)
	h("POST /api/deploy2/report_push_completed", s.handleReportPushCompleted)
	h("POST /api/deploy2/evaluate_schema", func(w http.ResponseWriter, r *http.Request) error {
		// Best effort in the CLI: a fast 404 makes it skip the check (§2.2).
		return errorf(http.StatusNotFound, "NotFound", "evaluate_schema is not supported by this backend")
	})
	for _, p := range []string{"POST /api/push_config", "POST /api/prepare_schema", "GET /api/schema_state/{id}", "POST /api/get_config"} {
		h(p, func(w http.ResponseWriter, r *http.Request) error {
			return badRequest("UnsupportedLegacyEndpoint",
				"%s is a push endpoint of older Convex CLIs, which this backend does not support. Use convex 1.17 or newer.", r.URL.Path)
		})
	}

	// Environment variables (§2.3).
	h("POST /api/update_environment_variables", s.handleUpdateEnv)
	h("POST /api/v1/update_environment_variables", s.handleUpdateEnv)
	h("GET /api/v1/list_environment_variables", s.handleListEnv)
	h("GET /api/v1/get_canonical_urls", s.handleCanonicalURLs)
	h("GET /api/v1/deployment_info", s.handleDeploymentInfo)

	// Functions (§2.4, §3).
	h("POST /api/query", s.handleUDF("query"))
	h("GET /api/query", s.handleUDF("query"))
	h("POST /api/mutation", s.handleUDF("mutation"))
	h("POST /api/action", s.handleUDF("action"))
	h("POST /api/function", s.handleUDF(""))
	h("POST /api/run/{path...}", s.handleRun)
	h("POST /api/query_ts", s.handleQueryTS)
	h("POST /api/query_batch", s.handleQueryBatch)
	h("POST /api/query_at_ts", func(w http.ResponseWriter, r *http.Request) error {
		return badRequest("QueryAtTsUnsupported", "Queries at a past timestamp are not supported by this backend; use /api/query.")
	})
	h("POST /api/run_test_function", s.handleRunTestFunction)

	// Logs (§2.5).
	h("GET /api/stream_function_logs", s.handleStreamLogs(false))
	h("GET /api/stream_udf_execution", s.handleStreamLogs(true))

	// File storage (§3.1).
	h("POST /api/storage/upload", s.handleStorageUpload)
	h("GET /api/storage/{id}", s.handleStorageGet)

	// HTTP actions on the API port (§5.7).
	h("/http/{rest...}", func(w http.ResponseWriter, r *http.Request) error {
		return s.serveHTTPAction(w, r, "/"+r.PathValue("rest"))
	})
	h("/http", func(w http.ResponseWriter, r *http.Request) error { return s.serveHTTPAction(w, r, "/") })

	// Not implemented yet: clear errors instead of 404s (the CLI retries 404s for a minute).
	// Snapshot import and export (§2.7, §2.8).
	h("POST /api/import/start_upload", s.handleStartUpload)
	h("POST /api/import/upload_part", s.handleUploadPart)
	h("POST /api/import/finish_upload", s.handleFinishUpload)
	h("POST /api/perform_import", s.handleImportID(func(id string) error { return s.snapshots.PerformImport(id) }))
	h("POST /api/cancel_import", s.handleImportID(func(id string) error { return s.snapshots.CancelImport(id) }))
	h("POST /api/import", s.handleImportNow)
	h("POST /api/export/request/zip", s.handleRequestExport)
	h("GET /api/export/zip/{id}", s.handleDownloadExport)

	unsupported := func(what string) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if _, err := s.requireAdmin(r, ""); err != nil {
				return err
			}
			return badRequest("NotSupported", "%s is not supported by this backend yet.", what)
		}
	}
	h("/api/import/{rest...}", unsupported("This import operation"))
	h("/api/export/{rest...}", unsupported("Changing export expiry or cancelling an export"))
	h("GET /api/shapes2", unsupported("Table shapes"))
	h("/api/actions/{rest...}", unsupported("Node.js action callbacks"))
	h("/", func(w http.ResponseWriter, r *http.Request) error {
		if convexsync.IsSyncPath(r.URL.Path) { // /api/sync and /api/<client version>/sync
			if h := s.getHooks().SyncHandler; h != nil {
				h.ServeHTTP(w, r)
			} else {
				s.hub.ServeHTTP(w, r)
			}
			return nil
		}
		return errorf(http.StatusNotFound, "NotFound", "No route for %s %s", r.Method, r.URL.Path)
	})
}

func writeText(w http.ResponseWriter, s string) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := io.WriteString(w, s)
	return err
}

func (s *Server) handleEcho(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	_, err = w.Write(b)
	return err
}

func (s *Server) handleCheckAdminKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "allowedOps": allOps, "isReadOnly": false})
	return nil
}

func (s *Server) handleCanonicalURLs(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"convexCloudUrl": s.cfg.CloudURL, "convexSiteUrl": s.cfg.SiteURL})
	return nil
}

func (s *Server) handleDeploymentInfo(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deploymentName": s.cfg.InstanceName, "paused": false})
	return nil
}
