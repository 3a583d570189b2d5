// Package store keeps a deployment's data in SQLite: documents, indexes,
// system tables (_scheduled_functions, _storage), environment variables,
// metadata and file blobs. It implements the database syscalls of Convex
// functions and the query language on top of one serialised writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBFileName is the SQLite file inside the store directory. It differs from
// the real backend's file name so neither ever opens the other's data.
const DBFileName = "convex-go.sqlite3"

// Options tunes a Store.
type Options struct {
	// Origin is the deployment URL (like http://127.0.0.1:3210) used for
	// storage URLs. It can be changed later with SetOrigin.
	Origin string
	// Transaction limits; zero means the default.
	MaxDocsRead  int
	MaxBytesRead int
	MaxWrites    int
	// Now returns the wall clock; tests may fix it. Defaults to time.Now.
	Now func() time.Time
}

const (
	defaultMaxDocsRead  = 32768
	defaultMaxBytesRead = 32 << 20
	defaultMaxWrites    = 16384
)

// Store is an open deployment database.
type Store struct {
	db   *sql.DB
	dir  string
	opts Options

	// writer serialises write transactions (and other writes) from Begin
	// until Commit or Rollback: there is only one writer at a time, which
	// makes every execution serialisable without conflict checks.
	writer sync.Mutex

	mu           sync.Mutex // guards the fields below
	origin       string
	schema       *Schema // active schema, nil when none
	lastCreation float64 // last _creationTime handed out (ms)
	closed       bool

	// Committed table and index metadata, shared read-only by transactions
	// while metaGen is unchanged. A commit that changes metadata bumps
	// metaGen after it is durable, which invalidates the cache.
	metaGen   uint64
	metaCache *tableCache

	// stmts holds the hot statements, prepared once at Open (read-only
	// afterwards). Parsing SQL on every call was a large share of the cost
	// of a small function call.
	stmts map[string]*sql.Stmt

	// Group commit (see waitDurable): written is the newest commit in the
	// WAL, durable the newest one known to be on disk; syncMu is held
	// during an fsync.
	written atomic.Int64
	durable atomic.Int64
	syncMu  sync.Mutex
	syncs   atomic.Int64 // fsyncs done, for tests

	// jobsGen counts commits that wrote _scheduled_functions (bumped after
	// the SQLite commit, under the writer lock); idle is what DueJobs last
	// found when nothing was due.
	// searchSnaps keeps the rankings paginated searches are pinned to.
	searchSnaps searchSnapCache

	jobsMu  sync.Mutex
	jobsGen uint64
	idle    idleJobs
}

type idleJobs struct {
	valid   bool
	gen     uint64
	nextDue float64 // ms; +Inf when no job is pending
}

type tableCache struct {
	gen      uint64
	tables   map[string]*tableInfo
	byNumber map[uint32]*tableInfo
}

// UserError is a failure caused by the calling function's input (bad id,
// wrong table, read-only table, invalid index range, schema violation, ...).
// Code is a short machine name like "InvalidIndexRange", possibly empty.
type UserError struct {
	Code    string
	Message string
}

func (e *UserError) Error() string { return e.Message }

func userErrorf(code, format string, args ...any) error {
	return &UserError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// IsUserError reports whether err is (or wraps) a *UserError.
func IsUserError(err error) bool {
	var ue *UserError
	return errors.As(err, &ue)
}

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	if opts.MaxDocsRead <= 0 {
		opts.MaxDocsRead = defaultMaxDocsRead
	}
	if opts.MaxBytesRead <= 0 {
		opts.MaxBytesRead = defaultMaxBytesRead
	}
	if opts.MaxWrites <= 0 {
		opts.MaxWrites = defaultMaxWrites
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	path := filepath.Join(dir, DBFileName)
	// Durability: a commit that returned survives kill -9 and power loss.
	// SQLite runs in WAL mode with synchronous=NORMAL, so its commits only
	// write the WAL (checkpoints still sync); the store then fsyncs the WAL
	// itself before Commit returns (see waitDurable). That is what FULL
	// would do, except that one fsync serves every commit written before it
	// started (group commit) and the writer lock is not held during it.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(OFF)")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Idle connections are kept: each one carries its own copy of the
	// prepared statements.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s := &Store{db: db, dir: dir, opts: opts, origin: opts.Origin}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	if err := s.prepareHot(); err != nil {
		s.closeStmts()
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	// Whatever is in the WAL now (perhaps written by a process that died
	// before syncing it) reaches the disk before anyone reads it.
	ts, err := readTS(s.db)
	if err == nil {
		s.written.Store(ts)
		err = s.syncTo(ts)
	}
	if err != nil {
		s.closeStmts()
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	return s, nil
}

// waitDurable returns once the commit with timestamp ts, and every earlier
// one, is on disk. Commits call it after releasing the writer lock; the
// first caller to find the disk behind fsyncs the WAL for everybody whose
// commit was written by then, the others wait for it or for the next one.
func (s *Store) waitDurable(ts int64) error {
	if s.durable.Load() >= ts {
		return nil
	}
	return s.syncTo(ts)
}

// syncTo fsyncs the WAL unless a sync that finished meanwhile covered ts.
// ts must be a commit whose WAL frames are already written: the caller made
// it or read it.
func (s *Store) syncTo(ts int64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.durable.Load() >= ts && ts > 0 {
		return nil
	}
	// Every commit written before the fsync starts is covered by it.
	target := max(s.written.Load(), ts)
	if err := s.syncWAL(); err != nil {
		return err
	}
	if target > s.durable.Load() {
		s.durable.Store(target)
	}
	return nil
}

// syncWAL fsyncs the WAL file (opened afresh, so a WAL that SQLite removed
// and created again is never missed). Without a WAL, the data is in the
// database file, which is synced instead.
func (s *Store) syncWAL() error {
	path := filepath.Join(s.dir, DBFileName)
	f, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return err
	}
	s.syncs.Add(1)
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// prepareHot prepares the statements of the per-call paths.
func (s *Store) prepareHot() error {
	s.stmts = map[string]*sql.Stmt{}
	qs := append([]string{
		sqlReadTS, sqlLoadDoc, sqlDeleteDoc, sqlPutDoc, sqlDeleteIndexEntry, sqlInsertIndexEntry,
		sqlSetTS, sqlSetLastCreation,
	}, scanQueries()...)
	for _, q := range qs {
		st, err := s.db.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

func (s *Store) closeStmts() {
	for _, st := range s.stmts {
		st.Close()
	}
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS globals (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tables (
	number INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS indexes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	table_number INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,          -- database, search, vector
	fields TEXT NOT NULL,        -- JSON array of key fields incl. the implicit suffix
	config TEXT NOT NULL,        -- JSON of the declared index (for diffs)
	UNIQUE (table_number, name)
);
CREATE TABLE IF NOT EXISTS documents (
	table_number INTEGER NOT NULL,
	internal BLOB NOT NULL,
	ts INTEGER NOT NULL,         -- commit timestamp of the last write
	value TEXT NOT NULL,         -- encoded JSON including _id and _creationTime
	PRIMARY KEY (table_number, internal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_entries (
	index_id INTEGER NOT NULL,
	key BLOB NOT NULL,
	internal BLOB NOT NULL,
	PRIMARY KEY (index_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS env (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (internal BLOB PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS upload_tokens (token TEXT PRIMARY KEY, expires INTEGER NOT NULL);
`

func (s *Store) init() error {
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, schemaSQL); err != nil {
		return err
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// System tables exist from the start so their ids are stable.
	for _, st := range systemTables {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO tables(number, name) VALUES (?, ?)`, st.number, st.name); err != nil {
			return err
		}
		if err := ensureBuiltinIndexes(tx, st.number); err != nil {
			return err
		}
		for _, ix := range st.indexes {
			if err := insertIndex(tx, st.number, ix.name, "database", ix.fields, "{}"); err != nil {
				return err
			}
		}
	}
	var raw []byte
	err = tx.QueryRow(`SELECT value FROM globals WHERE key = 'last_creation'`).Scan(&raw)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	default:
		s.lastCreation, _ = strconv.ParseFloat(string(raw), 64)
	}
	err = tx.QueryRow(`SELECT value FROM globals WHERE key = 'schema'`).Scan(&raw)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	default:
		sc, err := ParseSchema(raw)
		if err != nil {
			return fmt.Errorf("stored schema: %w", err)
		}
		s.schema = sc
	}
	return tx.Commit()
}

// Close closes the database. Open transactions must be finished first.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.closeStmts()
	return s.db.Close()
}

// Dir returns the store directory.
func (s *Store) Dir() string { return s.dir }

// SetOrigin sets the deployment URL used in storage URLs.
func (s *Store) SetOrigin(origin string) {
	s.mu.Lock()
	s.origin = origin
	s.mu.Unlock()
}

func (s *Store) getOrigin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.origin
}

func (s *Store) activeSchema() *Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// LatestTS returns the timestamp of the newest commit (0 before the first).
func (s *Store) LatestTS() (int64, error) {
	return readTS(s.db)
}

type queryRower interface {
	QueryRow(query string, args ...any) *sql.Row
}

const sqlReadTS = `SELECT value FROM globals WHERE key = 'ts'`

func readTS(q queryRower) (int64, error) {
	return scanTS(q.QueryRow(sqlReadTS))
}

func scanTS(row *sql.Row) (int64, error) {
	var raw []byte
	err := row.Scan(&raw)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(raw), 10, 64)
}

// nextCreationTime returns a _creationTime (ms) above every earlier one and
// at least ts (ns) converted to ms. Callers hold the writer lock.
func (s *Store) nextCreationTime(tsNanos int64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := float64(tsNanos) / 1e6
	if ms <= s.lastCreation {
		ms = math.Nextafter(s.lastCreation, math.Inf(1))
	}
	s.lastCreation = ms
	return ms
}
