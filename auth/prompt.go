package auth

import (
	"errors"
	"io"
	"os"

	"github.com/charmbracelet/huh"
	"golang.org/x/term"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// Prompter asks the user questions. In a terminal it shows huh forms;
// otherwise every call fails with a *ui.Error naming the question (and,
// through WithAnswer, the flag or variable that answers it). Ctrl-C in a
// prompt returns ui.Interrupted (exit 130).
type Prompter interface {
	Select(q string, options []string) (int, error)
	Input(q, def string) (string, error)
	Confirm(q string, def bool) (bool, error)
}

// PrompterOptions configures NewPrompterWith.
type PrompterOptions struct {
	In io.Reader // answers (stdin)
	// Out is where forms are drawn; nil means stderr. Never stdout: it
	// carries a command's results only, and a question there would end up
	// in a script's captured output.
	Out         io.Writer
	Interactive bool
	// Accessible draws plain line-based prompts instead of the full-screen
	// forms (screen readers; set by the ACCESSIBLE variable).
	Accessible bool
}

// NewPrompter prompts on in/out when both stdin and stderr are terminals,
// and is non-interactive otherwise.
func NewPrompter(in, out *os.File, env config.Env) Prompter {
	return NewPrompterWith(PrompterOptions{
		In:          in,
		Out:         out,
		Interactive: ui.IsTerminal(in) && ui.IsTerminal(out),
		Accessible:  env != nil && env.Get("ACCESSIBLE") != "",
	})
}

// NewPrompterWith builds a Prompter from explicit options (tests, embedding).
func NewPrompterWith(o PrompterOptions) Prompter {
	if !o.Interactive {
		return nonInteractive{}
	}
	if o.Out == nil {
		o.Out = os.Stderr
	}
	if o.In == nil {
		o.In = os.Stdin
	}
	return &terminal{o: o}
}

// WithAnswer returns a Prompter whose non-interactive errors tell the user
// that answeredBy (a flag like "--device-name" or a variable) answers the
// question without a prompt. Interactive prompters are returned unchanged.
func WithAnswer(p Prompter, answeredBy string) Prompter {
	if n, ok := p.(nonInteractive); ok {
		n.answeredBy = answeredBy
		return n
	}
	return p
}

// IsInteractive reports whether p actually asks (false for the
// non-interactive Prompter).
func IsInteractive(p Prompter) bool {
	_, no := p.(nonInteractive)
	return !no
}

// nonInteractive prints nothing: the question appears only in the error,
// which goes to stderr with every other message.
type nonInteractive struct {
	answeredBy string
}

func (n nonInteractive) fail(q string) error {
	e := ui.Errorf("Cannot ask %q in a non-interactive terminal", q)
	if n.answeredBy != "" {
		return e.WithHint("Answer it with %s, or run the command in a terminal.", n.answeredBy)
	}
	return e.WithHint("Run the command in an interactive terminal.")
}

func (n nonInteractive) Select(q string, _ []string) (int, error) { return 0, n.fail(q) }
func (n nonInteractive) Input(q, _ string) (string, error)        { return "", n.fail(q) }
func (n nonInteractive) Confirm(q string, _ bool) (bool, error)   { return false, n.fail(q) }

type terminal struct{ o PrompterOptions }

// run shows one field. The form's adaptive colours never query the
// terminal: package ui fixes the background and colour depth at start-up.
func (t *terminal) run(f huh.Field) error {
	form := huh.NewForm(huh.NewGroup(f)).
		WithInput(t.o.In).
		WithOutput(t.o.Out).
		WithShowHelp(true).
		WithAccessible(t.o.Accessible)
	// A terminal that reports no width (some pseudo-terminals do) makes huh's
	// text input compute a negative width and panic; give it a sane one.
	if f, ok := t.o.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err != nil || w < 20 {
			form = form.WithWidth(80)
		}
	}
	return mapRunErr(form.Run())
}

// mapRunErr turns Ctrl-C (huh's abort) into ui.Interrupted, exit 130.
func mapRunErr(err error) error {
	if errors.Is(err, huh.ErrUserAborted) {
		return ui.Interrupted
	}
	if err != nil {
		return ui.Wrap(err, "prompt failed")
	}
	return nil
}

func (t *terminal) Select(q string, options []string) (int, error) {
	if len(options) == 0 {
		return 0, ui.Errorf("nothing to choose from for %q", q)
	}
	opts := make([]huh.Option[int], len(options))
	for i, o := range options {
		opts[i] = huh.NewOption(o, i)
	}
	choice := 0
	s := huh.NewSelect[int]().Title(q).Options(opts...).Value(&choice).Filtering(len(options) > 7)
	if len(options) > 10 {
		s = s.Height(12)
	}
	if err := t.run(s); err != nil {
		return 0, err
	}
	return choice, nil
}

func (t *terminal) Input(q, def string) (string, error) {
	var v string
	in := huh.NewInput().Title(q).Value(&v)
	if def != "" {
		in = in.Placeholder(def)
	}
	if err := t.run(in); err != nil {
		return "", err
	}
	if v == "" {
		v = def
	}
	return v, nil
}

func (t *terminal) Confirm(q string, def bool) (bool, error) {
	v := def
	if err := t.run(huh.NewConfirm().Title(q).Value(&v).Affirmative("Yes").Negative("No")); err != nil {
		return false, err
	}
	return v, nil
}
