package sync_test

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/convex-go/convex/backend/sync"
)

// adapter stands for the deployment's glue between the hub, the store and
// the runtime.
type adapter struct{}

func (adapter) RunQuery(ctx context.Context, req sync.Request) (sync.QueryResult, error) {
	// Begin a read transaction, run req.Path with req.Args and
	// req.Identity, and report the snapshot and what was read:
	//   return sync.QueryResult{Value: v, LogLines: lines, TS: tx.TS(),
	//       Reads: sync.ReadSet{Tables: tx.Reads().Tables(), Overlaps: ...}}, nil
	return sync.QueryResult{Value: json.RawMessage(`[]`)}, nil
}

func (adapter) RunMutation(ctx context.Context, req sync.Request) (sync.MutationResult, error) {
	// Run in a write transaction; after tx.Commit returns ts, call
	// hub.CommittedWith(ts, tx.Writes().Tables(), tx.Writes()) and only
	// then return sync.MutationResult{Value: v, TS: ts}.
	return sync.MutationResult{Value: json.RawMessage(`null`)}, nil
}

func (adapter) RunAction(ctx context.Context, req sync.Request) (sync.ActionResult, error) {
	return sync.ActionResult{Value: json.RawMessage(`null`)}, nil
}

func (adapter) Authenticate(ctx context.Context, auth sync.Auth) (sync.Identity, error) {
	// Verify the admin key or JWT; return an opaque identity.
	return nil, &sync.AuthError{Message: "Could not verify token"}
}

func Example() {
	hub := sync.NewHub(adapter{}, sync.Options{})
	defer hub.Close()

	mux := http.NewServeMux()
	mux.Handle("/api/sync", hub)
	mux.Handle("/api/{version}/sync", hub)

	// At startup, once: the latest commit timestamp of the store.
	hub.Committed(1764000000000000000, nil)
	// After every commit (mutations, scheduled mutations, imports, ...):
	//   hub.CommittedWith(ts, writes.Tables(), writes)
	// After a push or an environment variable change:
	hub.InvalidateAll(0)
}
