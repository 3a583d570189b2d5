package store

import (
	"regexp"
	"strings"
	"testing"
)

// isIdentifier must agree with the naming rule it replaces.
func TestIsIdentifier(t *testing.T) {
	re := regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)
	cases := []string{"", "a", "Z", "_a", "1a", "a1", "a_b", "a-b", "ab c", "é", "a\x00", strings.Repeat("a", 64), strings.Repeat("a", 65), "messages", "by_channel", "A9_"}
	for _, c := range cases {
		if got, want := isIdentifier(c, 64), re.MatchString(c); got != want {
			t.Errorf("isIdentifier(%q, 64) = %v, regexp says %v", c, got, want)
		}
	}
	if isIdentifier(strings.Repeat("a", 41), 40) || !isIdentifier(strings.Repeat("a", 40), 40) {
		t.Error("the length limit is not applied")
	}
}
