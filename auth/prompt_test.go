package auth

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/huh"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

func TestNonInteractivePrompter(t *testing.T) {
	p := NewPrompterWith(PrompterOptions{})
	if IsInteractive(p) {
		t.Fatal("should not be interactive")
	}
	check := func(err error, q, hint string) {
		t.Helper()
		var ue *ui.Error
		if !asUI(err, &ue) || !strings.Contains(ue.Msg, q) || !strings.Contains(ue.Msg, "non-interactive") || !strings.Contains(ue.Hint, hint) || ui.ExitCode(err) != 1 {
			t.Errorf("err = %v (hint %q)", err, ui.HintOf(err))
		}
	}
	_, err := p.Select("What would you like to configure?", []string{"a", "b"})
	check(err, "What would you like to configure?", "terminal")
	_, err = WithAnswer(p, "--device-name").Input("Device name:", "host")
	check(err, "Device name:", "--device-name")
	_, err = WithAnswer(p, "--no-open").Confirm("Open the browser?", true)
	check(err, "Open the browser?", "--no-open")
}

// captureStdio runs f with the process's stdout and stderr redirected to
// pipes and returns what each received.
func captureStdio(t *testing.T, f func()) (stdout, stderr string) {
	t.Helper()
	read := func(r *os.File, into *string, done chan<- struct{}) {
		b, _ := io.ReadAll(r)
		*into = string(b)
		close(done)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outDone, errDone := make(chan struct{}), make(chan struct{})
	go read(outR, &stdout, outDone)
	go read(errR, &stderr, errDone)
	savedOut, savedErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outW, errW
	defer func() {
		os.Stdout, os.Stderr = savedOut, savedErr
		outW.Close()
		errW.Close()
		<-outDone
		<-errDone
	}()
	f()
	return
}

// stdout carries results only: no question reaches it, whether the
// prompter can ask or not.
func TestPromptsNeverWriteStdout(t *testing.T) {
	var errs []error
	stdout, stderr := captureStdio(t, func() {
		for _, p := range []Prompter{NewPrompterWith(PrompterOptions{}), NewPrompter(os.Stdin, os.Stderr, config.MapEnv{})} {
			_, err := WithAnswer(p, "--yes").Confirm("Do you want to push your code to your prod deployment brave-animal-101 now?", true)
			errs = append(errs, err)
			_, err = p.Select("Team:", []string{"a", "b"})
			errs = append(errs, err)
			_, err = p.Input("Device name:", "box")
			errs = append(errs, err)
		}
	})
	if stdout != "" || stderr != "" {
		t.Errorf("a non-interactive prompter printed: stdout %q, stderr %q", stdout, stderr)
	}
	for _, err := range errs {
		if !strings.Contains(ui.HintOf(err), "terminal") {
			t.Errorf("err = %v", err)
		}
	}
	// A terminal prompter given no output draws on stderr.
	var got bool
	stdout, stderr = captureStdio(t, func() {
		p := NewPrompterWith(PrompterOptions{In: strings.NewReader("y\n"), Interactive: true, Accessible: true})
		got, errs[0] = p.Confirm("Continue?", false)
	})
	if errs[0] != nil || !got {
		t.Errorf("Confirm = %v, %v", got, errs[0])
	}
	if stdout != "" || !strings.Contains(stderr, "Continue?") {
		t.Errorf("terminal prompt: stdout %q, stderr %q", stdout, stderr)
	}
}

func TestNewPrompterWithPipesIsNonInteractive(t *testing.T) {
	r, w, err := osPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsInteractive(NewPrompter(r, w, config.MapEnv{})) {
		t.Error("pipes treated as a terminal")
	}
}

// Accessible mode draws line-based prompts, so the terminal prompter can be
// driven through plain readers.
func TestTerminalPrompterAccessible(t *testing.T) {
	newP := func(input string) (Prompter, *bytes.Buffer) {
		var out bytes.Buffer
		return NewPrompterWith(PrompterOptions{In: strings.NewReader(input), Out: &out, Interactive: true, Accessible: true}), &out
	}
	p, out := newP("2\n")
	i, err := p.Select("Team:", []string{"Alpha (alpha)", "Beta (beta)", "Gamma (gamma)"})
	if err != nil || i != 1 {
		t.Errorf("Select = %d, %v", i, err)
	}
	if !strings.Contains(out.String(), "Team:") || !strings.Contains(out.String(), "Beta (beta)") {
		t.Errorf("output %q", out.String())
	}
	p, _ = newP("\n")
	if v, err := p.Input("Project name:", "chat"); err != nil || v != "chat" {
		t.Errorf("Input default = %q, %v", v, err)
	}
	p, _ = newP("my-app\n")
	if v, err := p.Input("Project name:", "chat"); err != nil || v != "my-app" {
		t.Errorf("Input = %q, %v", v, err)
	}
	p, _ = newP("n\n")
	if v, err := p.Confirm("Continue?", true); err != nil || v {
		t.Errorf("Confirm = %v, %v", v, err)
	}
	p, _ = newP("\n")
	if v, err := p.Confirm("Continue?", true); err != nil || !v {
		t.Errorf("Confirm default = %v, %v", v, err)
	}
	if WithAnswer(p, "--x") != p {
		t.Error("WithAnswer changed an interactive prompter")
	}
	if _, err := p.Select("Empty:", nil); err == nil {
		t.Error("empty select accepted")
	}
}

func TestPromptAbortIsInterrupted(t *testing.T) {
	err := mapRunErr(huh.ErrUserAborted)
	if !errors.Is(err, ui.Interrupted) || ui.ExitCode(err) != 130 {
		t.Errorf("abort -> %v (exit %d)", err, ui.ExitCode(err))
	}
	if err := mapRunErr(errors.New("boom")); ui.ExitCode(err) != 1 {
		t.Errorf("other error exit %d", ui.ExitCode(err))
	}
}
