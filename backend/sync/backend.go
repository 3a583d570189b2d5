// Package sync serves the Convex WebSocket sync protocol (/api/<version>/sync):
// query subscriptions that update when commits change what they read,
// mutations with read-your-writes, actions, and authentication.
//
// It knows nothing about storage or JavaScript: everything it runs goes
// through the Backend interface, and the backend reports every commit with
// (*Hub).Committed so subscriptions can be re-evaluated.
package sync

import (
	"context"
	"encoding/json"
)

// Backend is what the hub needs from the deployment.
//
// A returned error means an internal, possibly transient failure: the
// connection is closed with code 1011 and the client reconnects. A function
// that threw, failed validation or does not exist is not an error: it is a
// result with Error set, delivered to the client as QueryFailed or a failed
// response.
type Backend interface {
	// RunQuery runs a query against the latest committed state.
	RunQuery(ctx context.Context, req Request) (QueryResult, error)
	// RunMutation runs and commits a mutation. Before it returns, the
	// backend must have called (*Hub).Committed for the commit (if it wrote
	// anything), and MutationResult.TS must be that commit's timestamp. A
	// commit not reported within 200ms re-runs every subscribed query.
	RunMutation(ctx context.Context, req Request) (MutationResult, error)
	// RunAction runs an action.
	RunAction(ctx context.Context, req Request) (ActionResult, error)
	// Authenticate checks a token and returns an opaque identity that is
	// passed back in Request.Identity. An *AuthError (or any error) rejects
	// the token: the client receives an AuthError with the error's text.
	Authenticate(ctx context.Context, auth Auth) (Identity, error)
}

// Identity is the backend's opaque encoding of who is calling. nil means
// unauthenticated. The hub only compares identities byte for byte.
type Identity []byte

// Auth is one Authenticate message.
type Auth struct {
	TokenType string // "Admin" or "User" ("None" never reaches the backend)
	Token     string // admin key or JWT
	// Impersonating is the UserIdentityAttributes object an admin acts as
	// ("impersonating" or "actingAs" in the message), or nil.
	Impersonating json.RawMessage
}

// Request is one function call.
type Request struct {
	Path          string          // udfPath as sent, e.g. "messages:list", "messages.js:list", "_system/cli/tables"
	ComponentPath string          // "" for the app itself
	Args          json.RawMessage // the Convex-encoded argument object (always a JSON object)
	Identity      Identity        // nil when unauthenticated
	Journal       *string         // queries only: the journal the client kept from an earlier result
}

// FunctionError is a function failure the client should see.
type FunctionError struct {
	Message string          // full error text, as in §3.2 of the backend spec
	Data    json.RawMessage // Convex-encoded ConvexError data, or nil
}

// ReadSet is what a query read. Table-level: a commit that writes any of
// these tables re-runs the query. Names are opaque to the hub, so pseudo
// tables (for example "_modules" or "_env") work as long as the backend
// uses the same names in Committed.
type ReadSet struct {
	Tables []string
	All    bool // depends on everything: re-run after every commit
	// Overlaps optionally narrows Tables: for a commit reported with
	// CommittedWith that wrote one of Tables, it gets that commit's detail
	// and reports whether the commit can have changed this result (for
	// example store.ReadSet.Overlaps(store.WriteSet), for index ranges).
	// nil means any write to a table read counts.
	Overlaps func(detail any) bool
}

// QueryResult is the outcome of one query execution.
type QueryResult struct {
	Value    json.RawMessage // Convex-encoded result when Error is nil
	Error    *FunctionError
	LogLines []string
	Journal  *string // opaque, returned by the client on re-subscribe
	// TS is the commit timestamp of the snapshot the query read, or 0 if
	// unknown. It must not be later than the snapshot (earlier only costs a
	// re-run).
	TS    int64
	Reads ReadSet
}

// MutationResult is the outcome of one mutation.
type MutationResult struct {
	Value    json.RawMessage
	Error    *FunctionError
	LogLines []string
	TS       int64 // commit timestamp (the latest timestamp if it wrote nothing); ignored on error
}

// ActionResult is the outcome of one action.
type ActionResult struct {
	Value    json.RawMessage
	Error    *FunctionError
	LogLines []string
}

// AuthError rejects a token, or reports that an identity expired while a
// function ran (then returned from RunQuery/RunMutation/RunAction).
type AuthError struct{ Message string }

func (e *AuthError) Error() string { return e.Message }

// SnapshotQuerier is optionally implemented by a Backend that can run
// several queries against one snapshot, for example in one read
// transaction. The hub then re-runs a connection's queries together, so a
// Transition is consistent in one round even while commits keep landing.
// Results are in request order.
type SnapshotQuerier interface {
	RunQueries(ctx context.Context, reqs []Request) ([]QueryResult, error)
}
