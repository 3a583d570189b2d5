package api

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// logLine is one console line of a function execution.
type logLine struct {
	Level       string   `json:"level"`
	Messages    []string `json:"messages"`
	Timestamp   float64  `json:"timestamp"` // ms since epoch
	IsTruncated bool     `json:"isTruncated"`
}

// text formats a line the way non-CLI clients see it: "[LEVEL] a b".
func (l logLine) text() string {
	return "[" + l.Level + "] " + strings.Join(l.Messages, " ")
}

// logEntry is a FunctionExecution (spec §2.5). Only "Completion" entries
// are produced; actions report their lines at completion too.
type logEntry struct {
	cursor float64 // strictly increasing ms value; the stream cursor

	Kind           string
	UdfType        string // Query | Mutation | Action | HttpAction
	Identifier     string
	Lines          []logLine
	Timestamp      time.Time // when execution started
	Caller         string
	ExecutionTime  time.Duration
	Success        any    // clean JSON value or nil
	Error          string // "" on success
	RequestID      string
	ExecutionID    string
	IdentityType   string
	ReturnBytesLen int
}

// json renders the entry for a client: CLI clients get structured lines.
func (e *logEntry) json(structured bool) map[string]any {
	var lines []any
	for _, l := range e.Lines {
		if structured {
			lines = append(lines, l)
		} else {
			lines = append(lines, l.text())
		}
	}
	if lines == nil {
		lines = []any{}
	}
	secs := float64(e.Timestamp.UnixNano()) / 1e9
	m := map[string]any{
		"kind":              e.Kind,
		"udfType":           e.UdfType,
		"componentPath":     nil,
		"identifier":        e.Identifier,
		"logLines":          lines,
		"timestamp":         secs,
		"cachedResult":      false,
		"caller":            e.Caller,
		"parentExecutionId": nil,
		"executionTime":     e.ExecutionTime.Seconds(),
		"userExecutionTime": e.ExecutionTime.Seconds(),
		"success":           nil,
		"error":             nil,
		"requestId":         e.RequestID,
		"executionId":       e.ExecutionID,
		"usageStats": map[string]any{
			"databaseReadBytes": 0, "databaseWriteBytes": 0, "databaseReadDocuments": 0,
			"storageReadBytes": 0, "storageWriteBytes": 0, "vectorIndexReadBytes": 0,
			"vectorIndexWriteBytes": 0, "actionMemoryUsedMb": nil, "textIndexReadBytes": 0, "textIndexWriteBytes": 0,
		},
		"returnBytes":        nil,
		"occInfo":            nil,
		"willRetry":          false,
		"executionTimestamp": secs,
		"identityType":       e.IdentityType,
		"environment":        "isolate",
	}
	if e.Error != "" {
		m["error"] = e.Error
	} else {
		m["success"] = e.Success
		m["returnBytes"] = e.ReturnBytesLen
	}
	return m
}

// logBuffer is a bounded in-memory ring of recent executions with a long
// poll: readers wait for entries newer than their cursor.
type logBuffer struct {
	mu      sync.Mutex
	entries []*logEntry // oldest first, len <= max
	max     int
	last    float64
	wake    chan struct{} // closed and replaced on every append
}

func newLogBuffer(max int) *logBuffer {
	return &logBuffer{max: max, wake: make(chan struct{})}
}

func (b *logBuffer) add(e *logEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := float64(time.Now().UnixMicro()) / 1000
	if c <= b.last {
		c = math.Nextafter(b.last, math.Inf(1))
	}
	b.last = c
	e.cursor = c
	b.entries = append(b.entries, e)
	if len(b.entries) > b.max {
		drop := len(b.entries) - b.max
		copy(b.entries, b.entries[drop:])
		for i := len(b.entries) - drop; i < len(b.entries); i++ {
			b.entries[i] = nil
		}
		b.entries = b.entries[:len(b.entries)-drop]
	}
	close(b.wake)
	b.wake = make(chan struct{})
}

// since returns the entries newer than cursor, waiting up to wait for one to
// arrive. The new cursor is that of the newest returned entry.
func (b *logBuffer) since(ctx context.Context, cursor float64, wait time.Duration) ([]*logEntry, float64) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		var out []*logEntry
		for i := len(b.entries) - 1; i >= 0 && b.entries[i].cursor > cursor; i-- {
			out = append(out, b.entries[i])
		}
		wake := b.wake
		b.mu.Unlock()
		if len(out) > 0 {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return out, out[len(out)-1].cursor
		}
		select {
		case <-wake:
		case <-deadline.C:
			return nil, cursor
		case <-ctx.Done():
			return nil, cursor
		}
	}
}

func newRequestID() string {
	return fmt.Sprintf("%016x", randUint64())
}
