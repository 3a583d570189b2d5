package commands

import (
	"encoding/json"
	"testing"
)

// Results are printed with strings written as JSON.stringify writes them,
// whatever escaping the deployment chose.
func TestRequoteStrings(t *testing.T) {
	cases := map[string]string{
		`{"a":"\u003cb\u0026c\u003e","k\"q":["\u2028",1e+21,null]}`: "{\"a\":\"<b&c>\",\"k\\\"q\":[\"\u2028\",1e+21,null]}",
		`"\ud83d\ude00 \u0001 \\u2028"`:                             "\"😀 \\u0001 \\\\u2028\"",
		`[1, "x" , true]`:                                           `[1, "x" , true]`,
		`"unterminated`:                                             `"unterminated`,
		`"bad \x escape"`:                                           `"bad \x escape"`,
	}
	for in, want := range cases {
		if got := string(requoteStrings(json.RawMessage(in))); got != want {
			t.Errorf("requoteStrings(%s) = %s, want %s", in, got, want)
		}
	}
}

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
