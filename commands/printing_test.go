package commands

import (
	"os"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
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

// env list prints names only for the same coding agents as the npm CLI.
func TestAgentName(t *testing.T) {
	cases := []struct {
		env  config.MapEnv
		want string
	}{
		{config.MapEnv{}, ""},
		{config.MapEnv{"AI_AGENT": "  "}, ""},
		{config.MapEnv{"AI_AGENT": " my-agent "}, "my-agent"},
		{config.MapEnv{"AI_AGENT": "github-copilot-cli"}, "github-copilot"},
		{config.MapEnv{"CONVEX_AGENT_MODE": "1", "AI_AGENT": "x"}, "CONVEX_AGENT_MODE"},
		{config.MapEnv{"CURSOR_TRACE_ID": "t"}, "cursor"},
		{config.MapEnv{"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"}, "cursor-cli"},
		{config.MapEnv{"CURSOR_EXTENSION_HOST_ROLE": "other"}, ""},
		{config.MapEnv{"CODEX_THREAD_ID": "1"}, "codex"},
		{config.MapEnv{"CLAUDE_CODE": "1"}, "claude"},
		{config.MapEnv{"CLAUDECODE": "1", "CLAUDE_CODE_IS_COWORK": "1"}, "cowork"},
		{config.MapEnv{"REPL_ID": "r"}, "replit"},
		{config.MapEnv{"COPILOT_MODEL": "m"}, "github-copilot"},
		{config.MapEnv{"OPENCODE_CLIENT": "c", "CLAUDECODE": "1"}, "opencode"},
	}
	if _, err := os.Stat("/opt/.devin"); err == nil {
		t.Skip("this machine looks like Devin's")
	}
	for _, c := range cases {
		if got := agentName(c.env); got != c.want {
			t.Errorf("agentName(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}

// JSON5 numbers JSON cannot hold are sent as Convex's $float.
func TestRelaxedJSONNonFiniteNumbers(t *testing.T) {
	cases := map[string]string{
		"[Infinity, -Infinity, +Infinity]": `[{"$float":"AAAAAAAA8H8="},{"$float":"AAAAAAAA8P8="},{"$float":"AAAAAAAA8H8="}]`,
		"[NaN, -NaN]":                      `[{"$float":"AAAAAAAA+H8="},{"$float":"AAAAAAAA+H8="}]`,
		"[1e400, -1e400]":                  `[{"$float":"AAAAAAAA8H8="},{"$float":"AAAAAAAA8P8="}]`,
		"[0x10, -.5, 5., +1, 1e-400]":      `[16,-0.5,5,1,1e-400]`,
	}
	for in, want := range cases {
		got, err := relaxedJSON(in)
		if err != nil || string(got) != want {
			t.Errorf("relaxedJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"Infinit", "-", "1e", "Nan"} {
		if got, err := relaxedJSON(bad); err == nil {
			t.Errorf("relaxedJSON(%s) = %s, want an error", bad, got)
		}
	}
}

func TestRelaxedJSONStringEscapes(t *testing.T) {
	got, err := relaxedJSON(`["\x41\xe9", "\v", 'a\` + "\r\n" + `b', "\q"]`)
	if want := `["Aé","\u000b","ab","q"]`; err != nil || string(got) != want {
		t.Errorf("relaxedJSON = %s, %v; want %s", got, err, want)
	}
	if _, err := relaxedJSON(`"\xZ1"`); err == nil {
		t.Error(`"\xZ1" was accepted`)
	}
	for in, want := range map[string]string{`"\x4`: `bad \x escape`, `"\u12`: `bad \u escape`, `"\uZZZZ"`: `bad \u escape`} {
		if _, err := relaxedJSON(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("relaxedJSON(%s): %v, want %q", in, err, want)
		}
	}
}
