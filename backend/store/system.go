package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/values"
)

// ErrNotFound is returned for a missing job, blob or id.
var ErrNotFound = errors.New("not found")

// Job states of _scheduled_functions documents (state.kind).
const (
	JobPending    = "pending"
	JobInProgress = "inProgress"
	JobSuccess    = "success"
	JobFailed     = "failed"
	JobCanceled   = "canceled"
)

// Job is a scheduled function.
type Job struct {
	ID            string
	Name          string // like "messages:send"
	Args          []byte // encoded JSON of the arguments object
	ScheduledTime time.Time
	State         string
	Error         string
}

// canonicalFunctionName turns "messages.js:send" or "messages" into the
// "messages:send" / "messages:default" form.
func canonicalFunctionName(name string) string {
	mod, fn, ok := strings.Cut(name, ":")
	if !ok {
		fn = "default"
	}
	mod = strings.TrimSuffix(mod, ".js")
	return mod + ":" + fn
}

func msTime(ms float64) time.Time {
	return time.UnixMicro(int64(math.Round(ms * 1000)))
}

func timeMs(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

func (t *Tx) sysSchedule(a args) ([]byte, error) {
	if err := t.requireWrite("Scheduling a function"); err != nil {
		return nil, err
	}
	name, ok := a.str("name")
	if !ok {
		if _, ok := a["reference"]; ok {
			return nil, userErrorf("Unsupported", "Scheduling component functions is not supported by this backend.")
		}
		if _, ok := a["functionHandle"]; ok {
			return nil, userErrorf("Unsupported", "Scheduling function handles is not supported by this backend.")
		}
		return nil, userErrorf("InvalidArgument", "1.0/schedule: missing function name")
	}
	ts, ok := a.number("ts")
	if !ok || math.IsNaN(ts) || math.IsInf(ts, 0) || math.Abs(ts) > 1e11 {
		return nil, userErrorf("InvalidArgument", "1.0/schedule: ts must be a finite number of seconds")
	}
	fnArgs := values.Value(map[string]values.Value{})
	if _, ok := a["args"]; ok {
		v, err := a.value("1.0/schedule", "args")
		if err != nil {
			return nil, err
		}
		if _, ok := v.(map[string]values.Value); !ok {
			return nil, userErrorf("InvalidArgument", "1.0/schedule: args must be an object, got %s", values.TypeName(v))
		}
		fnArgs = v
	}
	t.scheduled++
	t.schedBytes += values.Size(fnArgs)
	id, err := t.ScheduleJob(canonicalFunctionName(name), fnArgs, msTime(ts*1000))
	if err != nil {
		return nil, err
	}
	return encodeResult(id)
}

// ScheduleJob writes a pending _scheduled_functions document in this
// transaction and returns its id.
func (t *Tx) ScheduleJob(name string, fnArgs values.Value, at time.Time) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	ti, err := t.tableByNumber(ScheduledFunctionsTable)
	if err != nil {
		return "", err
	}
	doc := map[string]values.Value{
		"name":          name,
		"args":          []values.Value{fnArgs},
		"scheduledTime": timeMs(at),
		"state":         map[string]values.Value{"kind": JobPending},
	}
	return t.insertDoc(ti, doc, "scheduler")
}

func (t *Tx) jobDoc(op, id string) (*tableInfo, []byte, Document, error) {
	num, internal, err := values.DecodeID(id)
	if err != nil || num != ScheduledFunctionsTable {
		return nil, nil, nil, userErrorf("InvalidId", "%s: %q is not an id of a scheduled function", op, id)
	}
	ti, err := t.tableByNumber(ScheduledFunctionsTable)
	if err != nil {
		return nil, nil, nil, err
	}
	doc, err := t.getDoc(ti, id, internal[:])
	if err != nil {
		return nil, nil, nil, err
	}
	return ti, internal[:], doc, nil
}

func (t *Tx) sysCancelJob(a args) ([]byte, error) {
	if err := t.requireWrite("Canceling a scheduled function"); err != nil {
		return nil, err
	}
	id, err := a.mustStr("1.0/cancel_job", "id")
	if err != nil {
		return nil, err
	}
	if id == t.currentJobID && id != "" {
		return nil, userErrorf("ScheduledFunctionCancelingItself", "A scheduled function cannot cancel itself.")
	}
	_, _, doc, err := t.jobDoc("scheduler.cancel", id)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, userErrorf("NonexistentDocument", "scheduler.cancel: scheduled function %s does not exist", id)
	}
	switch jobState(doc) {
	case JobPending, JobInProgress:
		if err := t.SetJobState(id, JobCanceled); err != nil {
			return nil, err
		}
	}
	return []byte("null"), nil
}

func jobState(doc Document) string {
	st, _ := doc["state"].(map[string]values.Value)
	kind, _ := st["kind"].(string)
	return kind
}

// SetJobState moves a scheduled function to state (pending, inProgress,
// success, failed, canceled) in this transaction; errMsg is recorded for
// failed. Terminal states set completedTime.
func (t *Tx) SetJobState(id, state string, errMsg ...string) error {
	if err := t.check(); err != nil {
		return err
	}
	switch state {
	case JobPending, JobInProgress, JobSuccess, JobFailed, JobCanceled:
	default:
		return fmt.Errorf("unknown job state %q", state)
	}
	ti, internal, old, err := t.jobDoc("SetJobState", id)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("scheduled function %s: %w", id, ErrNotFound)
	}
	doc := make(Document, len(old)+1)
	for k, v := range old {
		doc[k] = v
	}
	st := map[string]values.Value{"kind": state}
	if state == JobFailed && len(errMsg) > 0 {
		st["error"] = errMsg[0]
	}
	doc["state"] = st
	switch state {
	case JobSuccess, JobFailed, JobCanceled:
		doc["completedTime"] = timeMs(t.now())
	default:
		delete(doc, "completedTime")
	}
	return t.putDoc(ti, internal, id, old, doc)
}

func jobFromDoc(doc Document) (Job, error) {
	j := Job{}
	j.ID, _ = doc["_id"].(string)
	j.Name, _ = doc["name"].(string)
	if arr, ok := doc["args"].([]values.Value); ok && len(arr) > 0 {
		b, err := values.Encode(arr[0])
		if err != nil {
			return j, err
		}
		j.Args = b
	} else {
		j.Args = []byte("{}")
	}
	if ms, ok := doc["scheduledTime"].(float64); ok {
		j.ScheduledTime = msTime(ms)
	}
	j.State = jobState(doc)
	if st, ok := doc["state"].(map[string]values.Value); ok {
		j.Error, _ = st["error"].(string)
	}
	return j, nil
}

// DueJobs returns up to limit pending scheduled functions whose time is at
// or before now, earliest first.
func (s *Store) DueJobs(now time.Time, limit int) ([]Job, error) {
	nowMs := timeMs(now)
	// The scheduler asks after every commit; most of the time nothing
	// pending was written since it last looked and nothing has come due.
	s.jobsMu.Lock()
	gen := s.jobsGen
	if s.idle.valid && s.idle.gen == gen && nowMs < s.idle.nextDue {
		s.jobsMu.Unlock()
		return nil, nil
	}
	s.jobsMu.Unlock()
	t, err := s.Begin(false)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q, err := t.jobQuery(
		rangeExpr{Type: "Eq", FieldPath: "state.kind", Value: JobPending},
		rangeExpr{Type: "Lte", FieldPath: "scheduledTime", Value: nowMs})
	if err != nil {
		return nil, err
	}
	out, err := t.scanJobs(q, limit)
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		return out, nil
	}
	// Nothing is due: remember when the next pending job is, for this
	// state of the table.
	next, err := t.nextPendingTime(q.table)
	if err != nil {
		return nil, err
	}
	s.jobsMu.Lock()
	if s.jobsGen == gen {
		s.idle = idleJobs{valid: true, gen: gen, nextDue: next}
	}
	s.jobsMu.Unlock()
	return nil, nil
}

// jobQuery scans the by_state index of the _scheduled_functions table
// over the range exprs select.
func (t *Tx) jobQuery(exprs ...rangeExpr) (*compiledQuery, error) {
	ti, err := t.tableByNumber(ScheduledFunctionsTable)
	if err != nil {
		return nil, err
	}
	return jobQueryOn(ti, exprs...)
}

// jobQueryOn is jobQuery on the table ti already read.
func jobQueryOn(ti *tableInfo, exprs ...rangeExpr) (*compiledQuery, error) {
	ix := ti.indexes["by_state"]
	lo, hi, err := compileRange("_scheduled_functions.by_state", ix.fields, exprs)
	if err != nil {
		return nil, err
	}
	return &compiledQuery{table: ti, index: ix, lo: lo, hi: hi}, nil
}

// scanJobs reads up to limit jobs (limit <= 0: all) that q selects, in
// index order.
func (t *Tx) scanJobs(q *compiledQuery, limit int) ([]Job, error) {
	sc := &scanner{t: t, q: q}
	var out []Job
	for limit <= 0 || len(out) < limit {
		e, err := sc.next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		doc, err := e.document()
		if err != nil {
			return nil, err
		}
		j, err := jobFromDoc(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// nextPendingTime is the earliest scheduledTime (ms) of a pending job, or
// +Inf when there is none.
func (t *Tx) nextPendingTime(ti *tableInfo) (float64, error) {
	q, err := jobQueryOn(ti, rangeExpr{Type: "Eq", FieldPath: "state.kind", Value: JobPending})
	if err != nil {
		return 0, err
	}
	sc := &scanner{t: t, q: q}
	e, err := sc.next()
	if err != nil || e == nil {
		return math.Inf(1), err
	}
	doc, err := e.document()
	if err != nil {
		return 0, err
	}
	ms, ok := doc["scheduledTime"].(float64)
	if !ok {
		return math.Inf(-1), nil // unreadable: never skip the scan
	}
	return ms, nil
}

// Jobs returns up to limit scheduled functions in a state (limit <= 0: all),
// earliest scheduled first; for example inProgress jobs left by a crash.
func (s *Store) Jobs(state string, limit int) ([]Job, error) {
	t, err := s.Begin(false)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	q, err := t.jobQuery(rangeExpr{Type: "Eq", FieldPath: "state.kind", Value: state})
	if err != nil {
		return nil, err
	}
	return t.scanJobs(q, limit)
}

// NextJobTime returns the scheduled time of the earliest pending job.
func (s *Store) NextJobTime() (time.Time, bool, error) {
	jobs, err := s.DueJobs(time.Unix(1<<40, 0), 1)
	if err != nil || len(jobs) == 0 {
		return time.Time{}, false, err
	}
	return jobs[0].ScheduledTime, true, nil
}

// GetJob reads one scheduled function.
func (s *Store) GetJob(id string) (*Job, error) {
	t, err := s.Begin(false)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	_, _, doc, err := t.jobDoc("GetJob", id)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("scheduled function %s: %w", id, ErrNotFound)
	}
	j, err := jobFromDoc(doc)
	return &j, err
}

// SetJobState updates a scheduled function's state in its own transaction.
func (s *Store) SetJobState(id, state string, errMsg ...string) error {
	return s.inWriteTx(func(t *Tx) error { return t.SetJobState(id, state, errMsg...) })
}

// inWriteTx runs fn in a write transaction of its own and commits it when
// fn succeeds; it is how the Store offers a Tx operation by itself.
func (s *Store) inWriteTx(fn func(t *Tx) error) error {
	t, err := s.Begin(true)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	_, err = t.Commit()
	return err
}

// ---- file storage ----

// BlobMeta describes a stored file.
type BlobMeta struct {
	StorageID   string
	SHA256      []byte
	Size        int64
	ContentType string
}

// parseStorageID accepts an Id<"_storage"> or the legacy form, the
// internal id as a UUID or 32 hex digits, and returns the canonical id.
func parseStorageID(s string) (string, [16]byte, bool) {
	if num, internal, err := values.DecodeID(s); err == nil {
		return s, internal, num == StorageTable
	}
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 || (len(s) != 32 && len(s) != 36) {
		return "", [16]byte{}, false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", [16]byte{}, false
	}
	var internal [16]byte
	copy(internal[:], b)
	return values.EncodeID(StorageTable, internal), internal, true
}

// storageDoc finds a _storage document by id.
func (t *Tx) storageDoc(op, rawID string) (*tableInfo, []byte, Document, error) {
	storageID, internal, ok := parseStorageID(rawID)
	if !ok {
		return nil, nil, nil, userErrorf("InvalidStorageId", "%s: %q is not a valid storage id", op, rawID)
	}
	ti, err := t.tableByNumber(StorageTable)
	if err != nil {
		return nil, nil, nil, err
	}
	doc, err := t.getDoc(ti, storageID, internal[:])
	return ti, internal[:], doc, err
}

// storageDocArg finds the _storage document named by a syscall's storageId
// argument; a missing document is nil.
func (t *Tx) storageDocArg(a args, syscall, op string) (Document, error) {
	id, err := a.mustStr(syscall, "storageId")
	if err != nil {
		return nil, err
	}
	_, _, doc, err := t.storageDoc(op, id)
	return doc, err
}

func (t *Tx) sysStorageGetURL(a args) ([]byte, error) {
	doc, err := t.storageDocArg(a, "1.0/storageGetUrl", "storage.getUrl")
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return []byte("null"), nil
	}
	return encodeResult(t.s.StorageURL(doc["_id"].(string)))
}

// StorageURL is the download URL of a stored file.
func (s *Store) StorageURL(storageID string) string {
	return strings.TrimRight(s.getOrigin(), "/") + "/api/storage/" + storageID
}

func metaFromDoc(doc Document) BlobMeta {
	m := BlobMeta{}
	m.StorageID, _ = doc["_id"].(string)
	if s, ok := doc["sha256"].(string); ok {
		m.SHA256, _ = base64.StdEncoding.DecodeString(s)
	}
	if f, ok := doc["size"].(float64); ok {
		m.Size = int64(f)
	}
	m.ContentType, _ = doc["contentType"].(string)
	return m
}

func (t *Tx) sysStorageGetMetadata(a args) ([]byte, error) {
	doc, err := t.storageDocArg(a, "1.0/storageGetMetadata", "storage.getMetadata")
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return []byte("null"), nil
	}
	m := metaFromDoc(doc)
	var ct any
	if m.ContentType != "" {
		ct = m.ContentType
	}
	return encodeResult(map[string]any{"storageId": m.StorageID, "sha256": hex.EncodeToString(m.SHA256), "size": float64(m.Size), "contentType": ct})
}

func (t *Tx) sysStorageDelete(a args) ([]byte, error) {
	if err := t.requireWrite("storage.delete"); err != nil {
		return nil, err
	}
	id, err := a.mustStr("1.0/storageDelete", "storageId")
	if err != nil {
		return nil, err
	}
	if err := t.DeleteBlob(id); err != nil {
		return nil, err
	}
	return []byte("null"), nil
}

// DeleteBlob removes a stored file in this transaction.
func (t *Tx) DeleteBlob(storageID string) error {
	if err := t.check(); err != nil {
		return err
	}
	ti, internal, doc, err := t.storageDoc("storage.delete", storageID)
	if err != nil {
		return err
	}
	if doc == nil {
		return userErrorf("StorageIdNotFound", "storage.delete: file %s does not exist", storageID)
	}
	if err := t.putDoc(ti, internal, doc["_id"].(string), doc, nil); err != nil {
		return err
	}
	_, err = t.tx.Exec(`DELETE FROM blobs WHERE internal = ?`, internal)
	return err
}

func (t *Tx) sysGenerateUploadURL() ([]byte, error) {
	if err := t.requireWrite("storage.generateUploadUrl"); err != nil {
		return nil, err
	}
	u, err := t.GenerateUploadURL()
	if err != nil {
		return nil, err
	}
	return encodeResult(u)
}

// UploadTokenTTL is how long an upload URL stays valid.
const UploadTokenTTL = time.Hour

// GenerateUploadURL makes an upload URL with a fresh token (written in this
// transaction).
func (t *Tx) GenerateUploadURL() (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	if _, err := t.tx.Exec(`INSERT INTO upload_tokens(token, expires) VALUES (?, ?)`, token, t.now().Add(UploadTokenTTL).UnixNano()); err != nil {
		return "", err
	}
	t.sawWrites = true
	return strings.TrimRight(t.s.getOrigin(), "/") + "/api/storage/upload?token=" + token, nil
}

// GenerateUploadURL makes an upload URL in its own transaction (for actions).
func (s *Store) GenerateUploadURL() (string, error) {
	var u string
	err := s.inWriteTx(func(t *Tx) (err error) {
		u, err = t.GenerateUploadURL()
		return err
	})
	return u, err
}

// CheckUploadToken reports whether token came from an upload URL that has
// not expired.
func (s *Store) CheckUploadToken(token string) error {
	var expires int64
	err := s.db.QueryRow(`SELECT expires FROM upload_tokens WHERE token = ?`, token).Scan(&expires)
	if err == sql.ErrNoRows {
		return fmt.Errorf("upload token: %w", ErrNotFound)
	}
	if err != nil {
		return err
	}
	if s.opts.Now().UnixNano() > expires {
		return errors.New("upload token expired")
	}
	return nil
}

// PutBlob stores a file and its _storage document and returns its id.
func (s *Store) PutBlob(r io.Reader, contentType string) (string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read upload: %w", err)
	}
	var id string
	err = s.inWriteTx(func(t *Tx) (err error) {
		id, err = t.storeBlob(data, contentType)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// GetBlob opens a stored file by storage id. A missing file is ErrNotFound.
func (s *Store) GetBlob(storageID string) (io.ReadCloser, BlobMeta, error) {
	_, internal, ok := parseStorageID(storageID)
	if !ok {
		return nil, BlobMeta{}, fmt.Errorf("storage id %q: %w", storageID, ErrNotFound)
	}
	var raw string
	var data []byte
	err := s.db.QueryRow(`SELECT d.value, b.data FROM documents d JOIN blobs b ON b.internal = d.internal
		WHERE d.table_number = ? AND d.internal = ?`, StorageTable, internal[:]).Scan(&raw, &data)
	if err == sql.ErrNoRows {
		return nil, BlobMeta{}, fmt.Errorf("storage id %q: %w", storageID, ErrNotFound)
	}
	if err != nil {
		return nil, BlobMeta{}, err
	}
	doc, err := decodeDoc(raw)
	if err != nil {
		return nil, BlobMeta{}, err
	}
	return io.NopCloser(bytes.NewReader(data)), metaFromDoc(doc), nil
}

// DeleteBlob removes a stored file in its own transaction.
func (s *Store) DeleteBlob(storageID string) error {
	return s.inWriteTx(func(t *Tx) error { return t.DeleteBlob(storageID) })
}

// ---- environment variables ----

// Limits of environment variables, as in the real backend.
const (
	MaxEnvValueLen = 8192
	MaxEnvVars     = 1000
)

// CheckEnvVar validates an environment variable name and value.
func CheckEnvVar(name, value string) error {
	if !isIdentifier(name, 40) {
		return userErrorf("InvalidEnvVarName", "Invalid environment variable name %q: names must start with a letter, contain only letters, digits and underscores, and be at most 40 characters long.", name)
	}
	if len(value) > MaxEnvValueLen {
		return userErrorf("EnvVarValueTooLarge", "Environment variable %s is too large (%d bytes, the maximum is %d).", name, len(value), MaxEnvValueLen)
	}
	return nil
}

// The statements that write one environment variable or metadata value,
// shared by the single and the batch writers.
const (
	upsertEnvSQL  = `INSERT INTO env(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`
	deleteEnvSQL  = `DELETE FROM env WHERE name = ?`
	upsertMetaSQL = `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`
	deleteMetaSQL = `DELETE FROM meta WHERE key = ?`
)

// EnvList returns every environment variable.
func (s *Store) EnvList() (map[string]string, error) {
	rows, err := s.db.Query(`SELECT name, value FROM env`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, rows.Err()
}

// EnvSet creates or changes an environment variable.
func (s *Store) EnvSet(name, value string) error {
	if err := CheckEnvVar(name, value); err != nil {
		return err
	}
	return s.exclusive(func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM env WHERE name != ?`, name).Scan(&n); err != nil {
			return err
		}
		if n >= MaxEnvVars {
			return userErrorf("TooManyEnvVars", "Too many environment variables (the maximum is %d).", MaxEnvVars)
		}
		_, err := tx.Exec(upsertEnvSQL, name, value)
		return err
	})
}

// EnvDelete removes an environment variable (no error if absent).
func (s *Store) EnvDelete(name string) error {
	return s.execExclusive(deleteEnvSQL, name)
}

// EnvApply sets and deletes several variables atomically: a nil value
// deletes.
func (s *Store) EnvApply(changes map[string]*string) error {
	for name, v := range changes {
		if v != nil {
			if err := CheckEnvVar(name, *v); err != nil {
				return err
			}
		}
	}
	return s.exclusive(func(tx *sql.Tx) error {
		for name, v := range changes {
			var err error
			if v == nil {
				_, err = tx.Exec(deleteEnvSQL, name)
			} else {
				_, err = tx.Exec(upsertEnvSQL, name, *v)
			}
			if err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM env`).Scan(&n); err != nil {
			return err
		}
		if n > MaxEnvVars {
			return userErrorf("TooManyEnvVars", "Too many environment variables (the maximum is %d).", MaxEnvVars)
		}
		return nil
	})
}

// ---- metadata ----

// GetMeta reads a metadata value.
func (s *Store) GetMeta(key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// PutMeta writes a metadata value durably.
func (s *Store) PutMeta(key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return s.execExclusive(upsertMetaSQL, key, value)
}

// DeleteMeta removes a metadata value.
func (s *Store) DeleteMeta(key string) error {
	return s.execExclusive(deleteMetaSQL, key)
}

// PutMetas writes several metadata values atomically (nil deletes).
func (s *Store) PutMetas(kv map[string][]byte) error {
	return s.exclusive(func(tx *sql.Tx) error {
		for k, v := range kv {
			var err error
			if v == nil {
				_, err = tx.Exec(deleteMetaSQL, k)
			} else {
				_, err = tx.Exec(upsertMetaSQL, k, v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// exclusive runs fn in a SQL transaction under the writer lock and returns
// once the commit is on disk.
func (s *Store) exclusive(fn func(tx *sql.Tx) error) error {
	if err := s.exclusiveLocked(fn); err != nil {
		return err
	}
	// ts 0: these writes have no commit timestamp, so always sync.
	return s.syncTo(0)
}

// execExclusive runs one statement as exclusive does.
func (s *Store) execExclusive(query string, args ...any) error {
	return s.exclusive(func(tx *sql.Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	})
}

func (s *Store) exclusiveLocked(fn func(tx *sql.Tx) error) error {
	s.writer.Lock()
	defer s.writer.Unlock()
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// MarshalJSON makes a Job print with its fields' natural names.
func (j Job) MarshalJSON() ([]byte, error) {
	type out struct {
		ID            string          `json:"id"`
		Name          string          `json:"name"`
		Args          json.RawMessage `json:"args"`
		ScheduledTime float64         `json:"scheduledTime"`
		State         string          `json:"state"`
		Error         string          `json:"error,omitempty"`
	}
	return json.Marshal(out{j.ID, j.Name, j.Args, timeMs(j.ScheduledTime), j.State, j.Error})
}

// sysStorageStore is the legacy in-transaction 1.0/storageStore:
// {blob: base64, contentType, sha256?} -> storage id.
func (t *Tx) sysStorageStore(a args) ([]byte, error) {
	if err := t.requireWrite("storage.store"); err != nil {
		return nil, err
	}
	b64, err := a.mustStr("1.0/storageStore", "blob")
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, userErrorf("InvalidArgument", "storage.store: blob is not base64: %v", err)
	}
	contentType, _ := a.str("contentType")
	sum := sha256.Sum256(data)
	if want, ok := a.str("sha256"); ok && want != "" &&
		want != hex.EncodeToString(sum[:]) && want != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, userErrorf("StorageHashMismatch", "storage.store: the SHA-256 of the blob does not match the given sha256")
	}
	id, err := t.storeBlob(data, contentType)
	if err != nil {
		return nil, err
	}
	return encodeResult(id)
}

// storeBlob writes a file and its _storage document in this transaction.
func (t *Tx) storeBlob(data []byte, contentType string) (string, error) {
	ti, err := t.tableByNumber(StorageTable)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	doc := map[string]values.Value{
		"sha256": base64.StdEncoding.EncodeToString(sum[:]),
		"size":   float64(len(data)),
	}
	if contentType != "" {
		doc["contentType"] = contentType
	}
	id, err := t.insertDoc(ti, doc, "storage.store")
	if err != nil {
		return "", err
	}
	_, internal, _ := values.DecodeID(id)
	if _, err := t.tx.Exec(`INSERT INTO blobs(internal, data) VALUES (?, ?)`, internal[:], data); err != nil {
		return "", fmt.Errorf("store blob: %w", err)
	}
	t.filesWritten++
	t.fileWritten += len(data)
	return id, nil
}

// sysStorageGet is the legacy 1.0/storageGet: {storageId} ->
// {blob: base64, contentType} or null.
func (t *Tx) sysStorageGet(a args) ([]byte, error) {
	id, err := a.mustStr("1.0/storageGet", "storageId")
	if err != nil {
		return nil, err
	}
	_, internal, doc, err := t.storageDoc("storage.get", id)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return []byte("null"), nil
	}
	var data []byte
	if err := t.tx.QueryRow(`SELECT data FROM blobs WHERE internal = ?`, internal).Scan(&data); err != nil {
		if err == sql.ErrNoRows {
			return []byte("null"), nil
		}
		return nil, err
	}
	t.filesRead++
	t.fileRead += len(data)
	var ct any
	if m := metaFromDoc(doc); m.ContentType != "" {
		ct = m.ContentType
	}
	return encodeResult(map[string]any{"blob": base64.StdEncoding.EncodeToString(data), "contentType": ct})
}
