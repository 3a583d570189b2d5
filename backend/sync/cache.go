package sync

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	gosync "sync"
)

// queryCache shares query results between connections: many clients
// subscribed to the same query with the same identity cost one execution
// per relevant commit, not one each.
type queryCache struct {
	mu      gosync.Mutex
	entries map[string]*cacheEntry
	max     int
}

// cacheEntry is one execution of a query. The result fields are written
// before done is closed and never changed after.
type cacheEntry struct {
	done       chan struct{}
	startKnown int64 // latest commit reported when the run started
	epoch      uint64

	res   QueryResult
	err   error
	ts    int64 // effective snapshot: every commit up to ts is reflected
	reads *readSet
	hash  [32]byte
}

func newQueryCache(max int) *queryCache {
	return &queryCache{entries: make(map[string]*cacheEntry), max: max}
}

func cacheKey(req *Request) string {
	var b []byte
	add := func(s []byte) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	add([]byte(req.Path))
	add([]byte(req.ComponentPath))
	if req.Identity != nil {
		add([]byte{1})
		add(req.Identity)
	} else {
		add([]byte{0})
	}
	if req.Journal != nil {
		add([]byte{1})
		add([]byte(*req.Journal))
	} else {
		add([]byte{0})
	}
	add(req.Args)
	return string(b)
}

// runCached returns an execution of req that reflects at least every commit up
// to the current log state: a finished one still valid now, one that
// started after the latest commit, or a new run.
func (h *Hub) runCached(ctx context.Context, req Request) *cacheEntry {
	key := cacheKey(&req)
	qc := h.cache
	st := h.log.state()
	qc.mu.Lock()
	e := qc.entries[key]
	if e != nil && e.epoch == st.epoch {
		select {
		case <-e.done:
			if e.err == nil && h.log.valid(e.ts, e.epoch, e.reads, st.known) {
				qc.mu.Unlock()
				return e
			}
		default:
			if e.startKnown >= st.known {
				qc.mu.Unlock()
				select {
				case <-e.done:
				case <-ctx.Done():
					return &cacheEntry{err: ctx.Err()}
				}
				return e
			}
		}
	}
	e = &cacheEntry{done: make(chan struct{}), startKnown: st.known, epoch: st.epoch}
	if len(qc.entries) >= qc.max {
		for k, old := range qc.entries {
			select {
			case <-old.done:
				delete(qc.entries, k)
			default:
			}
		}
	}
	qc.entries[key] = e
	qc.mu.Unlock()

	// The hub's context, not the connection's: other connections may
	// be waiting for this run, and a finished result stays useful.
	h.execute(h.ctx, req, e)
	close(e.done)
	if e.err != nil {
		qc.mu.Lock()
		if qc.entries[key] == e {
			delete(qc.entries, key)
		}
		qc.mu.Unlock()
	}
	return e
}

// lookup returns a finished execution of req still valid now, or nil.
func (h *Hub) lookup(req *Request) *cacheEntry {
	st := h.log.state()
	h.cache.mu.Lock()
	e := h.cache.entries[cacheKey(req)]
	h.cache.mu.Unlock()
	if e == nil || e.epoch != st.epoch {
		return nil
	}
	select {
	case <-e.done:
		if e.err == nil && h.log.valid(e.ts, e.epoch, e.reads, st.known) {
			return e
		}
	default:
	}
	return nil
}

// runBatch runs reqs at one snapshot through q and caches the results.
func (h *Hub) runBatch(ctx context.Context, q SnapshotQuerier, reqs []Request) ([]*cacheEntry, error) {
	st := h.log.state()
	results, err := protect("RunQueries", func() ([]QueryResult, error) { return q.RunQueries(h.ctx, reqs) })
	if err != nil {
		return nil, err
	}
	if len(results) != len(reqs) {
		return nil, fmt.Errorf("RunQueries returned %d results for %d queries", len(results), len(reqs))
	}
	out := make([]*cacheEntry, len(reqs))
	for i := range reqs {
		e := &cacheEntry{done: make(chan struct{}), startKnown: st.known, epoch: st.epoch}
		e.fill(reqs[i].Path, results[i])
		close(e.done)
		if e.err != nil {
			return nil, e.err
		}
		out[i] = e
		key := cacheKey(&reqs[i])
		h.cache.mu.Lock()
		if old := h.cache.entries[key]; old == nil || isDone(old) {
			h.cache.entries[key] = e
		}
		h.cache.mu.Unlock()
	}
	return out, nil
}

func isDone(e *cacheEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func (h *Hub) execute(ctx context.Context, req Request, e *cacheEntry) {
	res, err := protect("RunQuery "+req.Path, func() (QueryResult, error) { return h.backend.RunQuery(ctx, req) })
	if err != nil {
		e.err = err
		return
	}
	e.fill(req.Path, res)
}

// fill records a finished execution, checking the backend's JSON.
func (e *cacheEntry) fill(path string, res QueryResult) {
	if res.Error == nil && !json.Valid(valueOrNull(res.Value)) {
		e.err = fmt.Errorf("query %s returned a value that is not valid JSON", path)
		return
	}
	if res.Error != nil && len(res.Error.Data) > 0 && !json.Valid(res.Error.Data) {
		e.err = fmt.Errorf("query %s returned error data that is not valid JSON", path)
		return
	}
	e.res = res
	e.ts = max(res.TS, e.startKnown)
	e.reads = newReadSet(res.Reads)
	e.hash = resultHash(&res)
}

// resultHash identifies what the client would see, to elide unchanged results.
func resultHash(r *QueryResult) [32]byte {
	h := sha256.New()
	put := func(tag byte, b []byte) {
		var n [9]byte
		n[0] = tag
		binary.LittleEndian.PutUint64(n[1:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	if r.Error != nil {
		put('e', []byte(r.Error.Message))
		put('d', r.Error.Data)
	} else {
		put('v', valueOrNull(r.Value))
	}
	for _, l := range r.LogLines {
		put('l', []byte(l))
	}
	if r.Journal != nil {
		put('j', []byte(*r.Journal))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// protect turns a panic in backend code into an internal error, so one bad
// function cannot take the deployment down.
func protect[T any](what string, f func() (T, error)) (res T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	return f()
}
