package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

// deployment is a chat fixture loaded into an Engine over a real store.
type deployment struct {
	t   testing.TB
	ms  *ModuleSet
	st  *store.Store
	env map[string]string

	mu        sync.Mutex
	scheduled []string
	blobs     map[string][]byte
}

func newDeployment(t testing.TB, opts Options) *deployment {
	t.Helper()
	mods, schema := bundleConvexDir(t, fixtureDir)
	e := New(opts)
	ms, err := e.Load(append(append([]Module{}, mods...), schema))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	sc, err := ms.Schema()
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	if err := st.ApplySchema(sc); err != nil {
		t.Fatalf("ApplySchema: %v", err)
	}
	return &deployment{t: t, ms: ms, st: st, env: map[string]string{"CHAT_BOT_NAME": "digest-bot"}}
}

func (d *deployment) run(kind, path, args string, internal bool) Result {
	d.t.Helper()
	ctx := context.Background()
	switch kind {
	case KindQuery:
		tx, err := d.st.Begin(false)
		if err != nil {
			d.t.Fatal(err)
		}
		defer tx.Rollback()
		return d.ms.Run(ctx, Request{Path: path, Kind: kind, Args: []byte(args), DB: tx, Env: d.env, Internal: internal})
	case KindMutation:
		tx, err := d.st.Begin(true)
		if err != nil {
			d.t.Fatal(err)
		}
		res := d.ms.Run(ctx, Request{Path: path, Kind: kind, Args: []byte(args), DB: tx, Env: d.env, Internal: internal})
		if res.Err != nil {
			tx.Rollback()
			return res
		}
		if _, err := tx.Commit(); err != nil {
			d.t.Fatalf("commit: %v", err)
		}
		return res
	default:
		return d.ms.Run(ctx, Request{Path: path, Kind: kind, Args: []byte(args), Host: d, Env: d.env, Internal: internal})
	}
}

func (d *deployment) ok(kind, path, args string) string {
	d.t.Helper()
	res := d.run(kind, path, args, false)
	if res.Err != nil {
		d.t.Fatalf("%s %s(%s): %s", kind, path, args, res.Err.Message)
	}
	return string(res.Value)
}

func (d *deployment) fails(kind, path, args string) *FunctionError {
	d.t.Helper()
	res := d.run(kind, path, args, false)
	if res.Err == nil {
		d.t.Fatalf("%s %s(%s) succeeded with %s, want an error", kind, path, args, res.Value)
	}
	return res.Err
}

// ActionHost, backed by the same store: each call is its own transaction.
func (d *deployment) RunFunction(ctx context.Context, kind, path string, args []byte, identity []byte) ([]byte, error) {
	res := d.run(kind, path, string(args), true)
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Value, nil
}
func (d *deployment) Schedule(path string, args []byte, ts float64) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.scheduled = append(d.scheduled, path)
	return fmt.Sprintf("job%d", len(d.scheduled)), nil
}
func (d *deployment) CancelJob(id string) error { return nil }
func (d *deployment) StoreBlob(data []byte, contentType string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.blobs == nil {
		d.blobs = map[string][]byte{}
	}
	id := fmt.Sprintf("blob%d", len(d.blobs)+1)
	d.blobs[id] = append([]byte(contentType+"|"), data...)
	return id, nil
}
func (d *deployment) GetBlob(id string) ([]byte, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.blobs[id]
	if !ok {
		return nil, "", nil
	}
	ct, data, _ := strings.Cut(string(b), "|")
	return []byte(data), ct, nil
}
func (d *deployment) GetURL(id string) (string, error) {
	if _, ok := d.blobs[id]; !ok {
		return "", nil
	}
	return "http://127.0.0.1:3210/api/storage/" + id, nil
}

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

func jsonStr(t testing.TB, s string) string {
	t.Helper()
	var v string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not a JSON string %q: %v", s, err)
	}
	return v
}

func mustContain(t testing.TB, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%q does not contain %q", got, want)
	}
}

var _ = values.Decode
var _ = time.Second
