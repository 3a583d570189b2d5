package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
)

const testSecret = "4361726e697461732c206c69746572616c6c79206d65616e696e6720226c6974"

func TestKeygen(t *testing.T) {
	var out, errb bytes.Buffer
	code := RunCommand(context.Background(), []string{"keygen", "admin-key", "--instance-name", "carnitas", "--instance-secret", testSecret}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	key := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^carnitas\|01[0-9a-f]+$`).MatchString(key) {
		t.Fatalf("key %q", key)
	}
	s, _ := adminkey.ParseSecret(testSecret)
	if _, err := adminkey.Verify(key, "carnitas", s); err != nil {
		t.Fatalf("minted key does not verify: %v", err)
	}
	for _, args := range [][]string{
		{"keygen"}, {"keygen", "admin-key"}, {"keygen", "admin-key", "--instance-name", "x"},
		{"keygen", "admin-key", "--instance-name", "x", "--instance-secret", "nothex"},
		{"keygen", "other-key"},
	} {
		out.Reset()
		errb.Reset()
		if code := RunCommand(context.Background(), args, &out, &errb); code != 2 || out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
}

func TestRunCommandFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"db"}, 2, "--instance-secret is required"},
		{[]string{"--instance-secret", testSecret, "--convex-origin", "http://x", "db"}, 2, "must be given together"},
		{[]string{"--instance-secret", testSecret, "--db", "postgres", "db"}, 2, "not supported"},
		{[]string{"--instance-secret", testSecret, "a", "b"}, 2, "one database path"},
		{[]string{"--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"--help"}, 0, "Usage"},
	} {
		var out, errb bytes.Buffer
		if code := RunCommand(context.Background(), c.args, &out, &errb); code != c.want || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.want, c.msg)
		}
	}
}

// --help says what --db does, and does it: sqlite (the default) runs, any
// other database is refused with a usage error.
func TestRunCommandDBFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := RunCommand(context.Background(), []string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	help := errb.String()
	i := strings.Index(help, "-db kind")
	if i < 0 {
		t.Fatalf("no --db in help:\n%s", help)
	}
	entry := help[i:]
	if j := strings.Index(entry, "\n  -"); j >= 0 {
		entry = entry[:j]
	}
	for _, want := range []string{"only sqlite is accepted", "postgres", "exits with status 2", `(default "sqlite")`} {
		if !strings.Contains(entry, want) {
			t.Errorf("--db help %q lacks %q", entry, want)
		}
	}
	if strings.Contains(entry, "ignored") {
		t.Errorf("--db help says it is ignored: %q", entry)
	}
	for _, db := range []string{"postgres", "mysql", "SQLITE"} {
		out.Reset()
		errb.Reset()
		code := RunCommand(context.Background(), []string{"--instance-secret", testSecret, "--db", db, "data"}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "--db "+db+" is not supported") || out.Len() != 0 {
			t.Errorf("--db %q: exit %d, stderr %q", db, code, errb.String())
		}
	}
}

// TestRunCommandServes starts the standalone command on free ports with the
// flags the npm CLI passes, checks it answers, and stops it via ctx.
func TestRunCommandServes(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- RunCommand(ctx, []string{"--port", "0", "--site-proxy-port", "0", "--interface", "127.0.0.1",
			"--sentry-identifier", "abc", "--instance-name", "cmd-test", "--instance-secret", testSecret,
			"--local-storage", filepath.Join(dir, "convex_local_storage"), "--beacon-tag", "cli-local-dev",
			"--disable-beacon", "--db", "sqlite", filepath.Join(dir, "convex_local_backend.sqlite3")}, io.Discard, pw)
		pw.Close()
	}()
	var stderr strings.Builder
	buf := make([]byte, 4096)
	url := ""
	re := regexp.MustCompile(`API (http://\S+),`)
	for url == "" {
		n, err := pr.Read(buf)
		stderr.Write(buf[:n])
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if err != nil {
			t.Fatalf("command ended early: %s", stderr.String())
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.Contains(stderr.String(), "--beacon-tag is accepted for compatibility and ignored") {
		t.Errorf("no note about ignored flags: %s", stderr.String())
	}
	if strings.Contains(stderr.String(), "--db") {
		t.Errorf("--db sqlite is the one database, not an ignored flag: %s", stderr.String())
	}
	resp, err := http.Get(url + "/instance_name")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "cmd-test" {
		t.Errorf("instance_name = %q", b)
	}
	cancel()
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit code after cancel: %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("command did not stop")
	}
}

func TestStartAndClose(t *testing.T) {
	r, err := Start(context.Background(), Config{DBPath: filepath.Join(t.TempDir(), "db"), Interface: "127.0.0.1", InstanceName: "inproc", InstanceSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if r.Port == 0 || r.SitePort == 0 || r.Port == r.SitePort || !strings.HasPrefix(r.CloudURL, "http://127.0.0.1:") {
		t.Errorf("ports/urls: %+v", r)
	}
	req, _ := http.NewRequest("GET", r.CloudURL+"/api/check_admin_key", nil)
	req.Header.Set("Authorization", "Convex "+r.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin key of Running rejected: %v %v", resp, err)
	}
	resp.Body.Close()
	// The site port answers HTTP actions (none pushed: 404).
	resp, err = http.Get(r.SiteURL + "/anything")
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("site port: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("Done not closed")
	}
	if _, err := http.Get(r.CloudURL + "/instance_name"); err == nil {
		t.Error("still serving after Close")
	}
	if _, err := Start(context.Background(), Config{DBPath: t.TempDir(), InstanceName: "x", InstanceSecret: "short"}); err == nil {
		t.Error("bad secret accepted")
	}
	if DataDir("/a/convex_local_backend.sqlite3") != "/a/convex_local_backend.sqlite3.d" || DataDir("/a/b") != "/a/b" {
		t.Error("DataDir")
	}
}
