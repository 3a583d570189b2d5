package push

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

// countingTransport counts round trips and delegates to next.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

// refusingTransport fails every request as a refused connection without
// touching the network.
type refusingTransport struct{}

func (refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func closedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	return url
}

func TestRefusedLocalFailsFast(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
		want int32 // round trips
	}{
		{"default", Request{Path: "/api/run_function"}, deployments.RefusedRetries + 1},
		{"best effort", Request{Path: "/api/x", BestEffort: true}, deployments.RefusedRetries + 1},
		{"no retry", Request{Path: "/api/x", NoRetry: true}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := closedURL(t)
			ct := &countingTransport{next: http.DefaultTransport}
			c := NewClient(url, "key")
			c.HTTP = &http.Client{Transport: ct}
			c.OnRetry = func(n int, err error) { t.Errorf("OnRetry(%d, %v) for a refused local connection", n, err) }
			start := time.Now()
			err := c.Do(context.Background(), tc.req, nil)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v, want < 3s", d)
			}
			if err == nil || !strings.Contains(err.Error(), "Nothing is listening at "+url) {
				t.Fatalf("err = %v", err)
			}
			if strings.Count(err.Error(), url) != 2 { // the message and the dial error, nothing more
				t.Errorf("message repeats itself: %v", err)
			}
			if ui.HintOf(err) == "" {
				t.Errorf("no hint on %v", err)
			}
			var ne *NetworkError
			if !errors.As(err, &ne) || !deployments.IsConnRefused(err) {
				t.Errorf("chain lost the network error: %#v", err)
			}
			if got := ct.n.Load(); got != tc.want {
				t.Errorf("%d round trips, want %d", got, tc.want)
			}
		})
	}
}

// A refused connection to another machine keeps the full schedule: that
// server may be coming up or behind a flaky network.
func TestRefusedRemoteKeepsRetrying(t *testing.T) {
	c := NewClient("https://example-123.convex.cloud", "key")
	c.HTTP = &http.Client{Transport: refusingTransport{}}
	c.RetryDelay = func(int) time.Duration { return 0 }
	retries := 0
	c.OnRetry = func(int, error) { retries++ }
	err := c.Do(context.Background(), Request{Path: "/api/x"}, nil)
	var ne *NetworkError
	if !errors.As(err, &ne) || strings.Contains(err.Error(), "Nothing is listening") {
		t.Errorf("err = %v", err)
	}
	if retries != maxRetries {
		t.Errorf("%d retries, want %d", retries, maxRetries)
	}
}

// Other failures against a local server still get the usual retries.
func TestLocalServerErrorsStillRetry(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 4 {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "key")
	c.RetryDelay = func(int) time.Duration { return 0 }
	retries := 0
	c.OnRetry = func(int, error) { retries++ }
	var out struct{ OK bool }
	if err := c.Do(context.Background(), Request{Path: "/api/x"}, &out); err != nil || !out.OK {
		t.Fatalf("err = %v, out = %+v", err, out)
	}
	if retries != 3 {
		t.Errorf("%d retries, want 3", retries)
	}
}

func TestBrotliQuality(t *testing.T) {
	for url, want := range map[string]int{
		"http://127.0.0.1:3210":                1,
		"http://localhost:3210":                1,
		"http://[::1]:3210":                    1,
		"https://happy-otter-123.convex.cloud": 4,
		"https://convex.example.com":           4,
		"not a url":                            4,
	} {
		if got := brotliQuality(url); got != want {
			t.Errorf("brotliQuality(%q) = %d, want %d", url, got, want)
		}
	}
}

// A compressed body arrives whole and marked as brotli, whatever the level.
func TestBrotliBodyRoundTrip(t *testing.T) {
	want := strings.Repeat(`{"path":"messages.js","source":"export const x = 1;"}`, 2000)
	var got string
	var enc string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc = r.Header.Get("Content-Encoding")
		raw, err := io.ReadAll(brotli.NewReader(r.Body))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		got = string(raw)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "key")
	if err := c.Do(context.Background(), Request{Path: "/api/deploy2/start_push", Body: want, Brotli: true}, nil); err != nil {
		t.Fatal(err)
	}
	if enc != "br" {
		t.Errorf("Content-Encoding %q", enc)
	}
	var s string
	if err := json.Unmarshal([]byte(got), &s); err != nil || s != want {
		t.Errorf("body did not survive compression (%d bytes, %v)", len(got), err)
	}
}
