// Command backend benchmarks the built-in backend over HTTP: it starts the
// server in-process, pushes the chat fixture app (bundled with the
// project's bundler against the reference convex npm package), then
// measures small-mutation throughput and query latency.
//
//	go run ./bench/backend [-duration 10s] [-concurrency 4] [-queries 2000]
//
// Run it from the repository root (it needs e2e/node/node_modules).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/bundler"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to run mutations")
	concurrency := flag.Int("concurrency", 4, "concurrent mutation clients")
	queries := flag.Int("queries", 2000, "sequential queries for the latency measurement")
	app := flag.String("app", "e2e/testdata/backend/chat", "Convex app to push")
	nodeModules := flag.String("node-modules", "e2e/node/node_modules", "node_modules holding the convex package")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurement to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *concurrency, *queries, *app, *nodeModules); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, concurrency, queries int, appDir, nodeModules string) error {
	work, err := os.MkdirTemp("", "convex-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	project, err := stageApp(appDir, nodeModules, work)
	if err != nil {
		return err
	}
	bundle, err := bundler.Bundle(bundler.Options{ProjectDir: project, FunctionsDir: filepath.Join(project, "convex")})
	if err != nil {
		return fmt.Errorf("bundling %s: %w", appDir, err)
	}
	secret, _ := adminkey.NewSecret()
	ctx := context.Background()
	// Measure the backend as `convex local-backend` runs it.
	server.TuneForServing()
	r, err := server.Start(ctx, server.Config{DBPath: filepath.Join(work, "db"), Interface: "127.0.0.1", InstanceName: "bench", InstanceSecret: secret})
	if err != nil {
		return err
	}
	defer r.Close()
	c := &client{url: r.CloudURL, key: r.AdminKey, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if err := c.push(bundle); err != nil {
		return err
	}

	// Mutation throughput: each call creates a channel (one index lookup, one insert).
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var mutLat []time.Duration
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var local []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				_, err := c.call("mutation", "channels:create", map[string]any{"name": fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					failed.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
				ok.Add(1)
			}
			mu.Lock()
			mutLat = append(mutLat, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	fmt.Printf("mutations: %d ok, %d failed in %v with %d clients = %.0f mutations/s (latency p50 %v, p99 %v)\n",
		ok.Load(), failed.Load(), duration, concurrency, float64(ok.Load())/duration.Seconds(), pct(mutLat, 50), pct(mutLat, 99))

	// Query latency: newest 10 messages of a channel holding 50.
	chID, err := c.call("mutation", "channels:create", map[string]any{"name": "bench-room"})
	if err != nil {
		return err
	}
	for i := 0; i < 50; i++ {
		if _, err := c.call("mutation", "messages:send", map[string]any{"channelId": chID, "author": "bench", "body": fmt.Sprintf("message %d", i)}); err != nil {
			return err
		}
	}
	var qLat []time.Duration
	for i := 0; i < queries; i++ {
		t0 := time.Now()
		if _, err := c.call("query", "messages:list", map[string]any{"channelId": chID, "limit": 10}); err != nil {
			return err
		}
		qLat = append(qLat, time.Since(t0))
	}
	fmt.Printf("queries: %d sequential messages:list (10 of 50 docs): p50 %v, p99 %v, max %v\n",
		queries, pct(qLat, 50), pct(qLat, 99), pct(qLat, 100))
	return nil
}

// stageApp copies the app's convex/ directory and package.json next to a
// node_modules symlink.
func stageApp(appDir, nodeModules, work string) (string, error) {
	project := filepath.Join(work, "app")
	src := filepath.Join(appDir, "convex")
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Join(project, "convex"), 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(project, "convex", e.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	nm, err := filepath.Abs(nodeModules)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(nm, "convex", "package.json")); err != nil {
		return "", fmt.Errorf("%s has no convex package; run `npm ci` in e2e/node", nm)
	}
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(`{"name":"bench","private":true}`), 0o644); err != nil {
		return "", err
	}
	return project, os.Symlink(nm, filepath.Join(project, "node_modules"))
}

type client struct {
	url, key string
	http     *http.Client
}

func (c *client) post(path string, body any, admin bool) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if admin {
		req.Header.Set("Authorization", "Convex "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (c *client) call(kind, path string, args any) (any, error) {
	m, err := c.post("/api/"+kind, map[string]any{"path": path, "args": args, "format": "json"}, false)
	if err != nil {
		return nil, err
	}
	if m["status"] != "success" {
		return nil, fmt.Errorf("%s: %v", path, m["errorMessage"])
	}
	return m["value"], nil
}

func (c *client) push(b *bundler.Result) error {
	var schema any
	if b.Schema != nil {
		schema = b.Schema
	}
	start, err := c.post("/api/deploy2/start_push", map[string]any{
		"adminKey": c.key, "dryRun": false, "functions": "convex/",
		"appDefinition": map[string]any{"definition": b.Definition, "dependencies": []any{}, "schema": schema,
			"changedModules": b.Modules, "unchangedModuleHashes": []any{}, "udfServerVersion": "1.48.0"},
		"componentDefinitions": []any{}, "nodeDependencies": []any{},
	}, true)
	if err != nil {
		return err
	}
	wait, err := c.post("/api/deploy2/wait_for_schema", map[string]any{"adminKey": c.key, "schemaChange": start["schemaChange"], "timeoutMs": 10000, "dryRun": false}, true)
	if err != nil {
		return err
	}
	if wait["type"] != "complete" {
		return fmt.Errorf("schema: %v", wait)
	}
	_, err = c.post("/api/deploy2/finish_push", map[string]any{"adminKey": c.key, "startPush": start, "dryRun": false, "message": nil}, true)
	return err
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(time.Microsecond)
}
