package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

const (
	sqlSetTS           = `INSERT INTO globals(key, value) VALUES ('ts', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`
	sqlSetLastCreation = `INSERT INTO globals(key, value) VALUES ('last_creation', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`
)

// ErrTxDone is returned when a finished transaction is used.
var ErrTxDone = errors.New("transaction already finished")

// Tx is one transaction. A Tx is not safe for concurrent use; each function
// execution owns its own.
type Tx struct {
	s     *Store
	tx    *sql.Tx
	write bool
	done  bool
	ts    int64 // commit ts (write) or snapshot ts (read)
	prev  int64 // ts of the last commit when the transaction began

	savepoints int
	tables     map[string]*tableInfo // cache, cleared on RollbackTo
	byNumber   map[uint32]*tableInfo

	queries      map[uint32]*queryStream
	nextQueryID  uint32
	pageQueries  int
	docsRead     int
	bytesRead    int
	writes       int
	bytesWritten int
	dbQueries    int
	scheduled    int
	schedBytes   int
	filesRead    int
	fileRead     int
	filesWritten int
	fileWritten  int
	reads        ReadSet
	writeSet     WriteSet
	currentJobID string
	sawWrites    bool
	metaGen      uint64 // the store's metadata generation at Begin
	metaDirty    bool   // this transaction changed tables or indexes
	lazy         bool   // not begun yet (BeginLazy)
	beginErr     error  // why a lazy transaction could not begin
	jobsDirty    bool   // this transaction wrote _scheduled_functions
	journalIn    string // end cursor pinned by a subscription's journal
	journalOut   *string
	pagedOnce    bool // the journal applies to the first paginated query only

	stmts map[*sql.Stmt]*sql.Stmt // store statements bound to this transaction
}

// stmt returns the store's prepared statement for query bound to this
// transaction, or nil when query is not one of the prepared ones.
func (t *Tx) stmt(query string) *sql.Stmt {
	ps := t.s.stmts[query]
	if ps == nil {
		return nil
	}
	if st, ok := t.stmts[ps]; ok {
		return st
	}
	st := t.tx.Stmt(ps)
	if t.stmts == nil {
		t.stmts = make(map[*sql.Stmt]*sql.Stmt, 8)
	}
	t.stmts[ps] = st
	return st
}

// exec, query and queryRow run SQL in the transaction, through a prepared
// statement when there is one.
func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.stmt(query); st != nil {
		return st.Exec(args...)
	}
	return t.tx.Exec(query, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(query); st != nil {
		return st.Query(args...)
	}
	return t.tx.Query(query, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	if st := t.stmt(query); st != nil {
		return st.QueryRow(args...)
	}
	return t.tx.QueryRow(query, args...)
}

// Begin starts a transaction. Write transactions are serialised: Begin(true)
// waits for the previous writer to finish. Read transactions see a snapshot
// of the last commit as of Begin.
func (s *Store) Begin(write bool) (*Tx, error) {
	if write {
		s.writer.Lock()
	}
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		if write {
			s.writer.Unlock()
		}
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	s.mu.Lock()
	gen := s.metaGen
	s.mu.Unlock()
	t := &Tx{s: s, tx: tx, write: write, queries: map[uint32]*queryStream{}, metaGen: gen}
	// The first read fixes the snapshot of a WAL read transaction. A writer
	// holds the writer lock, so the newest commit is the one the store
	// recorded last (every commit that moves the timestamp goes through
	// commitLocked) and it need not ask SQLite.
	var last int64
	if write {
		last = s.written.Load()
	} else if last, err = scanTS(t.queryRow(sqlReadTS)); err != nil {
		t.Rollback()
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	t.prev = last
	if write {
		now := s.opts.Now().UnixNano()
		if now <= last {
			now = last + 1
		}
		t.ts = now
	} else {
		t.ts = last
	}
	return t, nil
}

// TS is the transaction's timestamp: the commit timestamp a write
// transaction will get, or the snapshot timestamp of a read transaction.
func (t *Tx) TS() int64 {
	_ = t.check()
	return t.ts
}

// IsWrite reports whether t may write.
func (t *Tx) IsWrite() bool { return t.write }

// Commit makes the writes durable and returns the commit timestamp
// (nanoseconds, strictly increasing). A read transaction, or a write
// transaction that wrote nothing, creates no commit: it returns the
// timestamp of the snapshot it read.
func (t *Tx) Commit() (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	ts, err := func() (int64, error) {
		defer t.finish() // the writer lock is not held while the disk works
		return t.commitLocked()
	}()
	if err != nil {
		return 0, err
	}
	// Nothing is acknowledged before it is on disk: neither this commit nor
	// an earlier one that this transaction read.
	if err := t.s.waitDurable(ts); err != nil {
		return 0, fmt.Errorf("commit: sync: %w", err)
	}
	return ts, nil
}

// commitLocked commits in SQLite (without waiting for the disk) and returns
// the timestamp the transaction wrote or read.
func (t *Tx) commitLocked() (int64, error) {
	if !t.write || !t.sawWrites {
		if err := t.tx.Rollback(); err != nil {
			return 0, err
		}
		return t.seenTS(), nil
	}
	if _, err := t.exec(sqlSetTS, []byte(strconv.FormatInt(t.ts, 10))); err != nil {
		t.tx.Rollback()
		return 0, fmt.Errorf("commit: %w", err)
	}
	t.s.mu.Lock()
	lc := t.s.lastCreation
	t.s.mu.Unlock()
	if _, err := t.exec(sqlSetLastCreation, []byte(strconv.FormatFloat(lc, 'g', -1, 64))); err != nil {
		t.tx.Rollback()
		return 0, fmt.Errorf("commit: %w", err)
	}
	if err := t.tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	t.s.written.Store(t.ts) // under the writer lock, so it only grows
	if t.jobsDirty {
		t.s.jobsMu.Lock()
		t.s.jobsGen++
		t.s.jobsMu.Unlock()
	}
	if t.metaDirty {
		t.s.mu.Lock()
		t.s.metaGen++
		t.s.mu.Unlock()
	}
	return t.ts, nil
}

// seenTS is the newest commit the transaction could have read.
func (t *Tx) seenTS() int64 {
	if t.write {
		return t.prev
	}
	return t.ts
}

// Rollback abandons the transaction. It is safe to call after Commit. It
// returns once every commit the transaction could have read is on disk,
// since its caller may now report what it read.
func (t *Tx) Rollback() {
	if t.done {
		return
	}
	if t.lazy { // never begun: nothing to undo, no lock held
		t.done = true
		return
	}
	func() {
		defer t.finish()
		_ = t.tx.Rollback()
	}()
	_ = t.s.waitDurable(t.seenTS())
}

func (t *Tx) finish() {
	t.done = true
	t.queries = nil
	if t.write {
		t.s.writer.Unlock()
	}
}

// Savepoint marks a point the transaction can return to (for nested
// mutations). It returns a handle for RollbackTo, or -1 on failure (then
// RollbackTo(-1) is a no-op).
func (t *Tx) Savepoint() int {
	if t.check() != nil {
		return -1
	}
	t.savepoints++
	n := t.savepoints
	if _, err := t.tx.Exec("SAVEPOINT sp" + strconv.Itoa(n)); err != nil {
		return -1
	}
	return n
}

// RollbackTo undoes every write since Savepoint returned sp. The savepoint
// stays usable.
func (t *Tx) RollbackTo(sp int) {
	if t.done || t.lazy || sp <= 0 {
		return
	}
	if _, err := t.tx.Exec("ROLLBACK TO sp" + strconv.Itoa(sp)); err != nil {
		return
	}
	t.tables, t.byNumber = nil, nil
}

// SetCurrentJob records the id of the scheduled function this transaction
// runs, so that the function cannot cancel itself.
func (t *Tx) SetCurrentJob(id string) { t.currentJobID = id }

// SetJournal passes the journal of an earlier run of the same query
// subscription. Its first paginated query then ends where that run's page
// ended, so a subscribed page grows or shrinks instead of shifting.
func (t *Tx) SetJournal(journal string) { t.journalIn = journal }

// Journal is what a query subscription keeps for its next run: the end of
// the page its first paginated query returned, or nil when it paginated
// nothing.
func (t *Tx) Journal() *string { return t.journalOut }

func (t *Tx) check() error {
	if t.done {
		return ErrTxDone
	}
	return t.ensure()
}

// BeginLazy returns a write transaction that begins (taking the writer
// lock) on its first use rather than now. A mutation's set-up before its
// first database call (decoding and validating its arguments, building its
// context in JavaScript) is then not serialised with other mutations. Until
// then there is nothing to roll back, and Reads and Writes are empty.
func (s *Store) BeginLazy() *Tx {
	return &Tx{s: s, write: true, lazy: true}
}

// ensure begins a lazy transaction.
func (t *Tx) ensure() error {
	if !t.lazy {
		return nil
	}
	if t.beginErr != nil {
		return t.beginErr
	}
	real, err := t.s.Begin(t.write)
	if err != nil {
		t.beginErr = err
		return err
	}
	job := t.currentJobID
	*t = *real
	t.currentJobID = job
	return nil
}

func (t *Tx) requireWrite(what string) error {
	if !t.write {
		return userErrorf("ReadOnlyTransaction", "%s is not allowed in a query: queries are read-only", what)
	}
	return nil
}

func (t *Tx) now() time.Time { return t.s.opts.Now() }
