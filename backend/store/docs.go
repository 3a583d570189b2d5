package store

import (
	"bytes"
	"database/sql"
	"fmt"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

const (
	sqlLoadDoc          = `SELECT value FROM documents WHERE table_number = ? AND internal = ?`
	sqlDeleteDoc        = `DELETE FROM documents WHERE table_number = ? AND internal = ?`
	sqlPutDoc           = `INSERT INTO documents(table_number, internal, ts, value) VALUES (?, ?, ?, ?) ON CONFLICT(table_number, internal) DO UPDATE SET ts = excluded.ts, value = excluded.value`
	sqlDeleteIndexEntry = `DELETE FROM index_entries WHERE index_id = ? AND key = ?`
	sqlInsertIndexEntry = `INSERT INTO index_entries(index_id, key, internal) VALUES (?, ?, ?)`
)

// Document is a stored document: its fields including _id and _creationTime.
type Document = map[string]values.Value

// fieldValue follows a dotted path; a missing field is values.Undefined.
func fieldValue(doc Document, path string) values.Value {
	var cur values.Value = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]values.Value)
		if !ok {
			return values.Undefined
		}
		v, ok := m[part]
		if !ok {
			return values.Undefined
		}
		cur = v
	}
	return cur
}

func indexKeyOf(ix *indexInfo, doc Document) []byte {
	vs := make([]values.Value, len(ix.fields))
	for i, f := range ix.fields {
		vs[i] = fieldValue(doc, f)
	}
	return values.IndexKey(vs...)
}

func (t *Tx) countRead(size int) error {
	t.docsRead++
	t.bytesRead += size
	if t.docsRead > t.s.opts.MaxDocsRead {
		return userErrorf("TooManyReads", "Too many documents read in a single function execution (limit: %d). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.", t.s.opts.MaxDocsRead)
	}
	if t.bytesRead > t.s.opts.MaxBytesRead {
		return userErrorf("TooManyBytesRead", "Too many bytes read in a single function execution (limit: %d bytes). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.", t.s.opts.MaxBytesRead)
	}
	return nil
}

// loadDoc reads a document without recording it in the read set.
func (t *Tx) loadDoc(table uint32, internal []byte) (Document, error) {
	var raw string
	err := t.queryRow(sqlLoadDoc, table, internal).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	if err := t.countRead(len(raw)); err != nil {
		return nil, err
	}
	return decodeDoc(raw)
}

func decodeDoc(raw string) (Document, error) {
	v, err := values.Decode([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("stored document is corrupt: %w", err)
	}
	doc, ok := v.(map[string]values.Value)
	if !ok {
		return nil, fmt.Errorf("stored document is not an object")
	}
	return doc, nil
}

// getDoc reads a document by id, recording the read.
func (t *Tx) getDoc(ti *tableInfo, id string, internal []byte) (Document, error) {
	key := values.IndexKey(id)
	t.reads.add(KeyRange{Table: ti.name, Index: "by_id", Lo: key, Hi: values.PrefixSuccessor(key)})
	return t.loadDoc(ti.number, internal)
}

// putDoc replaces old (nil for an insert) by doc (nil for a delete) and
// maintains every database index of the table.
func (t *Tx) putDoc(ti *tableInfo, internal []byte, id string, old, doc Document) error {
	t.writes++
	if t.writes > t.s.opts.MaxWrites {
		return userErrorf("TooManyWrites", "Too many writes in a single function execution (limit: %d).", t.s.opts.MaxWrites)
	}
	t.sawWrites = true
	if ti.number == ScheduledFunctionsTable {
		t.jobsDirty = true
	}
	if doc == nil {
		if _, err := t.exec(sqlDeleteDoc, ti.number, internal); err != nil {
			return fmt.Errorf("delete document: %w", err)
		}
	} else {
		enc, err := values.Encode(doc)
		if err != nil {
			return err
		}
		t.bytesWritten += len(enc)
		if _, err := t.exec(sqlPutDoc, ti.number, internal, t.ts, string(enc)); err != nil {
			return fmt.Errorf("write document: %w", err)
		}
	}
	w := DocWrite{Table: ti.name, ID: id, Keys: map[string][][]byte{}}
	for _, ix := range ti.indexes {
		if ix.kind != "database" {
			continue
		}
		var oldKey, newKey []byte
		if old != nil {
			oldKey = indexKeyOf(ix, old)
		}
		if doc != nil {
			newKey = indexKeyOf(ix, doc)
		}
		if oldKey != nil && newKey != nil && bytes.Equal(oldKey, newKey) {
			w.Keys[ix.name] = [][]byte{oldKey}
			continue
		}
		if oldKey != nil {
			if _, err := t.exec(sqlDeleteIndexEntry, ix.id, oldKey); err != nil {
				return fmt.Errorf("update index %s: %w", ix.name, err)
			}
			w.Keys[ix.name] = append(w.Keys[ix.name], oldKey)
		}
		if newKey != nil {
			if _, err := t.exec(sqlInsertIndexEntry, ix.id, newKey, internal); err != nil {
				return fmt.Errorf("update index %s: %w", ix.name, err)
			}
			w.Keys[ix.name] = append(w.Keys[ix.name], newKey)
		}
	}
	t.writeSet.add(w)
	return nil
}
