package ui

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestPrinterStreamsAndNoColour(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(&out, &errb, env())
	if p.Color() || p.Interactive() {
		t.Fatal("a buffer is not a terminal: no colour, no spinner")
	}
	p.Result("value=%d", 1)
	p.Success("done")
	p.Failure("broke")
	p.Warn("careful")
	p.Hint("try this")
	p.Message("plain")
	if out.String() != "value=1\n" {
		t.Errorf("stdout = %q", out.String())
	}
	want := "✔ done\n✖ broke\ncareful\n  try this\nplain\n"
	if errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
	if strings.Contains(errb.String(), "\x1b[") {
		t.Error("escape codes without a terminal")
	}
}

func TestPrinterColourRules(t *testing.T) {
	var errb bytes.Buffer
	if p := NewPrinter(io.Discard, &errb, env("FORCE_COLOR", "1")); !p.Color() || p.Paint("x", Red) != "\x1b[31mx\x1b[0m" {
		t.Error("FORCE_COLOR should turn colour on")
	}
	if p := NewPrinter(io.Discard, &errb, env("FORCE_COLOR", "0")); p.Color() {
		t.Error("FORCE_COLOR=0 is not forcing")
	}
	if p := NewPrinter(io.Discard, &errb, env("NO_COLOR", "1")); p.Color() || p.Paint("x", Red) != "x" {
		t.Error("NO_COLOR must win without FORCE_COLOR")
	}
}

func TestPrintError(t *testing.T) {
	var errb bytes.Buffer
	p := NewPrinter(io.Discard, &errb, env())
	p.PrintError(Wrap(errors.New("connection refused"), "cannot reach the deployment").WithHint("Is it running?\nCheck the URL."))
	want := "✖ cannot reach the deployment: connection refused\n  Is it running?\n  Check the URL.\n"
	if errb.String() != want {
		t.Errorf("got %q, want %q", errb.String(), want)
	}
}

func TestSpinnerWithoutTerminal(t *testing.T) {
	var errb bytes.Buffer
	p := NewPrinter(io.Discard, &errb, env())
	s := p.Spinner("Preparing functions...")
	s.Update("Bundling...")
	p.Message("a message meanwhile")
	s.Succeed("Functions ready")
	s.Succeed("twice is ignored")
	s2 := p.Spinner("Pushing...")
	s2.Fail("Push failed")
	s3 := p.Spinner("Quiet")
	s3.Stop()
	want := "- Preparing functions...\na message meanwhile\n✔ Functions ready\n- Pushing...\n✖ Push failed\n- Quiet\n"
	if errb.String() != want {
		t.Errorf("got %q, want %q", errb.String(), want)
	}
}

func TestSpinnerAnimatesOnTerminal(t *testing.T) {
	var errb bytes.Buffer
	p := NewPrinter(io.Discard, &errb, env())
	p.interactive = true // as if stderr were a terminal
	s := p.Spinner("Working")
	time.Sleep(3 * spinnerInterval)
	p.Message("line above")
	s.Succeed("Done")
	got := errb.String()
	for _, w := range []string{"\x1b[?25l", "⠋ Working", "\r\x1b[Kline above\n", "✔ Done\n", "\x1b[?25h"} {
		if !strings.Contains(got, w) {
			t.Errorf("terminal output lacks %q: %q", w, got)
		}
	}
	if strings.Count(got, "Working") < 2 {
		t.Errorf("spinner did not redraw: %q", got)
	}
}

func TestLogger(t *testing.T) {
	var nilLog *Logger
	nilLog.Printf("no panic")
	nilLog.AddSecret("whatever-secret")
	if nilLog.Enabled() {
		t.Error("nil logger enabled")
	}

	var b bytes.Buffer
	l := NewLogger(&b, false)
	l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC) }
	l.Printf("hidden")
	if b.Len() != 0 {
		t.Fatal("disabled logger wrote")
	}
	l.SetEnabled(true)
	l.AddSecret("prod:happy-animal-123|0123456789abcdef")
	l.Printf("using key %s", "prod:happy-animal-123|0123456789abcdef")
	want := "[verbose] 2026-01-02T03:04:05.006Z using key prod:happy-animal-123|0123…cdef\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestLoggingTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	var b bytes.Buffer
	l := NewLogger(&b, true)
	client := &http.Client{Transport: l.Transport(nil)}
	resp, err := client.Get(srv.URL + "/api/x?admin_key=supersecretvalue123&cursor=5")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := b.String()
	if !strings.Contains(got, "GET "+srv.URL+"/api/x?") || !strings.Contains(got, "-> 418 (") {
		t.Errorf("log line: %q", got)
	}
	if strings.Contains(got, "supersecretvalue123") || !strings.Contains(got, "cursor=5") {
		t.Errorf("secret query value not hidden or harmless one lost: %q", got)
	}
	b.Reset()
	_, err = client.Get("http://127.0.0.1:1/unreachable")
	if err == nil || !strings.Contains(b.String(), "GET http://127.0.0.1:1/unreachable failed after") {
		t.Errorf("failure not logged: %v %q", err, b.String())
	}
	b.Reset()
	l.SetEnabled(false)
	if resp, err := client.Get(srv.URL); err == nil {
		resp.Body.Close()
	}
	if b.Len() != 0 {
		t.Errorf("disabled logger logged %q", b.String())
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@host/p?token=abcdefghijklmnop&x=1")
	got := RedactURL(u)
	if strings.Contains(got, "pw") || strings.Contains(got, "abcdefghijklmnop") || !strings.Contains(got, "x=1") {
		t.Errorf("RedactURL = %q", got)
	}
	if RedactURL(nil) != "" {
		t.Error("nil URL")
	}
}
