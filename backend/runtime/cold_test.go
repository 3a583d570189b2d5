package runtime

import (
	"context"
	"testing"
	"time"
)

func TestLoadCacheAndPrewarm(t *testing.T) {
	mods, schema := bundleConvexDir(t, fixtureDir)
	e := New(Options{})
	all := append(append([]Module{}, mods...), schema)
	start := time.Now()
	ms, err := e.Load(all)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	start = time.Now()
	if _, err := e.Load(all); err != nil {
		t.Fatal(err)
	}
	t.Logf("Load: %s, again from the cache: %s", first, time.Since(start))
	if len(e.cache) != len(all) {
		t.Fatalf("cache holds %d modules, want %d", len(e.cache), len(all))
	}
	if err := ms.Prewarm(context.Background(), 2, nil); err != nil {
		t.Fatal(err)
	}
	if len(ms.pool) != 2 {
		t.Fatalf("pool has %d VMs after Prewarm(2)", len(ms.pool))
	}
	start = time.Now()
	res := ms.Run(context.Background(), Request{Path: "users:list", DB: nopDB{}})
	t.Logf("first call after prewarm: %s", time.Since(start))
	if res.Err == nil {
		t.Fatal("users:list with no database succeeded")
	}
	mustContain(t, res.Err.Message, "nopDB: no database")
	mustContain(t, res.Err.Message, "at handler (../convex/users.ts:7:")
}
