package sync

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestRealClient runs e2e/node/sync-client.mjs, which uses the npm
// ConvexClient, against a hub serving the fake backend.
func TestRealClient(t *testing.T) {
	dir, err := filepath.Abs("../../e2e/node")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "convex", "package.json")); err != nil {
		t.Skipf("skipping: the npm client is not installed (run npm ci in %s): %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping: node is not on PATH")
	}
	for _, subscribers := range []int{1, 20} {
		t.Run(strconv.Itoa(subscribers)+"-subscribers", func(t *testing.T) {
			s := newTestServerWith(t, Options{Logf: t.Logf}, subscribers > 1)
			s.fake.timedSlow.Store(true) // slow:send sleeps instead of waiting for the test
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "sync-client.mjs", s.srv.URL, strconv.Itoa(subscribers))
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			t.Logf("stdout:\n%s", stdout.String())
			if err != nil {
				t.Fatalf("sync-client.mjs: %v\nstderr:\n%s", err, stderr.String())
			}
			if !bytes.Contains(stdout.Bytes(), []byte(`{"done":true}`)) {
				t.Fatalf("the script did not finish:\n%s", stderr.String())
			}
			if n := s.fake.count("slow:send").Load(); n != 1 {
				t.Errorf("slow:send ran %d times", n)
			}
		})
	}
}
