package sync

import (
	"context"
	"sort"
	gosync "sync"
	"time"
)

// commitLog remembers recent commits (timestamp and tables written) so the
// hub can tell whether a query result computed at one timestamp is still
// valid at a later one.
type commitLog struct {
	mu      gosync.Mutex
	records []commitRecord // ascending ts
	floor   int64          // results older than this cannot be validated
	known   int64          // latest commit timestamp reported
	epoch   uint64         // bumped by InvalidateAll
	changed chan struct{}  // closed and replaced on every change
	max     int
}

type commitRecord struct {
	ts     int64
	tables map[string]struct{}
	all    bool
	detail any // what was written, for ReadSet.Overlaps; may be nil
}

func newCommitLog(max int) *commitLog {
	return &commitLog{changed: make(chan struct{}), max: max}
}

// add records a commit. Timestamps must arrive in commit order. A late one
// (not after the latest known) is moved just past it, so every result
// computed so far counts as older and is re-checked: needless re-runs at
// worst, never a missed change.
func (l *commitLog) add(ts int64, tables []string, all bool, detail any) {
	rec := commitRecord{ts: ts, all: all, detail: detail, tables: make(map[string]struct{}, len(tables))}
	for _, t := range tables {
		rec.tables[t] = struct{}{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if rec.ts <= l.known && len(l.records) > 0 {
		rec.ts = l.known + 1
	}
	l.known = rec.ts
	l.records = append(l.records, rec)
	if len(l.records) > l.max {
		drop := len(l.records) - l.max/2
		l.floor = l.records[drop-1].ts
		l.records = append([]commitRecord(nil), l.records[drop:]...)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// advance makes ts known without a commit record: nothing read changed.
func (l *commitLog) advance(ts int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts <= l.known {
		return
	}
	l.known = ts
	close(l.changed)
	l.changed = make(chan struct{})
}

// bumpEpoch invalidates every result computed before now.
func (l *commitLog) bumpEpoch() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epoch++
	close(l.changed)
	l.changed = make(chan struct{})
}

// changedChan is closed at the next change of the log.
func (l *commitLog) changedChan() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

type logState struct {
	known int64
	epoch uint64
}

func (l *commitLog) state() logState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return logState{known: l.known, epoch: l.epoch}
}

// waitKnown waits until a commit at or after ts has been reported, or the
// timeout passes. Backends report a commit right after making it, so this
// only bridges that short gap.
func (l *commitLog) waitKnown(ctx context.Context, ts int64, timeout time.Duration) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		known, ch := l.known, l.changed
		l.mu.Unlock()
		if known >= ts {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// valid reports whether a result computed at ts (in epoch) that read reads
// is unchanged at upTo.
func (l *commitLog) valid(ts int64, epoch uint64, reads *readSet, upTo int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if epoch != l.epoch {
		return false
	}
	if ts >= upTo {
		return true
	}
	if ts < l.floor {
		return false
	}
	i := sort.Search(len(l.records), func(i int) bool { return l.records[i].ts > ts })
	for ; i < len(l.records) && l.records[i].ts <= upTo; i++ {
		if reads.intersects(&l.records[i]) {
			return false
		}
	}
	return true
}

// readSet is a ReadSet prepared for intersection tests.
type readSet struct {
	all      bool
	tables   map[string]struct{}
	overlaps func(detail any) bool
}

func newReadSet(r ReadSet) *readSet {
	rs := &readSet{all: r.All, overlaps: r.Overlaps, tables: make(map[string]struct{}, len(r.Tables))}
	for _, t := range r.Tables {
		rs.tables[t] = struct{}{}
	}
	return rs
}

func (r *readSet) intersects(c *commitRecord) bool {
	if c.all || r.all {
		return true
	}
	small, big := r.tables, c.tables
	if len(small) > len(big) {
		small, big = big, small
	}
	for t := range small {
		if _, ok := big[t]; ok {
			return r.preciseOverlap(c)
		}
	}
	return false
}

// preciseOverlap asks the backend's Overlaps, when both sides allow it.
// A panicking Overlaps counts as an overlap: re-running is always safe.
func (r *readSet) preciseOverlap(c *commitRecord) (overlap bool) {
	if r.overlaps == nil || c.detail == nil {
		return true
	}
	defer func() {
		if recover() != nil {
			overlap = true
		}
	}()
	return r.overlaps(c.detail)
}
