// Package testapp gives tests a copy of the chat sample app with the pinned
// npm packages linked in, so bundling finds convex/server.
package testapp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Chat copies e2e/testdata/backend/chat into a temporary folder with
// e2e/node/node_modules linked as its node_modules, and returns the folder.
// root is the repository root relative to the calling test's package. The
// test is skipped when `npm ci` has not installed the packages, or when
// need (paths inside node_modules, e.g. "typescript/bin/tsc") are missing.
func Chat(t testing.TB, root string, need ...string) string {
	t.Helper()
	nm, err := filepath.Abs(filepath.Join(root, "e2e", "node", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]string{"convex/package.json"}, need...) {
		if _, err := os.Stat(filepath.Join(nm, p)); err != nil {
			t.Skipf("e2e/node/node_modules lacks %s (run npm ci in e2e/node)", p)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(root, "e2e", "testdata", "backend", "chat") + string(filepath.Separator) + "."
	if out, err := exec.Command("cp", "-R", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the chat app: %v %s", err, out)
	}
	if err := os.Symlink(nm, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}
