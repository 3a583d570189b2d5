//go:build unix

package store

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestCrashHelper is run in a child process by TestCommitSurvivesKill: it
// commits a document, prints its id and kills itself without closing.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("STORE_CRASH_DIR")
	if dir == "" {
		t.Skip("only runs as the child of TestCommitSurvivesKill")
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tx.Syscall("1.0/insert", []byte(`{"table":"crash","value":{"v":"kept"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.EnvSet("AFTER_CRASH", "yes"); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ID " + string(out) + "\n")
	// An open, uncommitted transaction at the moment of death must vanish.
	tx, _ = s.Begin(true)
	tx.Syscall("1.0/insert", []byte(`{"table":"crash","value":{"v":"lost"}}`))
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func TestCommitSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORE_CRASH_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var idLine string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ID ") {
			idLine = strings.TrimPrefix(sc.Text(), "ID ")
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child was not killed: %v", err)
	}
	if idLine == "" {
		t.Fatal("child printed no id")
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx := begin(t, s, false)
	docs := collect(t, tx, `{"source":{"type":"FullTableScan","tableName":"crash","order":null},"operators":[]}`)
	if len(docs) != 1 || docs[0]["v"] != "kept" || !strings.Contains(idLine, docs[0]["_id"].(string)) {
		t.Fatalf("after kill -9: %v (child said %s)", docs, idLine)
	}
	env, _ := s.EnvList()
	if env["AFTER_CRASH"] != "yes" {
		t.Fatalf("env after kill -9: %v", env)
	}
	// New commits still work and time moves on.
	w := begin(t, s, true)
	insert(t, w, "crash", `{"v":"new"}`)
	commit(t, w)
}

func TestCloseAndReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	id := insert(t, tx, "t", `{"a":1}`)
	ts := commit(t, tx)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := begin(t, s, true)
	if get(t, r, id)["a"] != 1.0 {
		t.Fatal("document lost across reopen")
	}
	if r.TS() <= ts {
		t.Fatalf("timestamp went back after reopen: %d <= %d", r.TS(), ts)
	}
	id2 := insert(t, r, "t", `{}`)
	if get(t, r, id2)["_creationTime"].(float64) <= get(t, r, id)["_creationTime"].(float64) {
		t.Fatal("_creationTime went back after reopen")
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	s := openTest(t)
	// Hold one connection so the next query opens another.
	tx := begin(t, s, false)
	for i := 0; i < 2; i++ {
		var sync int
		var mode string
		if err := s.db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		// NORMAL: the store fsyncs the WAL itself before a commit returns.
		if sync != 1 || mode != "wal" {
			t.Fatalf("synchronous=%d journal_mode=%s, want 1 (NORMAL) and wal", sync, mode)
		}
	}
	tx.Rollback()
}
