//go:build linux || darwin

package ui

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/creack/pty"
)

// probeChild is set in the environment of the copy of this test binary
// that TestNoTerminalQueryAtStart runs on a pseudo-terminal.
const probeChild = "CONVEX_UI_TEST_PROBE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(probeChild) != "" {
		term, ok := os.LookupEnv("TERM")
		fmt.Printf("TERM=%q set=%v dark=%v\n", term, ok, lipgloss.HasDarkBackground())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A terminal that never answers queries must not delay start-up, and no
// query may be written to it; TERM must reach the program unchanged.
func TestNoTerminalQueryAtStart(t *testing.T) {
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"xterm", []string{"TERM=xterm-256color"}, `TERM="xterm-256color" set=true dark=true`},
		{"no TERM", nil, `TERM="" set=false dark=true`},
		{"light background", []string{"TERM=xterm", "COLORFGBG=0;15"}, `TERM="xterm" set=true dark=false`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append([]string{probeChild + "=1", "PATH=" + os.Getenv("PATH")}, c.env...)
			start := time.Now()
			tty, err := pty.Start(cmd)
			if err != nil {
				t.Skip("no pseudo-terminal:", err)
			}
			defer tty.Close()
			var out bytes.Buffer
			copied := make(chan struct{})
			go func() { io.Copy(&out, tty); close(copied) }()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("program did not exit")
			}
			elapsed := time.Since(start)
			select { // the rest of the output, up to the terminal's EOF
			case <-copied:
			case <-time.After(2 * time.Second):
			}
			if err != nil {
				t.Fatalf("child: %v\n%q", err, out.String())
			}
			s := out.String()
			if strings.Contains(s, "]11;?") || strings.Contains(s, "\x1b[6n") {
				t.Errorf("terminal was queried: %q", s)
			}
			if !strings.Contains(s, c.want) {
				t.Errorf("child reported %q, want %q", s, c.want)
			}
			if elapsed > time.Second {
				t.Errorf("start-up took %v on a silent terminal", elapsed)
			}
		})
	}
}
