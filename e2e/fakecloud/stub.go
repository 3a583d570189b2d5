package fakecloud

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
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
