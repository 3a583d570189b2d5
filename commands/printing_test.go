package commands

import (
	"testing"
)

// The arguments must be an object: null and an empty string are refused
// (exit 1) before anything is called, as by the npm CLI.
func TestRunRefusesNonObjectArgs(t *testing.T) {
	d := &Deps{Cwd: t.TempDir()}
	for _, args := range []string{"", "null", "[1]", `"x"`, "1"} {
		if _, _, _, err := d.parseRunCall("messages:list", args, ""); err == nil {
			t.Errorf("arguments %q were accepted", args)
		}
	}
	if _, got, _, err := d.parseRunCall("messages:list", "{name: 'x'}", ""); err != nil || string(got) != `{"name":"x"}` {
		t.Errorf("relaxed arguments: %s, %v", got, err)
	}
}
