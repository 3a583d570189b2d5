package ui

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Logger writes debug lines to stderr when verbose logging is on
// (CONVEX_VERBOSE set, or the global --verbose flag). Lines look like
//
//	[verbose] 2026-01-02T03:04:05.678Z GET https://host/api/x -> 200 (41ms)
//
// A nil *Logger is valid and logs nothing, so packages can accept one
// without checking. Known secrets registered with AddSecret are redacted
// from every line.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	on      bool
	now     func() time.Time
	secrets []string
}

// NewLogger returns a logger writing to w, enabled or not.
func NewLogger(w io.Writer, enabled bool) *Logger {
	return &Logger{w: w, on: enabled, now: time.Now}
}

// Enabled reports whether lines are written.
func (l *Logger) Enabled() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.on
}

// SetEnabled turns logging on or off (the --verbose flag is read after the
// logger is made).
func (l *Logger) SetEnabled(on bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

// AddSecret makes every later line show s only in its redacted form.
func (l *Logger) AddSecret(s string) {
	if l == nil || len(s) < 8 {
		return
	}
	l.mu.Lock()
	l.secrets = append(l.secrets, s)
	l.mu.Unlock()
}

// Printf writes one debug line when logging is on.
func (l *Logger) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on || l.w == nil {
		return
	}
	msg := RedactAll(fmt.Sprintf(format, args...), l.secrets...)
	ts := l.now().UTC().Format("2006-01-02T15:04:05.000Z")
	fmt.Fprintf(l.w, "[verbose] %s %s\n", ts, strings.TrimRight(msg, "\n"))
}

// Transport wraps next (http.DefaultTransport when nil) so every request is
// logged with its method, URL (secret query values hidden), status and
// duration. Use it with resty: client.SetTransport(log.Transport(nil)).
func (l *Logger) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &loggingTransport{log: l, next: next}
}

type loggingTransport struct {
	log  *Logger
	next http.RoundTripper
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.log.Enabled() {
		return t.next.RoundTrip(req)
	}
	start := t.log.now()
	resp, err := t.next.RoundTrip(req)
	took := t.log.now().Sub(start).Round(time.Millisecond)
	target := RedactURL(req.URL)
	if err != nil {
		t.log.Printf("%s %s failed after %s: %v", req.Method, target, took, err)
		return resp, err
	}
	t.log.Printf("%s %s -> %d (%s)", req.Method, target, resp.StatusCode, took)
	return resp, err
}

// RedactURL renders u with user info and the values of query parameters
// whose names suggest a secret (key, token, secret, password) hidden.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User("…")
	}
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for name, vals := range q {
			if !secretParam(name) {
				continue
			}
			for i, v := range vals {
				vals[i] = Redact(v)
			}
			changed = true
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"key", "token", "secret", "password", "auth"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
