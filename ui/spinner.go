package ui

import (
	"fmt"
	"time"
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

const spinnerInterval = 80 * time.Millisecond

// Spinner shows progress on stderr. On a terminal it animates; elsewhere
// (pipes, CI, TERM=dumb) starting it prints "- <text>" once, text updates are
// silent, and only the final ✔/✖ line is printed, so logs stay readable.
type Spinner struct {
	p     *Printer
	text  string
	frame int
	done  chan struct{}
	ended bool
}

// Spinner starts a spinner with text. Only one runs at a time; starting a
// new one stops the previous one silently.
func (p *Printer) Spinner(text string) *Spinner {
	p.mu.Lock()
	if p.spin != nil {
		p.spin.stopLocked()
	}
	s := &Spinner{p: p, text: text, done: make(chan struct{})}
	p.spin = s
	if p.interactive {
		fmt.Fprint(p.err, "\x1b[?25l")
		s.drawLocked()
		go s.animate()
	} else {
		fmt.Fprintf(p.err, "- %s\n", text)
	}
	p.mu.Unlock()
	return s
}

func (s *Spinner) animate() {
	t := time.NewTicker(spinnerInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.p.mu.Lock()
			if !s.ended {
				s.frame = (s.frame + 1) % len(spinnerFrames)
				s.drawLocked()
			}
			s.p.mu.Unlock()
		}
	}
}

// Update changes the text (shown only on a terminal).
func (s *Spinner) Update(format string, args ...any) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.ended {
		return
	}
	s.text = fmt.Sprintf(format, args...)
	if s.p.interactive {
		s.drawLocked()
	}
}

// Succeed stops the spinner and prints "✔ <text>".
func (s *Spinner) Succeed(format string, args ...any) {
	s.finish(s.p.Paint("✔", Green) + " " + fmt.Sprintf(format, args...))
}

// Fail stops the spinner and prints "✖ <text>".
func (s *Spinner) Fail(format string, args ...any) {
	s.finish(s.p.Paint("✖", Red) + " " + fmt.Sprintf(format, args...))
}

// Stop removes the spinner without printing anything.
func (s *Spinner) Stop() {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.stopLocked()
}

func (s *Spinner) finish(line string) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.ended {
		return
	}
	s.stopLocked()
	fmt.Fprintln(s.p.err, line)
}

func (s *Spinner) stopLocked() {
	if s.ended {
		return
	}
	s.ended = true
	close(s.done)
	if s.p.interactive {
		s.clearLocked()
		fmt.Fprint(s.p.err, "\x1b[?25h")
	}
	if s.p.spin == s {
		s.p.spin = nil
	}
}

func (s *Spinner) drawLocked() {
	fmt.Fprintf(s.p.err, "\r\x1b[K%s %s", spinnerFrames[s.frame], s.text)
}

func (s *Spinner) clearLocked() {
	fmt.Fprint(s.p.err, "\r\x1b[K")
}
