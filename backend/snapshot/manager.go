package snapshot

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
	"github.com/convex-go/convex/internal/lazy"
)

// Pseudo table names whose changes Options.Notify reports.
const (
	ExportsTable = "_exports"
	ImportsTable = "_snapshot_imports"
)

// Pseudo table numbers of the record ids (they live in no document table).
const (
	exportsTableNumber = 31
	importsTableNumber = 32
)

const (
	metaExports = "snapshot/exports"
	metaImports = "snapshot/imports"
	keepExports = 20
	keepImports = 50
	maxParts    = 9999
	// exportRetention is how long an export stays downloadable (reported
	// as expiration_ts; files are replaced by later exports anyway).
	exportRetention = 14 * 24 * time.Hour
)

// ErrExportInProgress refuses a second concurrent export.
var ErrExportInProgress = errors.New("A snapshot export is already requested or in progress. Only one can run at a time.")

// ErrNotFound is a missing export, import or upload.
var ErrNotFound = errors.New("not found")

// RequestError is a mistake in an import or export request (HTTP 400).
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

func requestErrorf(format string, a ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, a...)}
}

// Options configures a Manager.
type Options struct {
	// Notify is called after an export or import record changes, with
	// ExportsTable or ImportsTable, so subscriptions can re-run.
	Notify func(table string)
	// Committed is called after an import commits, with its timestamp and
	// writes, before the import's record says completed.
	Committed func(ts int64, writes store.WriteSet)
	// Now is the clock (tests may fix it); default time.Now.
	Now func() time.Time
}

// Manager runs exports and imports for one store and keeps their records
// durably in the store's metadata; export files and uploads live in a
// directory next to the database.
type Manager struct {
	st   *store.Store
	dir  string
	opts Options

	mu       sync.Mutex // guards the records
	importMu sync.Mutex // one import at a time
	wg       sync.WaitGroup
	closed   bool
}

// NewManager opens the records of st. Work that a restart interrupted is
// marked failed.
func NewManager(st *store.Store, opts Options) (*Manager, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{st: st, dir: filepath.Join(st.Dir(), "snapshots"), opts: opts}
	for _, d := range []string{"exports", "uploads", "imports"} {
		if err := os.MkdirAll(filepath.Join(m.dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("snapshot directory: %w", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	exports, err := m.load(metaExports)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, d := range exports {
		if s := d["state"]; s == "requested" || s == "in_progress" {
			d["state"] = "failed"
			d["error_message"] = "The export was interrupted by a restart of the backend."
			changed = true
		}
	}
	if changed {
		if err := m.save(metaExports, exports); err != nil {
			return nil, err
		}
	}
	imports, err := m.load(metaImports)
	if err != nil {
		return nil, err
	}
	changed = false
	for _, d := range imports {
		if st := importState(d); st == "uploaded" || st == "in_progress" {
			d["state"] = failedState("The import was interrupted by a restart of the backend.")
			changed = true
		}
	}
	if changed {
		if err := m.save(metaImports, imports); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Close waits for running exports.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

type record = map[string]values.Value

func (m *Manager) load(key string) ([]record, error) {
	b, ok, err := m.st.GetMeta(key)
	if err != nil || !ok || len(b) == 0 {
		return nil, err
	}
	v, err := values.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("records %s: %w", key, err)
	}
	arr, _ := v.([]values.Value)
	out := make([]record, 0, len(arr))
	for _, e := range arr {
		if d, ok := e.(record); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

func (m *Manager) save(key string, docs []record) error {
	arr := make([]values.Value, len(docs))
	for i, d := range docs {
		arr[i] = d
	}
	b, err := values.Encode(arr)
	if err != nil {
		return err
	}
	return m.st.PutMeta(key, b)
}

func (m *Manager) notify(table string) {
	if m.opts.Notify != nil {
		m.opts.Notify(table)
	}
}

func (m *Manager) nowMs() float64 { return float64(m.opts.Now().UnixMicro()) / 1000 }

// update changes one record under the lock and saves.
func (m *Manager) update(key, id string, fn func(d record) error) (record, error) {
	m.mu.Lock()
	docs, err := m.load(key)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	var found record
	for _, d := range docs {
		if d["_id"] == id {
			found = d
		}
	}
	if found == nil {
		m.mu.Unlock()
		return nil, ErrNotFound
	}
	if err := fn(found); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	err = m.save(key, docs)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if key == metaExports {
		m.notify(ExportsTable)
	} else {
		m.notify(ImportsTable)
	}
	return found, nil
}

func copyRecord(d record) record {
	if d == nil {
		return nil
	}
	b, err := values.Encode(d)
	if err != nil {
		return nil
	}
	v, _ := values.Decode(b)
	out, _ := v.(record)
	return out
}

// ---- exports ----

// LatestExport returns the newest export record, or nil.
func (m *Manager) LatestExport() (values.Value, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	docs, err := m.load(metaExports)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	return copyRecord(docs[len(docs)-1]), nil
}

// RequestExport records a requested export and starts it in the
// background. It returns the export's id.
func (m *Manager) RequestExport(includeStorage bool) (string, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return "", errors.New("the backend is shutting down")
	}
	docs, err := m.load(metaExports)
	if err != nil {
		m.mu.Unlock()
		return "", err
	}
	if n := len(docs); n > 0 {
		if s := docs[n-1]["state"]; s == "requested" || s == "in_progress" {
			m.mu.Unlock()
			return "", ErrExportInProgress
		}
	}
	id := values.NewID(exportsTableNumber)
	docs = append(docs, record{
		"_id": id, "_creationTime": m.nowMs(), "state": "requested", "requestor": "snapshotExport",
		"format": record{"format": "zip", "include_storage": includeStorage},
	})
	var dropped []record
	if len(docs) > keepExports {
		dropped = docs[:len(docs)-keepExports]
		docs = docs[len(docs)-keepExports:]
	}
	if err := m.save(metaExports, docs); err != nil {
		m.mu.Unlock()
		return "", err
	}
	m.wg.Add(1)
	m.mu.Unlock()
	for _, d := range dropped {
		if k, ok := d["zip_object_key"].(string); ok {
			os.Remove(filepath.Join(m.dir, "exports", filepath.Base(k)))
		}
	}
	m.notify(ExportsTable)
	go func() {
		defer m.wg.Done()
		m.runExport(id, includeStorage)
	}()
	return id, nil
}

func (m *Manager) runExport(id string, includeStorage bool) {
	fail := func(err error) {
		m.update(metaExports, id, func(d record) error {
			d["state"] = "failed"
			d["error_message"] = err.Error()
			return nil
		})
	}
	tx, err := m.st.Begin(false)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	start := tx.TS()
	if _, err := m.update(metaExports, id, func(d record) error {
		d["state"] = "in_progress"
		d["start_ts"] = start
		d["progress_message"] = "Exporting tables"
		return nil
	}); err != nil {
		fail(err)
		return
	}
	key := id + ".zip"
	final := filepath.Join(m.dir, "exports", key)
	f, err := os.CreateTemp(filepath.Join(m.dir, "exports"), "partial-*")
	if err != nil {
		fail(err)
		return
	}
	_, err = WriteZIP(tx, f, includeStorage)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), final)
	}
	if err != nil {
		os.Remove(f.Name())
		fail(fmt.Errorf("export failed: %w", err))
		return
	}
	now := m.opts.Now()
	m.update(metaExports, id, func(d record) error {
		d["state"] = "completed"
		d["complete_ts"] = now.UnixNano()
		d["expiration_ts"] = now.Add(exportRetention).UnixNano()
		d["zip_object_key"] = key
		delete(d, "progress_message")
		return nil
	})
}

// ExportFile is a completed export ready to download.
type ExportFile struct {
	Path     string
	Size     int64
	Filename string // snapshot_<start_ts>.zip
}

// OpenExport finds a completed export by its start timestamp (decimal) or
// its id; the newest match wins.
func (m *Manager) OpenExport(key string) (*ExportFile, error) {
	m.mu.Lock()
	docs, err := m.load(metaExports)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for i := len(docs) - 1; i >= 0; i-- {
		d := docs[i]
		ts, _ := d["start_ts"].(int64)
		if d["_id"] != key && strconv.FormatInt(ts, 10) != key {
			continue
		}
		if d["state"] != "completed" {
			return nil, requestErrorf("export %s is %v, not completed", key, d["state"])
		}
		obj, _ := d["zip_object_key"].(string)
		p := filepath.Join(m.dir, "exports", filepath.Base(obj))
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", key, ErrNotFound)
		}
		return &ExportFile{Path: p, Size: st.Size(), Filename: fmt.Sprintf("snapshot_%d.zip", ts)}, nil
	}
	return nil, fmt.Errorf("export %s: %w", key, ErrNotFound)
}

// ---- imports ----

// ImportArgs are the options of an import (finish_upload's "import").
type ImportArgs struct {
	TableName     string `json:"tableName,omitempty"`
	ComponentPath string `json:"componentPath,omitempty"`
	Mode          string `json:"mode"`
	Format        string `json:"format"`
}

type checkedArgs struct {
	format Format
	mode   Mode
	table  string
}

func checkArgs(a ImportArgs) (checkedArgs, error) {
	f, err := ParseFormat(a.Format)
	if err != nil {
		return checkedArgs{}, &RequestError{Msg: err.Error()}
	}
	mode, err := ParseMode(a.Mode)
	if err != nil {
		return checkedArgs{}, &RequestError{Msg: err.Error()}
	}
	if a.ComponentPath != "" {
		return checkedArgs{}, requestErrorf("component %q not found: this deployment has no components", a.ComponentPath)
	}
	if f == FormatZIP && a.TableName != "" {
		return checkedArgs{}, requestErrorf("a table name is not allowed when importing a ZIP file")
	}
	if f != FormatZIP && a.TableName == "" {
		return checkedArgs{}, requestErrorf("a table name is required to import format %s", f)
	}
	return checkedArgs{format: f, mode: mode, table: a.TableName}, nil
}

func importState(d record) string {
	s, _ := d["state"].(record)
	st, _ := s["state"].(string)
	return st
}

func failedState(msg string) record { return record{"state": "failed", "error_message": msg} }

// Import returns an import record by id, or nil.
func (m *Manager) Import(id string) (values.Value, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	docs, err := m.load(metaImports)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if d["_id"] == id {
			return copyRecord(d), nil
		}
	}
	return nil, nil
}

// ListImports returns up to limit import records, newest first.
func (m *Manager) ListImports(limit int) ([]values.Value, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	docs, err := m.load(metaImports)
	if err != nil {
		return nil, err
	}
	var out []values.Value
	for i := len(docs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, copyRecord(docs[i]))
	}
	return out, nil
}

var tokenRE = lazy.Regexp(`^[0-9a-f]{32}$`)

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StartUpload begins a multi-part upload and returns its token.
func (m *Manager) StartUpload() (string, error) {
	tok := randomToken()
	if err := os.MkdirAll(filepath.Join(m.dir, "uploads", tok), 0o755); err != nil {
		return "", err
	}
	return tok, nil
}

func (m *Manager) uploadDir(token string) (string, error) {
	if !tokenRE.Get().MatchString(token) {
		return "", requestErrorf("invalid upload token")
	}
	d := filepath.Join(m.dir, "uploads", token)
	if _, err := os.Stat(d); err != nil {
		return "", requestErrorf("unknown upload token: start the upload again")
	}
	return d, nil
}

// UploadPart stores part number part (1..9999) of an upload and returns the
// part's token.
func (m *Manager) UploadPart(token string, part int, r io.Reader) (string, error) {
	d, err := m.uploadDir(token)
	if err != nil {
		return "", err
	}
	if part < 1 || part > maxParts {
		return "", requestErrorf("invalid part number %d: expected 1 to %d", part, maxParts)
	}
	f, err := os.Create(filepath.Join(d, strconv.Itoa(part)))
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return "", fmt.Errorf("upload part %d: %w", part, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return "part-" + strconv.Itoa(part), nil
}

// FinishUpload joins the parts, records the import and parses it. A file
// that cannot be parsed gives a failed import (its record says why); an
// import that parsed waits for PerformImport.
func (m *Manager) FinishUpload(token string, args ImportArgs, partTokens []string) (string, error) {
	ca, err := checkArgs(args)
	if err != nil {
		return "", err
	}
	d, err := m.uploadDir(token)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	for _, pt := range partTokens {
		num, ok := strings.CutPrefix(pt, "part-")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || n > maxParts {
			return "", requestErrorf("invalid part token %q", pt)
		}
		b, err := os.ReadFile(filepath.Join(d, strconv.Itoa(n)))
		if err != nil {
			return "", requestErrorf("part %d was not uploaded", n)
		}
		if buf.Len() == 0 {
			b = stripBOM(b)
		}
		buf.Write(b)
	}
	os.RemoveAll(d)
	return m.recordImport(ca, args, buf.Bytes())
}

func (m *Manager) recordImport(ca checkedArgs, args ImportArgs, data []byte) (string, error) {
	id := values.NewID(importsTableNumber)
	if err := os.WriteFile(m.dataPath(id), data, 0o644); err != nil {
		return "", fmt.Errorf("save upload: %w", err)
	}
	doc := record{
		"_id": id, "_creationTime": m.nowMs(),
		"state":     record{"state": "uploaded"},
		"format":    string(ca.format),
		"mode":      string(ca.mode),
		"requestor": record{"type": "cliImport"},
	}
	if ca.table != "" {
		doc["tableName"] = ca.table
	}
	m.mu.Lock()
	docs, err := m.load(metaImports)
	if err == nil {
		docs = append(docs, doc)
		if len(docs) > keepImports {
			for _, old := range docs[:len(docs)-keepImports] {
				os.Remove(m.dataPath(old["_id"].(string)))
			}
			docs = docs[len(docs)-keepImports:]
		}
		err = m.save(metaImports, docs)
	}
	m.mu.Unlock()
	if err != nil {
		return "", err
	}
	m.notify(ImportsTable)

	state := m.planState(ca, data)
	if _, err := m.update(metaImports, id, func(d record) error {
		d["state"] = state
		return nil
	}); err != nil {
		return "", err
	}
	return id, nil
}

func (m *Manager) dataPath(id string) string {
	return filepath.Join(m.dir, "imports", filepath.Base(id)+".data")
}

// planState parses an upload and describes what the import would do.
func (m *Manager) planState(ca checkedArgs, data []byte) record {
	p, err := Parse(ca.format, ca.table, data)
	if err != nil {
		return failedState(err.Error())
	}
	tx, err := m.st.Begin(false)
	if err != nil {
		return failedState(err.Error())
	}
	defer tx.Rollback()
	changes, err := Plan(tx, p, ca.mode)
	if err != nil {
		return failedState(err.Error())
	}
	// Only an import that deletes documents needs the user's explicit
	// confirmation (the CLI's --yes skips it).
	deletes := false
	for _, c := range changes {
		deletes = deletes || c.Deleted > 0
	}
	return record{
		"state":                       "waiting_for_confirmation",
		"message_to_confirm":          Summary(changes),
		"require_manual_confirmation": deletes,
	}
}

// PerformImport runs a confirmed import to completion. Its outcome is in
// the import's record (completed or failed); the error is only for a
// request that cannot be honoured (unknown id, wrong state).
func (m *Manager) PerformImport(id string) error {
	m.importMu.Lock()
	defer m.importMu.Unlock()
	var ca checkedArgs
	_, err := m.update(metaImports, id, func(d record) error {
		if st := importState(d); st != "waiting_for_confirmation" {
			return requestErrorf("import %s is %s, not waiting for confirmation", id, st)
		}
		f, _ := d["format"].(string)
		mode, _ := d["mode"].(string)
		table, _ := d["tableName"].(string)
		var err error
		if ca, err = checkArgs(ImportArgs{Format: f, Mode: mode, TableName: table}); err != nil {
			return err
		}
		d["state"] = record{"state": "in_progress", "progress_message": "Importing", "checkpoint_messages": []values.Value{}}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return requestErrorf("import %s not found", id)
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(m.dataPath(id))
	var n int
	var ts int64
	if err == nil {
		n, ts, err = m.apply(ca, data)
	} else {
		err = errors.New("the uploaded file is gone; upload it again")
	}
	final := failedState("")
	if err != nil {
		final["error_message"] = err.Error()
	} else {
		final = record{"state": "completed", "num_rows_written": int64(n), "timestamp": ts,
			"checkpoint_messages": []values.Value{}}
	}
	os.Remove(m.dataPath(id))
	_, uerr := m.update(metaImports, id, func(d record) error {
		d["state"] = final
		return nil
	})
	return uerr
}

// CancelImport cancels an import that has not started.
func (m *Manager) CancelImport(id string) error {
	_, err := m.update(metaImports, id, func(d record) error {
		switch st := importState(d); st {
		case "uploaded", "waiting_for_confirmation":
			d["state"] = failedState("Import canceled")
			return nil
		default:
			return requestErrorf("import %s is %s and cannot be canceled", id, st)
		}
	})
	if errors.Is(err, ErrNotFound) {
		return requestErrorf("import %s not found", id)
	}
	if err == nil {
		os.Remove(m.dataPath(id))
	}
	return err
}

// ImportNow parses and applies data in one step (POST /api/import) and
// returns the number of documents written. Parse and plan errors are
// *RequestError.
func (m *Manager) ImportNow(args ImportArgs, data []byte) (int, error) {
	ca, err := checkArgs(args)
	if err != nil {
		return 0, err
	}
	m.importMu.Lock()
	defer m.importMu.Unlock()
	n, _, err := m.apply(ca, stripBOM(data))
	return n, err
}

// apply parses and writes an import in one write transaction; any error
// rolls everything back.
func (m *Manager) apply(ca checkedArgs, data []byte) (int, int64, error) {
	p, err := Parse(ca.format, ca.table, data)
	if err != nil {
		return 0, 0, &RequestError{Msg: err.Error()}
	}
	tx, err := m.st.Begin(true)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	n, err := Apply(tx, p, ca.mode)
	if err != nil {
		return 0, 0, &RequestError{Msg: err.Error()}
	}
	writes := tx.Writes()
	ts, err := tx.Commit()
	if err != nil {
		return 0, 0, err
	}
	if m.opts.Committed != nil {
		m.opts.Committed(ts, writes)
	}
	return n, ts, nil
}
