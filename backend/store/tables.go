package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Table numbers. User tables start at FirstUserTable like in the real
// backend; the virtual system tables users can read have small numbers.
const (
	FirstUserTable          = 10001
	ScheduledFunctionsTable = 7
	StorageTable            = 8

	ScheduledFunctionsName = "_scheduled_functions"
	StorageName            = "_storage"
)

type systemIndex struct {
	name   string
	fields []string
}

var systemTables = []struct {
	number  uint32
	name    string
	indexes []systemIndex
}{
	{ScheduledFunctionsTable, ScheduledFunctionsName, []systemIndex{{"by_state", []string{"state.kind", "scheduledTime"}}}},
	{StorageTable, StorageName, nil},
}

type indexInfo struct {
	id     int64
	table  uint32
	name   string   // short name, e.g. by_author
	kind   string   // database, search, vector
	fields []string // key fields including the implicit suffix
	config string
}

type tableInfo struct {
	number  uint32
	name    string
	indexes map[string]*indexInfo
}

func (ti *tableInfo) system() bool { return strings.HasPrefix(ti.name, "_") }

// TableInfo describes one table for listings.
type TableInfo struct {
	Name   string
	Number uint32
	Count  int64
	System bool
}

// isIdentifier reports whether name is a letter followed by at most max-1
// letters, digits or underscores: the rule for table, index and environment
// variable names. (A regexp with a counted repetition would cost a compile
// of its expanded form at every program start.)
func isIdentifier(name string, max int) bool {
	if name == "" || len(name) > max {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}

func validTableName(name string) error {
	if !isIdentifier(name, 64) {
		return userErrorf("InvalidTableName", "Invalid table name %q: table names must start with a letter, contain only letters, digits and underscores, and be at most 64 characters long.", name)
	}
	return nil
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

func keyFieldsFor(name string, fields []string) []string {
	switch name {
	case "by_id":
		return []string{"_id"}
	case "by_creation_time":
		return []string{"_creationTime", "_id"}
	}
	out := append([]string(nil), fields...)
	if len(out) == 0 || out[len(out)-1] != "_creationTime" {
		out = append(out, "_creationTime")
	}
	return append(out, "_id")
}

func insertIndex(e execer, table uint32, name, kind string, fields []string, config string) error {
	kf := fields
	if kind == "database" {
		kf = keyFieldsFor(name, fields)
	}
	fj, _ := json.Marshal(kf)
	_, err := e.Exec(`INSERT OR IGNORE INTO indexes(table_number, name, kind, fields, config) VALUES (?, ?, ?, ?, ?)`,
		table, name, kind, string(fj), config)
	return err
}

func ensureBuiltinIndexes(e execer, table uint32) error {
	if err := insertIndex(e, table, "by_id", "database", nil, "{}"); err != nil {
		return err
	}
	return insertIndex(e, table, "by_creation_time", "database", nil, "{}")
}

// loadTables fills the transaction's table cache.
func (t *Tx) loadTables() error {
	if t.tables != nil {
		return nil
	}
	if !t.metaDirty {
		t.s.mu.Lock()
		c := t.s.metaCache
		valid := c != nil && c.gen == t.s.metaGen
		t.s.mu.Unlock()
		if valid {
			t.tables, t.byNumber = c.tables, c.byNumber
			return nil
		}
	}
	tables := map[string]*tableInfo{}
	byNumber := map[uint32]*tableInfo{}
	rows, err := t.tx.Query(`SELECT number, name FROM tables`)
	if err != nil {
		return err
	}
	for rows.Next() {
		ti := &tableInfo{indexes: map[string]*indexInfo{}}
		if err := rows.Scan(&ti.number, &ti.name); err != nil {
			rows.Close()
			return err
		}
		tables[ti.name] = ti
		byNumber[ti.number] = ti
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = t.tx.Query(`SELECT id, table_number, name, kind, fields, config FROM indexes`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		ix := &indexInfo{}
		var fields string
		if err := rows.Scan(&ix.id, &ix.table, &ix.name, &ix.kind, &fields, &ix.config); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(fields), &ix.fields); err != nil {
			return fmt.Errorf("index %s: %w", ix.name, err)
		}
		if ti := byNumber[ix.table]; ti != nil {
			ti.indexes[ix.name] = ix
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	t.tables, t.byNumber = tables, byNumber
	if !t.metaDirty {
		t.s.mu.Lock()
		if t.s.metaGen == t.metaGen {
			t.s.metaCache = &tableCache{gen: t.metaGen, tables: tables, byNumber: byNumber}
		}
		t.s.mu.Unlock()
	}
	return nil
}

func (t *Tx) tableByName(name string) (*tableInfo, error) {
	if err := t.loadTables(); err != nil {
		return nil, err
	}
	return t.tables[name], nil
}

func (t *Tx) tableByNumber(n uint32) (*tableInfo, error) {
	if err := t.loadTables(); err != nil {
		return nil, err
	}
	return t.byNumber[n], nil
}

// createTable makes a user table with its built-in indexes and any indexes
// the active schema declares for it.
func (t *Tx) createTable(name string) (*tableInfo, error) {
	if err := t.loadTables(); err != nil {
		return nil, err
	}
	var max sql.NullInt64
	if err := t.tx.QueryRow(`SELECT MAX(number) FROM tables WHERE number >= ?`, FirstUserTable).Scan(&max); err != nil {
		return nil, err
	}
	num := uint32(FirstUserTable)
	if max.Valid {
		num = uint32(max.Int64) + 1
	}
	t.metaDirty = true
	if _, err := t.tx.Exec(`INSERT INTO tables(number, name) VALUES (?, ?)`, num, name); err != nil {
		return nil, fmt.Errorf("create table %s: %w", name, err)
	}
	if err := ensureBuiltinIndexes(t.tx, num); err != nil {
		return nil, err
	}
	if sc := t.s.activeSchema(); sc != nil {
		if td := sc.Tables[name]; td != nil {
			for _, ix := range td.allIndexes() {
				if err := insertIndex(t.tx, num, ix.Name, ix.Kind, ix.Fields, ix.configJSON()); err != nil {
					return nil, err
				}
			}
		}
	}
	t.tables, t.byNumber = nil, nil
	return t.tableByName(name)
}

// TableNumber resolves a table name (for id validators). Unknown tables
// report false.
func (t *Tx) TableNumber(name string) (uint32, bool) {
	if t.check() != nil {
		return 0, false
	}
	ti, err := t.tableByName(name)
	if err != nil || ti == nil {
		return 0, false
	}
	return ti.number, true
}

// Tables lists every table with its number and document count, user tables
// first by name, then the system tables.
func (s *Store) Tables() ([]TableInfo, error) {
	rows, err := s.db.Query(`SELECT t.number, t.name, (SELECT COUNT(*) FROM documents d WHERE d.table_number = t.number) FROM tables t`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TableInfo
	for rows.Next() {
		var ti TableInfo
		if err := rows.Scan(&ti.Number, &ti.Name, &ti.Count); err != nil {
			return nil, err
		}
		ti.System = strings.HasPrefix(ti.Name, "_")
		out = append(out, ti)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].System != out[j].System {
			return !out[i].System
		}
		return out[i].Name < out[j].Name
	})
	return out, rows.Err()
}

// TableNumber resolves a committed table name.
func (s *Store) TableNumber(name string) (uint32, bool) {
	var n uint32
	if err := s.db.QueryRow(`SELECT number FROM tables WHERE name = ?`, name).Scan(&n); err != nil {
		return 0, false
	}
	return n, true
}
