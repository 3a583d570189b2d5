package push

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/convex-go/convex/internal/syncbuf"
)

// syncBuffer is a bytes.Buffer safe for the loop's goroutines.
type syncBuffer = syncbuf.Buffer

func (f *fakeDeployment) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == path {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func devOptions(dir string, f *fakeDeployment, srvURL string, stderr *syncBuffer) DevOptions {
	c := NewClient(srvURL, adminKey)
	c.RetryDelay = func(int) time.Duration { return 0 }
	return DevOptions{
		Push:     Options{Dir: dir, Client: c, Stderr: stderr, SchemaPollInterval: time.Millisecond, NoCodegen: true},
		Debounce: 50 * time.Millisecond,
		Sleep:    func(ctx context.Context, d time.Duration) error { return nil },
	}
}

func TestDevOnce(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	var stderr syncBuffer
	ran := false
	o := devOptions(dir, f, srv.URL, &stderr)
	o.Once = true
	o.OnFirstSuccess = func(context.Context) error { ran = true; return nil }
	if err := Dev(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "Convex functions ready! (") || !ran {
		t.Errorf("stderr = %s, ran = %v", stderr.String(), ran)
	}

	// A broken file makes --once fail with the esbuild diagnostics shown.
	os.WriteFile(filepath.Join(dir, "convex", "bad.ts"), []byte("export const x = ;\n"), 0o644)
	stderr = syncBuffer{}
	err := Dev(context.Background(), o)
	if err == nil || KindOf(err) != InvalidFiles || !strings.Contains(stderr.String(), "bad.ts:1:") {
		t.Errorf("err = %v\n%s", err, stderr.String())
	}
	if FormatError(err) != "" {
		t.Error("the returned error should be marked as printed")
	}
}

func TestDevTransientRetry(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	fails := 2
	f.startErr = func(w http.ResponseWriter) bool {
		if fails == 0 {
			return false
		}
		fails--
		w.WriteHeader(503)
		return true
	}
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	o.Once = true
	if err := Dev(context.Background(), o); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if strings.Count(stderr.String(), "Failed due to network error, retrying in") != 2 {
		t.Errorf("stderr = %s", stderr.String())
	}
}

func TestDevWatchesFiles(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	f.statuses = []string{`{"type":"complete"}`}
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Dev(ctx, o) }()

	waitFor(t, "first push", func() bool { return f.count("/api/deploy2/finish_push") == 1 })
	time.Sleep(100 * time.Millisecond)
	msgs := filepath.Join(dir, "convex", "messages.ts")
	src, _ := os.ReadFile(msgs)
	os.WriteFile(msgs, append(src, []byte("\nexport const extra = 1;\n")...), 0o644)
	waitFor(t, "push after an edit", func() bool { return f.count("/api/deploy2/finish_push") == 2 })

	// A syntax error waits for the fix instead of exiting.
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "convex", "fresh.ts"), []byte("export const y = ;\n"), 0o644)
	waitFor(t, "esbuild error", func() bool { return strings.Contains(stderr.String(), "fresh.ts:1:") })
	starts := f.count("/api/deploy2/start_push")
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "convex", "fresh.ts"), []byte("export const y = 2;\n"), 0o644)
	waitFor(t, "push after the fix", func() bool { return f.count("/api/deploy2/finish_push") == 3 })
	if f.count("/api/deploy2/start_push") != starts+1 {
		t.Errorf("start_push count %d, want %d", f.count("/api/deploy2/start_push"), starts+1)
	}

	// Files outside what the push reads do not trigger pushes.
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("x"), 0o644)
	time.Sleep(300 * time.Millisecond)
	if n := f.count("/api/deploy2/finish_push"); n != 3 {
		t.Errorf("unrelated file caused a push (%d)", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Dev returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dev did not stop")
	}
}

func TestDevUntilSuccess(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	os.WriteFile(filepath.Join(dir, "convex", "bad.ts"), []byte("export const x = ;\n"), 0o644)
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	o.UntilSuccess = true
	done := make(chan error, 1)
	go func() { done <- Dev(context.Background(), o) }()
	waitFor(t, "first failure", func() bool { return strings.Contains(stderr.String(), "bad.ts:1:") })
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "convex", "bad.ts"), []byte("export const x = 1;\n"), 0o644)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("err = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no success after the fix")
	}
}

func TestFormatDuration(t *testing.T) {
	cases := map[time.Duration]string{
		522230 * time.Microsecond: "522.23ms",
		1500 * time.Millisecond:   "1.5s",
		90 * time.Second:          "1.5m",
		250 * time.Microsecond:    "250µs",
		400 * time.Nanosecond:     "400ns",
		2 * time.Second:           "2s",
	}
	for d, want := range cases {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDevRetriesWhenFilesChangeDuringPush(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	f.statuses = []string{`{"type":"complete"}`}
	edited := false
	var mu sync.Mutex
	f.startErr = func(w http.ResponseWriter) bool {
		mu.Lock()
		defer mu.Unlock()
		if !edited {
			// An editor saves while the first push is in flight.
			edited = true
			src, _ := os.ReadFile(filepath.Join(dir, "convex", "users.ts"))
			os.WriteFile(filepath.Join(dir, "convex", "users.ts"), append(src, []byte("\n// saved during the push\n")...), 0o644)
			time.Sleep(200 * time.Millisecond)
		}
		return false
	}
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Dev(ctx, o) }()
	waitFor(t, "the retry after the change", func() bool { return f.count("/api/deploy2/finish_push") >= 2 })
	cancel()
	<-done
	if !strings.Contains(stderr.String(), "Filesystem changed during push, retrying...") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestDevWithCodegenSettles(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	f.statuses = []string{`{"type":"complete"}`}
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	o.Push.NoCodegen = false
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Dev(ctx, o) }()
	waitFor(t, "first push", func() bool { return f.count("/api/deploy2/finish_push") >= 1 })
	// Writing convex/_generated must not make the loop push again.
	time.Sleep(800 * time.Millisecond)
	cancel()
	<-done
	if n := f.count("/api/deploy2/finish_push"); n != 1 || strings.Contains(stderr.String(), "Filesystem changed") {
		t.Errorf("%d pushes:\n%s", n, stderr.String())
	}
}

// A failure the loop waits out through a deployment watch is shown only
// once that watch is live, so a fix made in answer to it is seen; the table
// change then brings the next push.
func TestDevShowsDataFailureOnceTheTableWatchIsLive(t *testing.T) {
	dir := chatProject(t)
	f, srv := newFake(t)
	f.statuses = []string{`{"type":"failed","error":"Document with ID \"x\" in table \"messages\" does not match the schema","componentPath":"","tableName":"messages"}`, `{"type":"complete"}`}
	var stderr syncBuffer
	o := devOptions(dir, f, srv.URL, &stderr)
	o.UntilSuccess = true
	var mu sync.Mutex
	live := false
	changed := make(chan struct{})
	o.WaitForTableChange = func(ctx context.Context, componentPath, table string) error {
		if table != "messages" || componentPath != "" {
			t.Errorf("watching %q in %q", table, componentPath)
		}
		time.Sleep(200 * time.Millisecond) // connecting
		if strings.Contains(stderr.String(), "Schema validation failed") {
			t.Error("the failure was shown before its table watch was live")
		}
		mu.Lock()
		live = true
		mu.Unlock()
		WatchLive(ctx)
		select {
		case <-changed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	done := make(chan error, 1)
	go func() { done <- Dev(context.Background(), o) }()
	waitFor(t, "the failure", func() bool { return strings.Contains(stderr.String(), "Schema validation failed") })
	mu.Lock()
	if !live {
		t.Error("failure shown with the watch not live")
	}
	mu.Unlock()
	close(changed)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("err = %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no push after the table changed")
	}
	if n := f.count("/api/deploy2/finish_push"); n != 1 {
		t.Errorf("finish_push %d times, want 1", n)
	}
}

// A watch that never says it is live holds the message back at most
// watchLiveTimeout; one that fails at once does not hold it at all.
func TestDevFailureNotHeldByDeadWatch(t *testing.T) {
	dir := chatProject(t)
	for _, c := range []struct {
		name  string
		watch func(ctx context.Context) error
		max   time.Duration
	}{
		{"silent", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, watchLiveTimeout + time.Second},
		{"failing", func(ctx context.Context) error { return context.DeadlineExceeded }, watchLiveTimeout / 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.startErr = func(w http.ResponseWriter) bool {
				w.WriteHeader(400)
				w.Write([]byte(`{"code":"InvalidModules","message":"Hit an error while pushing:\nFailed to analyze a.js: Uncaught Error: KEY is not set"}`))
				return true
			}
			var stderr syncBuffer
			o := devOptions(dir, f, srv.URL, &stderr)
			o.WaitForEnvChange = c.watch
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			began := time.Now()
			go func() { done <- Dev(ctx, o) }()
			waitFor(t, "the failure", func() bool { return strings.Contains(stderr.String(), "KEY is not set") })
			if d := time.Since(began); d > c.max {
				t.Errorf("failure shown after %v, want at most %v", d, c.max)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Dev returned %v", err)
			}
		})
	}
}

func TestWatcherIgnoresEditorArtifacts(t *testing.T) {
	fn := filepath.Join(t.TempDir(), "convex")
	w := &watcher{
		inputs: map[string]bool{filepath.Join(fn, "a.ts"): true, filepath.Join(fn, ".hidden.ts"): true},
		listed: map[string]bool{fn: true, filepath.Join(fn, "lib"): true, filepath.Join(fn, "2023"): true},
	}
	// Folders named like artifacts are still folders of the tree.
	if err := os.MkdirAll(filepath.Join(fn, "2024"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		op   fsnotify.Op
		want bool
	}{
		{"a.ts", fsnotify.Write, true},
		{"new.ts", fsnotify.Create, true},
		{"new.ts", fsnotify.Write, true}, // a new file that failed to bundle
		{"gone.ts", fsnotify.Remove, true},
		{"data.json", fsnotify.Create, true},
		{"tsconfig.json", fsnotify.Write, true},
		{"lib", fsnotify.Remove, true},
		{"lib/x.ts", fsnotify.Write, true},
		{".hidden.ts", fsnotify.Write, true}, // read by the last push
		{"a.ts", fsnotify.Chmod, false},
		{".a.ts.swp", fsnotify.Create, false},
		{".a.ts.swp", fsnotify.Write, false},
		{".#a.ts", fsnotify.Create, false},
		{"#a.ts#", fsnotify.Write, false},
		{"a.ts~", fsnotify.Create, false},
		{"lib/x.ts~", fsnotify.Remove, false},
		{"a.ts___jb_tmp___", fsnotify.Write, false},
		{"4913", fsnotify.Create, false},
		{"4913", fsnotify.Remove, false},
		{"v2", fsnotify.Create, true},
		{"2024", fsnotify.Create, true},
		{"2023", fsnotify.Remove, true},
		{"../outside.ts", fsnotify.Write, false},
	} {
		ev := fsnotify.Event{Name: filepath.Join(fn, filepath.FromSlash(c.name)), Op: c.op}
		if got := w.relevant(ev); got != c.want {
			t.Errorf("%s %s: relevant = %v, want %v", c.op, c.name, got, c.want)
		}
	}
}

// Codegen's own writes are not changes; deleting generated code between
// pushes is, so that it is written again.
func TestWatcherGeneratedCode(t *testing.T) {
	fn := filepath.Join(t.TempDir(), "convex")
	gen := filepath.Join(fn, "_generated")
	w := &watcher{
		inputs:    map[string]bool{filepath.Join(gen, "server.js"): true},
		listed:    map[string]bool{fn: true},
		generated: gen,
	}
	for _, c := range []struct {
		name    string
		op      fsnotify.Op
		pushing bool
		want    bool
	}{
		{"_generated/api.d.ts", fsnotify.Create, false, false},
		{"_generated/api.d.ts", fsnotify.Write, false, false},
		{"_generated/server.js", fsnotify.Write, false, false},
		{"_generated/.tmp-api.d.ts-123", fsnotify.Remove, false, false},
		{"_generated/api.d.ts", fsnotify.Remove, false, true},
		{"_generated/server.js", fsnotify.Rename, false, true},
		{"_generated", fsnotify.Remove, false, true},
		{"_generated/stale.js", fsnotify.Remove, true, false},
		{"_generated", fsnotify.Create, false, false},
	} {
		w.pushing = c.pushing
		ev := fsnotify.Event{Name: filepath.Join(fn, filepath.FromSlash(c.name)), Op: c.op}
		if got := w.relevant(ev); got != c.want {
			t.Errorf("%s %s (pushing %v): relevant = %v, want %v", c.op, c.name, c.pushing, got, c.want)
		}
	}
}
