package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// LogPauser is the log tailer as the dev loop sees it: output is held while
// a push runs (and after a failed one) and released after a success.
type LogPauser interface {
	Pause()
	Resume()
}

// DevOptions configures the dev loop.
type DevOptions struct {
	// Push is used for every iteration.
	Push Options
	// Once pushes one time and returns; a failed push is returned as an
	// error (the reference exits 0 on some failures; we report them).
	Once bool
	// UntilSuccess retries after failures (waiting for changes) and
	// returns after the first successful push.
	UntilSuccess bool
	// OnFirstSuccess runs once after the first successful push (--run,
	// --start); its error ends the loop.
	OnFirstSuccess func(ctx context.Context) error
	// Logs, when set, is paused during pushes.
	Logs LogPauser
	// WaitForEnvChange, when set, blocks until the deployment's environment
	// variables change (for errors about missing variables).
	// It calls WatchLive(ctx) as soon as it would see a change
	// (Client.WaitForQueryChange does): the failure is shown only then, for
	// at most 2 s.
	WaitForEnvChange func(ctx context.Context) error
	// WaitForTableChange, when set, blocks until data in the table changes
	// (after a schema validation failure); WatchLive as WaitForEnvChange.
	WaitForTableChange func(ctx context.Context, componentPath, table string) error
	// Debounce is the quiet period after a change (default 500ms).
	Debounce time.Duration
	// TraceEvents prints every filesystem event.
	TraceEvents bool
	// Now is the clock for "Convex functions ready!" (tests).
	Now func() time.Time
	// Sleep waits between transient retries (tests shorten it).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait is called when a push is over and the loop starts waiting
	// (to stop a spinner).
	OnWait func()
}

// FormatDuration renders d as the "ready" line does: ns, µs, ms, s or m
// with at most two decimals.
func FormatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	two := func(v float64, unit string) string {
		s := strconv.FormatFloat(v, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		return s + unit
	}
	switch {
	case ms < 1e-3:
		return two(float64(d), "ns")
	case ms < 1:
		return two(ms*1e3, "µs")
	case ms < 1e3:
		return two(ms, "ms")
	case ms < 60e3:
		return two(ms/1e3, "s")
	}
	return two(ms/60e3, "m")
}

// FormatError renders a push error for stderr: what failed, details and
// the hint. Errors already shown render as "".
func FormatError(err error) string {
	var pe *Error
	if !errors.As(err, &pe) {
		return "✖ " + err.Error() + "\n"
	}
	if pe.Printed {
		return ""
	}
	var b strings.Builder
	if pe.detailFirst && pe.Detail != "" {
		// esbuild's own rendering already names every file and line.
		b.WriteString(pe.Detail)
		if !strings.HasSuffix(pe.Detail, "\n") {
			b.WriteString("\n")
		}
	} else {
		b.WriteString("✖ " + pe.Display() + "\n")
		if pe.Detail != "" {
			b.WriteString(pe.Detail)
			if !strings.HasSuffix(pe.Detail, "\n") {
				b.WriteString("\n")
			}
		}
	}
	if pe.Hint != "" {
		b.WriteString(pe.Hint)
		if !strings.HasSuffix(pe.Hint, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (o *DevOptions) sleep(ctx context.Context, d time.Duration) error {
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Dev runs the push loop: push, report, wait for relevant changes, repeat.
// It returns nil when the loop ends normally (--once/--until-success after
// a success, or ctx cancelled), and the push error otherwise (already
// printed to Push.Stderr).
func Dev(ctx context.Context, o DevOptions) error {
	if o.Debounce == 0 {
		o.Debounce = 500 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	stderr := o.Push.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	// One push never waits for a change, and closing a watcher costs a few
	// milliseconds per watch on Linux (inotify_rm_watch waits for readers
	// of every watch to finish): --once goes without one.
	var w *watcher
	if !o.Once {
		var err error
		if w, err = newWatcher(o.TraceEvents, stderr); err != nil {
			return &Error{Kind: Fatal, Msg: "cannot watch files", Err: err}
		}
		defer w.close()
	}

	failures := 0
	first := true
	for {
		if o.Logs != nil {
			o.Logs.Pause()
		}
		w.beginPush()
		started := time.Now()
		res, err := Run(ctx, o.Push)
		if o.OnWait != nil {
			o.OnWait()
		}
		if ctx.Err() != nil {
			return nil
		}
		if res != nil {
			w.track(res, started)
		}
		changedDuring := w.endPush()
		if err == nil && res != nil && res.Stopped {
			return nil
		}
		if err == nil {
			failures = 0
			fmt.Fprintf(stderr, "✔ %s Convex functions ready! (%s)\n", o.Now().Format("15:04:05"), FormatDuration(time.Since(started)))
			if first && res != nil && res.TypecheckDuration > 10*time.Second {
				fmt.Fprintf(stderr, "Typechecking took %s. For faster iteration, see https://docs.convex.dev/cli/troubleshooting/typecheck-performance to troubleshoot typecheck performance.\n", FormatDuration(res.TypecheckDuration))
			}
			if o.Logs != nil {
				o.Logs.Resume()
			}
			if first && o.OnFirstSuccess != nil {
				if err := o.OnFirstSuccess(ctx); err != nil {
					return err
				}
			}
			first = false
			if o.Once || o.UntilSuccess {
				return nil
			}
		} else {
			kind := KindOf(err)
			var pe *Error
			errors.As(err, &pe)
			// The watches a failure waits on go live before it is shown:
			// a fix made in answer to the message must not come before them.
			var wait func() error
			if kind != Fatal && kind != Transient && !o.Once && !changedDuring {
				wait = o.armWaitAfterFailure(ctx, w, kind, pe)
			}
			fmt.Fprint(stderr, FormatError(err))
			switch kind {
			case Fatal:
				return printed(err)
			case Transient:
				failures++
				d := backoff(failures)
				fmt.Fprintf(stderr, "Failed due to network error, retrying in %s...\n", FormatDuration(d))
				if err := o.sleep(ctx, d); err != nil {
					return nil
				}
				continue
			}
			if o.Once {
				return printed(err)
			}
			if changedDuring {
				fmt.Fprintln(stderr, "Filesystem changed during push, retrying...")
				continue
			}
			if err := wait(); err != nil {
				return nil
			}
			continue
		}
		if changedDuring {
			fmt.Fprintln(stderr, "Filesystem changed during push, retrying...")
			continue
		}
		if err := w.waitForChange(ctx, o.Debounce); err != nil {
			return nil
		}
	}
}

// printed marks err as already shown so callers do not print it again.
func printed(err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		c := *pe
		c.Printed = true
		return &c
	}
	return &Error{Kind: Fatal, Msg: err.Error(), Err: err, Printed: true}
}

// watchLiveTimeout bounds how long a failure's message waits for the
// deployment watches to go live (a slow network must not hide it).
const watchLiveTimeout = 2 * time.Second

// armWaitAfterFailure starts waiting for a file change, or for the
// deployment change the failure depends on (env vars, table data) when a
// waiter is given, and returns once those watches are live (or after
// watchLiveTimeout). The returned function blocks until one of them fires.
func (o *DevOptions) armWaitAfterFailure(ctx context.Context, w *watcher, kind Kind, pe *Error) func() error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 3)
	go func() {
		if w.waitForChange(ctx, o.Debounce) == nil {
			done <- struct{}{}
		}
	}()
	var live sync.WaitGroup
	watch := func(wait func(context.Context) error) {
		live.Add(1)
		var once sync.Once
		wctx := withWatchLive(ctx, func() { once.Do(live.Done) })
		go func() {
			defer WatchLive(wctx)
			if wait(wctx) == nil {
				done <- struct{}{}
			}
		}()
	}
	if kind == InvalidFilesOrEnv && o.WaitForEnvChange != nil {
		watch(o.WaitForEnvChange)
	}
	if kind == InvalidFilesOrData && pe != nil && pe.TableName != "" && o.WaitForTableChange != nil {
		watch(func(ctx context.Context) error { return o.WaitForTableChange(ctx, pe.ComponentPath, pe.TableName) })
	}
	allLive := make(chan struct{})
	go func() {
		live.Wait()
		close(allLive)
	}()
	select {
	case <-allLive:
	case <-ctx.Done():
	case <-time.After(watchLiveTimeout):
	}
	return func() error {
		defer cancel()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// backoff is 500 ms × 2^(n-1), at most 16 s, with ±50 % jitter.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 16*time.Second; i++ {
		d *= 2
	}
	if d > 16*time.Second {
		d = 16 * time.Second
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// watcher follows the files a push read and the functions directory tree.
type watcher struct {
	fs     *fsnotify.Watcher
	trace  bool
	out    io.Writer
	mu     sync.Mutex
	inputs map[string]bool
	// dirs whose listing matters: a file appearing or vanishing there is a
	// change (the functions directory tree).
	listed    map[string]bool
	generated string
	pushing   bool
	dirty     bool // a relevant event arrived during the push
	events    chan struct{}
}

func newWatcher(trace bool, out io.Writer) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{fs: fw, trace: trace, out: out, inputs: map[string]bool{}, listed: map[string]bool{}, events: make(chan struct{}, 1)}
	go w.loop()
	return w, nil
}

func (w *watcher) close() { w.fs.Close() }

func (w *watcher) beginPush() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.pushing, w.dirty = true, false
	w.mu.Unlock()
}

func (w *watcher) endPush() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pushing = false
	d := w.dirty
	w.dirty = false
	// Events from the push itself are not a reason to wait less.
	select {
	case <-w.events:
	default:
	}
	return d
}

// track starts watching what a push read. A file modified after the push
// started (before its watch existed) marks the push as outdated.
func (w *watcher) track(res *Result, pushStart time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	dirs := map[string]bool{}
	if res.Config != nil && len(res.Inputs) > 0 {
		w.generated = filepath.Join(res.Config.FunctionsDir(filepath.Dir(res.Inputs[0])), "_generated")
	}
	for _, p := range res.Inputs {
		if !w.inputs[p] {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.ModTime().After(pushStart) &&
				!(w.generated != "" && strings.HasPrefix(p, w.generated+string(filepath.Separator))) {
				w.dirty = true
			}
		}
		w.inputs[p] = true
		dirs[filepath.Dir(p)] = true
	}
	if res.Config != nil && len(res.Inputs) > 0 {
		// The project directory is the parent of package.json, the first input.
		fn := res.Config.FunctionsDir(filepath.Dir(res.Inputs[0]))
		filepath.WalkDir(fn, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p == w.generated || d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				w.listed[p] = true
				dirs[p] = true
			}
			return nil
		})
	}
	for d := range dirs {
		// Installed packages change through package.json (watched in the
		// project directory); watching their many directories would cost a
		// file descriptor per file on macOS.
		if strings.Contains(d+string(filepath.Separator), string(filepath.Separator)+"node_modules"+string(filepath.Separator)) {
			continue
		}
		if _, err := os.Stat(d); err == nil {
			w.fs.Add(d)
		}
	}
}

func (w *watcher) relevant(ev fsnotify.Event) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := ev.Name
	base := filepath.Base(p)
	if strings.HasPrefix(base, ".tmp-") {
		return false
	}
	if w.generated != "" && (p == w.generated || strings.HasPrefix(p, w.generated+string(filepath.Separator))) {
		// Codegen writes here during pushes (by renaming new files into
		// place, so only its cleanup of stale files removes anything); a
		// generated file or the folder deleted between pushes is put back.
		return !w.pushing && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0
	}
	if ev.Op == fsnotify.Chmod {
		return false
	}
	if w.inputs[p] {
		return true
	}
	// Files in the functions tree count even when no push read them yet (a
	// file that failed to bundle, a new file), but not an editor's swap,
	// backup and lock files: vim rewrites its swap file every few seconds
	// of idling, which would push again and again.
	if w.listed[filepath.Dir(p)] {
		if editorArtifact(base) && !w.listed[p] {
			// A folder, though, is part of the tree whatever its name.
			st, err := os.Stat(p)
			return err == nil && st.IsDir()
		}
		return true
	}
	return false
}

// editorArtifact tells whether a file name is one editors keep next to the
// files they edit (never a module: the bundler skips dotfiles and names
// starting with "#" too): swap and lock files (.name.swp, .#name), autosaves
// (#name#), backups (name~), JetBrains' safe-write copies (name___jb_tmp___)
// and the file vim writes to test a directory (4913, 5036, ...).
func editorArtifact(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~") ||
		strings.Contains(name, "___jb_") {
		return true
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return false
		}
	}
	return name != ""
}

func (w *watcher) loop() {
	for {
		select {
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			rel := w.relevant(ev)
			if w.trace {
				fmt.Fprintf(w.out, "[watch] %s %s (relevant: %v)\n", ev.Op, ev.Name, rel)
			}
			if !rel {
				continue
			}
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					w.mu.Lock()
					w.listed[ev.Name] = true
					w.mu.Unlock()
					w.fs.Add(ev.Name)
				}
			}
			w.mu.Lock()
			if w.pushing {
				w.dirty = true
			}
			w.mu.Unlock()
			select {
			case w.events <- struct{}{}:
			default:
			}
		case _, ok := <-w.fs.Errors:
			if !ok {
				return
			}
		}
	}
}

// waitForChange blocks until a relevant change, then until quiet has
// passed without another one.
func (w *watcher) waitForChange(ctx context.Context, quiet time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.events:
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.events:
		case <-time.After(quiet):
			return nil
		}
	}
}
