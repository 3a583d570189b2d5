//go:build linux || darwin

package auth

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/convex-go/convex/config"
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
