package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/store"
	convexsync "github.com/convex-go/convex/backend/sync"
)

// syncBackend runs what the WebSocket sync hub asks for.
type syncBackend struct{ s *Server }

// syncIdentity is the hub's opaque identity: who authenticated.
type syncIdentity struct {
	Admin bool            `json:"admin,omitempty"`
	User  json.RawMessage `json:"user,omitempty"` // identity JSON a function sees
	// Expires is when a user token stops being valid (Unix seconds; 0 for
	// admins): later calls on the connection fail with an AuthError.
	Expires int64 `json:"expires,omitempty"`
}

func decodeSyncIdentity(id convexsync.Identity) syncIdentity {
	var si syncIdentity
	if len(id) > 0 {
		_ = json.Unmarshal(id, &si)
	}
	return si
}

func (b syncBackend) Authenticate(ctx context.Context, auth convexsync.Auth) (convexsync.Identity, error) {
	var si syncIdentity
	switch auth.TokenType {
	case "Admin":
		k, err := adminkey.ParseKeyWithIdentity(auth.Token)
		if err != nil || b.s.checkKey(k.AdminKey) != nil {
			return nil, &convexsync.AuthError{Message: b.s.badKey().Message}
		}
		si.Admin = true
		attrs := k.ActingAs
		if len(auth.Impersonating) > 0 && string(auth.Impersonating) != "null" {
			if err := json.Unmarshal(auth.Impersonating, &attrs); err != nil || attrs == nil {
				return nil, &convexsync.AuthError{Message: "The impersonated identity must be a JSON object"}
			}
			if _, ok := attrs["tokenIdentifier"]; !ok {
				attrs["tokenIdentifier"] = "convex|fake_user"
			}
		}
		if attrs != nil {
			u, err := json.Marshal(attrs)
			if err != nil {
				return nil, err
			}
			si.User = u
		}
	case "User":
		u, err := b.s.verifyToken(ctx, auth.Token)
		if err != nil {
			return nil, &convexsync.AuthError{Message: "Could not verify the auth token: " + err.Error()}
		}
		si.User, si.Expires = u.identity, u.expires.Unix()
	default:
		return nil, &convexsync.AuthError{Message: fmt.Sprintf("Unknown token type %q", auth.TokenType)}
	}
	return json.Marshal(si)
}

// call runs a function for a connection. A user token that expired since
// the connection authenticated is an AuthError (not attempted by an
// Authenticate), so the client fetches a fresh token and reconnects.
func (b syncBackend) call(ctx context.Context, kind string, req convexsync.Request) (udfOutcome, error) {
	si := decodeSyncIdentity(req.Identity)
	if si.Expires != 0 && (userToken{expires: time.Unix(si.Expires, 0)}).expired(time.Now()) {
		return udfOutcome{}, &convexsync.AuthError{Message: "The auth token has expired: the client must authenticate with a new one"}
	}
	if req.ComponentPath != "" {
		return udfOutcome{RequestID: newRequestID(), Err: &runtime.FunctionError{
			Message: fmt.Sprintf("Components are not supported by this backend (componentPath %q)", req.ComponentPath)}}, nil
	}
	args := []byte(req.Args)
	if len(args) == 0 {
		args = []byte("{}")
	}
	var identity []byte
	if len(si.User) > 0 {
		identity = si.User
	}
	return b.s.run(ctx, udfCall{Kind: kind, Path: req.Path, Args: args, Internal: si.Admin, Identity: identity, Caller: "SyncWorker", journal: req.Journal}), nil
}

func syncError(out udfOutcome) *convexsync.FunctionError {
	if out.Err == nil {
		return nil
	}
	return &convexsync.FunctionError{
		Message: fmt.Sprintf("[Request ID: %s] Server Error\n%s", out.RequestID, out.Err.Message),
		Data:    out.Err.Data,
	}
}

func logStrings(ls []runtime.LogLine) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.String())
	}
	return out
}

func (b syncBackend) RunQuery(ctx context.Context, req convexsync.Request) (convexsync.QueryResult, error) {
	out, err := b.call(ctx, runtime.KindQuery, req)
	if err != nil {
		return convexsync.QueryResult{}, err
	}
	res := convexsync.QueryResult{Value: out.Value, Error: syncError(out), LogLines: logStrings(out.Logs), TS: out.TS, Journal: out.Journal}
	if out.systemFn && len(out.sysTables) > 0 && !out.sysAll {
		res.Reads = convexsync.ReadSet{Tables: out.sysTables}
		return res, nil
	}
	if out.systemFn || out.TS == 0 {
		// Other system functions and failures before a transaction: re-run
		// on any change.
		res.Reads = convexsync.ReadSet{All: true}
		return res, nil
	}
	reads := out.Reads
	res.Reads = convexsync.ReadSet{
		Tables: reads.Tables(),
		Overlaps: func(detail any) bool {
			ws, ok := detail.(store.WriteSet)
			return !ok || reads.Overlaps(ws)
		},
	}
	return res, nil
}

func (b syncBackend) RunMutation(ctx context.Context, req convexsync.Request) (convexsync.MutationResult, error) {
	out, err := b.call(ctx, runtime.KindMutation, req)
	if err != nil {
		return convexsync.MutationResult{}, err
	}
	ts := out.TS
	if ts == 0 {
		latest, err := b.s.store.LatestTS()
		if err != nil {
			return convexsync.MutationResult{}, err
		}
		ts = latest
	}
	return convexsync.MutationResult{Value: out.Value, Error: syncError(out), LogLines: logStrings(out.Logs), TS: ts}, nil
}

func (b syncBackend) RunAction(ctx context.Context, req convexsync.Request) (convexsync.ActionResult, error) {
	out, err := b.call(ctx, runtime.KindAction, req)
	if err != nil {
		return convexsync.ActionResult{}, err
	}
	return convexsync.ActionResult{Value: out.Value, Error: syncError(out), LogLines: logStrings(out.Logs)}, nil
}
