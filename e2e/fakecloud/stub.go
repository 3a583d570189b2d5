package fakecloud

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request a stub deployment received.
type Request struct {
	Method string
	Path   string
	Body   string
	// Authorized is true when the request carried a valid admin key.
	Authorized bool
}

// stubDeployment is a minimal deployment: it answers /instance_name and the
// canonical URLs, keeps environment variables, accepts admin-authenticated
// calls with an empty JSON answer and records everything.
type stubDeployment struct {
	name string
	url  string
	srv  *http.Server

	mu       sync.Mutex
	keys     map[string]bool
	env      map[string]string
	requests []Request
	limits   []usageLimit
	limitSeq int
}

type usageLimit struct {
	ID        string  `json:"id"`
	Metric    string  `json:"metric"`
	Window    string  `json:"window"`
	LimitType string  `json:"limitType"`
	Limit     float64 `json:"limit"`
	Enabled   bool    `json:"enabled"`
}

// stubUsage is the fixed usage every stub deployment reports.
var stubUsage = map[string]any{
	"seedStatus": "complete",
	"metrics": map[string]any{
		"functionCalls": map[string]any{"unit": "calls", "usage": map[string]float64{"current_day": 1234, "current_month": 1500000}},
		"databaseIoGb":  map[string]any{"unit": "GB", "usage": map[string]float64{"current_day": 0.25, "current_month": 3}},
	},
}

func startStub(name string) (*stubDeployment, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	st := &stubDeployment{name: name, url: "http://" + ln.Addr().String(), keys: map[string]bool{}, env: map[string]string{}}
	st.srv = &http.Server{Handler: http.HandlerFunc(st.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = st.srv.Serve(ln) }()
	return st, nil
}

func (st *stubDeployment) addKey(k string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.keys[k] = true
}

func (st *stubDeployment) removeKey(k string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.keys, k)
}

func (st *stubDeployment) close() { _ = st.srv.Close() }

func (st *stubDeployment) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	key := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Convex "))
	st.mu.Lock()
	authorized := st.keys[key]
	st.requests = append(st.requests, Request{Method: r.Method, Path: r.URL.Path, Body: string(body), Authorized: authorized})
	st.mu.Unlock()

	switch r.URL.Path {
	case "/instance_name":
		_, _ = io.WriteString(w, st.name)
		return
	case "/api/v1/get_canonical_urls":
		writeJSON(w, http.StatusOK, map[string]string{"convexCloudUrl": st.url, "convexSiteUrl": st.url + "/site"})
		return
	}
	if !authorized {
		writeError(w, http.StatusUnauthorized, "BadAdminKey", "The provided admin key was invalid for this instance")
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/") && st.serveUsage(w, r, body) {
		return
	}
	switch r.URL.Path {
	case "/api/update_environment_variables":
		var req struct {
			Changes []struct {
				Name  string  `json:"name"`
				Value *string `json:"value"`
			} `json:"changes"`
		}
		if json.Unmarshal(body, &req) != nil {
			writeError(w, http.StatusBadRequest, "BadJson", "could not parse the request")
			return
		}
		st.mu.Lock()
		for _, c := range req.Changes {
			if c.Value == nil {
				delete(st.env, c.Name)
			} else {
				st.env[c.Name] = *c.Value
			}
		}
		st.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		writeJSON(w, http.StatusOK, map[string]any{})
	}
}

// Requests returns what a stub deployment received (nil for real backends).
func (s *Server) Requests(deployment string) []Request {
	s.mu.Lock()
	d := s.deployments[deployment]
	s.mu.Unlock()
	if d == nil || d.stub == nil {
		return nil
	}
	d.stub.mu.Lock()
	defer d.stub.mu.Unlock()
	return append([]Request(nil), d.stub.requests...)
}

// DeploymentEnv returns a stub deployment's environment variables.
func (s *Server) DeploymentEnv(deployment string) map[string]string {
	s.mu.Lock()
	d := s.deployments[deployment]
	s.mu.Unlock()
	out := map[string]string{}
	if d == nil || d.stub == nil {
		return out
	}
	d.stub.mu.Lock()
	defer d.stub.mu.Unlock()
	for k, v := range d.stub.env {
		out[k] = v
	}
	return out
}

// serveUsage answers the usage-limit API; false when path is not part of it.
func (st *stubDeployment) serveUsage(w http.ResponseWriter, r *http.Request, body []byte) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	find := func(id string) int {
		for i, l := range st.limits {
			if l.ID == id {
				return i
			}
		}
		return -1
	}
	parse := func() (usageLimit, bool) {
		var l usageLimit
		if json.Unmarshal(body, &l) != nil || l.Metric == "" || (l.Window != "day" && l.Window != "month") ||
			(l.LimitType != "warning" && l.LimitType != "disable") || l.Limit < 1 {
			writeError(w, http.StatusBadRequest, "InvalidUsageLimit", "metric, window (day|month), limitType (warning|disable) and a positive limit are required")
			return l, false
		}
		return l, true
	}
	switch {
	case path == "list_usage_limits":
		writeJSON(w, http.StatusOK, map[string]any{"usageLimits": append([]usageLimit{}, st.limits...)})
	case path == "get_current_usage":
		writeJSON(w, http.StatusOK, stubUsage)
	case path == "create_usage_limit":
		l, ok := parse()
		if !ok {
			return true
		}
		for _, x := range st.limits {
			if x.Metric == l.Metric && x.Window == l.Window && x.LimitType == l.LimitType {
				writeError(w, http.StatusBadRequest, "UsageLimitAlreadyExists", "a limit with this metric, window and type exists")
				return true
			}
		}
		st.limitSeq++
		l.ID = "limit" + strconv.Itoa(st.limitSeq)
		st.limits = append(st.limits, l)
		writeJSON(w, http.StatusOK, map[string]any{"usageLimit": l})
	case strings.HasPrefix(path, "update_usage_limit/"):
		i := find(strings.TrimPrefix(path, "update_usage_limit/"))
		if i < 0 {
			writeError(w, http.StatusNotFound, "UsageLimitNotFound", "no such usage limit")
			return true
		}
		l, ok := parse()
		if !ok {
			return true
		}
		l.ID = st.limits[i].ID
		st.limits[i] = l
		writeJSON(w, http.StatusOK, map[string]any{"usageLimit": l})
	case strings.HasPrefix(path, "delete_usage_limit/"):
		i := find(strings.TrimPrefix(path, "delete_usage_limit/"))
		if i < 0 {
			writeError(w, http.StatusNotFound, "UsageLimitNotFound", "no such usage limit")
			return true
		}
		st.limits = append(st.limits[:i], st.limits[i+1:]...)
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		return false
	}
	return true
}
