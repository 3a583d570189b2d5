// Command clibench times whole CLI runs of convex-go against the reference
// npm CLI on the chat fixture app, and the start-up of the standalone
// backend. bench/run.sh drives it; it is not part of the test suite.
//
//	clibench compare -ours /tmp/convex -ref e2e/node/node_modules/.bin/convex \
//	    -app /work/shared/fixtures/apps/chat -node-modules e2e/node/node_modules -runs 5
//	clibench time -n 20 -- /tmp/convex --version
//	clibench pool -key startup.ours.version round1.json round2.json
//
// Every measurement prints one tab-separated line:
//
//	key  median  min  max  n  unit
//
// Runs of ours and of the reference alternate, so that load from other
// processes on the machine spreads over both sides alike.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clibench compare|time|pool [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "compare":
		err = compareMain(os.Args[2:])
	case "time":
		err = timeMain(os.Args[2:])
	case "pool":
		err = poolMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clibench:", err)
		os.Exit(1)
	}
}

// stats collects samples of one measurement.
type stats struct {
	key, unit string
	vals      []float64
}

func (s *stats) add(v float64) { s.vals = append(s.vals, v) }

func (s *stats) line() string {
	if len(s.vals) == 0 {
		return fmt.Sprintf("%s\tNA\tNA\tNA\t0\t%s", s.key, s.unit)
	}
	v := append([]float64(nil), s.vals...)
	sort.Float64s(v)
	var med float64
	if n := len(v); n%2 == 1 {
		med = v[n/2]
	} else {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return fmt.Sprintf("%s\t%.1f\t%.1f\t%.1f\t%d\t%s", s.key, med, v[0], v[len(v)-1], len(v), s.unit)
}

// timeMain is the fallback for start-up timing when hyperfine is missing.
func timeMain(args []string) error {
	fs := flag.NewFlagSet("time", flag.ContinueOnError)
	n := fs.Int("n", 10, "timed runs (after one warm-up run)")
	key := fs.String("key", "time", "name of the measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return errors.New("time: missing command")
	}
	st := &stats{key: *key, unit: "ms"}
	for i := 0; i <= *n; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
		}
		if i > 0 {
			st.add(ms(time.Since(t0)))
		}
	}
	fmt.Println(st.line())
	return nil
}

// poolMain pools the run times of several hyperfine --export-json files
// (rounds of the same command) into one measurement.
func poolMain(args []string) error {
	fs := flag.NewFlagSet("pool", flag.ContinueOnError)
	key := fs.String("key", "time", "name of the measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("pool: no hyperfine JSON files given")
	}
	st := &stats{key: *key, unit: "ms"}
	for _, f := range fs.Args() {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var doc struct {
			Results []struct {
				Times []float64 `json:"times"`
			} `json:"results"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range doc.Results {
			for _, t := range r.Times {
				st.add(t * 1000)
			}
		}
	}
	fmt.Println(st.line())
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type bench struct {
	ours, ref, app, nodeModules, work string
	verbose                           bool
	// secret is the instance secret of every backend started, so that a
	// restart on an existing database looks like a real one.
	secret string
}

func compareMain(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	b := &bench{}
	fs.StringVar(&b.ours, "ours", "", "convex-go binary")
	fs.StringVar(&b.ref, "ref", "", "reference CLI (node_modules/.bin/convex)")
	fs.StringVar(&b.app, "app", "", "Convex app to copy for each run")
	fs.StringVar(&b.nodeModules, "node-modules", "", "node_modules to link into each copy")
	fs.BoolVar(&b.verbose, "v", false, "log every run to stderr")
	runs := fs.Int("runs", 5, "runs per measurement")
	tcRuns := fs.Int("typecheck-runs", 3, "runs of dev --once with --typecheck enable (0 skips)")
	only := fs.String("only", "", "comma-separated measurement groups: devonce,deploy,typecheck,coldstart (default all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for name, p := range map[string]*string{"ours": &b.ours, "ref": &b.ref, "app": &b.app, "node-modules": &b.nodeModules} {
		if *p == "" {
			return fmt.Errorf("-%s is required", name)
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	work, err := os.MkdirTemp("", "clibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b.work = work
	var sec [32]byte
	if _, err := rand.Read(sec[:]); err != nil {
		return err
	}
	b.secret = hex.EncodeToString(sec[:])
	want := func(g string) bool { return *only == "" || strings.Contains(","+*only+",", ","+g+",") }

	if want("devonce") {
		if err := b.devOnce(*runs); err != nil {
			return err
		}
	}
	if want("deploy") {
		if err := b.deploy(*runs); err != nil {
			return err
		}
	}
	if want("typecheck") && *tcRuns > 0 {
		if err := b.typecheck(*tcRuns); err != nil {
			return err
		}
	}
	if want("coldstart") {
		if err := b.coldStart(*runs); err != nil {
			return err
		}
	}
	return nil
}

// devOnce times `dev --once` three ways: ours against its own anonymous
// local deployment, and ours and the reference in self-hosted mode against
// a fresh standalone backend.
func (b *bench) devOnce(runs int) error {
	anon := newTriple("devonce.ours.anonymous")
	ours := newTriple("devonce.ours.selfhosted")
	ref := newTriple("devonce.ref.selfhosted")
	oursAgain := newTriple("devonce-again.ours.selfhosted")
	refAgain := newTriple("devonce-again.ref.selfhosted")
	args := []string{"dev", "--once", "--typecheck", "disable"}
	for i := 0; i < runs; i++ {
		if err := b.once(func() error { return b.anonymousRun(anon, i) }); err != nil {
			return err
		}
		if err := b.once(func() error { return b.selfHostedRun(ours, b.ours, args, "Convex functions ready", oursAgain) }); err != nil {
			return err
		}
		if err := b.once(func() error { return b.selfHostedRun(ref, b.ref, args, "Convex functions ready", refAgain) }); err != nil {
			return err
		}
	}
	for _, t := range []*triple{anon, ours, ref, oursAgain, refAgain} {
		t.print()
	}
	return nil
}

func (b *bench) deploy(runs int) error {
	ours := newTriple("deploy.ours.selfhosted")
	ref := newTriple("deploy.ref.selfhosted")
	args := []string{"deploy", "--typecheck", "disable"}
	for i := 0; i < runs; i++ {
		if err := b.once(func() error { return b.selfHostedRun(ours, b.ours, args, "Deployed Convex functions") }); err != nil {
			return err
		}
		if err := b.once(func() error { return b.selfHostedRun(ref, b.ref, args, "Deployed Convex functions") }); err != nil {
			return err
		}
	}
	ours.print()
	ref.print()
	return nil
}

// typecheck repeats the self-hosted dev --once with tsc enabled on both
// sides: the same work a user gets when TypeScript is installed.
func (b *bench) typecheck(runs int) error {
	ours := newTriple("devonce-tsc.ours.selfhosted")
	ref := newTriple("devonce-tsc.ref.selfhosted")
	args := []string{"dev", "--once", "--typecheck", "enable"}
	for i := 0; i < runs; i++ {
		if err := b.once(func() error { return b.selfHostedRun(ours, b.ours, args, "Convex functions ready") }); err != nil {
			return err
		}
		if err := b.once(func() error { return b.selfHostedRun(ref, b.ref, args, "Convex functions ready") }); err != nil {
			return err
		}
	}
	ours.print()
	ref.print()
	return nil
}

// once runs one measurement, and again if it failed: on a shared machine
// a port can be taken between choosing and binding it. A second failure
// is reported.
func (b *bench) once(run func() error) error {
	err := run()
	if err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "clibench: retrying after: %v\n", err)
	return run()
}

// triple holds the three figures of a CLI run: wall time until exit, time
// until the success line was printed, and peak resident memory.
type triple struct{ wall, ready, rss *stats }

func newTriple(key string) *triple {
	return &triple{
		wall:  &stats{key: key, unit: "ms"},
		ready: &stats{key: key + ".ready", unit: "ms"},
		rss:   &stats{key: key + ".maxrss", unit: "MB"},
	}
}

func (t *triple) print() {
	fmt.Println(t.wall.line())
	fmt.Println(t.ready.line())
	fmt.Println(t.rss.line())
}

// anonymousRun runs ours in a fresh copy with a fresh home directory, so it
// creates a new anonymous deployment and starts its backend each time.
func (b *bench) anonymousRun(t *triple, i int) error {
	dir, err := os.MkdirTemp(b.work, "anon-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	app, err := b.copyApp(dir)
	if err != nil {
		return err
	}
	cloud, site := freePort(), freePort()
	if cloud == 0 || site == 0 {
		return errors.New("no free port")
	}
	env := b.env(dir, nil)
	res, err := b.runCLI(app, env, "Convex functions ready", b.ours, "dev", "--once", "--typecheck", "disable",
		"--local-cloud-port", strconv.Itoa(cloud), "--local-site-port", strconv.Itoa(site))
	if err != nil {
		return fmt.Errorf("anonymous dev --once (run %d): %w", i+1, err)
	}
	t.record(res)
	return nil
}

// selfHostedRun starts a standalone backend on a fresh database, then runs
// cli with args in a fresh copy of the app against it. Each triple in
// again times one more run of the same command, with nothing changed.
func (b *bench) selfHostedRun(t *triple, cli string, args []string, success string, again ...*triple) error {
	dir, err := os.MkdirTemp(b.work, "sh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	be, err := b.startBackend(dir, filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		return err
	}
	defer be.stop()
	if _, err := be.waitReady(30 * time.Second); err != nil {
		return err
	}
	key, err := b.adminKey(be)
	if err != nil {
		return err
	}
	app, err := b.copyApp(dir)
	if err != nil {
		return err
	}
	env := b.env(dir, []string{"CONVEX_SELF_HOSTED_URL=" + be.url, "CONVEX_SELF_HOSTED_ADMIN_KEY=" + key})
	res, err := b.runCLI(app, env, success, cli, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", filepath.Base(cli), strings.Join(args, " "), err)
	}
	var more []runResult
	for range again {
		r, err := b.runCLI(app, env, success, cli, args...)
		if err != nil {
			return fmt.Errorf("%s %s (again): %w", filepath.Base(cli), strings.Join(args, " "), err)
		}
		more = append(more, r)
	}
	// Record only once every run succeeded, so that a retry counts once.
	t.record(res)
	for i, r := range more {
		again[i].record(r)
	}
	return nil
}

func (t *triple) record(r runResult) {
	t.wall.add(ms(r.wall))
	if r.ready > 0 {
		t.ready.add(ms(r.ready))
	}
	t.rss.add(float64(r.maxRSSKB) / 1024)
}

// coldStart times a standalone backend from exec until /instance_name
// answers, on an empty database and on one that already holds the pushed
// chat app (a few dozen documents after the indexes and schema).
func (b *bench) coldStart(runs int) error {
	fresh := &stats{key: "coldstart.fresh", unit: "ms"}
	existing := &stats{key: "coldstart.existing", unit: "ms"}
	idle := &stats{key: "backend.idle.rss", unit: "MB"}

	keep := filepath.Join(b.work, "existing")
	if err := os.MkdirAll(keep, 0o755); err != nil {
		return err
	}
	db := filepath.Join(keep, "db.sqlite3")
	// Populate the existing database once with a push of the app.
	be, err := b.startBackend(keep, db)
	if err != nil {
		return err
	}
	if _, err := be.waitReady(30 * time.Second); err != nil {
		be.stop()
		return err
	}
	key, err := b.adminKey(be)
	if err == nil {
		var app string
		app, err = b.copyApp(keep)
		if err == nil {
			env := b.env(keep, []string{"CONVEX_SELF_HOSTED_URL=" + be.url, "CONVEX_SELF_HOSTED_ADMIN_KEY=" + key})
			_, err = b.runCLI(app, env, "Convex functions ready", b.ours, "dev", "--once", "--typecheck", "disable")
		}
	}
	if err == nil {
		if kb := vmRSSKB(be.cmd.Process.Pid); kb > 0 {
			idle.add(float64(kb) / 1024)
		}
	}
	be.stop()
	if err != nil {
		return fmt.Errorf("populating the existing database: %w", err)
	}

	for i := 0; i < runs; i++ {
		dir, err := os.MkdirTemp(b.work, "cold-")
		if err != nil {
			return err
		}
		for _, c := range []struct {
			st      *stats
			dir, db string
		}{{fresh, dir, filepath.Join(dir, "db.sqlite3")}, {existing, keep, db}} {
			be, err := b.startBackend(c.dir, c.db)
			if err != nil {
				return err
			}
			d, err := be.waitReady(30 * time.Second)
			be.stop()
			if err != nil {
				return err
			}
			c.st.add(ms(d))
		}
		os.RemoveAll(dir)
	}
	fmt.Println(fresh.line())
	fmt.Println(existing.line())
	fmt.Println(idle.line())
	return nil
}

// vmRSSKB reads a live process's resident set size from /proc.
func vmRSSKB(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

const instanceName = "clibench"

type backend struct {
	cmd     *exec.Cmd
	url     string
	secret  string
	started time.Time
	log     *os.File
	done    chan error
}

func (b *bench) startBackend(dir, db string) (*backend, error) {
	port, site := freePort(), freePort()
	if port == 0 || site == 0 {
		return nil, errors.New("no free port")
	}
	secret := b.secret
	log, err := os.Create(filepath.Join(dir, fmt.Sprintf("backend-%d.log", port)))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.ours, "local-backend", "--port", strconv.Itoa(port), "--site-proxy-port", strconv.Itoa(site),
		"--interface", "127.0.0.1", "--instance-name", instanceName, "--instance-secret", secret,
		"--local-storage", filepath.Join(dir, "storage"), db)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	be := &backend{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), secret: secret, log: log, done: make(chan error, 1)}
	be.started = time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting local-backend: %w", err)
	}
	go func() { be.done <- cmd.Wait() }()
	return be, nil
}

// waitReady polls /instance_name every millisecond and returns the time
// from exec until it answered 200.
func (be *backend) waitReady(limit time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := be.started.Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-be.done:
			be.done <- err
			return 0, fmt.Errorf("local-backend exited before answering: %v (log %s)", err, be.log.Name())
		default:
		}
		resp, err := client.Get(be.url + "/instance_name")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == instanceName {
				return time.Since(be.started), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("local-backend did not answer within %v (log %s)", limit, be.log.Name())
}

func (be *backend) stop() {
	_ = be.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-be.done:
	case <-time.After(5 * time.Second):
		_ = be.cmd.Process.Kill()
		<-be.done
	}
	be.log.Close()
}

func (b *bench) adminKey(be *backend) (string, error) {
	out, err := exec.Command(b.ours, "local-backend", "keygen", "admin-key", "--instance-name", instanceName, "--instance-secret", be.secret).Output()
	if err != nil {
		return "", fmt.Errorf("keygen admin-key: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyApp copies the app (without any node_modules) into dir/app and links
// the shared node_modules into it.
func (b *bench) copyApp(dir string) (string, error) {
	dst := filepath.Join(dir, "app")
	err := filepath.WalkDir(b.app, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(b.app, p)
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".convex") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".env") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), raw, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("copying %s: %w", b.app, err)
	}
	return dst, os.Symlink(b.nodeModules, filepath.Join(dst, "node_modules"))
}

// env is the current environment without any Convex settings, with HOME
// and the XDG directories moved into dir so no earlier state is reused.
func (b *bench) env(dir string, extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CONVEX_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(dir, "home")
	_ = os.MkdirAll(home, 0o755)
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local/state"))
	return append(env, extra...)
}

type runResult struct {
	wall, ready time.Duration
	maxRSSKB    int64
}

// runCLI runs one CLI invocation with no terminal, noting when a line
// containing success appeared on its output.
func (b *bench) runCLI(dir string, env []string, success, cli string, args ...string) (runResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = dir
	cmd.Env = env
	pr, pw, err := os.Pipe()
	if err != nil {
		return runResult{}, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	var (
		res  runResult
		mu   sync.Mutex
		tail []string
		wg   sync.WaitGroup
	)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return res, err
	}
	pw.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			if res.ready == 0 && strings.Contains(line, success) {
				res.ready = time.Since(t0)
			}
			tail = append(tail, line)
			if len(tail) > 20 {
				tail = tail[1:]
			}
			mu.Unlock()
		}
	}()
	werr := cmd.Wait()
	res.wall = time.Since(t0)
	// A descendant that outlives the CLI may hold the pipe open; do not
	// wait for it forever.
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(2 * time.Second):
	}
	pr.Close()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSSKB = ru.Maxrss
	}
	mu.Lock()
	defer mu.Unlock()
	if b.verbose {
		who := "ref"
		if cli == b.ours {
			who = "ours"
		}
		fmt.Fprintf(os.Stderr, "%s %s: %.0f ms (ready %.0f ms, %d MB)\n", who, strings.Join(args, " "),
			ms(res.wall), ms(res.ready), res.maxRSSKB/1024)
	}
	if werr != nil || res.ready == 0 {
		return res, fmt.Errorf("failed (%v); last output:\n%s", werr, strings.Join(tail, "\n"))
	}
	return res, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
