// Package runtime hosts Convex functions: it loads the ES modules a push
// carries (turned into CommonJS with esbuild), installs the globals the
// convex npm library expects, and invokes queries, mutations, actions and
// HTTP actions, routing their syscalls to a database and an action host.
//
// Typical use by the deployment:
//
//	eng := runtime.New(runtime.Options{CloudURL: ..., SiteURL: ...})
//	ms, err := eng.Load(modules)          // push: transform + compile (cached by content)
//	analysis, err := ms.AnalyzeEnv(ctx, env)
//	schemaJSON, err := ms.Schema()         // nil when schema.js is absent
//	_ = ms.Prewarm(ctx, 2, env)            // optional: first calls are fast
//
//	tx, _ := st.Begin(kind == "mutation")
//	res := ms.Run(ctx, runtime.Request{Path: "messages:list", Kind: "query", Args: args, DB: tx, Env: env})
//	// commit a mutation's tx only when res.Err == nil
//
//	resp, logs, err := ms.RunHTTP(ctx, r, host, env) // HTTP actions through http.js
//
// A ModuleSet is immutable and safe for concurrent use; create a new one
// after a push, or after environment variables change if module top-level
// code reads process.env (evaluated modules are kept in warm VMs). Call
// Close on a replaced set: it stops the Node.js process that serves
// "use node" modules (Module.Environment == "node"), if one was started.
package runtime

import (
	"context"
	"net/http"
	"time"
)

// Module is one pushed ES module. Path is relative to the functions
// directory ("messages.js", "_deps/ABC123.js"); SourceMap is optional.
// Environment is "isolate" (or empty) for the built-in engine, or "node" for
// "use node" modules and their _deps/node/ chunks, which run in a Node.js
// child process (see Options.NodePath).
type Module struct {
	Path, Source, SourceMap string
	Environment             string
}

// DB is the transaction a query or mutation runs in; *store.Tx satisfies it.
// Syscall receives and returns the JSON of the syscall catalogue (§5.4).
type DB interface {
	Syscall(op string, args []byte) ([]byte, error)
	Savepoint() int
	RollbackTo(sp int)
}

// ActionHost is what actions and HTTP actions need from the deployment:
// running other functions in their own transactions, the scheduler and
// file storage. RunFunction's kind is "query", "mutation" or "action"; a
// failing function is reported as a *FunctionError so ConvexError data
// survives the trip.
type ActionHost interface {
	RunFunction(ctx context.Context, kind, path string, args []byte, identity []byte) ([]byte, error)
	Schedule(path string, args []byte, ts float64) (string, error)
	CancelJob(id string) error
	StoreBlob(data []byte, contentType string) (string, error)
	GetBlob(id string) ([]byte, string, error)
	GetURL(id string) (string, error)
}

// HostSyscaller may be implemented by an ActionHost to serve the action
// syscalls the runtime does not handle itself (storageGenerateUploadUrl,
// storageGetMetadata, storageDelete, vectorSearch, ...). Without it those
// syscalls fail with a clear error.
type HostSyscaller interface {
	Syscall(ctx context.Context, op string, args []byte) ([]byte, error)
}

// Kinds of functions, as used in Request.Kind and ActionHost.RunFunction.
const (
	KindQuery    = "query"
	KindMutation = "mutation"
	KindAction   = "action"
)

// Request describes one function invocation.
type Request struct {
	// Path is the udf path, "messages:list" or "dir/mod.js:fn"; a missing
	// export name means "default".
	Path string
	// Kind is the kind the caller expects: "query", "mutation" or "action".
	// Empty means "whatever the function is".
	Kind string
	// Args is the Convex-encoded JSON of the arguments object, or of an
	// array holding exactly one object. Empty means {}.
	Args []byte
	// DB serves database syscalls of queries and mutations.
	DB DB
	// Host serves actions' nested calls, scheduling and storage.
	Host ActionHost
	// Env holds the deployment's environment variables.
	Env map[string]string
	// Identity is the user identity JSON (§1.6), or nil when not logged in.
	Identity []byte
	// IdentityErr, when set, is why the caller's token was refused (an
	// HTTP action given a bad bearer token): ctx.auth.getUserIdentity()
	// throws it instead of returning null.
	IdentityErr error
	// Now is the execution time seen by Date in queries and mutations;
	// zero means time.Now().
	Now time.Time
	// Seed seeds Math.random; zero picks a random seed.
	Seed int64
	// Timeout bounds the execution; zero uses the engine's default for the kind.
	Timeout time.Duration
	// Internal allows calling internal functions (admin, scheduler, crons,
	// other functions).
	Internal bool
	// RequestID is exposed to metadata syscalls; optional.
	RequestID string
	// OnLog, when set, sees every log line as it is written (nested calls
	// included), e.g. to stream an action's progress. Calls for one request
	// never overlap (for Node.js actions they come from another goroutine);
	// it must not block.
	OnLog func(LogLine)
}

// Result is the outcome of Run. Exactly one of Value and Err is set.
type Result struct {
	Value []byte // Convex-encoded JSON of the return value
	Err   *FunctionError
	Logs  []LogLine
	// UdfType is the type of the function that ran ("query", "mutation",
	// "action"), or "" when it was not found.
	UdfType string
}

// FunctionError is a failed invocation as clients see it.
type FunctionError struct {
	// Message is "Uncaught Error: boom\n    at handler (../convex/x.ts:3:9)"
	// for thrown errors, or a plain message for checks done before running
	// ("ArgumentValidationError: ...", "Could not find public function ...").
	Message string
	// Data is the Convex-encoded JSON of a ConvexError's data, or nil.
	Data []byte
}

func (e *FunctionError) Error() string { return e.Message }

// LogLine is one console call.
type LogLine struct {
	Level       string   `json:"level"` // LOG, DEBUG, INFO, WARN, ERROR
	Messages    []string `json:"messages"`
	Timestamp   int64    `json:"timestamp"` // unix milliseconds
	IsTruncated bool     `json:"isTruncated"`
}

// String renders the line the way the public HTTP API shows it: "[LOG] 'a' 1".
func (l LogLine) String() string {
	s := "[" + l.Level + "]"
	for _, m := range l.Messages {
		s += " " + m
	}
	if l.IsTruncated {
		s += " (truncated)"
	}
	return s
}

// HTTPResponse is what an HTTP action answered.
type HTTPResponse struct {
	Status int
	Header http.Header
	Body   []byte
	// Err is set when the action threw; Status is then 500 and Body the
	// JSON error document.
	Err *FunctionError
}

// Options configures an Engine.
type Options struct {
	// CloudURL and SiteURL are exposed as process.env.CONVEX_CLOUD_URL and
	// CONVEX_SITE_URL unless the request's Env sets them.
	CloudURL, SiteURL string
	// DeploymentName is returned by getDeploymentMetadata.
	DeploymentName string
	// QueryTimeout bounds queries and mutations (default 10s); ActionTimeout
	// bounds actions and HTTP actions (default 10 minutes).
	QueryTimeout, ActionTimeout time.Duration
	// MaxIdleVMs is how many warm JavaScript VMs each ModuleSet keeps
	// (default 4). FreshVMs disables reuse: every call gets a new VM.
	MaxIdleVMs int
	FreshVMs   bool
	// HTTPClient is used by fetch in actions (default: a client with a 5
	// minute timeout).
	HTTPClient *http.Client
	// MaxCallDepth limits nested runQuery/runMutation (default 8).
	MaxCallDepth int
	// NodePath is the node binary for "use node" modules (default: "node"
	// from PATH). NodeIdleTimeout stops an idle executor process (default
	// 5 minutes); it restarts on the next call.
	NodePath        string
	NodeIdleTimeout time.Duration
	// NoIntrinsics turns off the Go fast paths for the convex package's
	// value conversions (see intrinsics.go); for tests and comparisons.
	NoIntrinsics bool
}

func (o *Options) withDefaults() {
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 10 * time.Second
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 10 * time.Minute
	}
	if o.MaxIdleVMs <= 0 {
		o.MaxIdleVMs = 4
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Minute}
	}
	if o.MaxCallDepth <= 0 {
		o.MaxCallDepth = 8
	}
	if o.NodeIdleTimeout <= 0 {
		o.NodeIdleTimeout = 5 * time.Minute
	}
}
