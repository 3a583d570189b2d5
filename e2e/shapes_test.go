//go:build linux || darwin

package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/internal/syncbuf"
)

// Real projects are not all "package.json + convex/ at the root". Each
// subtest writes one small project of a shape seen in the wild, pushes it
// to a fresh local deployment with the built program (dev --once), calls a
// function through `convex run`, regenerates the bindings with `convex
// codegen`, and checks what the generated api names.

// shapeApp is one project under test and the environment it runs in.
type shapeApp struct {
	t    *testing.T
	bin  string
	root string // where the files are written
	dir  string // where commands run
	env  []string
}

// newShape writes files (path → content, relative to the project root) into
// a temporary directory, links the shared node_modules at modulesAt
// (relative to the root; "" makes a real node_modules at the root holding
// links to the shared packages) and runs commands in workDir (relative too).
func newShape(t *testing.T, files map[string]string, modulesAt, workDir string) *shapeApp {
	t.Helper()
	nm, err := filepath.Abs(filepath.Join("node", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nm, "convex", "package.json")); err != nil {
		t.Skip("e2e/node/node_modules is missing: run `npm ci` in e2e/node (scripts/test.sh does)")
	}
	bin, err := buildConvex()
	if err != nil {
		t.Fatalf("building convex: %v", err)
	}
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if modulesAt == "" {
		// A node_modules of its own (so workspace packages can be linked
		// into it) whose entries are the shared packages.
		own := filepath.Join(root, "node_modules")
		entries, err := os.ReadDir(nm)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(own, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := os.Symlink(filepath.Join(nm, e.Name()), filepath.Join(own, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	} else if err := os.Symlink(nm, filepath.Join(root, filepath.FromSlash(modulesAt), "node_modules")); err != nil {
		t.Fatal(err)
	}
	return &shapeApp{
		t: t, bin: bin, root: root, dir: filepath.Join(root, filepath.FromSlash(workDir)),
		env: freshEnv(t, "CONVEX_AGENT_MODE=anonymous", "CI=1"),
	}
}

// needPackage skips the test when e2e/node/node_modules lacks an npm
// package (a checkout whose `npm ci` predates it).
func needPackage(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("node", "node_modules", name, "package.json")); err != nil {
		t.Skipf("e2e/node/node_modules lacks %s: run `npm ci` in e2e/node", name)
	}
}

// linkWorkspacePackage links the root's node_modules/<name> to dir (relative
// to the root), as npm and pnpm do for workspace packages.
func (a *shapeApp) linkWorkspacePackage(name, dir string) {
	a.t.Helper()
	link := filepath.Join(a.root, "node_modules", filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		a.t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(a.root, filepath.FromSlash(dir)), link); err != nil {
		a.t.Fatal(err)
	}
}

// convex runs the program and returns its output and exit code.
func (a *shapeApp) convex(args ...string) (stdout, stderr string, code int) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, args...)
	cmd.Dir, cmd.Env = a.dir, a.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		a.t.Fatalf("convex %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// must runs the program and fails the test unless it exits 0.
func (a *shapeApp) must(args ...string) (stdout, stderr string) {
	a.t.Helper()
	out, errs, code := a.convex(args...)
	if code != 0 {
		a.t.Fatalf("convex %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out, errs
}

// devOnce pushes the project to its local deployment.
func (a *shapeApp) devOnce(extra ...string) string {
	a.t.Helper()
	args := append([]string{"dev", "--once", "--typecheck", "disable"}, freePortArgs(a.t)...)
	args = append(args, extra...)
	_, stderr := a.must(args...)
	if !strings.Contains(stderr, "Convex functions ready!") {
		a.t.Fatalf("dev --once did not report a finished push:\n%s", stderr)
	}
	return stderr
}

// run calls a function and returns its printed result without spaces.
func (a *shapeApp) run(fn string, args ...string) string {
	a.t.Helper()
	out, _ := a.must(append([]string{"run", fn}, args...)...)
	return strings.Join(strings.Fields(out), "")
}

// devProcess is a long-running `convex dev`.
type devProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncbuf.Buffer
	done   chan struct{}
}

// startDev starts `convex dev` (watching) on free ports; the test's
// cleanup stops it.
func (a *shapeApp) startDev() *devProcess {
	a.t.Helper()
	args := append([]string{"dev", "--typecheck", "disable", "--tail-logs", "disable"}, freePortArgs(a.t)...)
	d := &devProcess{t: a.t, cmd: exec.Command(a.bin, args...), stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	d.cmd.Dir, d.cmd.Env, d.cmd.Stderr = a.dir, a.env, d.stderr
	if err := d.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	a.t.Cleanup(d.stop)
	return d
}

// waitReady waits until dev has finished n pushes.
func (d *devProcess) waitReady(n int) {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for d.pushes() < n {
		select {
		case <-d.done:
			d.t.Fatalf("convex dev exited before push %d:\n%s", n, d.stderr.String())
		case <-deadline:
			d.t.Fatalf("convex dev did not finish push %d in 30s:\n%s", n, d.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pushes is how many pushes dev has finished so far.
func (d *devProcess) pushes() int {
	return strings.Count(d.stderr.String(), "Convex functions ready!")
}

// stop interrupts dev and waits for it to exit.
func (d *devProcess) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

func (a *shapeApp) write(name, content string) {
	a.t.Helper()
	if err := os.WriteFile(filepath.Join(a.root, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// eventually calls fn until it prints want (a push that started before an
// edit may finish after it, so the first answer can still be the old one).
func (a *shapeApp) eventually(want string, fn string, args ...string) {
	a.t.Helper()
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, _, code := a.convex(append([]string{"run", fn}, args...)...)
		if got = strings.Join(strings.Fields(out), ""); code == 0 && got == want {
			return
		}
	}
	a.t.Errorf("%s printed %s, want %s", fn, got, want)
}

// read returns a project file (relative to the project root).
func (a *shapeApp) read(name string) string {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.root, filepath.FromSlash(name)))
	if err != nil {
		a.t.Fatal(err)
	}
	return string(b)
}

func (a *shapeApp) exists(name string) bool {
	_, err := os.Stat(filepath.Join(a.root, filepath.FromSlash(name)))
	return err == nil
}

// apiNames checks that the generated api.d.ts (relative to the root)
// imports each module and does not import the excluded ones.
func (a *shapeApp) apiNames(apiPath string, modules []string, excluded []string) {
	a.t.Helper()
	api := a.read(apiPath)
	for _, m := range modules {
		if !strings.Contains(api, `from "../`+m+`.js";`) {
			a.t.Errorf("%s does not import module %s:\n%s", apiPath, m, api)
		}
	}
	for _, m := range excluded {
		if strings.Contains(api, `"../`+m) {
			a.t.Errorf("%s imports %s, which is not an entry point:\n%s", apiPath, m, api)
		}
	}
}

// codegen deletes api.d.ts and checks `convex codegen` writes it again.
func (a *shapeApp) codegen(apiPath string, modules []string) {
	a.t.Helper()
	if err := os.Remove(filepath.Join(a.root, filepath.FromSlash(apiPath))); err != nil {
		a.t.Fatal(err)
	}
	a.must("codegen", "--typecheck", "disable")
	a.apiNames(apiPath, modules, nil)
}

const shapePackageJSON = `{ "name": "shape", "private": true, "dependencies": { "convex": "1.48.0" } }
`

// convexTsconfig is what `codegen --init` writes, plus the project's own
// compiler options.
func convexTsconfig(extra string) string {
	return `{
  /* Type-checks the Convex functions. */
  "compilerOptions": {
    "allowJs": true,
    "strict": true,
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "skipLibCheck": true,
    "allowSyntheticDefaultImports": true,
    "target": "ESNext",
    "lib": ["ES2023", "dom"],
    "forceConsistentCasingInFileNames": true,
    "module": "ESNext",
    "isolatedModules": true,
    "noEmit": true` + extra + `
  },
  "include": ["./**/*"],
  "exclude": ["./_generated"]
}
`
}

func TestShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and pushes several apps")
	}

	t.Run("functions_dir_elsewhere", func(t *testing.T) {
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"convex.json":  `{ "functions": "src/backend/" }`,
			"src/backend/messages.ts": `import { query } from "./_generated/server";
export const hello = query({ args: {}, handler: async () => "hello from src/backend" });
`,
		}, ".", ".")
		dev := a.startDev()
		dev.waitReady(1)
		if got := a.run("messages:hello"); got != `"hellofromsrc/backend"` {
			t.Errorf("messages:hello printed %s", got)
		}
		// A new file in the functions directory is pushed by the watcher.
		seen := dev.pushes()
		a.write("src/backend/extra.ts", `import { query } from "./_generated/server";
export const more = query({ args: {}, handler: async () => "added while watching" });
`)
		dev.waitReady(seen + 1)
		a.eventually(`"addedwhilewatching"`, "extra:more")
		dev.stop()
		a.apiNames("src/backend/_generated/api.d.ts", []string{"messages", "extra"}, nil)
		a.apiNames("src/backend/_generated/api.d.ts", []string{"messages"}, nil)
		if a.exists("convex") {
			t.Errorf("a convex/ directory was created although convex.json names src/backend/")
		}
		a.codegen("src/backend/_generated/api.d.ts", []string{"messages"})
	})

	t.Run("create_react_app", func(t *testing.T) {
		// No convex.json, react-scripts in package.json: functions live
		// in src/convex/ (create-react-app refuses imports outside src/).
		a := newShape(t, map[string]string{
			"package.json": `{ "name": "cra", "private": true, "dependencies": { "convex": "1.48.0", "react-scripts": "5.0.1" } }` + "\n",
			"src/convex/hello.ts": `import { query } from "./_generated/server";
export const hi = query({ args: {}, handler: async () => "from src/convex" });
`,
		}, ".", ".")
		a.devOnce()
		if got := a.run("hello:hi"); got != `"fromsrc/convex"` {
			t.Errorf("hello:hi printed %s", got)
		}
		a.apiNames("src/convex/_generated/api.d.ts", []string{"hello"}, nil)
		if a.exists("convex") {
			t.Errorf("a convex/ directory was created in a create-react-app project")
		}
	})

	t.Run("deploy_self_hosted", func(t *testing.T) {
		needPackage(t, "zod")
		// deploy takes the same shapes: functions elsewhere, a helper and
		// a package from outside the functions directory.
		r := startBackend(t, "shapes-deploy")
		a := newShape(t, map[string]string{
			"package.json":  shapePackageJSON,
			"convex.json":   `{ "functions": "backend/" }`,
			"lib/format.ts": "export const shout = (s: string): string => s.toUpperCase() + \"!\";\n",
			"backend/greet.ts": `import { z } from "zod";
import { query } from "./_generated/server";
import { shout } from "../lib/format";
export const hello = query({ args: {}, handler: async () => shout(z.string().parse("deployed")) });
`,
		}, ".", ".")
		a.env = append(freshEnv(t), "CONVEX_SELF_HOSTED_URL="+r.CloudURL, "CONVEX_SELF_HOSTED_ADMIN_KEY="+r.AdminKey, "CI=1")
		_, stderr := a.must("deploy", "--typecheck", "disable")
		if !strings.Contains(stderr, "Deployed Convex functions to "+r.CloudURL) {
			t.Errorf("deploy did not confirm the push:\n%s", stderr)
		}
		if got := a.run("greet:hello"); got != `"DEPLOYED!"` {
			t.Errorf("greet:hello printed %s", got)
		}
		a.apiNames("backend/_generated/api.d.ts", []string{"greet"}, nil)
	})

	t.Run("framework_env_files", func(t *testing.T) {
		// The client URL goes into the variable the frontend framework
		// exposes to the browser; what the user had in .env.local stays.
		for _, c := range []struct {
			name, deps, existing, urlVar, siteVar string
		}{
			{"nextjs", `"next": "15.0.0"`, "# payments\nSTRIPE_KEY=sk_test_123\n", "NEXT_PUBLIC_CONVEX_URL", "NEXT_PUBLIC_CONVEX_SITE_URL"},
			{"vite", `"vite": "6.0.0"`, "", "VITE_CONVEX_URL", "VITE_CONVEX_SITE_URL"},
			{"sveltekit", `"@sveltejs/kit": "2.0.0"`, "", "PUBLIC_CONVEX_URL", "PUBLIC_CONVEX_SITE_URL"},
		} {
			t.Run(c.name, func(t *testing.T) {
				files := map[string]string{
					"package.json": `{ "name": "web", "private": true, "dependencies": { "convex": "1.48.0", ` + c.deps + ` } }` + "\n",
					"convex/hi.ts": `import { query } from "./_generated/server";
export const hi = query({ args: {}, handler: async () => "hi" });
`,
				}
				if c.existing != "" {
					files[".env.local"] = c.existing
				}
				a := newShape(t, files, ".", ".")
				a.devOnce()
				env := a.read(".env.local")
				if !strings.HasPrefix(env, c.existing) {
					t.Errorf(".env.local lost what was there:\n%s", env)
				}
				for _, want := range []string{"CONVEX_DEPLOYMENT=anonymous:", c.urlVar + "=http://127.0.0.1:", c.siteVar + "=http://127.0.0.1:"} {
					if !strings.Contains(env, "\n"+want) && !strings.HasPrefix(env, want) {
						t.Errorf(".env.local lacks %s:\n%s", want, env)
					}
				}
				if got := a.run("hi:hi"); got != `"hi"` {
					t.Errorf("hi:hi printed %s", got)
				}
			})
		}
	})

	t.Run("commonjs_api", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is not on PATH")
		}
		// generateCommonJSApi: a CommonJS script (an older Node server)
		// requires the api and names functions with it.
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"convex.json":  `{ "generateCommonJSApi": true }`,
			"convex/admin/stats.ts": `import { query } from "../_generated/server";
export const count = query({ args: {}, handler: async () => 42 });
`,
			"server.cjs": `const { api } = require("./convex/_generated/api_cjs.cjs");
const { getFunctionName } = require("convex/server");
console.log(getFunctionName(api.admin.stats.count));
`,
		}, ".", ".")
		a.devOnce()
		for _, f := range []string{"api_cjs.cjs", "api_cjs.d.cts", "api.js", "api.d.ts"} {
			if !a.exists("convex/_generated/" + f) {
				t.Errorf("_generated/%s is missing", f)
			}
		}
		cmd := exec.Command("node", "server.cjs")
		cmd.Dir = a.dir
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "admin/stats:count" {
			t.Errorf("node server.cjs: %v\n%s", err, out)
		}
		if got := a.run("admin/stats:count"); got != "42" {
			t.Errorf("admin/stats:count printed %s", got)
		}
	})

	t.Run("functions_dir_created", func(t *testing.T) {
		// A new deployment sets up the functions directory convex.json
		// names when it does not exist yet.
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"convex.json":  `{ "functions": "server/convex/" }`,
		}, ".", ".")
		a.devOnce()
		for _, f := range []string{"server/convex/README.md", "server/convex/tsconfig.json", "server/convex/_generated/api.d.ts"} {
			if !a.exists(f) {
				t.Errorf("dev --once did not write %s", f)
			}
		}
		if a.exists("convex") {
			t.Errorf("a convex/ directory was created although convex.json names server/convex/")
		}
	})

	t.Run("monorepo_workspace", func(t *testing.T) {
		// npm/pnpm workspaces: packages hoisted to the root node_modules,
		// a workspace package linked there and shipped as TypeScript source.
		a := newShape(t, map[string]string{
			"package.json":          `{ "name": "repo", "private": true, "workspaces": ["apps/*", "packages/*"] }` + "\n",
			"apps/web/package.json": `{ "name": "web", "private": true, "dependencies": { "convex": "1.48.0", "@repo/shared": "*" } }` + "\n",
			"packages/shared/package.json": `{ "name": "@repo/shared", "private": true, "type": "module",
  "exports": { ".": "./src/index.ts" } }` + "\n",
			"packages/shared/src/index.ts": `export const normalize = (s: string): string => s.trim().toLowerCase();
`,
			"apps/web/convex/todo.ts": `import { mutation, query } from "./_generated/server";
import { v } from "convex/values";
import { normalize } from "@repo/shared";
export const add = mutation({ args: { text: v.string() }, handler: (ctx, { text }) => ctx.db.insert("todos", { text: normalize(text) }) });
export const texts = query({ args: {}, handler: async (ctx) => (await ctx.db.query("todos").collect()).map((t) => t.text) });
export const norm = query({ args: { text: v.string() }, handler: async (_ctx, { text }) => normalize(text) });
`,
		}, "", "apps/web")
		a.linkWorkspacePackage("@repo/shared", "packages/shared")
		dev := a.startDev()
		dev.waitReady(1)
		a.run("todo:add", `{"text":"  From APPS/web "}`)
		if got := a.run("todo:texts"); got != `["fromapps/web"]` {
			t.Errorf("todo:texts printed %s", got)
		}
		// Editing the workspace package (reached through a symlink in
		// node_modules) pushes again.
		time.Sleep(100 * time.Millisecond)
		seen := dev.pushes()
		a.write("packages/shared/src/index.ts", "export const normalize = (s: string): string => s.trim().toUpperCase();\n")
		dev.waitReady(seen + 1)
		a.eventually(`"AGAIN"`, "todo:norm", `{"text":" again "}`)
		dev.stop()
		a.apiNames("apps/web/convex/_generated/api.d.ts", []string{"todo"}, nil)
		if !strings.Contains(a.read("apps/web/.env.local"), "CONVEX_DEPLOYMENT=anonymous:") {
			t.Errorf("apps/web/.env.local does not name the deployment:\n%s", a.read("apps/web/.env.local"))
		}
		if a.exists(".env.local") {
			t.Errorf("the repository root got a .env.local; the app is apps/web")
		}
		a.codegen("apps/web/convex/_generated/api.d.ts", []string{"todo"})
	})

	t.Run("functions_dir_outside_project", func(t *testing.T) {
		// The app in apps/web, its functions in a sibling package that
		// convex.json points at with "../".
		a := newShape(t, map[string]string{
			"package.json":          `{ "name": "repo", "private": true, "workspaces": ["apps/*", "packages/*"] }` + "\n",
			"apps/web/package.json": shapePackageJSON,
			"apps/web/convex.json":  `{ "functions": "../../packages/backend/convex/", "fromANewerCLI": true }`,
			"packages/backend/convex/notes.ts": `import { query } from "./_generated/server";
export const where = query({ args: {}, handler: async () => "packages/backend" });
`,
		}, ".", "apps/web")
		// A key this version does not know is warned about, not fatal.
		if stderr := a.devOnce(); !strings.Contains(stderr, "fromANewerCLI") {
			t.Errorf("no warning about the unknown convex.json key:\n%s", stderr)
		}
		if got := a.run("notes:where"); got != `"packages/backend"` {
			t.Errorf("notes:where printed %s", got)
		}
		a.apiNames("packages/backend/convex/_generated/api.d.ts", []string{"notes"}, nil)
		if a.exists("apps/web/convex") {
			t.Errorf("apps/web/convex was created although convex.json points elsewhere")
		}
		a.codegen("packages/backend/convex/_generated/api.d.ts", []string{"notes"})
	})

	t.Run("imports_outside_functions_dir", func(t *testing.T) {
		needPackage(t, "zod")
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"lib/format.ts": `export function shout(s: string): string {
  return s.toUpperCase() + "!";
}
`,
			"convex/greet.ts": `import { z } from "zod";
import { v } from "convex/values";
import { query } from "./_generated/server";
import { shout } from "../lib/format";
import greetings from "../data/greetings.json";

const Name = z.string().min(2, "a name has at least two letters");

export const hello = query({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => shout(Name.parse(name)),
});

export const welcome = query({ args: {}, handler: async () => greetings.welcome });
`,
			"data/greetings.json": `{ "welcome": "hello from json" }`,
		}, ".", ".")
		// Watching: the helper outside convex/ is an input of the push, so
		// editing it pushes again.
		dev := a.startDev()
		dev.waitReady(1)
		if got := a.run("greet:hello", `{"name":"ann"}`); got != `"ANN!"` {
			t.Errorf("greet:hello printed %s", got)
		}
		time.Sleep(100 * time.Millisecond) // a new mtime, whatever the clock's granularity
		seen := dev.pushes()
		a.write("lib/format.ts", `export function shout(s: string): string {
  return s.toUpperCase() + "?!";
}
`)
		dev.waitReady(seen + 1)
		a.eventually(`"ANN?!"`, "greet:hello", `{"name":"ann"}`)
		dev.stop()
		if got := a.run("greet:welcome"); got != `"hellofromjson"` {
			t.Errorf("greet:welcome printed %s", got)
		}
		_, stderr, code := a.convex("run", "greet:hello", `{"name":"x"}`)
		if code == 0 || !strings.Contains(stderr, "a name has at least two letters") {
			t.Errorf("zod's refusal did not reach run (exit %d):\n%s", code, stderr)
		}
		a.apiNames("convex/_generated/api.d.ts", []string{"greet"}, []string{"lib/format", "../lib"})
		a.codegen("convex/_generated/api.d.ts", []string{"greet"})
	})

	t.Run("typescript_and_javascript", func(t *testing.T) {
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"lib/math.ts":  "export const double = (n: number): number => n * 2;\n",
			"convex/tsconfig.json": convexTsconfig(`,
    "paths": { "@lib/*": ["../lib/*"] }`),
			"convex/features.ts": `import { query } from "./_generated/server";
import { double } from "@lib/math";

enum Color { Red = "red", Green = "green" }
const Shade = { Light: 1, Dark: 2 } as const;
type Palette = { primary: Color; level: number };
const palette = { primary: Color.Green, level: Shade.Dark } satisfies Palette;

class Counter {
  #n = 0;
  constructor(private readonly step: number) {}
  next(): number { this.#n += this.step; return this.#n; }
}

export const describe = query({
  args: {},
  handler: async () => {
    const c = new Counter(double(palette.level));
    c.next();
    return { color: palette.primary, count: c.next(), missing: (palette as any).other?.x ?? "none" };
  },
});
`,
			"convex/plain.js": `import { query } from "./_generated/server";
export const hello = query({ args: {}, handler: async () => "from js" });
`,
			"convex/esm.mjs": `import { queryGeneric } from "convex/server";
export const hello = queryGeneric({ args: {}, handler: async () => "from mjs" });
`,
			"convex/typed.mts": `import { queryGeneric } from "convex/server";
export const hello = queryGeneric({ args: {}, handler: async (): Promise<string> => "from mts" });
`,
			"convex/view.tsx": `import { query } from "./_generated/server";
const label = <T extends string>(s: T) => s;
export const hello = query({ args: {}, handler: async () => label("from tsx") });
`,
		}, ".", ".")
		a.devOnce()
		if got := a.run("features:describe"); got != `{"color":"green","count":8,"missing":"none"}` {
			t.Errorf("features:describe printed %s", got)
		}
		if got := a.run("plain:hello"); got != `"fromjs"` {
			t.Errorf("plain:hello printed %s", got)
		}
		if got := a.run("esm:hello"); got != `"frommjs"` {
			t.Errorf("esm:hello printed %s", got)
		}
		for fn, want := range map[string]string{"typed:hello": `"frommts"`, "view:hello": `"fromtsx"`} {
			if got := a.run(fn); got != want {
				t.Errorf("%s printed %s", fn, got)
			}
		}
		mods := []string{"features", "plain", "esm", "typed", "view"}
		a.apiNames("convex/_generated/api.d.ts", mods, []string{"lib/math"})
		a.codegen("convex/_generated/api.d.ts", mods)
	})

	t.Run("tsconfig_extends_root_paths", func(t *testing.T) {
		// Next.js style: the alias lives in the project's tsconfig.json and
		// convex/tsconfig.json extends it; esbuild reads both.
		a := newShape(t, map[string]string{
			"package.json":         shapePackageJSON,
			"tsconfig.json":        `{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./src/*"] } } }`,
			"src/lib/money.ts":     "export const cents = (n: number): number => Math.round(n * 100);\n",
			"convex/tsconfig.json": `{ "extends": "../tsconfig.json", "compilerOptions": { "strict": true, "noEmit": true } }`,
			"convex/pay.ts": `import { query } from "./_generated/server";
import { cents } from "@/lib/money";
export const total = query({ args: {}, handler: async () => cents(12.345) });
`,
		}, ".", ".")
		a.devOnce()
		if got := a.run("pay:total"); got != "1235" {
			t.Errorf("pay:total printed %s", got)
		}
	})

	t.Run("entry_point_rules", func(t *testing.T) {
		a := newShape(t, map[string]string{
			"package.json":     shapePackageJSON,
			"convex/README.md": "# Functions\n",
			"convex/notes.txt": "not code\n",
			// Would fail to bundle (vitest is not installed) if it were an entry point.
			"convex/tasks.test.ts": `import { test } from "vitest";
test("nothing", () => {});
`,
			"convex/my.module.ts": `import { query } from "./_generated/server";
export const hidden = query({ args: {}, handler: async () => "never pushed" });
`,
			"convex/with space.ts": `import { query } from "./_generated/server";
export const hidden = query({ args: {}, handler: async () => "never pushed" });
`,
			"convex/.hidden.ts": `export const x = 1;
`,
			"convex/types.ts": "// only a comment, no import or export\n",
			"convex/env.d.ts": "declare namespace NodeJS { interface ProcessEnv { API_KEY?: string } }\nexport {};\n",
			"convex/lib/strings.ts": `export const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
`,
			"convex/_private/secret.ts": `import { internalQuery } from "../_generated/server";
export const get = internalQuery({ args: {}, handler: async () => "private" });
`,
			"convex/defaults.ts": `import { query } from "./_generated/server";
export default query({ args: {}, handler: async () => "the default export" });
`,
			"convex/v2/some_file.ts": `import { query } from "../_generated/server";
export const get = query({ args: {}, handler: async () => "underscored" });
`,
			"convex/admin/users.ts": `import { query } from "../_generated/server";
import { title } from "../lib/strings";
import { exclaim } from "../shared/punctuation";
export const list = query({ args: {}, handler: async () => [title("ada"), exclaim(title("grace"))] });
`,
			// Shared with other apps through a link: importable, but (as
			// with npx convex) its files are not modules.
			"shared/punctuation.ts": "export const exclaim = (s: string) => s + \"!\";\n",
		}, ".", ".")
		if err := os.Symlink(filepath.Join(a.root, "shared"), filepath.Join(a.root, "convex", "shared")); err != nil {
			t.Fatal(err)
		}
		a.devOnce()
		if got := a.run("admin/users:list"); got != `["Ada","Grace!"]` {
			t.Errorf("admin/users:list printed %s", got)
		}
		if got := a.run("_private/secret:get"); got != `"private"` {
			t.Errorf("_private/secret:get printed %s", got)
		}
		if got := a.run("defaults"); got != `"thedefaultexport"` {
			t.Errorf("defaults printed %s", got)
		}
		if got := a.run("v2/some_file:get"); got != `"underscored"` {
			t.Errorf("v2/some_file:get printed %s", got)
		}
		// A file with two dots is not a module (like *.test.ts and
		// auth.config.ts), so its function does not exist.
		_, stderr, code := a.convex("run", "my.module:hidden")
		if code == 0 || !strings.Contains(stderr, "my.module:hidden") {
			t.Errorf("my.module:hidden should not exist (exit %d):\n%s", code, stderr)
		}
		a.apiNames("convex/_generated/api.d.ts", []string{"admin/users", "lib/strings", "_private/secret"},
			[]string{"tasks.test", "my.module", "with space", ".hidden", "types", "README", "shared/punctuation", "env.d"})
		api := a.read("convex/_generated/api.d.ts")
		for _, want := range []string{`"admin/users": typeof admin_users;`, `"v2/some_file": typeof v2_some_file;`} {
			if !strings.Contains(api, want) {
				t.Errorf("api.d.ts lacks %s:\n%s", want, api)
			}
		}
		a.codegen("convex/_generated/api.d.ts", []string{"admin/users", "lib/strings"})
	})

	t.Run("rejected_shapes", func(t *testing.T) {
		cases := []struct {
			name  string
			files map[string]string
			want  []string
		}{
			{"deps_dir", map[string]string{
				"convex/_deps/util.ts": "export const x = 1;\n",
			}, []string{`_deps`, "reserved for dependencies", "move your code to another directory"}},
			{"actions_without_use_node", map[string]string{
				"convex/actions/send.ts": `import { action } from "../_generated/server";
export const send = action({ args: {}, handler: async () => null });
`,
			}, []string{"actions/send.ts", `"use node"`}},
			{"use_node_in_crons", map[string]string{
				"convex/crons.ts": `"use node";
import { cronJobs } from "convex/server";
export default cronJobs();
`,
			}, []string{`"use node" directive is not allowed for crons.ts`, "Remove the directive"}},
			{"functions_dir_is_a_file", map[string]string{
				"convex.json": `{ "functions": "notes.txt" }`,
				"notes.txt":   "not a directory\n",
			}, []string{"notes.txt is a file, not a directory", `"functions" in convex.json`}},
		}
		cases = append(cases, []struct {
			name  string
			files map[string]string
			want  []string
		}{
			{"dash_in_module_path", map[string]string{
				// Deployments refuse module paths with "-" (as any
				// character but letters, digits, "_" and ".").
				"convex/lib/identity-signing.ts": "export const sign = (s: string) => s;\n",
			}, []string{"lib/identity-signing.ts cannot be a Convex module", `"-"`, `"identity_signing"`}},
			{"local_component", map[string]string{
				// The built-in backend runs no components yet.
				"convex/convex.config.ts": `import { defineApp } from "convex/server";
import counter from "./counter/convex.config";
const app = defineApp();
app.use(counter);
export default app;
`,
				"convex/counter/convex.config.ts": `import { defineComponent } from "convex/server";
export default defineComponent("counter");
`,
				"convex/counter/lib.ts": `import { query } from "./_generated/server";
export const get = query({ args: {}, handler: async () => 1 });
`,
			}, []string{"components", "counter", "convex.config.ts"}},
			{"alias_only_in_root_tsconfig", map[string]string{
				// A new deployment writes convex/tsconfig.json, which is
				// then the one esbuild reads for convex/ (as with npx
				// convex): the project's "paths" no longer apply.
				"tsconfig.json": `{ "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }`,
				"src/money.ts":  "export const cents = (n: number) => n * 100;\n",
				"convex/pay.ts": "import { cents } from \"@/money\";\nexport const c = cents;\n",
			}, []string{`Could not resolve "@/money"`, `"@/money" can only be a path alias`, "tsconfig.json nearest to the importing file"}},
			{"query_in_use_node_file", map[string]string{
				"convex/nodey.ts": `"use node";
import { query } from "./_generated/server";
export const list = query({ args: {}, handler: async () => [] });
`,
			}, []string{"list", "nodey", "action"}},
			{"syntax_error", map[string]string{
				"convex/broken.ts": "import { v } from \"convex/values\";\nexport const x = ;\n",
			}, []string{"convex/broken.ts:2:", "Unexpected"}},
			{"missing_package", map[string]string{
				"convex/uses.ts": "import { nanoid } from \"nanoid\";\nexport const id = nanoid();\n",
			}, []string{`Could not resolve "nanoid"`, "convex/uses.ts", "`npm install nanoid`"}},
			{"node_api_without_use_node", map[string]string{
				"convex/files.ts": "import { readFileSync } from \"fs\";\nexport const f = () => readFileSync(\"x\");\n",
			}, []string{`"fs"`, `"use node"`}},
			{"convex_not_a_dependency", map[string]string{
				"package.json": `{ "name": "x", "private": true }`,
				"convex/a.ts":  "export const a = 1;\n",
			}, []string{"add `convex` to your package.json dependencies"}},
			{"no_package_json", map[string]string{
				"package.json": "",
				"convex/a.ts":  "export const a = 1;\n",
			}, []string{"package.json", "root directory"}},
		}...)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				files := map[string]string{"package.json": shapePackageJSON}
				for k, v := range c.files {
					files[k] = v
					if v == "" {
						delete(files, k)
					}
				}
				a := newShape(t, files, ".", ".")
				args := append([]string{"dev", "--once", "--typecheck", "disable"}, freePortArgs(t)...)
				_, stderr, code := a.convex(args...)
				if code == 0 {
					t.Fatalf("dev --once accepted the project:\n%s", stderr)
				}
				t.Logf("exit %d:\n%s", code, stderr)
				for _, w := range c.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("the error does not say %q:\n%s", w, stderr)
					}
				}
				seen := map[string]bool{}
				for _, line := range strings.Split(stderr, "\n") {
					if line = strings.TrimSpace(line); len(line) > 20 && seen[line] {
						t.Errorf("the error repeats %q", line)
					}
					seen[line] = true
				}
			})
		}
	})

	t.Run("use_node_next_to_isolate", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is not on PATH")
		}
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"convex/digest.ts": `"use node";
import { createHash } from "node:crypto";
import { v } from "convex/values";
import { action } from "./_generated/server";
import { internal } from "./_generated/api";

export const store = action({
  args: { text: v.string() },
  handler: async (ctx, { text }): Promise<string> => {
    const digest = createHash("sha256").update(text).digest("hex");
    await ctx.runMutation(internal.notes.add, { digest });
    return digest;
  },
});
`,
			"convex/notes.ts": `import { v } from "convex/values";
import { internalMutation, query } from "./_generated/server";

export const add = internalMutation({ args: { digest: v.string() }, handler: (ctx, a) => ctx.db.insert("notes", a) });
export const list = query({ args: {}, handler: async (ctx) => (await ctx.db.query("notes").collect()).map((n) => n.digest) });
`,
		}, ".", ".")
		a.devOnce()
		const sum = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		if got := a.run("digest:store", `{"text":"abc"}`); got != `"`+sum+`"` {
			t.Errorf("digest:store printed %s", got)
		}
		if got := a.run("notes:list"); got != `["`+sum+`"]` {
			t.Errorf("notes:list printed %s", got)
		}
		a.apiNames("convex/_generated/api.d.ts", []string{"digest", "notes"}, nil)
		a.codegen("convex/_generated/api.d.ts", []string{"digest", "notes"})
	})

	t.Run("path_with_spaces", func(t *testing.T) {
		// Projects live in "~/My Drive/…" too: spaces and non-ASCII in the
		// path above the functions directory, through bundling, codegen
		// and tsc.
		const at = "My Drive (work)/café app"
		a := newShape(t, map[string]string{
			at + "/package.json":         shapePackageJSON,
			at + "/convex/tsconfig.json": convexTsconfig(""),
			at + "/convex/hello.ts": `import { query } from "./_generated/server";
export const hi = query({ args: {}, handler: async (): Promise<string> => "hi" });
`,
		}, at, at)
		args := append([]string{"dev", "--once", "--typecheck", "enable"}, freePortArgs(t)...)
		a.must(args...)
		if got := a.run("hello:hi"); got != `"hi"` {
			t.Errorf("hello:hi printed %s", got)
		}
		a.apiNames(at+"/convex/_generated/api.d.ts", []string{"hello"}, nil)
	})

	t.Run("full_app", func(t *testing.T) {
		// Everything a grown app has next to its functions: schema with
		// indexes, HTTP routes, crons, auth config, an app definition.
		a := newShape(t, map[string]string{
			"package.json": shapePackageJSON,
			"convex/schema.ts": `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  posts: defineTable({ title: v.string(), views: v.number() }).index("by_title", ["title"]),
});
`,
			"convex/posts.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { title: v.string() },
  handler: async (ctx, { title }) => await ctx.db.insert("posts", { title, views: 0 }),
});

export const byTitle = query({
  args: { title: v.string() },
  handler: async (ctx, { title }) => {
    const post = await ctx.db.query("posts").withIndex("by_title", (q) => q.eq("title", title)).unique();
    return { title: post?.title ?? null, views: post?.views ?? null };
  },
});
`,
			"convex/http.ts": `import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
const http = httpRouter();
http.route({ path: "/ping", method: "GET", handler: httpAction(async () => new Response("pong")) });
export default http;
`,
			"convex/crons.ts": `import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";
const crons = cronJobs();
crons.daily("tidy", { hourUTC: 3, minuteUTC: 0 }, internal.tidy.run, {});
export default crons;
`,
			"convex/tidy.ts": `import { internalMutation } from "./_generated/server";
export const run = internalMutation({ args: {}, handler: async () => null });
`,
			"convex/auth.config.ts": `export default { providers: [{ domain: "https://auth.example.com", applicationID: "convex" }] };
`,
			"convex/convex.config.ts": `import { defineApp } from "convex/server";
const app = defineApp();
export default app;
`,
		}, ".", ".")
		// HTTP actions are served while dev runs the deployment.
		dev := a.startDev()
		dev.waitReady(1)
		a.run("posts:create", `{"title":"hello"}`)
		if got := a.run("posts:byTitle", `{"title":"hello"}`); got != `{"title":"hello","views":0}` {
			t.Errorf("posts:byTitle printed %s", got)
		}
		env := a.read(".env.local")
		i := strings.Index(env, "CONVEX_SITE_URL=")
		if i < 0 {
			t.Fatalf(".env.local has no CONVEX_SITE_URL:\n%s", env)
		}
		site := strings.TrimSpace(strings.SplitN(env[i+len("CONVEX_SITE_URL="):], "\n", 2)[0])
		resp, err := http.Get(site + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "pong" {
			t.Errorf("GET /ping answered %d %q", resp.StatusCode, body)
		}
		dev.stop()
		a.apiNames("convex/_generated/api.d.ts", []string{"posts", "tidy", "http", "crons"},
			[]string{"auth.config", "convex.config", "schema"})
		a.codegen("convex/_generated/api.d.ts", []string{"posts", "tidy"})
	})

	t.Run("node_external_packages", func(t *testing.T) {
		needPackage(t, "zod")
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is not on PATH")
		}
		// A "use node" file in a subdirectory, importing a package that
		// convex.json asks to keep out of the bundle (for the deployment to
		// install).
		a := newShape(t, map[string]string{
			"package.json": `{ "name": "shape", "private": true, "dependencies": { "convex": "1.48.0", "zod": "3.23.8" } }` + "\n",
			"convex.json":  `{ "node": { "externalPackages": ["zod"] } }`,
			"convex/node/check.ts": `"use node";
import { z } from "zod";
import { v } from "convex/values";
import { action } from "../_generated/server";

export const email = action({
  args: { s: v.string() },
  handler: async (_ctx, { s }) => z.string().email().safeParse(s).success,
});
`,
		}, ".", ".")
		// The built-in backend installs no packages: it refuses the push
		// and says what to do.
		args := append([]string{"dev", "--once", "--typecheck", "disable"}, freePortArgs(t)...)
		_, stderr, code := a.convex(args...)
		if code == 0 || !strings.Contains(stderr, "node.externalPackages") || !strings.Contains(stderr, "bundle them instead") {
			t.Errorf("dev --once with external packages (exit %d):\n%s", code, stderr)
		}
		// Bundled instead, the same code runs.
		a.write("convex.json", `{ "node": { "externalPackages": [] } }`)
		a.devOnce()
		if got := a.run("node/check:email", `{"s":"ann@example.com"}`); got != "true" {
			t.Errorf("node/check:email printed %s", got)
		}
		if got := a.run("node/check:email", `{"s":"nope"}`); got != "false" {
			t.Errorf("node/check:email printed %s", got)
		}
		a.apiNames("convex/_generated/api.d.ts", []string{"node/check"}, nil)
	})

	t.Run("typescript_codegen_files", func(t *testing.T) {
		a := newShape(t, map[string]string{
			"package.json":         shapePackageJSON,
			"convex.json":          `{ "codegen": { "fileType": "ts", "staticApi": true } }`,
			"convex/tsconfig.json": convexTsconfig(""),
			"convex/count.ts": `import { query } from "./_generated/server";
import { api } from "./_generated/api";
export const three = query({ args: {}, returns: v.number(), handler: async () => 3 });
import { v } from "convex/values";
export const ref = api.count.three;
`,
		}, ".", ".")
		args := append([]string{"dev", "--once", "--typecheck", "enable"}, freePortArgs(t)...)
		a.must(args...)
		if got := a.run("count:three"); got != "3" {
			t.Errorf("count:three printed %s", got)
		}
		for _, f := range []string{"api.ts", "server.ts", "dataModel.ts"} {
			if !a.exists("convex/_generated/" + f) {
				t.Errorf("_generated/%s is missing", f)
			}
		}
		if a.exists("convex/_generated/api.d.ts") || a.exists("convex/_generated/api.js") {
			t.Errorf("_generated still has the js/dts files")
		}
		if api := a.read("convex/_generated/api.ts"); !strings.Contains(api, `three: FunctionReference<"query", "public", {}, number>;`) {
			t.Errorf("api.ts is not the static api:\n%s", api)
		}
		a.must("codegen", "--typecheck", "enable")
	})

	t.Run("static_api_typechecked", func(t *testing.T) {
		a := newShape(t, map[string]string{
			"package.json":         shapePackageJSON,
			"convex.json":          `{ "$schema": "./node_modules/convex/schemas/convex.schema.json", "codegen": { "staticApi": true } }`,
			"convex/tsconfig.json": convexTsconfig(""),
			"convex/schema.ts": `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({ items: defineTable({ name: v.string(), qty: v.number() }) });
`,
			"convex/items.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";

export const add = mutation({
  args: { name: v.string(), qty: v.number() },
  returns: v.id("items"),
  handler: async (ctx, args): Promise<Id<"items">> => ctx.db.insert("items", args),
});

export const total = query({
  args: {},
  returns: v.number(),
  handler: async (ctx) => (await ctx.db.query("items").collect()).reduce((n, i) => n + i.qty, 0),
});

// The static api must type this reference.
export const totalRef = api.items.total;
`,
		}, ".", ".")
		args := append([]string{"dev", "--once", "--typecheck", "enable"}, freePortArgs(t)...)
		_, stderr := a.must(args...)
		if !strings.Contains(stderr, "Convex functions ready!") {
			t.Fatalf("dev --once did not report a finished push:\n%s", stderr)
		}
		if strings.Contains(stderr, "Unknown propert") {
			t.Errorf("$schema in convex.json was warned about:\n%s", stderr)
		}
		a.run("items:add", `{"name":"bolt","qty":3}`)
		a.run("items:add", `{"name":"nut","qty":4}`)
		if got := a.run("items:total"); got != "7" {
			t.Errorf("items:total printed %s", got)
		}
		api := a.read("convex/_generated/api.d.ts")
		for _, want := range []string{
			`total: FunctionReference<"query", "public", {}, number>;`,
			`add: FunctionReference<"mutation", "public", { name: string, qty: number }, Id<"items">>;`,
		} {
			if !strings.Contains(api, want) {
				t.Errorf("static api.d.ts lacks %q:\n%s", want, api)
			}
		}
		if strings.Contains(api, "ApiFromModules") {
			t.Errorf("static api.d.ts still derives the api from the modules:\n%s", api)
		}
		a.must("codegen", "--typecheck", "enable")
		if !strings.Contains(a.read("convex/_generated/api.d.ts"), "total: FunctionReference<") {
			t.Errorf("codegen lost the static api")
		}
		// A wrong argument through the static api fails the push.
		a.write("convex/caller.ts", `import { api } from "./_generated/api";
import { action } from "./_generated/server";
export const addOne = action({ args: {}, handler: async (ctx) => { await ctx.runMutation(api.items.add, { name: "x", qty: "1" }); } });
`)
		args = append([]string{"dev", "--once", "--typecheck", "enable"}, freePortArgs(t)...)
		_, stderr, code := a.convex(args...)
		if code == 0 || !strings.Contains(stderr, "TypeScript typecheck via `tsc` failed") || !strings.Contains(stderr, "caller.ts") ||
			!strings.Contains(stderr, "--typecheck=disable") {
			t.Errorf("a type error was not reported clearly (exit %d):\n%s", code, stderr)
		}
	})
}
