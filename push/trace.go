package push

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// trace records the spans of one push for report_push_completed; the
// deployment uses them to time pushes.
type trace struct {
	mu   sync.Mutex
	id   [16]byte
	root *span
	done []map[string]any
}

type span struct {
	t        *trace
	parentID [8]byte
	id       [8]byte
	name     string
	begin    time.Time
	ended    bool
}

func newTrace(name string) *trace {
	t := &trace{}
	rand.Read(t.id[:])
	t.root = &span{t: t, name: name, begin: time.Now()}
	rand.Read(t.root.id[:])
	return t
}

func (t *trace) child(name string) *span {
	s := &span{t: t, parentID: t.root.id, name: name, begin: time.Now()}
	rand.Read(s.id[:])
	return s
}

func (t *trace) end() { t.root.end() }

func (t *trace) spans() []map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]map[string]any, len(t.done))
	copy(out, t.done)
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func nanos(n int64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return b64(b[:])
}

func (s *span) end() {
	if s.ended {
		return
	}
	s.ended = true
	rec := map[string]any{
		"traceId":         b64(s.t.id[:]),
		"parentId":        b64(s.parentID[:]),
		"spanId":          b64(s.id[:]),
		"beginTimeUnixNs": nanos(s.begin.UnixNano()),
		"durationNs":      nanos(int64(time.Since(s.begin))),
		"name":            s.name,
		"properties":      map[string]string{},
		"events":          []any{},
	}
	s.t.mu.Lock()
	s.t.done = append(s.t.done, rec)
	s.t.mu.Unlock()
}

// traceparent is the W3C header: ids as big-endian hex of the
// little-endian integers the ids encode.
func (s *span) traceparent() string {
	lo := binary.LittleEndian.Uint64(s.t.id[:8])
	hi := binary.LittleEndian.Uint64(s.t.id[8:])
	return fmt.Sprintf("00-%016x%016x-%016x-01", hi, lo, binary.LittleEndian.Uint64(s.id[:]))
}
