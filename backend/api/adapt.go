package api

import (
	"encoding/json"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/store"
)

// convertAnalysis turns the runtime's analysis into the wire shape (the
// runtime's JSON already is the AnalyzedModule of start_push).
func convertAnalysis(in map[string]runtime.ModuleAnalysis) (map[string]analyzedModule, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out := map[string]analyzedModule{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jobInfo is a due scheduled function.
type jobInfo = store.Job

func (s *Server) setJobState(id, state, msg string) error {
	if msg != "" {
		return s.store.SetJobState(id, state, msg)
	}
	return s.store.SetJobState(id, state)
}
