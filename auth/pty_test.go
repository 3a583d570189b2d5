//go:build linux || darwin

package auth

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/internal/syncbuf"
	"github.com/convex-go/convex/ui"
)

// ptyPrompt runs ask against a Prompter on a fresh pseudo-terminal and
// types keys into it.
// A zero cols value leaves the terminal size unset, as some
// pseudo-terminals do.
func ptyPrompt(t *testing.T, cols uint16, keys string, ask func(Prompter) (any, error)) (any, error) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pty:", err)
	}
	if cols > 0 {
		if err := pty.Setsize(tty, &pty.Winsize{Rows: 24, Cols: cols}); err != nil {
			t.Fatal(err)
		}
	}
	defer master.Close()
	defer tty.Close()
	go io.Copy(io.Discard, master)
	p := NewPrompter(tty, tty, config.MapEnv{})
	if !IsInteractive(p) {
		t.Fatal("pty not seen as a terminal")
	}
	type res struct {
		v   any
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := ask(p)
		done <- res{v, err}
	}()
	time.Sleep(300 * time.Millisecond)
	master.Write([]byte(keys))
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("prompt did not finish")
	}
	return nil, nil
}

// In a real terminal the prompter draws huh forms; Ctrl-C must come back
// as ui.Interrupted (exit 130).
func TestTerminalPrompterInPTY(t *testing.T) {
	confirm := func(p Prompter) (any, error) { return p.Confirm("Continue?", true) }
	if _, err := ptyPrompt(t, 0, "\x03", confirm); !errors.Is(err, ui.Interrupted) || ui.ExitCode(err) != 130 {
		t.Errorf("Ctrl-C: %v", err)
	}
	if v, err := ptyPrompt(t, 0, "\r", confirm); err != nil || v != true {
		t.Errorf("Enter: %v %v", v, err)
	}
	sel := func(p Prompter) (any, error) { return p.Select("Team:", []string{"a", "b", "c"}) }
	if v, err := ptyPrompt(t, 0, "\x1b[B\r", sel); err != nil || v != 1 {
		t.Errorf("Select: %v %v", v, err)
	}
	in := func(p Prompter) (any, error) { return p.Input("Project name:", "chat") }
	if v, err := ptyPrompt(t, 0, "\r", in); err != nil || v != "chat" {
		t.Errorf("Input default: %v %v", v, err)
	}
	if _, err := ptyPrompt(t, 0, "\x03", in); !errors.Is(err, ui.Interrupted) {
		t.Errorf("Input Ctrl-C: %v", err)
	}
	if v, err := ptyPrompt(t, 100, "my-app\r", in); err != nil || v != "my-app" {
		t.Errorf("Input typed: %v %v", v, err)
	}
	if v, err := ptyPrompt(t, 100, "\x1b[B\x1b[B\r", sel); err != nil || v != 2 {
		t.Errorf("Select sized: %v %v", v, err)
	}
}

// promptChild is set in the environment of the copy of this test binary
// that TestPromptAtSilentTerminal runs on a pseudo-terminal: it asks one
// question on its own stdin/stderr, as the CLI does, and prints the answer.
const promptChild = "CONVEX_AUTH_TEST_PROMPT_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(promptChild) != "" {
		p := NewPrompter(os.Stdin, os.Stderr, config.MapEnv{})
		v, err := p.Confirm("Continue?", false)
		fmt.Printf("answer=%v err=%v\n", v, err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lockedBuffer collects what the child writes to its terminal.
type lockedBuffer = syncbuf.Buffer

// A terminal that never answers queries (this pseudo-terminal) must get
// the prompt at once, and must not be sent the background-colour or
// cursor-position queries that would otherwise stall start-up for seconds.
func TestPromptAtSilentTerminal(t *testing.T) {
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for _, c := range []struct {
		env    []string
		colour string // an escape the form must use; "" for no colour at all
	}{
		{[]string{"TERM=xterm-256color"}, "\x1b[38;5;"},
		{[]string{"TERM=xterm-256color", "NO_COLOR=1"}, ""},
		{nil, "\x1b[90m"}, // a terminal without TERM gets 16 colours
	} {
		env := c.env
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append([]string{promptChild + "=1", "PATH=" + os.Getenv("PATH")}, env...)
		start := time.Now()
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
		if err != nil {
			t.Skip("no pseudo-terminal:", err)
		}
		var out lockedBuffer
		copied := make(chan struct{})
		go func() { io.Copy(&out, tty); close(copied) }()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()

		// Wait for the whole form: its key help line follows the question.
		var shown time.Duration
		for shown == 0 {
			s := out.String()
			if i := strings.Index(s, "Continue?"); i >= 0 && strings.Contains(s[i:], "submit") {
				shown = time.Since(start)
				break
			}
			select {
			case err := <-done:
				t.Fatalf("%v: exited (%v) before the prompt: %q", env, err, s)
			case <-time.After(10 * time.Millisecond):
			}
			if time.Since(start) > 10*time.Second {
				cmd.Process.Kill()
				t.Fatalf("%v: no prompt within 10s: %q", env, s)
			}
		}
		if shown > time.Second {
			t.Errorf("%v: prompt took %v to appear", env, shown)
		}
		tty.Write([]byte("y"))
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: prompt did not finish: %q", env, out.String())
		}
		select {
		case <-copied:
		case <-time.After(2 * time.Second):
		}
		tty.Close()
		s := out.String()
		if err != nil || !strings.Contains(s, "answer=true err=<nil>") {
			t.Errorf("%v: %v; screen: %q", env, err, s)
		}
		if strings.Contains(s, "]11;?") || strings.Contains(s, "\x1b[6n") {
			t.Errorf("%v: terminal was queried: %q", env, s)
		}
		if c.colour == "" && sgr.MatchString(s) || c.colour != "" && !strings.Contains(s, c.colour) {
			t.Errorf("%v: want colour %q; screen: %q", env, c.colour, s)
		}
	}
}
