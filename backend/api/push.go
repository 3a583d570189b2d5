package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/runtime"
)

// Meta keys under which the deployment's code lives in the store.
const (
	metaModules  = "api/modules"  // []storedModule
	metaAnalysis = "api/analysis" // map[path]analyzedModule
	metaConfig   = "api/config"   // pushConfig
	metaSchema   = "api/schema"   // active schema JSON ("" when none)
	metaAuth     = "api/auth"     // []authProvider
	metaCrons    = "api/crons"    // map[name]cronRecord: next run times
)

// storedModule is a pushed module as kept in the store.
type storedModule struct {
	Path        string `json:"path"`
	Source      string `json:"source"`
	SourceMap   string `json:"sourceMap,omitempty"`
	Environment string `json:"environment"`
}

// hash is what get_config_hashes reports: sha256(source ‖ sourceMap), hex.
func (m storedModule) hash() string {
	h := sha256.New()
	h.Write([]byte(m.Source))
	h.Write([]byte(m.SourceMap))
	return hex.EncodeToString(h.Sum(nil))
}

type pushConfig struct {
	Functions        string `json:"functions"`
	UdfServerVersion string `json:"udfServerVersion"`
	NodeVersion      string `json:"nodeVersion,omitempty"`
}

// deployment is the code currently serving requests.
type deployment struct {
	mods     *runtime.ModuleSet
	modules  []storedModule
	analysis map[string]analyzedModule
	config   pushConfig
	schema   []byte
	auth     []authProvider
	node     *nodeSet // "use node" modules, or nil
	hasHTTP  bool
	kinds    map[string]string // canonical path -> runtime kind
}

func (d *deployment) kindOf(path string) string {
	if d == nil {
		return ""
	}
	return d.kinds[canonicalPath(path)]
}

func newDeployment(mods *runtime.ModuleSet, modules []storedModule, analysis map[string]analyzedModule, cfg pushConfig, schema []byte, auth []authProvider) *deployment {
	d := &deployment{mods: mods, modules: modules, analysis: analysis, config: cfg, schema: schema, auth: auth, kinds: map[string]string{}}
	for path, am := range analysis {
		for _, f := range am.Functions {
			d.kinds[path+":"+f.Name] = strings.ToLower(f.UdfType)
		}
		if path == "http.js" && am.HTTPRoutes != nil {
			d.hasHTTP = true
		}
	}
	return d
}

// loadDeployment restores the last finished push from the store.
func (s *Server) loadDeployment() error {
	var modules []storedModule
	if ok, err := s.getMetaJSON(metaModules, &modules); err != nil || !ok {
		return err
	}
	analysis := map[string]analyzedModule{}
	if _, err := s.getMetaJSON(metaAnalysis, &analysis); err != nil {
		return err
	}
	var cfg pushConfig
	if _, err := s.getMetaJSON(metaConfig, &cfg); err != nil {
		return err
	}
	schema, _, err := s.store.GetMeta(metaSchema)
	if err != nil {
		return fmt.Errorf("reading schema: %w", err)
	}
	if len(schema) == 0 {
		schema = nil
	}
	var auth []authProvider
	if _, err := s.getMetaJSON(metaAuth, &auth); err != nil {
		return err
	}
	mods, err := s.engine.Load(runtimeModules(modules))
	if err != nil {
		return fmt.Errorf("loading the pushed functions: %w", err)
	}
	dep := newDeployment(mods, modules, analysis, cfg, schema, auth)
	if dep.node, err = s.prepareNode(modules); err != nil {
		return err
	}
	s.dep.Store(dep)
	s.crons.reset(cronsFrom(analysis), time.Now())
	saved := map[string]cronRecord{}
	if _, err := s.getMetaJSON(metaCrons, &saved); err != nil {
		s.logf("ignoring saved cron times: %v", err)
	}
	s.crons.restore(saved)
	return nil
}

func (s *Server) getMetaJSON(key string, v any) (bool, error) {
	b, ok, err := s.store.GetMeta(key)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", key, err)
	}
	if !ok || len(b) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", key, err)
	}
	return true, nil
}

func runtimeModules(ms []storedModule) []runtime.Module {
	out := make([]runtime.Module, 0, len(ms))
	for _, m := range ms {
		if m.Environment == "node" {
			continue
		}
		out = append(out, runtime.Module{Path: m.Path, Source: m.Source, SourceMap: m.SourceMap})
	}
	return out
}

// ---- get_config_hashes -------------------------------------------------

func (s *Server) handleGetConfigHashes(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AdminKey string `json:"adminKey"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return err
	}
	dep := s.dep.Load()
	hashes := []map[string]string{}
	config := map[string]any{"functions": "convex/"}
	var udfVersion any
	if dep != nil {
		for _, m := range dep.modules {
			hashes = append(hashes, map[string]string{"path": m.Path, "hash": m.hash(), "environment": m.Environment})
		}
		if dep.config.Functions != "" {
			config["functions"] = dep.config.Functions
		}
		if dep.config.UdfServerVersion != "" {
			udfVersion = dep.config.UdfServerVersion
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"config": config, "moduleHashes": hashes, "nodeDependencies": []any{},
		"udfServerVersion": udfVersion, "nodeVersion": nil,
	})
	return nil
}

// ---- start_push --------------------------------------------------------

type pushModule struct {
	Path        string  `json:"path"`
	Source      string  `json:"source"`
	SourceMap   *string `json:"sourceMap"`
	Environment string  `json:"environment"`
}

type startPushRequest struct {
	AdminKey      string `json:"adminKey"`
	DryRun        bool   `json:"dryRun"`
	Functions     string `json:"functions"`
	AppDefinition struct {
		Definition            *pushModule  `json:"definition"`
		Dependencies          []string     `json:"dependencies"`
		Schema                *pushModule  `json:"schema"`
		ChangedModules        []pushModule `json:"changedModules"`
		UnchangedModuleHashes []struct {
			Path        string `json:"path"`
			Environment string `json:"environment"`
			SHA256      string `json:"sha256"`
		} `json:"unchangedModuleHashes"`
		UdfServerVersion string `json:"udfServerVersion"`
	} `json:"appDefinition"`
	ComponentDefinitions []json.RawMessage `json:"componentDefinitions"`
	NodeVersion          string            `json:"nodeVersion"`
	NodeDependencies     []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"nodeDependencies"`
}

// pendingPush is what start_push prepared for finish_push, keyed by the id
// that travels in schemaChange.schemaIds[""].
type pendingPush struct {
	id       string
	created  time.Time
	dryRun   bool
	mods     *runtime.ModuleSet
	modules  []storedModule
	analysis map[string]analyzedModule
	config   pushConfig
	schema   []byte // nil when the push has no schema
	diff     indexDiff
	env      map[string]string
	auth     []authProvider
	node     *nodeSet

	applied   bool
	applyErr  string
	failTable *string
}

// refuseComponents fails a push that brings child components. The CLI
// always sends an app definition (a stand-in when the project has no
// convex.config.ts), so only definitions beyond the app count. Accepting
// the push would deploy the app's own functions while every component
// call failed, so the push is refused as a whole, naming the components.
func refuseComponents(req *startPushRequest) *apiError {
	if len(req.ComponentDefinitions) == 0 && len(req.AppDefinition.Dependencies) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var names []string
	note := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			names = append(names, p)
		}
	}
	for _, raw := range req.ComponentDefinitions {
		var d struct {
			DefinitionPath string `json:"definitionPath"`
		}
		if json.Unmarshal(raw, &d) == nil {
			note(d.DefinitionPath)
		}
	}
	for _, p := range req.AppDefinition.Dependencies {
		note(p)
	}
	which := "components"
	if len(names) > 0 {
		const limit = 5
		shown := names
		if len(shown) > limit {
			shown = shown[:limit]
		}
		which = fmt.Sprintf("%d component(s): %s", len(names), strings.Join(shown, ", "))
		if len(names) > limit {
			which += ", …"
		}
	}
	config := strings.TrimSuffix(req.Functions, "/")
	if config == "" {
		config = "convex"
	}
	config += "/convex.config.ts"
	return badRequest("InvalidConvexConfig", "Hit an error while pushing:\n"+
		"This backend does not support components yet, and this app uses %s.\n"+
		"To deploy here, remove the components (the app.use(...) calls) from %s; "+
		"to keep them, deploy to a Convex cloud deployment instead.", which, config)
}

// checkModulePath refuses a module path Convex does not accept: every
// path component is letters, digits, underscores and periods, with at least
// one letter or digit (so "lib/identity-signing.js" is refused). Shared
// chunks under _deps/ follow the same rule.
func checkModulePath(path string) *apiError {
	for _, part := range strings.Split(path, "/") {
		if !validPathComponent(part) {
			return badRequest("InvalidConfig", "%s is not a valid path to a Convex module. "+
				"Path component %s can only contain alphanumeric characters, underscores, or periods.", path, part)
		}
	}
	return nil
}

func validPathComponent(s string) bool {
	alnum := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			alnum = true
		case c == '_' || c == '.':
		default:
			return false
		}
	}
	return alnum
}

// pushError is the 400 of a failed analysis (§2.2.2).
func pushError(code string, err error) *apiError {
	return badRequest(code, "Hit an error while pushing:\n%v", err)
}

func (s *Server) preparePush(ctx context.Context, r *http.Request, stage bool) (*pendingPush, error) {
	var req startPushRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return nil, err
	}
	if len(req.NodeDependencies) > 0 {
		return nil, badRequest("InvalidModules",
			"Hit an error while pushing:\nExternal packages for Node.js actions (node.externalPackages in convex.json, here %s) are not supported by this backend; bundle them instead.",
			req.NodeDependencies[0].Name)
	}
	if err := refuseComponents(&req); err != nil {
		return nil, err
	}
	var modules []storedModule
	seen := map[string]bool{}
	add := func(m storedModule) error {
		if err := checkModulePath(m.Path); err != nil {
			return err
		}
		if seen[m.Path] {
			return badRequest("InvalidModules", "Hit an error while pushing:\nModule %s was sent twice", m.Path)
		}
		seen[m.Path] = true
		if m.Environment == "" {
			m.Environment = "isolate"
		}
		if m.Environment != "isolate" && m.Environment != "node" {
			return badRequest("InvalidModules", "Hit an error while pushing:\n%s has unknown environment %q", m.Path, m.Environment)
		}
		modules = append(modules, m)
		return nil
	}
	for _, m := range req.AppDefinition.ChangedModules {
		sm := storedModule{Path: m.Path, Source: m.Source, Environment: m.Environment}
		if m.SourceMap != nil {
			sm.SourceMap = *m.SourceMap
		}
		if err := add(sm); err != nil {
			return nil, err
		}
	}
	if len(req.AppDefinition.UnchangedModuleHashes) > 0 {
		old := map[string]storedModule{}
		if dep := s.dep.Load(); dep != nil {
			for _, m := range dep.modules {
				old[m.Path] = m
			}
		}
		for _, u := range req.AppDefinition.UnchangedModuleHashes {
			m, ok := old[u.Path]
			if !ok || m.hash() != u.SHA256 {
				return nil, badRequest("ModuleNotFound",
					"Hit an error while pushing:\nThe deployment no longer has module %s with hash %s; push again with all modules.", u.Path, u.SHA256)
			}
			if err := add(m); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(modules, func(i, j int) bool { return modules[i].Path < modules[j].Path })

	loadSet := runtimeModules(modules)
	if req.AppDefinition.Schema != nil {
		sm := req.AppDefinition.Schema
		rm := runtime.Module{Path: "schema.js", Source: sm.Source}
		if sm.SourceMap != nil {
			rm.SourceMap = *sm.SourceMap
		}
		if !seen["schema.js"] {
			loadSet = append(loadSet, rm)
		}
	}
	mods, err := s.engine.Load(loadSet)
	if err != nil {
		return nil, pushError("InvalidModules", err)
	}
	env, err := s.env()
	if err != nil {
		return nil, err
	}
	raw, err := mods.AnalyzeEnv(ctx, env)
	if err != nil {
		return nil, pushError("InvalidModules", err)
	}
	analysis, err := convertAnalysis(raw)
	if err != nil {
		return nil, err
	}
	node, err := s.prepareNode(modules)
	if err != nil {
		return nil, err
	}
	if node != nil {
		nodeAnalysis, err := s.analyzeNode(ctx, node, env)
		if err != nil {
			return nil, pushError("InvalidModules", err)
		}
		for p, am := range nodeAnalysis {
			analysis[p] = am
		}
	}
	delete(analysis, "schema.js")
	authRaw, err := mods.AuthConfig(env)
	if err != nil {
		return nil, pushError("InvalidAuthConfig", err)
	}
	authSource := ""
	for _, m := range modules {
		if m.Path == "auth.config.js" {
			authSource = m.Source
		}
	}
	auth, err := parseAuthConfig(authRaw, authSource, env)
	if err != nil {
		return nil, err
	}
	var schema []byte
	if req.AppDefinition.Schema != nil {
		schema, err = mods.Schema()
		if err != nil {
			return nil, pushError("InvalidSchema", err)
		}
	}
	diff, err := s.indexDiff(schema)
	if err != nil {
		return nil, pushError("InvalidSchema", err)
	}
	cfg := pushConfig{Functions: req.Functions, UdfServerVersion: req.AppDefinition.UdfServerVersion, NodeVersion: req.NodeVersion}
	if cfg.Functions == "" {
		cfg.Functions = "convex/"
	}
	p := &pendingPush{
		id: newRequestID(), created: time.Now(), dryRun: req.DryRun || !stage,
		mods: mods, modules: modules, analysis: analysis, config: cfg, schema: schema,
		diff: diff, env: env, auth: auth, node: node,
	}
	if stage {
		s.pushMu.Lock()
		for id, old := range s.pushes { // forget abandoned pushes
			if time.Since(old.created) > time.Hour {
				delete(s.pushes, id)
			}
		}
		s.pushes[p.id] = p
		s.pushMu.Unlock()
	}
	return p, nil
}

func (s *Server) handleStartPush(w http.ResponseWriter, r *http.Request) error {
	p, err := s.preparePush(r.Context(), r, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.startPushResponse(p))
	return nil
}

func (s *Server) handleEvaluatePush(w http.ResponseWriter, r *http.Request) error {
	p, err := s.preparePush(r.Context(), r, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemaChange": s.schemaChange(p)})
	return nil
}

func (s *Server) schemaChange(p *pendingPush) map[string]any {
	return map[string]any{
		"allocatedComponentIds": map[string]any{},
		"schemaIds":             map[string]any{"": p.id},
		"indexDiffs":            map[string]any{"": p.diff},
	}
}

func (s *Server) startPushResponse(p *pendingPush) map[string]any {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	var ts [8]byte
	binary.LittleEndian.PutUint64(ts[:], uint64(p.created.UnixMilli()))
	var schema any
	if p.schema != nil {
		schema = json.RawMessage(p.schema)
	}
	envVars := map[string]string{}
	for k, v := range p.env {
		if k != "CONVEX_CLOUD_URL" && k != "CONVEX_SITE_URL" {
			envVars[k] = v
		}
	}
	var routes any
	if am, ok := p.analysis["http.js"]; ok && am.HTTPRoutes != nil {
		rs := []map[string]string{}
		for _, rt := range am.HTTPRoutes {
			rs = append(rs, map[string]string{"method": rt.Route.Method, "path": rt.Route.Path})
		}
		routes = rs
	}
	return map[string]any{
		"environmentVariables":        envVars,
		"externalDepsId":              nil,
		"componentDefinitionPackages": map[string]any{"": map[string]any{}},
		"appAuth":                     wireAuth(p.auth),
		"analysis": map[string]any{
			"": map[string]any{
				"definition": map[string]any{
					"path": "", "definitionType": map[string]any{"type": "app"}, "childComponents": []any{},
					"httpMounts": map[string]any{}, "exports": map[string]any{"type": "branch", "branch": []any{}},
					"envVars": nil,
				},
				"schema":    schema,
				"functions": p.analysis,
				"udfConfig": map[string]any{
					"serverVersion":            p.config.UdfServerVersion,
					"importPhaseRngSeed":       map[string]string{"$bytes": base64.StdEncoding.EncodeToString(seed[:])},
					"importPhaseUnixTimestamp": map[string]string{"$integer": base64.StdEncoding.EncodeToString(ts[:])},
				},
			},
		},
		"app": map[string]any{
			"definitionPath": "", "componentPath": "", "args": map[string]any{}, "childComponents": map[string]any{},
			"httpRoutes": map[string]any{"httpModuleRoutes": routes, "mounts": []any{}},
			"exports":    map[string]any{},
		},
		"schemaChange": s.schemaChange(p),
	}
}

// pushIDFrom digs the push id out of an echoed schemaChange.
func pushIDFrom(schemaChange json.RawMessage) string {
	var sc struct {
		SchemaIds map[string]any `json:"schemaIds"`
	}
	if json.Unmarshal(schemaChange, &sc) != nil {
		return ""
	}
	id, _ := sc.SchemaIds[""].(string)
	return id
}

func (s *Server) pendingFor(id string) (*pendingPush, error) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	p := s.pushes[id]
	if p == nil {
		return nil, badRequest("RaceDetected", "This push is unknown to the deployment (it restarted or another push replaced it); push again.")
	}
	return p, nil
}

// ---- wait_for_schema ---------------------------------------------------

func (s *Server) handleWaitForSchema(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AdminKey     string          `json:"adminKey"`
		SchemaChange json.RawMessage `json:"schemaChange"`
		DryRun       bool            `json:"dryRun"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return err
	}
	p, err := s.pendingFor(pushIDFrom(req.SchemaChange))
	if err != nil {
		if e, ok := err.(*apiError); ok && e.Code == "RaceDetected" {
			writeJSON(w, http.StatusOK, map[string]any{"type": "raceDetected"})
			return nil
		}
		return err
	}
	if !p.dryRun && !req.DryRun {
		s.applySchema(p)
	}
	if p.applyErr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"type": "failed", "error": p.applyErr, "componentPath": "", "tableName": p.failTable})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "complete"})
	return nil
}

// applySchema backfills indexes and validates documents synchronously,
// once per push.
func (s *Server) applySchema(p *pendingPush) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	if p.applied {
		return
	}
	p.applied = true
	if err := s.store.ApplySchema(p.schema); err != nil {
		p.applyErr = err.Error()
		p.failTable = failedTable(err)
	}
}

// ---- finish_push -------------------------------------------------------

func (s *Server) handleFinishPush(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AdminKey  string `json:"adminKey"`
		StartPush struct {
			SchemaChange json.RawMessage `json:"schemaChange"`
		} `json:"startPush"`
		DryRun bool `json:"dryRun"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return err
	}
	p, err := s.pendingFor(pushIDFrom(req.StartPush.SchemaChange))
	if err != nil {
		return err
	}
	old := s.dep.Load()
	diff := s.finishDiff(old, p)
	if req.DryRun || p.dryRun {
		writeJSON(w, http.StatusOK, diff)
		return nil
	}
	// Functions and auth providers were analyzed with the variables of
	// start_push; if they changed since, the push must be redone.
	if env, err := s.env(); err != nil {
		return err
	} else if !sameEnv(env, p.env) {
		s.pushMu.Lock()
		delete(s.pushes, p.id)
		s.pushMu.Unlock()
		return badRequest("RaceDetected", "Environment variables changed during the push; pushing again.")
	}
	s.applySchema(p)
	if p.applyErr != "" {
		return badRequest("SchemaValidationFailed", "Hit an error while pushing:\n%s", p.applyErr)
	}
	// The code, its analysis and config change together or not at all.
	metas := map[string][]byte{metaSchema: p.schema}
	if metas[metaSchema] == nil {
		metas[metaSchema] = []byte{}
	}
	for key, v := range map[string]any{metaModules: p.modules, metaAnalysis: p.analysis, metaConfig: p.config, metaAuth: p.auth} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		metas[key] = b
	}
	if err := s.store.PutMetas(metas); err != nil {
		return fmt.Errorf("saving the pushed code: %w", err)
	}
	dep := newDeployment(p.mods, p.modules, p.analysis, p.config, p.schema, p.auth)
	dep.node = p.node
	s.dep.Store(dep)
	s.pruneNode(p.node)
	s.crons.reset(cronsFrom(p.analysis), time.Now())
	s.saveCrons()
	s.invalidateAll()
	s.pushMu.Lock()
	delete(s.pushes, p.id)
	s.pushMu.Unlock()
	writeJSON(w, http.StatusOK, diff)
	return nil
}

func (s *Server) finishDiff(old *deployment, p *pendingPush) map[string]any {
	diffType := "create"
	oldPaths := map[string]bool{}
	var oldAnalysis map[string]analyzedModule
	var oldSchema []byte
	var oldAuth []authProvider
	oldVersion := ""
	if old != nil {
		diffType = "modify"
		for _, m := range old.modules {
			oldPaths[m.Path] = true
		}
		oldAnalysis, oldSchema, oldVersion, oldAuth = old.analysis, old.schema, old.config.UdfServerVersion, old.auth
	}
	added, removed := []string{}, []string{}
	newPaths := map[string]bool{}
	for _, m := range p.modules {
		newPaths[m.Path] = true
		if !oldPaths[m.Path] {
			added = append(added, m.Path)
		}
	}
	for path := range oldPaths {
		if !newPaths[path] {
			removed = append(removed, path)
		}
	}
	sort.Strings(removed)
	var udfDiff any
	if oldVersion != "" && oldVersion != p.config.UdfServerVersion {
		udfDiff = map[string]string{"previous_version": oldVersion, "next_version": p.config.UdfServerVersion}
	}
	var schemaDiff any
	if !bytes.Equal(oldSchema, p.schema) {
		var prev, next any
		if len(oldSchema) > 0 {
			prev = string(oldSchema)
		}
		if len(p.schema) > 0 {
			next = string(p.schema)
		}
		schemaDiff = map[string]any{"previous_schema": prev, "next_schema": next}
	}
	return map[string]any{
		"authDiff":        authDiff(oldAuth, p.auth),
		"definitionDiffs": map[string]any{},
		"componentDiffs": map[string]any{"": map[string]any{
			"diffType":      map[string]string{"type": diffType},
			"moduleDiff":    map[string]any{"added": added, "removed": removed},
			"udfConfigDiff": udfDiff,
			"cronDiff":      cronDiff(cronsFrom(oldAnalysis), cronsFrom(p.analysis)),
			"indexDiff":     p.diff,
			"schemaDiff":    schemaDiff,
		}},
	}
}

func (s *Server) handleReportPushCompleted(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AdminKey string `json:"adminKey"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r, req.AdminKey); err != nil {
		return err
	}
	writeRawJSON(w, http.StatusOK, []byte("null"))
	return nil
}

func sameEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
