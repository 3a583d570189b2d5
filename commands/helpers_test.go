package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
)

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with a fresh temp dir as HOME and cwd.
func run(t *testing.T, env config.MapEnv, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	if env == nil {
		env = config.MapEnv{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = dir
	}
	var out, errb bytes.Buffer
	d := &Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Cwd: dir}
	code := RunWith(context.Background(), d, args)
	return result{code, out.String(), errb.String()}
}
