package store

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestParallelWritersSerialise(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := insert(t, tx, "counters", `{"n":0}`)
	commit(t, tx)

	const workers, each = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tx, err := s.Begin(true)
				if err != nil {
					errs <- err
					return
				}
				out, err := tx.Syscall("1.0/get", []byte(`{"id":"`+id+`"}`))
				if err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				n := decodeN(out)
				if _, err := tx.Syscall("1.0/shallowMerge", []byte(`{"id":"`+id+`","value":{"n":`+itoa(n+1)+`}}`)); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if _, err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := begin(t, s, false)
	if got := get(t, r, id)["n"]; got != float64(workers*each) {
		t.Fatalf("counter %v, want %d: writes were lost", got, workers*each)
	}
}

func TestReadersSeeSnapshots(t *testing.T) {
	s := openTest(t)
	w := begin(t, s, true)
	insert(t, w, "t", `{}`)
	commit(t, w)

	reader := begin(t, s, false)
	count := func(tx *Tx) any { return sys(t, tx, "1.0/count", `{"table":"t"}`) }
	if c := count(reader); c != 1.0 {
		t.Fatalf("count %v", c)
	}
	// A writer commits while the reader is open: it is not blocked, and the
	// reader keeps its snapshot.
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := s.Begin(true)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := w.Syscall("1.0/insert", []byte(`{"table":"t","value":{}}`)); err != nil {
			t.Error(err)
		}
		if _, err := w.Commit(); err != nil {
			t.Error(err)
		}
	}()
	<-done
	if c := count(reader); c != 1.0 {
		t.Fatalf("reader saw a later commit: count %v", c)
	}
	if n := len(collect(t, reader, `{"source":{"type":"FullTableScan","tableName":"t","order":null},"operators":[]}`)); n != 1 {
		t.Fatalf("reader scan saw %d documents", n)
	}
	reader.Rollback()
	fresh := begin(t, s, false)
	if c := count(fresh); c != 2.0 {
		t.Fatalf("new reader count %v", c)
	}
}

func TestFinishedTransaction(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	commit(t, tx)
	if _, err := tx.Syscall("1.0/count", []byte(`{"table":"t"}`)); err != ErrTxDone {
		t.Fatalf("syscall after commit: %v", err)
	}
	if _, err := tx.Commit(); err != ErrTxDone {
		t.Fatalf("second commit: %v", err)
	}
	tx.Rollback() // harmless
	// The writer lock was released.
	tx2 := begin(t, s, true)
	tx2.Rollback()
}

func decodeN(doc []byte) int {
	// Documents here are small: {"_creationTime":…,"_id":"…","n":K}.
	s := string(doc)
	i := len(s) - 1
	for i > 0 && s[i-1] != ':' {
		i--
	}
	n := 0
	for _, c := range s[i : len(s)-1] {
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// Commits are acknowledged only once on disk, and concurrent commits share
// fsyncs (group commit).
func TestGroupCommit(t *testing.T) {
	s := openTest(t)
	const workers, each = 8, 15
	before := s.syncs.Load()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tx, err := s.Begin(true)
				if err != nil {
					errs <- err
					return
				}
				if _, err := tx.Syscall("1.0/insert", []byte(`{"table":"t","value":{}}`)); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				ts, err := tx.Commit()
				if err != nil {
					errs <- err
					return
				}
				if d := s.durable.Load(); d < ts {
					errs <- fmt.Errorf("commit %d returned before it was synced (durable %d)", ts, d)
				}
				// A reader that sees the commit finishes only when it is durable.
				r, err := s.Begin(false)
				if err != nil {
					errs <- err
					return
				}
				seen := r.TS()
				r.Rollback()
				if d := s.durable.Load(); d < seen {
					errs <- fmt.Errorf("read of %d finished before it was synced (durable %d)", seen, d)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	syncs := s.syncs.Load() - before
	if syncs == 0 || syncs >= workers*each {
		t.Fatalf("%d fsyncs for %d concurrent commits: want at least one and fewer than one per commit", syncs, workers*each)
	}
	t.Logf("%d fsyncs for %d commits", syncs, workers*each)
	// Writes outside transactions are synced too.
	n := s.syncs.Load()
	if err := s.EnvSet("A", "b"); err != nil {
		t.Fatal(err)
	}
	if s.syncs.Load() == n {
		t.Fatal("EnvSet returned without an fsync")
	}
}

// A lazy write transaction takes the writer lock at its first use only.
func TestBeginLazy(t *testing.T) {
	s := openTest(t)
	lazy := s.BeginLazy()
	// Not begun: another writer is not blocked.
	w := begin(t, s, true)
	insert(t, w, "t", `{"n":1}`)
	first := commit(t, w)

	// Unbegun lazy transactions roll back or commit as no-ops.
	if ts, err := s.BeginLazy().Commit(); err != nil || ts != first {
		t.Fatalf("commit of an unused lazy transaction: %d, %v (want %d)", ts, err, first)
	}
	idle := s.BeginLazy()
	idle.SetCurrentJob("x")
	idle.Rollback()
	idle.Rollback()

	// First use begins it: it sees the commit made before, and now holds
	// the writer lock until it finishes.
	lazy.SetCurrentJob("job")
	id := insert(t, lazy, "t", `{"n":2}`)
	if lazy.currentJobID != "job" || lazy.TS() <= first {
		t.Fatalf("lazy transaction after begin: job %q ts %d (first commit %d)", lazy.currentJobID, lazy.TS(), first)
	}
	blocked := make(chan int64)
	go func() {
		w, err := s.Begin(true)
		if err != nil {
			blocked <- -1
			return
		}
		w.Rollback()
		blocked <- w.TS()
	}()
	select {
	case <-blocked:
		t.Fatal("a writer began while the lazy transaction held the lock")
	case <-time.After(50 * time.Millisecond):
	}
	ts := commit(t, lazy)
	if got := <-blocked; got <= ts {
		t.Fatalf("writer after the lazy commit has ts %d <= %d", got, ts)
	}
	r := begin(t, s, false)
	if get(t, r, id)["n"] != 2.0 {
		t.Fatal("lazy transaction's insert lost")
	}
	r.Rollback()
}
