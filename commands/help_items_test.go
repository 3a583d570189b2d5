package commands

import (
	"regexp"
	"testing"
)

// TestListItemMatchers holds the list-item readers of the help wrapper to
// the patterns they stand for.
func TestListItemMatchers(t *testing.T) {
	marker := regexp.MustCompile(`^(• |- |\d+\. )`)
	example := regexp.MustCompile(`^• ([^:]+): (convex .*)$`)
	lines := []string{
		"", "•", "• ", "•x", "- ", "-x", "--flag", "1. one", "12. twelve", "1.two", ". x", "1 . x",
		"• Set one: convex env set NAME 'value'", "• Label: not convex", "• a: b: convex x",
		"• a:convex x", "• : convex x", "• Label: convex", "• Label: convex ", "• L: convex x: y",
		"x • Label: convex y", "•  Label: convex y", "• é: convex ü",
	}
	for _, l := range lines {
		if got, want := itemMarker(l), marker.FindString(l); got != want {
			t.Errorf("itemMarker(%q) = %q, want %q", l, got, want)
		}
		label, ex, ok := exampleItem(l)
		m := example.FindStringSubmatch(l)
		if ok != (m != nil) || (ok && (label != m[1] || ex != m[2])) {
			t.Errorf("exampleItem(%q) = %q %q %v, want %q", l, label, ex, ok, m)
		}
	}
}
