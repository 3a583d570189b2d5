package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/convex-go/convex/backend/adminkey"
)

// caller is who made a request.
type caller struct {
	Admin    bool           // a valid admin or system key
	ActingAs map[string]any // impersonated user identity attributes (admin only)
	Bearer   string         // a user JWT (not verified locally; see identity)
}

// allOps is what every local admin key may do (spec §1.5: full keys only).
var allOps = []string{
	"Deploy", "ViewEnvironmentVariables", "WriteEnvironmentVariables", "PauseDeployment",
	"UnpauseDeployment", "ViewLogs", "ViewMetrics", "ViewIntegrations", "WriteIntegrations",
	"ViewData", "WriteData", "ViewBackups", "CreateBackups", "DownloadBackups", "DeleteBackups",
	"ImportBackups", "ActAsUser", "RunInternalQueries", "RunInternalMutations",
	"RunInternalActions", "RunTestQuery", "ViewAuditLog", "ViewUsageLimits", "WriteUsageLimits",
	"ViewUsage",
}

func (s *Server) checkKey(key string) error {
	_, err := adminkey.Verify(key, s.cfg.InstanceName, s.cfg.Secret)
	return err
}

func (s *Server) badKey() *apiError {
	return errorf(http.StatusForbidden, "BadDeployKey",
		"The provided deploy key was invalid for deployment '%s'. Double check that the environment this key was generated for matches the desired deployment.",
		s.cfg.InstanceName)
}

// identify reads the optional credentials of a request: an
// `Authorization: Convex <key>` header, `?adminKey=`, or a Bearer token.
// A present but invalid admin key is an error; no credentials is not.
func (s *Server) identify(r *http.Request) (caller, error) {
	var c caller
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		if k := r.URL.Query().Get("adminKey"); k != "" {
			h = "Convex " + k
		}
	}
	if h == "" {
		return c, nil
	}
	if len(h) >= 7 && strings.EqualFold(h[:7], "Bearer ") {
		c.Bearer = strings.TrimSpace(h[7:])
		return c, nil
	}
	parsed, err := adminkey.ParseHeader(h)
	if errors.Is(err, adminkey.ErrNotConvexAuth) {
		return c, badRequest("InvalidHeaderFailure", "Authorization header must be 'Convex <admin key>' or 'Bearer <token>'")
	}
	if err != nil {
		return c, badRequest("InvalidAdminKey", "Could not parse the admin key in the Authorization header: %v", err)
	}
	if err := s.checkKey(parsed.AdminKey); err != nil {
		return c, s.badKey()
	}
	c.Admin = true
	c.ActingAs = parsed.ActingAs
	return c, nil
}

// requireAdmin demands a valid admin key in the header or query string,
// or (for endpoints whose body carries one) bodyKey.
func (s *Server) requireAdmin(r *http.Request, bodyKey string) (caller, error) {
	c, err := s.identify(r)
	if err != nil {
		return c, err
	}
	if c.Admin {
		return c, nil
	}
	if bodyKey != "" {
		k, err := adminkey.ParseKeyWithIdentity(bodyKey)
		if err != nil || s.checkKey(k.AdminKey) != nil {
			return c, s.badKey()
		}
		c.Admin = true
		return c, nil
	}
	if c.Bearer != "" {
		return c, errorf(http.StatusForbidden, "Forbidden", "This endpoint requires an admin key; a user token is not enough.")
	}
	return c, errorf(http.StatusUnauthorized, "MissingAdminKey",
		"This endpoint requires an admin key: send the header 'Authorization: Convex <admin key>'.")
}
