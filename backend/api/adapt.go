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
	var err error
	if msg != "" {
		err = s.store.SetJobState(id, state, msg)
	} else {
		err = s.store.SetJobState(id, state)
	}
	if err == nil {
		s.storeCommitted(store.ScheduledFunctionsName)
	}
	return err
}

// storeCommitted reports a commit the store made on its own (job states,
// file uploads) to subscriptions, which see it as a write to tables.
func (s *Server) storeCommitted(tables ...string) {
	ts, err := s.store.LatestTS()
	if err != nil {
		s.logf("reading the latest commit: %v", err)
		return
	}
	s.hub.Committed(ts, tables)
}
