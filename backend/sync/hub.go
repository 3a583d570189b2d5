package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/coder/websocket"
)

// Options tunes a Hub. Zero values take the defaults in brackets.
type Options struct {
	PingInterval      time.Duration // WebSocket-level ping period [5s]
	IdleTimeout       time.Duration // close when a ping gets no answer for this long [120s]
	ProtocolPingAfter time.Duration // send {"type":"Ping"} after this much silence [15s]
	MaxMessageBytes   int64         // largest client frame accepted [64 MiB]
	Parallelism       int           // queries run at once for one connection [4]
	// Logf receives diagnostics (internal errors, closed connections). Optional.
	Logf func(format string, args ...any)
}

func (o *Options) fill() {
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 120 * time.Second
	}
	if o.ProtocolPingAfter <= 0 {
		o.ProtocolPingAfter = 15 * time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 64 << 20
	}
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Hub serves sync connections for one deployment.
type Hub struct {
	backend Backend
	opts    Options
	log     *commitLog
	cache   *queryCache

	ctx    context.Context // outlives connections: mutations finish after a disconnect
	cancel context.CancelFunc

	mu       gosync.Mutex
	closed   bool
	conns    map[*conn]struct{}
	sessions map[string]*session
	wg       gosync.WaitGroup
}

// NewHub returns a hub that runs functions on backend.
func NewHub(backend Backend, opts Options) *Hub {
	opts.fill()
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		backend:  backend,
		opts:     opts,
		log:      newCommitLog(8192),
		cache:    newQueryCache(4096),
		ctx:      ctx,
		cancel:   cancel,
		conns:    make(map[*conn]struct{}),
		sessions: make(map[string]*session),
	}
}

// Committed reports a commit: its timestamp and the tables it wrote. Call
// it once per commit, right after the commit succeeds and before the
// mutation's result is returned, and once at startup with the store's
// latest timestamp and no tables. It is cheap and never blocks on
// connections. Reports should come in commit order; one that arrives late
// is treated as newer than everything known (extra re-runs, nothing missed).
func (h *Hub) Committed(ts int64, tables []string) {
	h.log.add(ts, tables, false, nil)
}

// CommittedWith is Committed with a description of the writes (for
// example a store.WriteSet) that ReadSet.Overlaps functions inspect to
// skip queries whose ranges the commit did not touch. detail must describe
// the writes to every table in tables; report changes it cannot describe
// (pseudo tables such as environment variables) in their own Committed call.
func (h *Hub) CommittedWith(ts int64, tables []string, detail any) {
	h.log.add(ts, tables, false, detail)
}

// InvalidateAll re-runs every subscribed query, for changes the read sets do
// not capture: a push (new code), environment variables, a data import. ts
// is the latest commit timestamp, or 0 when unchanged.
func (h *Hub) InvalidateAll(ts int64) {
	if ts > 0 {
		h.log.add(ts, nil, true, nil)
	}
	h.log.bumpEpoch()
}

// LatestTS is the latest commit timestamp reported to the hub.
func (h *Hub) LatestTS() int64 { return h.log.state().known }

// ConnCount is the number of open sync connections.
func (h *Hub) ConnCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// IsSyncPath reports whether an URL path is a sync endpoint: /api/sync or
// /api/<client version>/sync.
func IsSyncPath(p string) bool {
	if p == "/api/sync" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/api/")
	if !ok {
		return false
	}
	version, ok := strings.CutSuffix(rest, "/sync")
	return ok && version != "" && !strings.Contains(version, "/")
}

// ServeHTTP upgrades the request to a WebSocket and serves the sync
// protocol on it until either side closes.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		http.Error(w, "the deployment is shutting down", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Browsers connect from the app's own origin, whatever it is.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		// Accept has already answered the request.
		return
	}
	ws.SetReadLimit(h.opts.MaxMessageBytes)
	c := newConn(h, ws)
	if !h.register(c) {
		ws.Close(websocket.StatusGoingAway, "the deployment is shutting down")
		return
	}
	defer h.unregister(c)
	c.serve()
}

func (h *Hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	return true
}

func (h *Hub) unregister(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.wg.Done()
}

// Close closes every connection (code 1001, so clients reconnect to the
// next server) and waits for them to finish.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.shutdown(websocket.StatusGoingAway, "the deployment is shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	defer h.cancel()
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("sync: connections did not close within 10s")
	}
}

// session remembers mutation outcomes per client session so a mutation the
// client re-sends after reconnecting is answered, not applied twice.
type session struct {
	mu       gosync.Mutex
	results  map[int64]*mutationOutcome
	order    []int64
	lastUsed time.Time
	active   int
}

type mutationOutcome struct {
	path string
	done chan struct{}
	msg  []byte // the MutationResponse frame
	ts   int64  // commit ts when it succeeded, else 0
	ok   bool   // false: it did not complete; run it again
}

const (
	sessionIdle       = 10 * time.Minute
	sessionMaxResults = 512
)

func (h *Hub) attachSession(id string) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for k, s := range h.sessions {
		s.mu.Lock()
		stale := s.active == 0 && now.Sub(s.lastUsed) > sessionIdle
		s.mu.Unlock()
		if stale {
			delete(h.sessions, k)
		}
	}
	s := h.sessions[id]
	if s == nil {
		s = &session{results: make(map[int64]*mutationOutcome)}
		h.sessions[id] = s
	}
	s.mu.Lock()
	s.active++
	s.lastUsed = now
	s.mu.Unlock()
	return s
}

func (s *session) detach() {
	s.mu.Lock()
	s.active--
	s.lastUsed = time.Now()
	s.mu.Unlock()
}

// claim returns the outcome slot for a request id and whether the caller
// must run the mutation (owner) or wait for/reuse an earlier run.
func (s *session) claim(requestID int64, path string) (*mutationOutcome, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.results[requestID]; ok && o.path == path {
		select {
		case <-o.done:
			if o.ok {
				return o, false
			}
		default:
			return o, false
		}
	}
	o := &mutationOutcome{path: path, done: make(chan struct{})}
	if _, ok := s.results[requestID]; !ok {
		s.order = append(s.order, requestID)
	}
	s.results[requestID] = o
	for len(s.order) > sessionMaxResults {
		delete(s.results, s.order[0])
		s.order = s.order[1:]
	}
	return o, true
}

func internalError(err error) string {
	return fmt.Sprintf("InternalServerError: %v", err)
}
