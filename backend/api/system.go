package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/system"
)

// runSystem serves the `_system/...` functions (spec §2.9) with
// backend/system; they need an admin identity.
func (s *Server) runSystem(ctx context.Context, c udfCall, out udfOutcome) udfOutcome {
	out.UdfType = runtime.KindQuery
	out.systemFn = true
	if !system.Has(c.Path) {
		out.Err = &runtime.FunctionError{Message: fmt.Sprintf("Could not find system function '%s' (not supported by this backend).", c.Path)}
		return out
	}
	res, err := s.system.Run(system.Request{Path: c.Path, Args: c.Args, Admin: c.Internal})
	if err != nil {
		out.Err = &runtime.FunctionError{Message: "InternalServerError: " + err.Error()}
		return out
	}
	if res.Err != "" {
		out.Err = &runtime.FunctionError{Message: res.Err}
		return out
	}
	out.Value, out.TS = res.Value, res.TS
	out.sysTables, out.sysAll = res.Tables, res.All
	return out
}

// systemDeployment gives backend/system the pushed code's analysis.
type systemDeployment struct{ s *Server }

func (d systemDeployment) Analysis() (map[string]json.RawMessage, error) {
	dep := d.s.dep.Load()
	out := map[string]json.RawMessage{}
	if dep == nil {
		return out, nil
	}
	for path, am := range dep.analysis {
		b, err := json.Marshal(am)
		if err != nil {
			return nil, err
		}
		out[path] = b
	}
	return out, nil
}

func (d systemDeployment) CloudURL() string { return d.s.cfg.CloudURL }
