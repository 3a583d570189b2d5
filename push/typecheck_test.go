package push

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestTypecheck(t *testing.T) {
	dir := chatProject(t)
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH")
	}
	fn := filepath.Join(dir, "convex")
	var stderr bytes.Buffer
	tc := &Typechecker{Mode: TypecheckTry, ProjectDir: dir, Stderr: &stderr}
	if err := tc.Check(context.Background(), fn); err != nil {
		t.Fatalf("clean project: %v\n%s", err, stderr.String())
	}
	if len(tc.Files) == 0 {
		t.Error("--listFiles produced no files")
	}
	os.WriteFile(filepath.Join(fn, "wrong.ts"), []byte("export const n: number = \"not a number\";\n"), 0o644)
	stderr.Reset()
	err := tc.Check(context.Background(), fn)
	if KindOf(err) != InvalidFiles || !strings.Contains(stderr.String(), "TypeScript typecheck via `tsc` failed.") || !strings.Contains(stderr.String(), "wrong.ts") {
		t.Errorf("err = %v\n%s", err, stderr.String())
	}
	// Without tsconfig: try skips silently, enable fails.
	os.Remove(filepath.Join(fn, "tsconfig.json"))
	if err := tc.Check(context.Background(), fn); err != nil {
		t.Errorf("try without tsconfig: %v", err)
	}
	tc.Mode = TypecheckEnable
	stderr.Reset()
	if err := tc.Check(context.Background(), fn); err == nil || !strings.Contains(stderr.String(), "codegen --init") {
		t.Errorf("enable without tsconfig: %v %q", err, stderr.String())
	}
	tc.Mode = TypecheckDisable
	if err := tc.Check(context.Background(), fn); err != nil {
		t.Errorf("disable: %v", err)
	}
}
