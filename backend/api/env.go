package api

import (
	"fmt"
	"net/http"

	"github.com/convex-go/convex/internal/lazy"
)

var envNameRE = lazy.Regexp(`^[a-zA-Z_]+[a-zA-Z0-9_]*$`)

const (
	maxEnvNameLen  = 256
	maxEnvValueLen = 8 << 10
)

// env returns the deployment's variables plus the built-in URLs.
func (s *Server) env() (map[string]string, error) {
	s.envMu.Lock()
	defer s.envMu.Unlock()
	if s.envMemo == nil {
		stored, err := s.store.EnvList()
		if err != nil {
			return nil, err
		}
		s.envMemo = stored
	}
	out := make(map[string]string, len(s.envMemo)+2)
	for k, v := range s.envMemo {
		out[k] = v
	}
	out["CONVEX_CLOUD_URL"] = s.cfg.CloudURL
	out["CONVEX_SITE_URL"] = s.cfg.SiteURL
	return out, nil
}

// storedEnv is the user-set variables only.
func (s *Server) storedEnv() (map[string]string, error) {
	all, err := s.env()
	if err != nil {
		return nil, err
	}
	s.envMu.Lock()
	defer s.envMu.Unlock()
	out := make(map[string]string, len(s.envMemo))
	for k := range s.envMemo {
		out[k] = all[k]
	}
	return out, nil
}

type envChange struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

func validateEnvChange(c envChange) error {
	if len(c.Name) > maxEnvNameLen {
		return badRequest("EnvironmentVariableNameTooLong", "Environment variable name %.40q... is longer than %d characters.", c.Name, maxEnvNameLen)
	}
	if !envNameRE.Get().MatchString(c.Name) {
		return badRequest("EnvironmentVariableNameInvalid",
			"Environment variable name %q is invalid: it must start with a letter or underscore and contain only letters, digits and underscores.", c.Name)
	}
	if c.Value != nil && len(*c.Value) > maxEnvValueLen {
		return badRequest("EnvironmentVariableValueTooLarge", "The value of %s is larger than %d bytes.", c.Name, maxEnvValueLen)
	}
	return nil
}

func (s *Server) handleUpdateEnv(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	var req struct {
		Changes []envChange `json:"changes"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	for _, c := range req.Changes {
		if err := validateEnvChange(c); err != nil {
			return err
		}
	}
	changes := map[string]*string{}
	for _, c := range req.Changes {
		changes[c.Name] = c.Value
	}
	s.envMu.Lock()
	defer s.envMu.Unlock()
	s.envMemo = nil // reload after any change, even a failed one
	if err := s.store.EnvApply(changes); err != nil {
		return fmt.Errorf("updating environment variables: %w", err)
	}
	s.invalidateAll()
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) handleListEnv(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	vars, err := s.storedEnv()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"environmentVariables": vars})
	return nil
}
