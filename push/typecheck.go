package push

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/convex-go/convex/internal/lazy"
)

// TypecheckMode is --typecheck: "enable", "try" or "disable".
type TypecheckMode string

const (
	TypecheckEnable  TypecheckMode = "enable"
	TypecheckTry     TypecheckMode = "try"
	TypecheckDisable TypecheckMode = "disable"
)

// Typechecker runs the project's TypeScript compiler over the functions.
type Typechecker struct {
	Mode TypecheckMode
	// Compiler is "tsc" (default) or "tsgo".
	Compiler string
	// ProjectDir is where node_modules is looked up (the cwd in the reference).
	ProjectDir string
	Stderr     io.Writer
	Progress   func(string)
	// Node is the node executable (default "node" from PATH).
	Node string
	// Files receives the files tsc read (--listFiles), for watching.
	Files []string
}

// compilerPath finds the compiler script under node_modules.
func (t *Typechecker) compilerPath() string {
	var candidates []string
	if t.Compiler == "tsgo" {
		candidates = []string{"node_modules/@typescript/native-preview/bin/tsgo", "node_modules/@typescript/native-preview/bin/tsgo.js"}
	} else {
		candidates = []string{"node_modules/@typescript/native/bin/tsc", "node_modules/typescript/bin/tsc"}
	}
	for _, c := range candidates {
		p := filepath.Join(t.ProjectDir, filepath.FromSlash(c))
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

var tsVersion = lazy.Regexp(`Version (\d+)\.(\d+)\.(\d+)`)

func (t *Typechecker) stderr() io.Writer {
	if t.Stderr == nil {
		return io.Discard
	}
	return t.Stderr
}

// Check type-checks functionsDir. It returns nil when the code type-checks
// or when checking is impossible and the mode tolerates that.
func (t *Typechecker) Check(ctx context.Context, functionsDir string) error {
	if t.Mode == TypecheckDisable || t.Mode == "" {
		return nil
	}
	compiler := t.Compiler
	if compiler == "" {
		compiler = "tsc"
	}
	cantCheck := func(lines ...string) error {
		if t.Mode != TypecheckEnable {
			return nil
		}
		for _, l := range lines {
			fmt.Fprintln(t.stderr(), l)
		}
		fmt.Fprintln(t.stderr(), "To ignore failing typecheck, use `--typecheck=disable`.")
		return &Error{Kind: InvalidFiles, Msg: "TypeScript typecheck could not run", Printed: true}
	}
	if _, err := os.Stat(filepath.Join(functionsDir, "tsconfig.json")); err != nil {
		return cantCheck("Found no convex/tsconfig.json to use to typecheck Convex functions, so skipping typecheck.",
			"Run `npx convex codegen --init` to create one.")
	}
	path := t.compilerPath()
	node := t.Node
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); path == "" || err != nil {
		return cantCheck(fmt.Sprintf("No `%s` binary found, so skipping typecheck.", compiler))
	}
	if out, err := exec.CommandContext(ctx, node, path, "--version").Output(); err == nil {
		if m := tsVersion.Get().FindStringSubmatch(string(out)); m != nil && olderThan(m[1:], 4, 8, 4) {
			fmt.Fprintln(t.stderr(), "Convex works best with TypeScript version 4.8.4 or newer -- npm i --save-dev typescript@latest to update.")
		}
	}
	slow := time.AfterFunc(10*time.Second, func() {
		if t.Progress != nil {
			t.Progress("Still running TypeScript... see https://docs.convex.dev/cli/troubleshooting/typecheck-performance to troubleshoot.")
		}
	})
	defer slow.Stop()
	cmd := exec.CommandContext(ctx, node, path, "--project", functionsDir, "--listFiles")
	cmd.Dir = t.ProjectDir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	t.Files = t.Files[:0]
	for _, line := range strings.Split(out.String(), "\n") {
		if line = strings.TrimSpace(line); filepath.IsAbs(line) {
			t.Files = append(t.Files, line)
		}
	}
	if err == nil || strings.HasPrefix(out.String(), "error TS18003") {
		return nil
	}
	fmt.Fprintf(t.stderr(), "✖ TypeScript typecheck via `%s` failed.\n", compiler)
	fmt.Fprintln(t.stderr(), "To ignore failing typecheck, use `--typecheck=disable`.")
	// Run again with readable output; if the files changed meanwhile and it
	// passes now, the failure is moot.
	again := exec.CommandContext(ctx, node, path, "--project", functionsDir, "--pretty", "true")
	again.Dir = t.ProjectDir
	again.Stdout = t.stderr()
	again.Stderr = t.stderr()
	if again.Run() == nil {
		return nil
	}
	return &Error{Kind: InvalidFiles, Msg: "TypeScript typecheck failed", Printed: true}
}

func olderThan(v []string, major, minor, patch int) bool {
	n := make([]int, 3)
	for i := range n {
		n[i], _ = strconv.Atoi(v[i])
	}
	want := []int{major, minor, patch}
	for i := range n {
		if n[i] != want[i] {
			return n[i] < want[i]
		}
	}
	return false
}
