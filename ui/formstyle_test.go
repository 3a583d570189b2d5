package ui

import (
	"bytes"
	"testing"

	"github.com/muesli/termenv"
)

func TestDarkBackground(t *testing.T) {
	for _, c := range []struct {
		in   string
		dark bool
	}{
		{"", true},             // nothing exported: assume dark
		{"15;0", true},         // white on black
		{"0;15", false},        // black on white
		{"0;7", false},         // black on silver
		{"15;default;0", true}, // rxvt's three-field form
		{"0;default", true},    // unreadable: assume dark
		{"0;", true},
		{"0;-1", true},
		{"0;256", true},
		{"garbage", true},
		{"0;231", false}, // 256-colour white
		{"15;16", true},  // 256-colour black
	} {
		if got := DarkBackground(c.in); got != c.dark {
			t.Errorf("DarkBackground(%q) = %v, want %v", c.in, got, c.dark)
		}
	}
}

func TestFormProfile(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	var buf bytes.Buffer
	for _, c := range []struct {
		name   string
		getenv func(string) string
		want   termenv.Profile
	}{
		{"not a terminal", env("TERM", "xterm-256color"), termenv.Ascii},
		{"forced, 256 colours", env("FORCE_COLOR", "1", "TERM", "xterm-256color"), termenv.ANSI256},
		{"forced, true colour", env("FORCE_COLOR", "1", "COLORTERM", "truecolor"), termenv.TrueColor},
		{"forced, unknown terminal", env("FORCE_COLOR", "1"), termenv.ANSI},
		{"FORCE_COLOR=0 is not forcing", env("FORCE_COLOR", "0", "TERM", "xterm-256color"), termenv.Ascii},
	} {
		if got := FormProfile(&buf, c.getenv); got != c.want {
			t.Errorf("%s: FormProfile = %v, want %v", c.name, got, c.want)
		}
	}
}
