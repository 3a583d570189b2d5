package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

// This file holds the bulk operations of snapshot export and import. They
// bypass the per-function read and write limits (an export reads every
// document; an import writes a whole file in one transaction) and may set
// the system fields _id and _creationTime, which user code never can.

// SnapshotTables lists the tables visible in this transaction: user tables
// sorted by name, then the system tables.
func (t *Tx) SnapshotTables() ([]TableInfo, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if err := t.loadTables(); err != nil {
		return nil, err
	}
	out := make([]TableInfo, 0, len(t.tables))
	for _, ti := range t.tables {
		var n int64
		if err := t.tx.QueryRow(`SELECT COUNT(*) FROM documents WHERE table_number = ?`, ti.number).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", ti.name, err)
		}
		out = append(out, TableInfo{Name: ti.name, Number: ti.number, Count: n, System: ti.system()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].System != out[j].System {
			return !out[i].System
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// SnapshotScan calls fn for every document of a table (a user table or the
// virtual _storage / _scheduled_functions), in creation order. A missing
// table has no documents. There is no read limit.
func (t *Tx) SnapshotScan(table string, fn func(doc Document) error) error {
	if err := t.check(); err != nil {
		return err
	}
	ti, err := t.tableByName(table)
	if err != nil || ti == nil {
		return err
	}
	ix := ti.indexes["by_creation_time"]
	if ix == nil {
		return fmt.Errorf("table %s has no creation-time index", table)
	}
	t.reads.add(KeyRange{Table: ti.name, Index: "by_creation_time"})
	rows, err := t.tx.Query(`SELECT d.value FROM index_entries e JOIN documents d
		ON d.table_number = ? AND d.internal = e.internal
		WHERE e.index_id = ? ORDER BY e.key`, ti.number, ix.id)
	if err != nil {
		return fmt.Errorf("scan %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
		doc, err := decodeDoc(raw)
		if err != nil {
			return err
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SnapshotBlob returns the content of a stored file by its storage id, read
// in this transaction.
func (t *Tx) SnapshotBlob(storageID string) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	_, internal, ok := parseStorageID(storageID)
	if !ok {
		return nil, fmt.Errorf("storage id %q: %w", storageID, ErrNotFound)
	}
	var data []byte
	err := t.tx.QueryRow(`SELECT data FROM blobs WHERE internal = ?`, internal[:]).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("storage id %q: %w", storageID, ErrNotFound)
	}
	return data, err
}

// SnapshotEnsureTable returns the number of a user table, creating the
// table when it does not exist. A new table takes number want when want is
// a free user-table number (an import keeps the numbers of an export, so its
// ids stay valid); otherwise it gets the next free number.
func (t *Tx) SnapshotEnsureTable(name string, want uint32) (number uint32, created bool, err error) {
	if err := t.check(); err != nil {
		return 0, false, err
	}
	if err := t.requireWrite("import"); err != nil {
		return 0, false, err
	}
	if strings.HasPrefix(name, "_") {
		return 0, false, userErrorf("ReadOnlySystemTable", "Cannot import into system table %q.", name)
	}
	if err := validTableName(name); err != nil {
		return 0, false, err
	}
	ti, err := t.tableByName(name)
	if err != nil {
		return 0, false, err
	}
	if ti != nil {
		return ti.number, false, nil
	}
	if want >= FirstUserTable {
		if other, err := t.tableByNumber(want); err != nil {
			return 0, false, err
		} else if other == nil {
			if err := t.createTableNumbered(name, want); err != nil {
				return 0, false, err
			}
			return want, true, nil
		}
	}
	ti, err = t.createTable(name)
	if err != nil {
		return 0, false, err
	}
	return ti.number, true, nil
}

func (t *Tx) createTableNumbered(name string, num uint32) error {
	t.metaDirty = true
	t.sawWrites = true
	if _, err := t.tx.Exec(`INSERT INTO tables(number, name) VALUES (?, ?)`, num, name); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := ensureBuiltinIndexes(t.tx, num); err != nil {
		return err
	}
	if sc := t.s.activeSchema(); sc != nil {
		if td := sc.Tables[name]; td != nil {
			for _, ix := range td.allIndexes() {
				if err := insertIndex(t.tx, num, ix.Name, ix.Kind, ix.Fields, ix.configJSON()); err != nil {
					return err
				}
			}
		}
	}
	t.tables, t.byNumber = nil, nil
	return nil
}

// SnapshotClear deletes every document of a user table (import modes
// replace and replaceAll) and returns how many there were. Stored files are
// cleared with table "_storage".
func (t *Tx) SnapshotClear(table string) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if err := t.requireWrite("import"); err != nil {
		return 0, err
	}
	if strings.HasPrefix(table, "_") && table != StorageName {
		return 0, userErrorf("ReadOnlySystemTable", "Cannot clear system table %q.", table)
	}
	ti, err := t.tableByName(table)
	if err != nil || ti == nil {
		return 0, err
	}
	type victim struct {
		internal []byte
		doc      Document
	}
	var all []victim
	if err := t.scanTable(ti.number, func(internal []byte, doc Document) error {
		all = append(all, victim{internal, doc})
		return nil
	}); err != nil {
		return 0, err
	}
	for _, v := range all {
		id, _ := v.doc["_id"].(string)
		t.writes = 0 // bulk operation: not subject to the per-function write limit
		if err := t.putDoc(ti, v.internal, id, v.doc, nil); err != nil {
			return 0, err
		}
		if ti.number == StorageTable {
			if _, err := t.tx.Exec(`DELETE FROM blobs WHERE internal = ?`, v.internal); err != nil {
				return 0, fmt.Errorf("delete blob: %w", err)
			}
		}
	}
	return len(all), nil
}

// SnapshotInsert writes a document that may carry its own _id and
// _creationTime into a user table. The _id is kept when it is an id of this
// table that is not in use and _creationTime when it is a positive finite
// number; otherwise fresh ones are made. Other fields must be user fields.
// It returns the document's id.
func (t *Tx) SnapshotInsert(table string, doc Document) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	if err := t.requireWrite("import"); err != nil {
		return "", err
	}
	ti, err := t.tableByName(table)
	if err != nil {
		return "", err
	}
	if ti == nil || ti.system() {
		return "", userErrorf("TableNotFound", "Table %q does not exist; create it with SnapshotEnsureTable first.", table)
	}
	return t.snapshotPut(ti, doc)
}

func (t *Tx) snapshotPut(ti *tableInfo, doc Document) (string, error) {
	out := make(Document, len(doc)+2)
	for k, v := range doc {
		if k == "_id" || k == "_creationTime" || values.IsUndefined(v) {
			continue
		}
		if strings.HasPrefix(k, "_") && !ti.system() {
			return "", userErrorf("InvalidDocument", "field %q starts with an underscore, which is reserved for system fields", k)
		}
		if err := values.CheckFieldName(k); err != nil {
			return "", userErrorf("InvalidDocument", "%v", err)
		}
		out[k] = v
	}
	var internal [16]byte
	id, _ := doc["_id"].(string)
	keep := false
	if id != "" {
		if num, in, err := values.DecodeID(id); err == nil && num == ti.number {
			existing, err := t.loadDoc(ti.number, in[:])
			if err != nil {
				return "", err
			}
			t.docsRead = 0 // bulk operation: not subject to the read limit
			if existing != nil {
				return "", userErrorf("DuplicateId", "a document with _id %s already exists in table %q", id, ti.name)
			}
			internal, keep = in, true
		}
	}
	if !keep {
		id = values.NewID(ti.number)
		_, internal, _ = values.DecodeID(id)
	}
	// An imported creation time is kept as it is and does not move the
	// clock of new documents: a time in the future would otherwise drag
	// every later document's creation time along.
	ct, ok := creationTime(doc["_creationTime"])
	if !ok {
		ct = t.s.nextCreationTime(t.ts)
	}
	out["_id"] = id
	out["_creationTime"] = ct
	if err := t.checkDoc("import", ti, out); err != nil {
		return "", err
	}
	t.writes = 0 // bulk operation: not subject to the per-function write limit
	if err := t.putDoc(ti, internal[:], id, nil, out); err != nil {
		return "", err
	}
	return id, nil
}

func creationTime(v values.Value) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	default:
		return 0, false
	}
	if f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// SnapshotInsertBlob restores a stored file: its _storage document (with
// _id, _creationTime, contentType) and its content. The sha256 and size are
// recomputed from data. It returns the storage id.
func (t *Tx) SnapshotInsertBlob(doc Document, data []byte) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	if err := t.requireWrite("import"); err != nil {
		return "", err
	}
	ti, err := t.tableByNumber(StorageTable)
	if err != nil {
		return "", err
	}
	meta := Document{}
	for _, k := range []string{"_id", "_creationTime", "contentType"} {
		if v, ok := doc[k]; ok && v != nil {
			meta[k] = v
		}
	}
	sum := sha256Sum(data)
	meta["sha256"] = sum
	meta["size"] = float64(len(data))
	id, err := t.snapshotPut(ti, meta)
	if err != nil {
		return "", err
	}
	_, internal, _ := values.DecodeID(id)
	if _, err := t.tx.Exec(`INSERT INTO blobs(internal, data) VALUES (?, ?)`, internal[:], data); err != nil {
		return "", fmt.Errorf("store blob: %w", err)
	}
	return id, nil
}

func sha256Sum(data []byte) string {
	sum := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}
