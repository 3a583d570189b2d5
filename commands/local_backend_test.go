//go:build unix

package commands

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/internal/syncbuf"
)

// lockedBuffer is written by the backend while the test reads it.
type lockedBuffer = syncbuf.Buffer

// TestLocalBackendCtrlC starts the built-in backend through the CLI, as a
// local deployment would, and presses Ctrl-C: the process must exit 130.
func TestLocalBackendCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a backend")
	}
	dir := t.TempDir()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run([]string{
			"local-backend", "--port", "0", "--site-proxy-port", "0", "--interface", "127.0.0.1",
			"--instance-secret", strings.Repeat("ab", 32),
			"--local-storage", filepath.Join(dir, "storage"), filepath.Join(dir, "db.sqlite3"),
		}, strings.NewReader(""), &out, &errb, config.MapEnv{"HOME": dir})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String()+errb.String(), "listening") {
		select {
		case code := <-done:
			t.Fatalf("backend exited early with %d:\n%s%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend did not start:\n%s%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Run is listening for SIGINT now, so this does not end the test binary.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit code after Ctrl-C = %d, want 130", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("backend did not stop after Ctrl-C")
	}
}
