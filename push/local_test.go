package push

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCodegenLocal(t *testing.T) {
	dir := chatProject(t)
	var stderr bytes.Buffer
	res, err := CodegenLocal(context.Background(), Options{Dir: dir, Stderr: &stderr}, false, false)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if res.Bundle == nil {
		t.Fatal("no bundle")
	}
	api, err := os.ReadFile(filepath.Join(dir, "convex", "_generated", "api.d.ts"))
	if err != nil || !strings.Contains(string(api), `messages: typeof messages;`) {
		t.Errorf("api.d.ts: %v\n%s", err, api)
	}
	a, err := AnalyzeLocally(context.Background(), res.Bundle, dir)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := a.Functions["messages.js"]
	if !ok || len(m.Functions) == 0 {
		t.Fatalf("no functions analysed in messages.js: %+v", a.Functions)
	}

	// A module failing at import time is reported with the user's file.
	os.WriteFile(filepath.Join(dir, "convex", "boom.ts"), []byte("export const x = 1;\nthrow new Error(\"boom at load\");\n"), 0o644)
	_, err = CodegenLocal(context.Background(), Options{Dir: dir}, false, false)
	if err == nil || !strings.Contains(err.Error(), "boom at load") || KindOf(err) != InvalidFiles {
		t.Errorf("err = %v", err)
	}
}
