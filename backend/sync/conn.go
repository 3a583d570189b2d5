package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/coder/websocket"
)

// maxRounds bounds how often one update re-runs queries invalidated by
// commits that landed while it was running. Past it, the update is sent and
// the stale queries are re-run by the next update.
const maxRounds = 16

// unreportedWait bounds the wait for Committed after a query or mutation
// has seen a commit timestamp the hub was not told about yet.
const unreportedWait = 200 * time.Millisecond

// conn is one WebSocket client. A single worker goroutine owns all protocol
// state; the reader feeds it messages, the writer drains its output.
type conn struct {
	hub *Hub
	ws  *websocket.Conn

	ctx    context.Context
	cancel context.CancelFunc

	inbox       chan inboxItem
	out         chan outItem
	mutations   chan mutationJob
	mutationOut chan mutationOutput

	// Worker-owned state.
	session       *session
	connected     bool
	clockSkew     *int64
	identity      Identity
	identityVer   int64
	querySetVer   int64
	sent          version // end version of the last Transition sent
	queries       map[int64]*subscription
	removed       []int64
	identityDirty bool
	versionDirty  bool
	force         bool // a mutation responded: send a Transition even if empty
}

type version struct {
	querySet, identity, ts int64
}

type subscription struct {
	id   int64
	req  Request
	fail *FunctionError // argument shape error: fails without running

	pendingAdd bool
	have       bool
	ts         int64 // valid through this commit timestamp
	epoch      uint64
	reads      *readSet
	hash       [32]byte
}

type inboxItem struct {
	msg *clientMessage
	err error // a malformed frame
}

type outItem struct {
	data  []byte
	close bool
	code  websocket.StatusCode
	why   string
}

func newConn(h *Hub, ws *websocket.Conn) *conn {
	ctx, cancel := context.WithCancel(h.ctx)
	return &conn{
		hub:         h,
		ws:          ws,
		ctx:         ctx,
		cancel:      cancel,
		inbox:       make(chan inboxItem, 256),
		out:         make(chan outItem, 256),
		mutations:   make(chan mutationJob, 256),
		mutationOut: make(chan mutationOutput),
		queries:     make(map[int64]*subscription),
	}
}

// serve runs the connection until it ends.
func (c *conn) serve() {
	var wg gosync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); c.writeLoop() }()
	go func() { defer wg.Done(); c.mutationLoop() }()
	go func() { defer wg.Done(); c.pingLoop() }()
	go func() { defer wg.Done(); c.work() }()
	c.readLoop()
	c.cancel()
	wg.Wait()
	c.ws.CloseNow()
	if c.session != nil {
		c.session.detach()
	}
}

// shutdown asks the writer to close the socket after what is queued.
func (c *conn) shutdown(code websocket.StatusCode, why string) {
	select {
	case c.out <- outItem{close: true, code: code, why: why}:
	case <-c.ctx.Done():
	case <-time.After(time.Second):
		c.ws.Close(code, why)
	}
}

func (c *conn) readLoop() {
	defer close(c.inbox)
	broken := false
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		if broken {
			continue // the worker is answering with FatalError and closing
		}
		var item inboxItem
		if typ != websocket.MessageText {
			item.err = protoErrorf("binary frames are not part of the protocol")
		} else {
			item.msg, item.err = parseClientMessage(data)
		}
		broken = item.err != nil
		select {
		case c.inbox <- item:
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *conn) writeLoop() {
	idle := time.NewTimer(c.hub.opts.ProtocolPingAfter)
	defer idle.Stop()
	write := func(data []byte) bool {
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
			c.cancel()
			return false
		}
		idle.Reset(c.hub.opts.ProtocolPingAfter)
		return true
	}
	for {
		select {
		case item := <-c.out:
			if item.close {
				c.ws.Close(item.code, item.why)
				c.cancel()
				return
			}
			if !write(item.data) {
				return
			}
		case <-idle.C:
			if !write(pingMsg) {
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *conn) pingLoop() {
	t := time.NewTicker(c.hub.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(c.ctx, c.hub.opts.IdleTimeout)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				if c.ctx.Err() == nil {
					c.hub.opts.Logf("sync: closing a connection that stopped answering pings: %v", err)
					c.ws.CloseNow() // a close handshake would wait for it too
					c.cancel()
				}
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *conn) send(data []byte) bool {
	select {
	case c.out <- outItem{data: data}:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// fatal sends a FatalError and closes: the client stops for good.
func (c *conn) fatal(msg string) {
	c.send(mustJSON(fatalErrorMsg{Type: "FatalError", Error: msg}))
	// A close frame without a status code, as the protocol expects.
	c.shutdown(websocket.StatusNoStatusRcvd, "")
}

// internal closes with 1011 so the client reconnects with backoff.
func (c *conn) internal(err error) {
	c.hub.opts.Logf("sync: %v", err)
	reason := internalError(err)
	if len(reason) > 120 { // close reasons are limited to 123 bytes
		reason = strings.ToValidUTF8(reason[:120], "")
	}
	c.shutdown(websocket.StatusInternalError, reason)
}

// authFailed reports an expired or rejected identity and closes, so the
// client fetches a new token and reconnects.
func (c *conn) authFailed(msg string, attempted bool) {
	c.send(mustJSON(authErrorMsg{Type: "AuthError", Error: msg, BaseVersion: c.identityVer, AuthUpdateAttempted: attempted}))
	c.shutdown(websocket.StatusNormalClosure, "AuthError")
}

// work is the connection's protocol loop: handle queued messages, then
// bring the client up to date; wake up again on messages or commits.
func (c *conn) work() {
	changed := c.hub.log.changedChan()
	for {
		select {
		case item, ok := <-c.inbox:
			if !ok {
				return
			}
			if !c.handle(item) {
				return
			}
			// Take what else is already queued, so one Transition covers it.
		drain:
			for n := 0; n < 64; n++ {
				select {
				case item, ok := <-c.inbox:
					if !ok {
						return
					}
					if !c.handle(item) {
						return
					}
				default:
					break drain
				}
			}
		case out := <-c.mutationOut:
			if !c.mutationFinished(out) {
				return
			}
		case <-changed:
		case <-c.ctx.Done():
			return
		}
		// Taken before the update so a commit landing during it wakes us.
		changed = c.hub.log.changedChan()
		if err := c.update(); err != nil {
			var ae *AuthError
			switch {
			case c.ctx.Err() != nil:
			case errors.As(err, &ae):
				c.authFailed(ae.Message, false)
			default:
				c.internal(err)
			}
			return
		}
	}
}

// handle applies one client message. It returns false when the connection
// is being closed.
func (c *conn) handle(item inboxItem) bool {
	if item.err != nil {
		c.fatal(item.err.Error())
		return false
	}
	m := item.msg
	var err error
	switch m.Type {
	case "Connect":
		err = c.onConnect(m)
	case "ModifyQuerySet":
		err = c.onModifyQuerySet(m)
	case "Authenticate":
		return c.onAuthenticate(m)
	case "Mutation":
		return c.onMutation(m)
	case "Action":
		c.onAction(m)
	case "Event":
	}
	if err != nil {
		c.fatal(err.Error())
		return false
	}
	return true
}

func (c *conn) onConnect(m *clientMessage) error {
	if c.connected {
		return protoErrorf("Connect was sent twice on one connection")
	}
	c.connected = true
	c.session = c.hub.attachSession(m.SessionID)
	if m.ClientTs != nil {
		skew := int64(*m.ClientTs) - time.Now().UnixMilli()
		c.clockSkew = &skew
	}
	return nil
}

func (c *conn) onModifyQuerySet(m *clientMessage) error {
	if m.BaseVersion != c.querySetVer {
		return protoErrorf("BaseVersionMismatch: ModifyQuerySet has baseVersion %d but the query set is at version %d", m.BaseVersion, c.querySetVer)
	}
	if m.NewVersion <= m.BaseVersion {
		return protoErrorf("ModifyQuerySet newVersion %d must be greater than baseVersion %d", m.NewVersion, m.BaseVersion)
	}
	for _, mod := range m.Modifications {
		switch mod.Type {
		case "Add":
			if _, dup := c.queries[mod.QueryID]; dup {
				return protoErrorf("query id %d is already in the query set", mod.QueryID)
			}
			s := &subscription{id: mod.QueryID, pendingAdd: true, req: Request{
				Path: mod.UdfPath, ComponentPath: mod.ComponentPath, Journal: mod.Journal,
			}}
			args, err := singleArgsObject(mod.Args)
			if err != nil {
				s.fail = &FunctionError{Message: fmt.Sprintf("Invalid arguments for query %s: %v", mod.UdfPath, err)}
			}
			s.req.Args = args
			c.queries[mod.QueryID] = s
			// Re-used after a Remove not yet reported: the new result
			// replaces the removal.
			c.removed = slices.DeleteFunc(c.removed, func(id int64) bool { return id == mod.QueryID })
		case "Remove":
			if _, ok := c.queries[mod.QueryID]; !ok {
				return protoErrorf("cannot remove query id %d: it is not in the query set", mod.QueryID)
			}
			delete(c.queries, mod.QueryID)
			c.removed = append(c.removed, mod.QueryID)
		}
	}
	c.querySetVer = m.NewVersion
	c.versionDirty = true
	return nil
}

func (c *conn) onAuthenticate(m *clientMessage) bool {
	if m.BaseVersion != c.identityVer {
		c.fatal(fmt.Sprintf("BaseVersionMismatch: Authenticate has baseVersion %d but the identity is at version %d", m.BaseVersion, c.identityVer))
		return false
	}
	var id Identity
	if m.TokenType != "None" {
		var err error
		id, err = protect("Authenticate", func() (Identity, error) {
			return c.hub.backend.Authenticate(c.ctx, Auth{TokenType: m.TokenType, Token: m.Value, Impersonating: m.Impersonating})
		})
		if err != nil {
			if c.ctx.Err() != nil {
				return false
			}
			c.authFailed(err.Error(), true)
			return false
		}
	}
	c.identity = id
	c.identityVer++
	c.identityDirty = true
	c.versionDirty = true
	return true
}

func (c *conn) request(path, component string, rawArgs json.RawMessage) (Request, error) {
	args, err := singleArgsObject(rawArgs)
	return Request{Path: path, ComponentPath: component, Args: args, Identity: c.identity}, err
}

func failedResponse(typ string, requestID int64, message string, logLines []string, data json.RawMessage) []byte {
	return mustJSON(responseMsg{
		Type: typ, RequestID: requestID, Success: false,
		Result: mustJSON(message), LogLines: nonNilLines(logLines), ErrorData: data,
	})
}

// onMutation queues a mutation. Mutations of one connection run one at a
// time in arrival order on their own goroutine, so queries keep updating
// while one runs; each outcome comes back to the worker, which sends the
// response before the Transition that reflects it.
func (c *conn) onMutation(m *clientMessage) bool {
	req, argErr := c.request(m.UdfPath, m.ComponentPath, m.Args)
	job := mutationJob{requestID: m.RequestID, req: req, session: c.session}
	if argErr != nil {
		job.argErr = fmt.Errorf("Invalid arguments for mutation %s: %v", m.UdfPath, argErr)
	}
	select {
	case c.mutations <- job:
		return true
	case <-c.ctx.Done():
		return false
	}
}

type mutationJob struct {
	requestID int64
	req       Request
	session   *session // nil before Connect: no de-duplication
	argErr    error
}

type mutationOutput struct {
	msg []byte
	ts  int64 // commit timestamp of a success, else 0
	err error
}

func (c *conn) mutationLoop() {
	for {
		select {
		case job := <-c.mutations:
			out := c.runJob(job)
			select {
			case c.mutationOut <- out:
			case <-c.ctx.Done():
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *conn) runJob(job mutationJob) mutationOutput {
	if job.argErr != nil {
		return mutationOutput{msg: failedResponse("MutationResponse", job.requestID, job.argErr.Error(), nil, nil)}
	}
	if job.session == nil {
		msg, ts, err := c.runMutation(job.requestID, job.req)
		return mutationOutput{msg: msg, ts: ts, err: err}
	}
	for {
		o, owner := job.session.claim(job.requestID, job.req.Path)
		if !owner {
			// Sent again after a reconnect: answer with the first run.
			select {
			case <-o.done:
			case <-c.ctx.Done():
				return mutationOutput{err: c.ctx.Err()}
			}
			if !o.ok {
				continue
			}
			return mutationOutput{msg: o.msg, ts: o.ts}
		}
		msg, ts, err := c.runMutation(job.requestID, job.req)
		if err == nil {
			o.msg, o.ts, o.ok = msg, ts, true
		}
		close(o.done)
		return mutationOutput{msg: msg, ts: ts, err: err}
	}
}

// mutationFinished sends a mutation's outcome; false when closing.
func (c *conn) mutationFinished(out mutationOutput) bool {
	if out.err != nil {
		if c.ctx.Err() != nil {
			return false
		}
		var ae *AuthError
		if errors.As(out.err, &ae) {
			c.authFailed(ae.Message, false)
		} else {
			c.internal(out.err)
		}
		return false
	}
	if out.ts > 0 {
		// The client resolves the mutation only once a Transition reaches ts.
		c.force = true
	}
	return c.send(out.msg)
}

// runMutation runs on the hub's context: a mutation that started finishes
// and is remembered even if the client disconnects meanwhile.
func (c *conn) runMutation(requestID int64, req Request) ([]byte, int64, error) {
	res, err := protect("RunMutation "+req.Path, func() (MutationResult, error) { return c.hub.backend.RunMutation(c.hub.ctx, req) })
	if err != nil {
		return nil, 0, err
	}
	if res.Error != nil {
		if len(res.Error.Data) > 0 && !json.Valid(res.Error.Data) {
			return nil, 0, fmt.Errorf("mutation %s returned error data that is not valid JSON", req.Path)
		}
		return failedResponse("MutationResponse", requestID, res.Error.Message, res.LogLines, res.Error.Data), 0, nil
	}
	value := valueOrNull(res.Value)
	if !json.Valid(value) {
		return nil, 0, fmt.Errorf("mutation %s returned a value that is not valid JSON", req.Path)
	}
	ts := res.TS
	if ts <= 0 {
		ts = c.hub.log.state().known
	} else if c.hub.log.state().known < ts {
		c.hub.log.waitKnown(c.hub.ctx, ts, unreportedWait)
		if c.hub.log.state().known < ts {
			// The backend did not report this commit: re-run everything
			// rather than miss what it wrote.
			c.hub.opts.Logf("sync: commit %d of mutation %s was not reported with Committed", ts, req.Path)
			c.hub.InvalidateAll(ts)
		}
	}
	encTS := EncodeTS(ts)
	return mustJSON(responseMsg{
		Type: "MutationResponse", RequestID: requestID, Success: true,
		Result: value, TS: &encTS, LogLines: nonNilLines(res.LogLines),
	}), ts, nil
}

// onAction starts an action; actions of one connection run concurrently.
func (c *conn) onAction(m *clientMessage) {
	req, argErr := c.request(m.UdfPath, m.ComponentPath, m.Args)
	if argErr != nil {
		c.send(failedResponse("ActionResponse", m.RequestID, fmt.Sprintf("Invalid arguments for action %s: %v", m.UdfPath, argErr), nil, nil))
		return
	}
	identityVer := c.identityVer
	go func() {
		res, err := protect("RunAction "+req.Path, func() (ActionResult, error) { return c.hub.backend.RunAction(c.hub.ctx, req) })
		var msg []byte
		var ae *AuthError
		switch {
		case errors.As(err, &ae):
			msg = mustJSON(authErrorMsg{Type: "AuthError", Error: ae.Message, BaseVersion: identityVer, AuthUpdateAttempted: false})
		case err != nil:
			c.hub.opts.Logf("sync: action %s: %v", req.Path, err)
			msg = failedResponse("ActionResponse", m.RequestID, internalError(err), nil, nil)
		case res.Error != nil:
			data := res.Error.Data
			if len(data) > 0 && !json.Valid(data) {
				data = nil
			}
			msg = failedResponse("ActionResponse", m.RequestID, res.Error.Message, res.LogLines, data)
		default:
			value := valueOrNull(res.Value)
			if !json.Valid(value) {
				msg = failedResponse("ActionResponse", m.RequestID, internalError(fmt.Errorf("action %s returned a value that is not valid JSON", req.Path)), nil, nil)
				break
			}
			msg = mustJSON(responseMsg{Type: "ActionResponse", RequestID: m.RequestID, Success: true, Result: value, LogLines: nonNilLines(res.LogLines)})
		}
		c.send(msg)
	}()
}

// update brings the client to the latest state: results for added queries,
// re-runs of queries a commit may have changed (or all of them after an
// identity change), removals, and a Transition chaining from the last one.
func (c *conn) update() error {
	lg := c.hub.log
	st := lg.state()
	var toRun []*subscription
	for _, s := range c.queries {
		switch {
		case s.pendingAdd || c.identityDirty || !s.have || !lg.valid(s.ts, s.epoch, s.reads, st.known):
			toRun = append(toRun, s)
		default:
			// Checked through known: later checks start from here.
			s.ts = max(s.ts, st.known)
		}
	}
	if len(toRun) == 0 && !c.versionDirty && !c.force {
		return nil
	}

	// Every result in a Transition must hold at its timestamp T. Queries
	// run at slightly different snapshots, so after each round those that a
	// commit invalidated before T join the run set, which only grows: the
	// next round re-runs the whole set together (at one snapshot when the
	// backend implements SnapshotQuerier), which converges.
	fresh := make(map[int64]*cacheEntry)
	runSet := make(map[int64]*subscription, len(toRun))
	for _, s := range toRun {
		runSet[s.id] = s
	}
	var T int64
	for round := 0; ; round++ {
		for _, s := range toRun {
			s.req.Identity = c.identity
		}
		if err := c.runAll(toRun, fresh); err != nil {
			return err
		}
		maxTS := int64(0)
		for _, e := range fresh {
			maxTS = max(maxTS, e.ts)
		}
		if maxTS > lg.state().known {
			// A query saw a commit not reported yet: wait for its report,
			// so the log covers everything up to maxTS. If it never comes
			// (nothing reported since startup), take maxTS as known.
			lg.waitKnown(c.ctx, maxTS, unreportedWait)
			lg.advance(maxTS)
		}
		st = lg.state()
		T = max(c.sent.ts, st.known, maxTS)
		invalid := false
		for _, s := range c.queries {
			ok := false
			if e, isFresh := fresh[s.id]; isFresh {
				ok = lg.valid(e.ts, e.epoch, e.reads, T)
			} else {
				ok = lg.valid(s.ts, s.epoch, s.reads, T)
			}
			if !ok {
				invalid = true
				runSet[s.id] = s
			}
		}
		if !invalid || round+1 >= maxRounds {
			toRun = toRun[:0]
			if invalid {
				for _, s := range c.queries {
					if e, isFresh := fresh[s.id]; isFresh && !lg.valid(e.ts, e.epoch, e.reads, T) ||
						!isFresh && !lg.valid(s.ts, s.epoch, s.reads, T) {
						toRun = append(toRun, s)
					}
				}
				c.hub.opts.Logf("sync: %d queries still changing after %d rounds; sending them and re-running next time", len(toRun), maxRounds)
			}
			break
		}
		toRun = toRun[:0]
		for _, s := range runSet {
			toRun = append(toRun, s)
		}
	}
	stale := make(map[int64]bool, len(toRun))
	for _, s := range toRun {
		stale[s.id] = true
	}

	ids := make([]int64, 0, len(c.queries))
	for id := range c.queries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	mods := make([]any, 0, len(fresh)+len(c.removed))
	for _, id := range ids {
		s := c.queries[id]
		e, ok := fresh[id]
		if !ok {
			if !stale[id] {
				s.ts = T
			}
			continue
		}
		changed := s.pendingAdd || !s.have || s.hash != e.hash
		s.pendingAdd, s.have = false, true
		s.epoch, s.reads, s.hash = e.epoch, e.reads, e.hash
		s.ts = e.ts
		if e.res.Error == nil {
			// The next run of this subscription keeps the page end the
			// journal pins (paginated queries), as the client expects.
			s.req.Journal = e.res.Journal
		}
		if !stale[id] {
			s.ts = T
		}
		if !changed {
			continue
		}
		r := &e.res
		if r.Error != nil {
			mods = append(mods, queryFailed{
				Type: "QueryFailed", QueryID: id, ErrorMessage: r.Error.Message,
				LogLines: nonNilLines(r.LogLines), Journal: r.Journal, ErrorData: r.Error.Data,
			})
		} else {
			mods = append(mods, queryUpdated{
				Type: "QueryUpdated", QueryID: id, Value: valueOrNull(r.Value),
				LogLines: nonNilLines(r.LogLines), Journal: r.Journal,
			})
		}
	}
	for _, id := range c.removed {
		mods = append(mods, queryRemoved{Type: "QueryRemoved", QueryID: id})
	}

	end := version{querySet: c.querySetVer, identity: c.identityVer, ts: T}
	if len(mods) == 0 && end == c.sent && !c.force {
		return nil
	}
	msg := transitionMsg{
		Type:            "Transition",
		StartVersion:    c.sent.wire(),
		EndVersion:      end.wire(),
		Modifications:   mods,
		ClientClockSkew: c.clockSkew,
		ServerTs:        time.Now().UnixNano(),
	}
	if !c.send(mustJSON(msg)) {
		return c.ctx.Err()
	}
	c.sent = end
	c.removed = c.removed[:0]
	c.identityDirty, c.versionDirty, c.force = false, false, false
	return nil
}

func (v version) wire() stateVersion {
	return stateVersion{QuerySet: v.querySet, Identity: v.identity, TS: EncodeTS(v.ts)}
}

// runAll runs subs and records their executions in fresh. Results still
// valid in the shared cache are reused; the rest run at one snapshot when
// the backend can, else in parallel (bounded).
func (c *conn) runAll(subs []*subscription, fresh map[int64]*cacheEntry) error {
	st := c.hub.log.state()
	var misses []*subscription
	for _, s := range subs {
		if s.fail != nil {
			// Arguments that cannot be a call: fails the same way every time.
			res := QueryResult{Error: s.fail}
			fresh[s.id] = &cacheEntry{res: res, ts: st.known, epoch: st.epoch, reads: newReadSet(ReadSet{}), hash: resultHash(&res)}
			continue
		}
		if e := c.hub.lookup(&s.req); e != nil {
			fresh[s.id] = e
			continue
		}
		misses = append(misses, s)
	}
	if len(misses) == 0 {
		return nil
	}
	if q, ok := c.hub.backend.(SnapshotQuerier); ok && len(misses) > 1 {
		reqs := make([]Request, len(misses))
		for i, s := range misses {
			reqs[i] = s.req
		}
		entries, err := c.hub.runBatch(c.ctx, q, reqs)
		if err != nil {
			return err
		}
		for i, s := range misses {
			fresh[s.id] = entries[i]
		}
		return nil
	}
	results := make([]*cacheEntry, len(misses))
	sem := make(chan struct{}, c.hub.opts.Parallelism)
	var wg gosync.WaitGroup
	for i, s := range misses {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, req Request) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = c.hub.runCached(c.ctx, req)
		}(i, s.req)
	}
	wg.Wait()
	for i, s := range misses {
		if err := results[i].err; err != nil {
			return fmt.Errorf("query %s: %w", s.req.Path, err)
		}
		fresh[s.id] = results[i]
	}
	return nil
}
