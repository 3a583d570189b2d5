package push

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/bundler"
)

// startBuiltin runs the built-in backend on free ports for one test.
func startBuiltin(t *testing.T) *server.Running {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := server.Start(ctx, server.Config{DBPath: filepath.Join(t.TempDir(), "db"), Interface: "127.0.0.1",
		InstanceName: "push-test", InstanceSecret: hex.EncodeToString(secret)})
	if err != nil {
		cancel()
		t.Fatalf("starting the backend: %v", err)
	}
	t.Cleanup(func() { cancel(); r.Close() })
	return r
}

func TestPushToBuiltinBackend(t *testing.T) {
	dir := chatProject(t)
	r := startBuiltin(t)
	var stderr bytes.Buffer
	o := Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, Stderr: &stderr}
	ctx := context.Background()
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("first push: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "[+] messages.by_channel   channelId") {
		t.Errorf("index summary missing:\n%s", stderr.String())
	}
	if a := res.StartPush.Analysis[""]; a == nil || len(a.Functions["messages.js"].Functions) == 0 {
		t.Errorf("analysis of messages.js missing")
	}

	// The deployment now reports every module with our hash.
	c := NewClient(r.CloudURL, r.AdminKey)
	var hashes ConfigHashes
	if err := c.Do(ctx, Request{Path: "/api/get_config_hashes", Body: map[string]any{"version": Version, "adminKey": r.AdminKey}}, &hashes); err != nil {
		t.Fatal(err)
	}
	changed, unchanged := partition(res.Bundle.Modules, hashes)
	if len(changed) != 0 || len(unchanged) != len(res.Bundle.Modules) {
		t.Errorf("after a push %d modules still differ: %v", len(changed), paths(changed))
	}

	// A second push with no changes adds nothing.
	stderr.Reset()
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "Added table indexes") {
		t.Errorf("second push added indexes:\n%s", stderr.String())
	}

	// Functions run, and a schema the data violates is refused with the table.
	if _, err := c.RunFunction(ctx, "channels:create", json.RawMessage(`{"name":"general"}`), "", nil); err != nil {
		t.Fatalf("channels:create: %v", err)
	}
	schema := filepath.Join(dir, "convex", "schema.ts")
	src, _ := os.ReadFile(schema)
	strict := strings.Replace(string(src), "messageCount: v.number(),", "messageCount: v.number(),\n    owner: v.string(),", 1)
	if strict == string(src) {
		t.Fatal("schema edit did not apply")
	}
	os.WriteFile(schema, []byte(strict), 0o644)
	_, err = Run(ctx, o)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != InvalidFilesOrData || pe.TableName != "channels" {
		t.Fatalf("push of a violated schema: %#v", err)
	}
}

func paths(ms []bundler.Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Path)
	}
	return out
}

func TestDevAgainstBuiltinBackend(t *testing.T) {
	dir := chatProject(t)
	r := startBuiltin(t)
	var stderr syncBuffer
	c := NewClient(r.CloudURL, r.AdminKey)
	tail := &LogTail{Client: c, Out: &stderr, Format: LogFormat{Time: func(time.Time) string { return "T" }}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tail.Run(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Dev(ctx, DevOptions{Push: Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, Stderr: &stderr, NoCodegen: true}, Logs: tail, Debounce: 50 * time.Millisecond})
	}()
	waitFor(t, "first push", func() bool { return strings.Count(stderr.String(), "Convex functions ready!") == 1 })
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "convex", "hello.ts"), []byte("import { queryGeneric } from \"convex/server\";\nexport const hi = queryGeneric({ args: {}, handler: async () => { console.log(\"said hi\"); return \"hi\"; } });\n"), 0o644)
	waitFor(t, "push of a new file", func() bool { return strings.Count(stderr.String(), "Convex functions ready!") == 2 })
	res, err := c.RunFunction(context.Background(), "hello:hi", nil, "", nil)
	if err != nil || string(res.Value) != `"hi"` {
		t.Fatalf("hello:hi after the watch push: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "[CONVEX Q(hello:hi)] [LOG] 'said hi'") {
		if time.Now().After(deadline) {
			t.Fatalf("log line not tailed:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Dev did not stop")
	}
}

func TestSubscribeToBuiltinBackend(t *testing.T) {
	dir := chatProject(t)
	r := startBuiltin(t)
	if _, err := Run(context.Background(), Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, NoCodegen: true}); err != nil {
		t.Fatal(err)
	}
	c := NewClient(r.CloudURL, r.AdminKey)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var results []string
	err := c.Subscribe(ctx, "channels:list", nil, "", nil, func(u QueryUpdate) error {
		if u.Error != "" {
			return errors.New(u.Error)
		}
		results = append(results, string(u.Value))
		if len(results) == 1 {
			go c.RunFunction(context.Background(), "channels:create", json.RawMessage(`{"name":"live"}`), "", nil)
			return nil
		}
		return ErrStopSubscription
	})
	if err != nil || len(results) != 2 || results[0] != "[]" || !strings.Contains(results[1], `"name":"live"`) {
		t.Fatalf("err %v, results %v", err, results)
	}
	// A failing query is reported as an update with an error.
	var failed QueryUpdate
	err = c.Subscribe(ctx, "channels:get", json.RawMessage(`{"channelId":"nope"}`), "", nil, func(u QueryUpdate) error {
		failed = u
		return ErrStopSubscription
	})
	if err != nil || failed.Error == "" {
		t.Errorf("failing query: %v %+v", err, failed)
	}
	// Env-var watch: the second result is a change; it says when it holds
	// the first.
	done := make(chan error, 1)
	live := make(chan struct{})
	var once sync.Once
	wctx := withWatchLive(ctx, func() { once.Do(func() { close(live) }) })
	go func() { done <- c.WaitForQueryChange(wctx, "_system/cli/queryEnvironmentVariables", nil, "") }()
	select {
	case <-live:
	case <-ctx.Done():
		t.Fatal("env watch never live")
	}
	v := "1"
	if err := c.UpdateEnv(ctx, []EnvChange{{Name: "X", Value: &v}}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("env watch: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("env change not seen")
	}
}

func TestIndexDeletionCheck(t *testing.T) {
	dir := chatProject(t)
	r := startBuiltin(t)
	ctx := context.Background()
	var stderr bytes.Buffer
	check := &IndexDeletionCheck{MinDocuments: 1}
	o := Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, Stderr: &stderr, NoCodegen: true, IndexDeletionCheck: check}
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "✔ No indexes are deleted by this push") {
		t.Errorf("first push:\n%s", stderr.String())
	}
	c := NewClient(r.CloudURL, r.AdminKey)
	if _, err := c.RunFunction(ctx, "channels:create", json.RawMessage(`{"name":"general"}`), "", nil); err != nil {
		t.Fatal(err)
	}
	// Drop channels.by_name, which now covers one document.
	schema := filepath.Join(dir, "convex", "schema.ts")
	src, _ := os.ReadFile(schema)
	dropped := strings.Replace(string(src), `messageCount: v.number(),
  }).index("by_name", ["name"]),`, `messageCount: v.number(),
  }),`, 1)
	if dropped == string(src) {
		t.Fatal("schema edit did not apply")
	}
	os.WriteFile(schema, []byte(dropped), 0o644)
	// channels.ts uses the index; keep the push valid by not relying on it.
	stderr.Reset()
	_, err := Run(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "To confirm the push") || !strings.Contains(stderr.String(), "⛔ channels.by_name   name  ⚠️  1 documents") {
		t.Fatalf("unconfirmed deletion: %v\n%s", err, stderr.String())
	}
	check.Confirm = func(q string) (bool, error) {
		if q != "Delete this index?" {
			t.Errorf("question %q", q)
		}
		return false, nil
	}
	if _, err := Run(ctx, o); err == nil || err.Error() != "Canceling push" {
		t.Errorf("declined: %v", err)
	}
	check.Confirm, check.Allowed = nil, true
	stderr.Reset()
	if _, err := Run(ctx, o); err != nil || !strings.Contains(stderr.String(), "allowed by flag") || !strings.Contains(stderr.String(), "Deleted table indexes:") {
		t.Errorf("allowed: %v\n%s", err, stderr.String())
	}
}

func TestDevWaitsForTableDataAfterSchemaFailure(t *testing.T) {
	dir := chatProject(t)
	r := startBuiltin(t)
	ctx := context.Background()
	c := NewClient(r.CloudURL, r.AdminKey)
	if _, err := Run(ctx, Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, NoCodegen: true}); err != nil {
		t.Fatal(err)
	}
	res, err := c.RunFunction(ctx, "channels:create", json.RawMessage(`{"name":"general"}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A schema the existing channel violates.
	schema := filepath.Join(dir, "convex", "schema.ts")
	src, _ := os.ReadFile(schema)
	os.WriteFile(schema, []byte(strings.Replace(string(src), "messageCount: v.number(),", "messageCount: v.number(),\n    owner: v.string(),", 1)), 0o644)

	var stderr syncBuffer
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Dev(dctx, DevOptions{
			Push:         Options{URL: r.CloudURL, AdminKey: r.AdminKey, Dir: dir, Stderr: &stderr, NoCodegen: true},
			UntilSuccess: true,
			Debounce:     50 * time.Millisecond,
			WaitForTableChange: func(ctx context.Context, componentPath, table string) error {
				args, _ := json.Marshal(map[string]string{"tableName": table})
				return c.WaitForQueryChange(ctx, "_system/cli/queryTable", args, componentPath)
			},
		})
	}()
	waitFor(t, "the schema failure", func() bool { return strings.Contains(stderr.String(), "Schema validation failed.") })
	// Fixing the data (not the files) lets the next push through, even at
	// once: the failure is shown only when the table watch is live.
	if _, err := c.RunFunction(ctx, "channels:remove", json.RawMessage(`{"channelId":`+string(res.Value)+`}`), "", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no push after the data changed:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "Convex functions ready!") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
