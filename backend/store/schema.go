package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

// Schema is a parsed defineSchema(...).export() document.
type Schema struct {
	Tables           map[string]*TableDef
	SchemaValidation bool
	Raw              []byte
}

// TableDef is one table of a schema.
type TableDef struct {
	Name         string
	Indexes      []IndexDef
	DocumentType *values.Validator // nil accepts anything
}

// IndexDef is a declared index.
type IndexDef struct {
	Name         string   // short name, e.g. by_author
	Kind         string   // database, search, vector
	Fields       []string // database: declared fields (without the implicit suffix)
	SearchField  string
	VectorField  string
	Dimensions   int
	FilterFields []string
}

// IndexConfig is an index as reported in push diffs (IndexCfg of the push
// protocol).
type IndexConfig struct {
	Name         string   `json:"name"` // table.index
	Type         string   `json:"type"`
	Fields       []string `json:"fields,omitempty"`
	SearchField  string   `json:"searchField,omitempty"`
	VectorField  string   `json:"vectorField,omitempty"`
	Dimensions   int      `json:"dimensions,omitempty"`
	FilterFields []string `json:"filterFields,omitempty"`
}

// SchemaDiff is how a schema's indexes differ from the current ones.
type SchemaDiff struct {
	Added    []IndexConfig `json:"added_indexes"`
	Removed  []IndexConfig `json:"removed_indexes"`
	Enabled  []IndexConfig `json:"enabled_indexes"`
	Disabled []IndexConfig `json:"disabled_indexes"`
}

// SchemaError is a schema that cannot be applied: invalid, or an existing
// document does not match it.
type SchemaError struct {
	Table   string // empty when not about one table
	DocID   string
	Message string
}

func (e *SchemaError) Error() string { return e.Message }

func (ix IndexDef) config(table string) IndexConfig {
	c := IndexConfig{Name: table + "." + ix.Name, Type: ix.Kind}
	switch ix.Kind {
	case "database":
		c.Fields = append([]string{}, ix.Fields...)
	case "search":
		c.SearchField, c.FilterFields = ix.SearchField, append([]string{}, ix.FilterFields...)
	case "vector":
		c.VectorField, c.Dimensions, c.FilterFields = ix.VectorField, ix.Dimensions, append([]string{}, ix.FilterFields...)
	}
	return c
}

func (ix IndexDef) configJSON() string {
	c := ix.config("")
	c.Name = ix.Name
	b, _ := json.Marshal(c)
	return string(b)
}

func (td *TableDef) allIndexes() []IndexDef { return td.Indexes }

type rawSchema struct {
	Tables []struct {
		TableName string `json:"tableName"`
		Indexes   []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			Fields          []string `json:"fields"`
		} `json:"indexes"`
		SearchIndexes []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			SearchField     string   `json:"searchField"`
			FilterFields    []string `json:"filterFields"`
		} `json:"searchIndexes"`
		VectorIndexes []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			VectorField     string   `json:"vectorField"`
			Dimensions      int      `json:"dimensions"`
			FilterFields    []string `json:"filterFields"`
		} `json:"vectorIndexes"`
		DocumentType json.RawMessage `json:"documentType"`
	} `json:"tables"`
	SchemaValidation *bool `json:"schemaValidation"`
}

func schemaErr(format string, args ...any) error {
	return &SchemaError{Message: fmt.Sprintf(format, args...)}
}

// ParseSchema parses and checks schema JSON. Empty input or "null" means no
// schema and returns nil.
func ParseSchema(schemaJSON []byte) (*Schema, error) {
	trimmed := bytes.TrimSpace(schemaJSON)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	var raw rawSchema
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, schemaErr("Invalid schema: %v", err)
	}
	sc := &Schema{Tables: map[string]*TableDef{}, SchemaValidation: true, Raw: append([]byte(nil), trimmed...)}
	if raw.SchemaValidation != nil {
		sc.SchemaValidation = *raw.SchemaValidation
	}
	for _, rt := range raw.Tables {
		name := rt.TableName
		if err := validTableName(name); err != nil {
			return nil, &SchemaError{Table: name, Message: "Invalid schema: " + err.Error()}
		}
		if sc.Tables[name] != nil {
			return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Invalid schema: table %q is defined twice", name)}
		}
		td := &TableDef{Name: name}
		seen := map[string]bool{}
		checkName := func(ix string) error {
			switch {
			case ix == "by_id" || ix == "by_creation_time":
				return &SchemaError{Table: name, Message: fmt.Sprintf("Invalid index name %q on table %q: %s is a reserved index name.", ix, name, ix)}
			case strings.HasPrefix(ix, "_"):
				return &SchemaError{Table: name, Message: fmt.Sprintf("Invalid index name %q on table %q: index names may not start with an underscore.", ix, name)}
			case !isIdentifier(ix, 64):
				return &SchemaError{Table: name, Message: fmt.Sprintf("Invalid index name %q on table %q: index names must start with a letter and contain only letters, digits and underscores.", ix, name)}
			case seen[ix]:
				return &SchemaError{Table: name, Message: fmt.Sprintf("Duplicate index name %q on table %q.", ix, name)}
			}
			seen[ix] = true
			return nil
		}
		for _, ri := range rt.Indexes {
			if err := checkName(ri.IndexDescriptor); err != nil {
				return nil, err
			}
			if len(ri.Fields) == 0 {
				return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Index %s.%s has no fields.", name, ri.IndexDescriptor)}
			}
			fs := map[string]bool{}
			for i, f := range ri.Fields {
				if f == "" || fs[f] {
					return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Index %s.%s has an empty or duplicate field %q.", name, ri.IndexDescriptor, f)}
				}
				fs[f] = true
				if f == "_creationTime" && i != len(ri.Fields)-1 {
					return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Index %s.%s uses _creationTime before its last field; _creationTime may only be the last field of an index.", name, ri.IndexDescriptor)}
				}
				if f == "_id" {
					return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Index %s.%s uses _id, which every index already ends with.", name, ri.IndexDescriptor)}
				}
			}
			td.Indexes = append(td.Indexes, IndexDef{Name: ri.IndexDescriptor, Kind: "database", Fields: ri.Fields})
		}
		for _, ri := range rt.SearchIndexes {
			if err := checkName(ri.IndexDescriptor); err != nil {
				return nil, err
			}
			td.Indexes = append(td.Indexes, IndexDef{Name: ri.IndexDescriptor, Kind: "search", SearchField: ri.SearchField, FilterFields: ri.FilterFields})
		}
		for _, ri := range rt.VectorIndexes {
			if err := checkName(ri.IndexDescriptor); err != nil {
				return nil, err
			}
			td.Indexes = append(td.Indexes, IndexDef{Name: ri.IndexDescriptor, Kind: "vector", VectorField: ri.VectorField, Dimensions: ri.Dimensions, FilterFields: ri.FilterFields})
		}
		if len(rt.DocumentType) > 0 && string(rt.DocumentType) != "null" {
			v, err := values.ParseValidator(rt.DocumentType)
			if err != nil {
				return nil, &SchemaError{Table: name, Message: fmt.Sprintf("Invalid schema for table %q: %v", name, err)}
			}
			if v.Type != "any" {
				td.DocumentType = v
			}
		}
		sc.Tables[name] = td
	}
	return sc, nil
}

// currentIndexes lists the declared (non built-in) indexes of user tables,
// keyed by table.index.
func (t *Tx) currentIndexes() (map[string]IndexConfig, error) {
	if err := t.loadTables(); err != nil {
		return nil, err
	}
	out := map[string]IndexConfig{}
	for _, ti := range t.tables {
		if ti.system() {
			continue
		}
		for _, ix := range ti.indexes {
			if ix.name == "by_id" || ix.name == "by_creation_time" {
				continue
			}
			var c IndexConfig
			if err := json.Unmarshal([]byte(ix.config), &c); err != nil {
				return nil, fmt.Errorf("index %s.%s: %w", ti.name, ix.name, err)
			}
			c.Name = ti.name + "." + ix.name
			out[c.Name] = c
		}
	}
	return out, nil
}

func sameConfig(a, b IndexConfig) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (t *Tx) diffSchema(sc *Schema) (SchemaDiff, error) {
	diff := SchemaDiff{Added: []IndexConfig{}, Removed: []IndexConfig{}, Enabled: []IndexConfig{}, Disabled: []IndexConfig{}}
	cur, err := t.currentIndexes()
	if err != nil {
		return diff, err
	}
	want := map[string]IndexConfig{}
	if sc != nil {
		for _, td := range sc.Tables {
			for _, ix := range td.Indexes {
				c := ix.config(td.Name)
				want[c.Name] = c
			}
		}
	}
	for name, c := range want {
		old, ok := cur[name]
		if !ok {
			diff.Added = append(diff.Added, c)
		} else if !sameConfig(old, c) {
			diff.Removed = append(diff.Removed, old)
			diff.Added = append(diff.Added, c)
		}
	}
	for name, c := range cur {
		if _, ok := want[name]; !ok {
			diff.Removed = append(diff.Removed, c)
		}
	}
	sort.Slice(diff.Added, func(i, j int) bool { return diff.Added[i].Name < diff.Added[j].Name })
	sort.Slice(diff.Removed, func(i, j int) bool { return diff.Removed[i].Name < diff.Removed[j].Name })
	return diff, nil
}

// PrepareSchema parses schema JSON and reports how its indexes differ from
// the current ones, changing nothing.
func (s *Store) PrepareSchema(schemaJSON []byte) (SchemaDiff, error) {
	sc, err := ParseSchema(schemaJSON)
	if err != nil {
		return SchemaDiff{}, err
	}
	t, err := s.Begin(false)
	if err != nil {
		return SchemaDiff{}, err
	}
	defer t.Rollback()
	return t.diffSchema(sc)
}

// ApplySchema makes schema JSON the active schema in one transaction: it
// creates the tables it names, drops removed indexes, adds and backfills new
// ones and, with schemaValidation, checks every existing document against
// its table's document type. Empty input or "null" removes the schema (and
// every declared index). On a validation failure nothing changes and the
// error is a *SchemaError naming the table and document.
func (s *Store) ApplySchema(schemaJSON []byte) error {
	sc, err := ParseSchema(schemaJSON)
	if err != nil {
		return err
	}
	t, err := s.Begin(true)
	if err != nil {
		return err
	}
	defer t.Rollback()
	t.metaDirty, t.sawWrites = true, true
	t.tables, t.byNumber = nil, nil
	diff, err := t.diffSchema(sc)
	if err != nil {
		return err
	}
	if sc != nil {
		names := make([]string, 0, len(sc.Tables))
		for name := range sc.Tables {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ti, err := t.tableByName(name)
			if err != nil {
				return err
			}
			if ti == nil {
				if _, err := t.createTable(name); err != nil {
					return err
				}
			}
		}
	}
	for _, c := range diff.Removed {
		table, index, _ := strings.Cut(c.Name, ".")
		ti, err := t.tableByName(table)
		if err != nil {
			return err
		}
		if ti == nil || ti.indexes[index] == nil {
			continue
		}
		id := ti.indexes[index].id
		if _, err := t.tx.Exec(`DELETE FROM index_entries WHERE index_id = ?`, id); err != nil {
			return fmt.Errorf("drop index %s: %w", c.Name, err)
		}
		if _, err := t.tx.Exec(`DELETE FROM indexes WHERE id = ?`, id); err != nil {
			return fmt.Errorf("drop index %s: %w", c.Name, err)
		}
	}
	t.tables, t.byNumber = nil, nil
	for _, c := range diff.Added {
		table, index, _ := strings.Cut(c.Name, ".")
		ti, err := t.tableByName(table)
		if err != nil {
			return err
		}
		var def IndexDef
		for _, ix := range sc.Tables[table].Indexes {
			if ix.Name == index {
				def = ix
			}
		}
		if ti.indexes[index] == nil {
			if err := insertIndex(t.tx, ti.number, def.Name, def.Kind, def.Fields, def.configJSON()); err != nil {
				return fmt.Errorf("add index %s: %w", c.Name, err)
			}
		}
	}
	t.tables, t.byNumber = nil, nil
	// Backfill the new database indexes.
	for _, c := range diff.Added {
		if c.Type != "database" {
			continue
		}
		table, index, _ := strings.Cut(c.Name, ".")
		ti, err := t.tableByName(table)
		if err != nil {
			return err
		}
		ix := ti.indexes[index]
		err = t.scanTable(ti.number, func(internal []byte, doc Document) error {
			_, err := t.tx.Exec(`INSERT INTO index_entries(index_id, key, internal) VALUES (?, ?, ?)`, ix.id, indexKeyOf(ix, doc), internal)
			return err
		})
		if err != nil {
			return fmt.Errorf("backfill index %s: %w", c.Name, err)
		}
	}
	if sc != nil && sc.SchemaValidation {
		names := make([]string, 0, len(sc.Tables))
		for name := range sc.Tables {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			td := sc.Tables[name]
			if td.DocumentType == nil {
				continue
			}
			ti, err := t.tableByName(name)
			if err != nil {
				return err
			}
			err = t.scanTable(ti.number, func(_ []byte, doc Document) error {
				if err := t.validateDoc(td, doc); err != nil {
					id, _ := doc["_id"].(string)
					return &SchemaError{Table: name, DocID: id, Message: fmt.Sprintf(
						"Document with ID %q in table %q does not match the schema: %s", id, name, err)}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	if sc == nil {
		_, err = t.tx.Exec(`DELETE FROM globals WHERE key = 'schema'`)
	} else {
		_, err = t.tx.Exec(`INSERT INTO globals(key, value) VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, sc.Raw)
	}
	if err != nil {
		return fmt.Errorf("store schema: %w", err)
	}
	// Publish the schema before the writer lock is released by Commit, so the
	// next writer validates against it.
	s.mu.Lock()
	prev := s.schema
	s.schema = sc
	s.mu.Unlock()
	if _, err := t.Commit(); err != nil {
		s.mu.Lock()
		s.schema = prev
		s.mu.Unlock()
		return err
	}
	return nil
}

// Schema returns the active schema JSON, or nil.
func (s *Store) Schema() []byte {
	sc := s.activeSchema()
	if sc == nil {
		return nil
	}
	return append([]byte(nil), sc.Raw...)
}

// scanTable calls fn for every document of a table, without read limits.
func (t *Tx) scanTable(table uint32, fn func(internal []byte, doc Document) error) error {
	rows, err := t.tx.Query(`SELECT internal, value FROM documents WHERE table_number = ?`, table)
	if err != nil {
		return err
	}
	type row struct {
		internal []byte
		raw      string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.internal, &r.raw); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		doc, err := decodeDoc(r.raw)
		if err != nil {
			return err
		}
		if err := fn(r.internal, doc); err != nil {
			return err
		}
	}
	return nil
}

// validateDoc checks a document (system fields excluded) against its
// table's document type.
func (t *Tx) validateDoc(td *TableDef, doc Document) error {
	if td == nil || td.DocumentType == nil {
		return nil
	}
	user := make(map[string]values.Value, len(doc))
	for k, v := range doc {
		if k == "_id" || k == "_creationTime" {
			continue
		}
		user[k] = v
	}
	return td.DocumentType.Check(user, t.TableNumber)
}
