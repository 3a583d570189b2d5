package inittrace

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `convex 1.2.3
init internal/bytealg @0.010 ms, 0 ms clock, 0 bytes, 0 allocs
init github.com/convex-go/convex/ui/internal/termhold @0.82 ms, 0.049 ms clock, 3480 bytes, 10 allocs
init github.com/convex-go/convex/config @6.7 ms, 0.12 ms clock, 44016 bytes, 448 allocs
init github.com/convex-go/convex/commands @7.4 ms, 0.097 ms clock, 48208 bytes, 569 allocs
init github.com/convex-go/convexity @7.5 ms, 0.001 ms clock, 99999 bytes, 1 allocs
`

func TestParse(t *testing.T) {
	recs, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5: %v", len(recs), recs)
	}
	want := Record{Package: "github.com/convex-go/convex/config", ClockMS: 0.12, Bytes: 44016, Allocs: 448}
	if recs[2] != want {
		t.Fatalf("record 2 = %+v, want %+v", recs[2], want)
	}
	if recs[0].ClockMS != 0 || recs[0].Package != "internal/bytealg" {
		t.Fatalf("record 0 = %+v", recs[0])
	}
}

func TestParseRejectsMalformedRecords(t *testing.T) {
	for _, in := range []string{
		"init github.com/x @1 ms, 2 ms clock, many bytes, 3 allocs\n",
		"init github.com/x\n",
		"init github.com/x @1 ms, 2 ms clock, 3 bytes\n",
	} {
		if recs, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, recs)
		}
	}
	if recs, err := Parse([]byte("no trace here\ninitially fine\n")); err != nil || len(recs) != 0 {
		t.Errorf("plain output: %v, %v", recs, err)
	}
}

func TestOverBudget(t *testing.T) {
	recs, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	got := OverBudget(recs, "github.com/convex-go/convex", []string{"github.com/convex-go/convex/commands"}, 4096)
	if len(got) != 1 || got[0].Package != "github.com/convex-go/convex/config" {
		t.Fatalf("OverBudget = %v, want only config", got)
	}
	if got := OverBudget(recs, "github.com/convex-go/convex", nil, 1<<20); len(got) != 0 {
		t.Fatalf("nothing is over a 1 MiB budget, got %v", got)
	}
}

// initBudget is the most a package of ours other than commands may
// allocate in its initialisers. The process's one copy of the environment
// (a few hundred bytes in the fixed environment below) is paid by
// whichever package reads it first.
const initBudget = 4 << 10

// TestBinaryInitAllocations builds the convex binary as it is released
// and checks, from the runtime's init trace of `convex --version`, that no
// package of ours except commands allocates more than initBudget at start.
// It counts allocations, which are deterministic, never time.
func TestBinaryInitAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root := moduleRoot(t)
	bin := filepath.Join(t.TempDir(), "convex")
	build := exec.Command(goTool, "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-ldflags", "-s -w", "-o", bin, ".")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// A fixed, small environment: the environment copy the first reader
	// pays for grows with it, and the check must not depend on the caller.
	run := exec.Command(bin, "--version")
	run.Env = []string{"GODEBUG=inittrace=1", "HOME=" + t.TempDir(), "TERM=dumb"}
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("convex --version: %v\nstdout: %s\nstderr: %s", err, stdout.Bytes(), stderr.Bytes())
	}
	recs, err := Parse(stderr.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatalf("no init trace in the output; GODEBUG=inittrace=1 had no effect:\n%s", stderr.Bytes())
	}
	const module = "github.com/convex-go/convex"
	if over := OverBudget(recs, module, []string{module + "/commands"}, initBudget); len(over) > 0 {
		lines := make([]string, len(over))
		for i, r := range over {
			lines[i] = "  " + r.String()
		}
		t.Fatalf("packages allocating more than %d bytes at start-up (build such values on first use, e.g. with internal/lazy):\n%s",
			initBudget, strings.Join(lines, "\n"))
	}
}

// moduleRoot is the directory holding this module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/convex-go/convex\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod of github.com/convex-go/convex not found above the test directory")
		}
		dir = parent
	}
}
