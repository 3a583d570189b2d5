// Package subscribe is a client for the Convex WebSocket sync protocol
// (/api/<version>/sync): it connects to a deployment, authenticates with an
// admin key, and runs query subscriptions. The CLI uses it for every
// `_system/*` query (data, function-spec, import and export progress) and
// for `run --watch`.
//
// One Client is one connection. It does not reconnect: a dropped
// connection ends every subscription with a *ClosedError, which is what a
// one-off command wants to report.
package subscribe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// DefaultVersion is the client version put in the sync URL path; the
// deployment accepts any, and the reference CLI sends its own.
const DefaultVersion = "1.48.0"

// Options configure a connection.
type Options struct {
	// AdminKey authenticates the connection ("Admin" token). Empty means
	// unauthenticated, which system queries refuse.
	AdminKey string
	// Impersonating is a UserIdentityAttributes JSON object the admin acts
	// as (run --watch --identity), or nil.
	Impersonating json.RawMessage
	// Version goes into /api/<Version>/sync [DefaultVersion].
	Version string
	// HTTPClient carries the WebSocket handshake (proxies, verbose logs).
	HTTPClient *http.Client
	// Logf receives protocol diagnostics. Optional.
	Logf func(format string, args ...any)
	// IdleTimeout ends the connection (with a *ClosedError) when nothing
	// arrives for this long; deployments send a Ping after 15s of silence
	// [60s, as the reference client].
	IdleTimeout time.Duration
}

// SyncURL turns a deployment URL (http or https) into its sync endpoint.
func SyncURL(deploymentURL, version string) (string, error) {
	if version == "" {
		version = DefaultVersion
	}
	u, err := url.Parse(strings.TrimRight(deploymentURL, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not a deployment URL", deploymentURL)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("%q is not an http or https URL", deploymentURL)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/api/" + version + "/sync"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// version is the connection state both sides agree on; every Transition
// must start exactly where the previous one ended.
type version struct {
	QuerySet int64  `json:"querySet"`
	Identity int64  `json:"identity"`
	TS       string `json:"ts"`
}

// zeroTS is the protocol encoding of timestamp 0.
const zeroTS = "AAAAAAAAAAA="

// Client is one sync connection.
type Client struct {
	url  string
	ws   *websocket.Conn
	logf func(string, ...any)
	idle time.Duration

	writeMu sync.Mutex

	// qsMu orders query-set changes: each ModifyQuerySet is sent with the
	// versions it was numbered with before the next one is numbered.
	qsMu     sync.Mutex
	querySet int64 // latest newVersion sent
	nextID   int64

	mu      sync.Mutex
	subs    map[int64]*Subscription
	err     error // set once, when the connection ends
	closing bool

	done chan struct{}
}

// Dial connects to the deployment at deploymentURL, sends Connect and, with
// an admin key, Authenticate. An admin key the deployment refuses shows up
// as an *AuthError from the first query.
func Dial(ctx context.Context, deploymentURL string, o Options) (*Client, error) {
	wsURL, err := SyncURL(deploymentURL, o.Version)
	if err != nil {
		return nil, err
	}
	ws, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: o.HTTPClient})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("could not open a WebSocket to %s: the server answered %s", wsURL, resp.Status)
		}
		return nil, fmt.Errorf("could not open a WebSocket to %s: %w", wsURL, err)
	}
	ws.SetReadLimit(256 << 20)
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	c := &Client{url: wsURL, ws: ws, logf: o.Logf, idle: o.IdleTimeout, subs: map[int64]*Subscription{}, done: make(chan struct{})}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	connect := map[string]any{
		"type": "Connect", "sessionId": newSessionID(), "connectionCount": 0,
		"lastCloseReason": "InitialConnect", "clientTs": time.Now().UnixMilli(),
	}
	if err := c.send(ctx, connect); err != nil {
		ws.CloseNow()
		return nil, err
	}
	if o.AdminKey != "" {
		auth := map[string]any{"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": o.AdminKey}
		if len(o.Impersonating) > 0 {
			if !isObject(o.Impersonating) {
				ws.CloseNow()
				return nil, errors.New("the identity to act as must be a JSON object")
			}
			auth["impersonating"] = o.Impersonating
		}
		if err := c.send(ctx, auth); err != nil {
			ws.CloseNow()
			return nil, err
		}
	}
	go c.readLoop()
	return c, nil
}

// URL is the sync endpoint this client is connected to.
func (c *Client) URL() string { return c.url }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it is open, and after Close).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	return c.err
}

// Close ends the connection normally and waits for its reader to stop.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
	return nil
}

func (c *Client) send(ctx context.Context, msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding a sync message: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, b); err != nil {
		if e := c.endErr(); e != nil {
			return e
		}
		return fmt.Errorf("sending to %s: %w", c.url, err)
	}
	return nil
}

// endErr is the connection's terminal error, if it has ended.
func (c *Client) endErr() error {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.err == nil {
			return ErrClientClosed
		}
		return c.err
	default:
		return nil
	}
}

// ErrClientClosed is returned by calls on a Client after Close.
var ErrClientClosed = errors.New("the sync connection was closed")

// Subscribe adds a query subscription. path is "module:export" (a missing
// export means default, a ".js" suffix is dropped); args is the
// Convex-encoded argument object (json.RawMessage, []byte or anything
// json.Marshal turns into an object; nil means {}); componentPath is ""
// for the app itself.
func (c *Client) Subscribe(ctx context.Context, path string, args any, componentPath string) (*Subscription, error) {
	argsJSON, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	if e := c.endErr(); e != nil {
		return nil, e
	}
	canonical := CanonicalPath(path)
	c.qsMu.Lock()
	defer c.qsMu.Unlock()
	id := c.nextID
	c.nextID++
	base := c.querySet
	s := &Subscription{c: c, id: id, Path: canonical, notify: make(chan struct{}, 1)}
	c.mu.Lock()
	c.subs[id] = s
	c.mu.Unlock()
	add := map[string]any{"type": "Add", "queryId": id, "udfPath": canonical, "args": []json.RawMessage{argsJSON}}
	if componentPath != "" {
		add["componentPath"] = componentPath
	}
	msg := map[string]any{"type": "ModifyQuerySet", "baseVersion": base, "newVersion": base + 1, "modifications": []any{add}}
	if err := c.send(ctx, msg); err != nil {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
		return nil, err
	}
	c.querySet++
	return s, nil
}

// Query runs a query once: it subscribes, waits for the first result and
// unsubscribes. A query that failed on the deployment is a *QueryError.
func (c *Client) Query(ctx context.Context, path string, args any, componentPath string) (Update, error) {
	s, err := c.Subscribe(ctx, path, args, componentPath)
	if err != nil {
		return Update{}, err
	}
	defer s.Close()
	u, err := s.Next(ctx)
	if err != nil {
		return u, err
	}
	if u.Err != nil {
		return u, u.Err
	}
	return u, nil
}

// ErrStop, returned by a Watch callback, ends the watch without an error.
var ErrStop = errors.New("stop watching")

// Watch subscribes to a query and calls fn with every new result, in
// order. It returns nil when ctx is done or fn returns ErrStop; fn's other
// errors, a *QueryError when the query fails, or the connection's error.
func (c *Client) Watch(ctx context.Context, path string, args any, componentPath string, fn func(Update) error) error {
	s, err := c.Subscribe(ctx, path, args, componentPath)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		u, err := s.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if u.Err != nil {
			return u.Err
		}
		if err := fn(u); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
}

// Update is one result of a subscribed query.
type Update struct {
	Value    json.RawMessage // Convex-encoded JSON (see Decode)
	LogLines []string        // "[LEVEL] message" lines the query logged
	Journal  *string
	Err      *QueryError // the query threw (Value is nil)
}

// Subscription is one query on a Client.
type Subscription struct {
	c    *Client
	id   int64
	Path string // canonical udf path

	mu      sync.Mutex
	pending []Update
	closed  bool
	notify  chan struct{}
}

func (s *Subscription) push(u Update) {
	s.mu.Lock()
	if !s.closed {
		s.pending = append(s.pending, u)
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next waits for the next result. It fails when ctx is done or the
// connection ends; a failed query is an Update with Err set.
func (s *Subscription) Next(ctx context.Context) (Update, error) {
	for {
		s.mu.Lock()
		if len(s.pending) > 0 {
			u := s.pending[0]
			s.pending = s.pending[1:]
			s.mu.Unlock()
			return u, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-s.c.done:
			// Results that arrived before the end are still delivered.
			s.mu.Lock()
			n := len(s.pending)
			s.mu.Unlock()
			if n == 0 {
				return Update{}, s.c.endErr()
			}
		case <-ctx.Done():
			return Update{}, ctx.Err()
		}
	}
}

// Close removes the subscription from the deployment's query set.
func (s *Subscription) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	c := s.c
	if c.endErr() != nil {
		return nil
	}
	c.mu.Lock()
	delete(c.subs, s.id)
	c.mu.Unlock()
	c.qsMu.Lock()
	defer c.qsMu.Unlock()
	base := c.querySet
	c.querySet++
	msg := map[string]any{"type": "ModifyQuerySet", "baseVersion": base, "newVersion": base + 1,
		"modifications": []any{map[string]any{"type": "Remove", "queryId": s.id}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.send(ctx, msg)
}

// CanonicalPath is the udf path the deployment expects: "module:export",
// with default as the export when none is given and no ".js" suffix on
// the module (as the reference client sends it).
func CanonicalPath(p string) string {
	module, export := p, "default"
	if i := strings.LastIndexByte(p, ':'); i >= 0 {
		module, export = p[:i], p[i+1:]
	}
	module = strings.TrimSuffix(module, ".js")
	return module + ":" + export
}

func encodeArgs(args any) (json.RawMessage, error) {
	var raw []byte
	switch a := args.(type) {
	case nil:
		raw = []byte("{}")
	case json.RawMessage:
		raw = a
	case []byte:
		raw = a
	default:
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encoding query arguments: %w", err)
		}
		raw = b
	}
	if !isObject(raw) || !json.Valid(raw) {
		return nil, fmt.Errorf("query arguments must be a JSON object, got %.80s", raw)
	}
	return json.RawMessage(raw), nil
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// newSessionID is a random UUID v4.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
