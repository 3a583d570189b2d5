package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

type args map[string]json.RawMessage

func (a args) str(key string) (string, bool) {
	raw, ok := a[key]
	if !ok || string(raw) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func (a args) mustStr(op, key string) (string, error) {
	s, ok := a.str(key)
	if !ok {
		return "", userErrorf("InvalidArgument", "%s: argument %q must be a string", op, key)
	}
	return s, nil
}

func (a args) value(op, key string) (values.Value, error) {
	raw, ok := a[key]
	if !ok {
		return nil, userErrorf("InvalidArgument", "%s: missing argument %q", op, key)
	}
	v, err := values.Decode(raw)
	if err != nil {
		return nil, userErrorf("InvalidArgument", "%s: invalid %q: %v", op, key, err)
	}
	return v, nil
}

func (a args) number(key string) (float64, bool) {
	raw, ok := a[key]
	if !ok {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, false
	}
	return f, true
}

func encodeResult(v any) ([]byte, error) {
	return json.Marshal(v)
}

// rawValue is an encoded Convex value embedded in a JSON result.
func rawValue(v values.Value) (json.RawMessage, error) {
	b, err := values.Encode(v)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// Syscall runs one database, scheduler or storage syscall with its JSON
// arguments and returns its JSON result. Mistakes of the calling function
// are *UserError.
func (t *Tx) Syscall(op string, argsJSON []byte) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var a args
	if len(argsJSON) > 0 {
		if err := json.Unmarshal(argsJSON, &a); err != nil {
			return nil, userErrorf("InvalidArgument", "%s: arguments must be a JSON object: %v", op, err)
		}
	}
	if a == nil {
		a = args{}
	}
	switch op {
	case "1.0/get":
		return t.sysGet(a)
	case "1.0/insert":
		return t.sysInsert(a)
	case "1.0/shallowMerge":
		return t.sysPatch(a)
	case "1.0/replace":
		return t.sysReplace(a)
	case "1.0/remove":
		return t.sysRemove(a)
	case "1.0/queryStream":
		return t.sysQueryStream(a)
	case "1.0/queryStreamNext":
		return t.sysQueryStreamNext(a)
	case "1.0/queryCleanup":
		return t.sysQueryCleanup(a)
	case "1.0/queryPage":
		return t.sysQueryPage(a)
	case "1.0/count":
		return t.sysCount(a)
	case "1.0/db/normalizeId":
		return t.sysNormalizeID(a)
	case "1.0/schedule", "1.0/actions/schedule":
		return t.sysSchedule(a)
	case "1.0/cancel_job", "1.0/actions/cancel_job":
		return t.sysCancelJob(a)
	case "1.0/storageGetUrl":
		return t.sysStorageGetURL(a)
	case "1.0/storageGetMetadata":
		return t.sysStorageGetMetadata(a)
	case "1.0/storageDelete":
		return t.sysStorageDelete(a)
	case "1.0/storageGenerateUploadUrl":
		return t.sysGenerateUploadURL()
	case "1.0/actions/vectorSearch":
		return t.sysVectorSearch(a)
	case "1.0/storageStore":
		return t.sysStorageStore(a)
	case "1.0/storageGet":
		return t.sysStorageGet(a)
	case "1.0/getSnapshotTs":
		ts := t.ts
		if t.write {
			ts = t.prev
		}
		return values.Encode(ts)
	case "1.0/getTransactionMetrics":
		return t.metricsJSON()
	}
	return nil, fmt.Errorf("unknown syscall %q", op)
}

// decodeDocID parses an id argument and finds its table (nil if the table
// does not exist).
func (t *Tx) decodeDocID(op string, a args) (string, *tableInfo, []byte, error) {
	id, ok := a.str("id")
	if !ok {
		return "", nil, nil, userErrorf("InvalidArgument", "%s: argument \"id\" must be a string", op)
	}
	num, internal, err := values.DecodeID(id)
	if err != nil {
		return "", nil, nil, userErrorf("InvalidId", "Invalid argument `id` for `%s`: %v", opName(op), err)
	}
	ti, err := t.tableByNumber(num)
	if err != nil {
		return "", nil, nil, err
	}
	if table, ok := a.str("table"); ok {
		if ti == nil || ti.name != table {
			return "", nil, nil, userErrorf("InvalidTableForId", "Invalid argument `id` for `%s`: the id %q is not for table %q.", opName(op), id, table)
		}
	}
	return id, ti, internal[:], nil
}

func opName(op string) string {
	switch op {
	case "1.0/get":
		return "db.get"
	case "1.0/shallowMerge":
		return "db.patch"
	case "1.0/replace":
		return "db.replace"
	case "1.0/remove":
		return "db.delete"
	}
	return op
}

func (t *Tx) sysGet(a args) ([]byte, error) {
	id, ti, internal, err := t.decodeDocID("1.0/get", a)
	if err != nil {
		return nil, err
	}
	if ti == nil {
		return []byte("null"), nil
	}
	var isSystem bool
	if raw, ok := a["isSystem"]; ok {
		_ = json.Unmarshal(raw, &isSystem)
	}
	if ti.system() && !isSystem {
		return nil, userErrorf("SystemTableAccess", "The id %q is for the system table %q; read it with db.system.get().", id, ti.name)
	}
	if !ti.system() && isSystem {
		return nil, userErrorf("SystemTableAccess", "The id %q is for the user table %q; read it with db.get(), not db.system.get().", id, ti.name)
	}
	doc, err := t.getDoc(ti, id, internal)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return []byte("null"), nil
	}
	return values.Encode(doc)
}

const readOnlyMsg = "System tables (prefixed with `_`) are read-only."

// prepareUserFields checks user-supplied top-level fields and resolves the
// commit timestamp placeholder.
func (t *Tx) prepareUserFields(op string, obj map[string]values.Value) error {
	for k, v := range obj {
		if strings.HasPrefix(k, "_") && k != "_id" && k != "_creationTime" {
			return userErrorf("InvalidDocument", "%s: field %q starts with an underscore, which is reserved for system fields.", op, k)
		}
		if err := values.CheckFieldName(k); err != nil {
			return userErrorf("InvalidDocument", "%s: %v", op, err)
		}
		obj[k] = resolveCommitTs(v, t.ts)
	}
	return nil
}

func resolveCommitTs(v values.Value, ts int64) values.Value {
	switch x := v.(type) {
	case []values.Value:
		for i := range x {
			x[i] = resolveCommitTs(x[i], ts)
		}
	case map[string]values.Value:
		for k := range x {
			x[k] = resolveCommitTs(x[k], ts)
		}
	}
	if values.IsCommitTs(v) {
		return ts
	}
	return v
}

// checkDoc enforces size limits and the schema before a write.
func (t *Tx) checkDoc(op string, ti *tableInfo, doc Document) error {
	if err := values.CheckLimits(doc); err != nil {
		return userErrorf("InvalidDocument", "%s: %v", op, err)
	}
	if size := values.Size(doc); size > values.MaxDocumentSize {
		return userErrorf("DocumentTooLarge", "%s: the document is too large (%d bytes, the maximum is %d bytes).", op, size, values.MaxDocumentSize)
	}
	sc := t.s.activeSchema()
	if sc == nil || !sc.SchemaValidation || ti.system() {
		return nil
	}
	td := sc.Tables[ti.name]
	if err := t.validateDoc(td, doc); err != nil {
		id, _ := doc["_id"].(string)
		return userErrorf("SchemaValidation", "Failed to insert or update a document in table %q because it does not match the schema: %v\nDocument ID: %s", ti.name, err, id)
	}
	return nil
}

func (t *Tx) sysInsert(a args) ([]byte, error) {
	if err := t.requireWrite("db.insert"); err != nil {
		return nil, err
	}
	table, err := a.mustStr("1.0/insert", "table")
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(table, "_") {
		return nil, userErrorf("ReadOnlySystemTable", readOnlyMsg)
	}
	if err := validTableName(table); err != nil {
		return nil, err
	}
	v, err := a.value("1.0/insert", "value")
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]values.Value)
	if !ok {
		return nil, userErrorf("InvalidDocument", "db.insert: the value must be an object, got %s", values.TypeName(v))
	}
	for k := range obj {
		if k == "_id" || k == "_creationTime" {
			return nil, userErrorf("InvalidDocument", "db.insert: the value may not contain the system field %q.", k)
		}
	}
	if err := t.prepareUserFields("db.insert", obj); err != nil {
		return nil, err
	}
	ti, err := t.tableByName(table)
	if err != nil {
		return nil, err
	}
	if ti == nil {
		if ti, err = t.createTable(table); err != nil {
			return nil, err
		}
	}
	id, err := t.insertDoc(ti, obj, "db.insert")
	if err != nil {
		return nil, err
	}
	return encodeResult(map[string]string{"_id": id})
}

// insertDoc adds system fields, checks and writes a new document.
func (t *Tx) insertDoc(ti *tableInfo, obj map[string]values.Value, op string) (string, error) {
	id := values.NewID(ti.number)
	_, internal, _ := values.DecodeID(id)
	doc := make(Document, len(obj)+2)
	for k, v := range obj {
		if !values.IsUndefined(v) {
			doc[k] = v
		}
	}
	doc["_id"] = id
	doc["_creationTime"] = t.s.nextCreationTime(t.ts)
	if err := t.checkDoc(op, ti, doc); err != nil {
		return "", err
	}
	if err := t.putDoc(ti, internal[:], id, nil, doc); err != nil {
		return "", err
	}
	return id, nil
}

// writeTarget resolves the document a patch, replace or delete changes.
func (t *Tx) writeTarget(op string, a args) (string, *tableInfo, []byte, Document, error) {
	if err := t.requireWrite(opName(op)); err != nil {
		return "", nil, nil, nil, err
	}
	id, ti, internal, err := t.decodeDocID(op, a)
	if err != nil {
		return "", nil, nil, nil, err
	}
	if ti != nil && ti.system() {
		return "", nil, nil, nil, userErrorf("ReadOnlySystemTable", readOnlyMsg)
	}
	var old Document
	if ti != nil {
		if old, err = t.getDoc(ti, id, internal); err != nil {
			return "", nil, nil, nil, err
		}
	}
	if old == nil {
		verb := map[string]string{"1.0/shallowMerge": "Update", "1.0/replace": "Replace", "1.0/remove": "Delete"}[op]
		return "", nil, nil, nil, userErrorf("NonexistentDocument", "%s on nonexistent document ID %s", verb, id)
	}
	return id, ti, internal, old, nil
}

func checkSystemField(op string, old Document, k string, v values.Value) error {
	if values.IsUndefined(v) || values.Compare(old[k], v) != 0 {
		return userErrorf("InvalidDocument", "%s: the system field %q cannot be changed.", op, k)
	}
	return nil
}

func (t *Tx) sysPatch(a args) ([]byte, error) {
	return t.rewriteDoc("1.0/shallowMerge", "db.patch", a, patchedDoc)
}

func (t *Tx) sysReplace(a args) ([]byte, error) {
	return t.rewriteDoc("1.0/replace", "db.replace", a, replacedDoc)
}

// rewriteDoc is what db.patch and db.replace share: it reads the target
// document and the object argument, lets build make the new document from
// them, then checks and writes it and returns it encoded.
func (t *Tx) rewriteDoc(op, apiName string, a args, build func(old, obj Document) (Document, error)) ([]byte, error) {
	id, ti, internal, old, err := t.writeTarget(op, a)
	if err != nil {
		return nil, err
	}
	v, err := a.value(op, "value")
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]values.Value)
	if !ok {
		return nil, userErrorf("InvalidDocument", "%s: the value must be an object, got %s", apiName, values.TypeName(v))
	}
	if err := t.prepareUserFields(apiName, obj); err != nil {
		return nil, err
	}
	doc, err := build(old, obj)
	if err != nil {
		return nil, err
	}
	if err := t.checkDoc(apiName, ti, doc); err != nil {
		return nil, err
	}
	if err := t.putDoc(ti, internal, id, old, doc); err != nil {
		return nil, err
	}
	return values.Encode(doc)
}

// patchedDoc is old with the fields of patch laid over it; an undefined
// field removes it.
func patchedDoc(old, patch Document) (Document, error) {
	doc := make(Document, len(old)+len(patch))
	for k, v := range old {
		doc[k] = v
	}
	for k, v := range patch {
		switch {
		case k == "_id" || k == "_creationTime":
			if err := checkSystemField("db.patch", old, k, v); err != nil {
				return nil, err
			}
		case values.IsUndefined(v):
			delete(doc, k)
		default:
			doc[k] = v
		}
	}
	return doc, nil
}

// replacedDoc is obj with old's system fields.
func replacedDoc(old, obj Document) (Document, error) {
	doc := make(Document, len(obj)+2)
	for k, v := range obj {
		if k == "_id" || k == "_creationTime" {
			if err := checkSystemField("db.replace", old, k, v); err != nil {
				return nil, err
			}
			continue
		}
		if !values.IsUndefined(v) {
			doc[k] = v
		}
	}
	doc["_id"], doc["_creationTime"] = old["_id"], old["_creationTime"]
	return doc, nil
}

func (t *Tx) sysRemove(a args) ([]byte, error) {
	id, ti, internal, old, err := t.writeTarget("1.0/remove", a)
	if err != nil {
		return nil, err
	}
	if err := t.putDoc(ti, internal, id, old, nil); err != nil {
		return nil, err
	}
	return values.Encode(old)
}

func (t *Tx) sysQueryStream(a args) ([]byte, error) {
	raw, ok := a["query"]
	if !ok {
		return nil, userErrorf("InvalidArgument", "1.0/queryStream: missing argument \"query\"")
	}
	q, err := t.compileQuery(raw)
	if err != nil {
		return nil, err
	}
	t.dbQueries++
	id := t.nextQueryID
	t.nextQueryID++
	t.queries[id] = t.newStream(q)
	return encodeResult(map[string]uint32{"queryId": id})
}

func (t *Tx) queryID(a args) (uint32, error) {
	f, ok := a.number("queryId")
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxUint32 {
		return 0, userErrorf("InvalidArgument", "queryId must be a non-negative integer")
	}
	return uint32(f), nil
}

func (t *Tx) sysQueryStreamNext(a args) ([]byte, error) {
	id, err := t.queryID(a)
	if err != nil {
		return nil, err
	}
	qs := t.queries[id]
	if qs == nil {
		return nil, userErrorf("QueryNotFound", "Query %d does not exist or has already finished.", id)
	}
	e, err := qs.next()
	if err != nil {
		return nil, err
	}
	if e == nil {
		delete(t.queries, id)
		return []byte(`{"done":true,"value":null}`), nil
	}
	v, err := e.encoded()
	if err != nil {
		return nil, err
	}
	// Written directly: the document text is already valid JSON.
	out := make([]byte, 0, len(v)+32)
	out = append(out, `{"done":false,"value":`...)
	out = append(out, v...)
	return append(out, '}'), nil
}

func (t *Tx) sysQueryCleanup(a args) ([]byte, error) {
	id, err := t.queryID(a)
	if err != nil {
		return nil, err
	}
	_, ok := t.queries[id]
	delete(t.queries, id)
	return encodeResult(ok)
}

func (t *Tx) sysQueryPage(a args) ([]byte, error) {
	t.dbQueries++
	t.pageQueries++
	if t.pageQueries > 1 {
		return nil, userErrorf("MultiplePaginatedDatabaseQueries", "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.")
	}
	raw, ok := a["query"]
	if !ok {
		return nil, userErrorf("InvalidArgument", "1.0/queryPage: missing argument \"query\"")
	}
	q, err := t.compileQuery(raw)
	if err != nil {
		return nil, err
	}
	pageSize, ok := a.number("pageSize")
	if !ok || pageSize < 0 || pageSize != math.Trunc(pageSize) {
		return nil, userErrorf("InvalidArgument", "1.0/queryPage: pageSize must be a non-negative integer")
	}
	if pageSize == 0 {
		return nil, userErrorf("NoDocumentsForPagination", "Pagination requested zero documents: numItems must be positive.")
	}
	maxRows := 0
	if f, ok := a.number("maximumRowsRead"); ok && f > 0 {
		maxRows = int(f)
	}
	var indexID int64
	if q.index != nil {
		indexID = q.index.id
	}
	qs := t.newStream(q)
	qs.sc.pin = true
	if c, ok := a.str("cursor"); ok {
		end, key, err := decodeCursor(c, indexID)
		if err != nil {
			return nil, err
		}
		if end {
			qs.done = true
		}
		snap, pos, err := q.splitCursorKey(key)
		if err != nil {
			return nil, err
		}
		qs.sc.snap, qs.sc.after = snap, pos
	}
	var endKey []byte
	endIsEnd := false
	first := !t.pagedOnce
	t.pagedOnce = true
	endCursor, hasEnd := a.str("endCursor")
	if !hasEnd && first && t.journalIn != "" {
		// A journal from another query shape (say, after a push changed
		// the index, or a search pinned to another ranking) is not an
		// error: the page is then unpinned.
		if q.endCursorFits(t.journalIn, indexID, qs.sc.snap) {
			endCursor, hasEnd = t.journalIn, true
		}
	}
	if hasEnd {
		end, key, err := decodeCursor(endCursor, indexID)
		if err != nil {
			return nil, err
		}
		if end {
			endIsEnd = true
		} else {
			snap, pos, err := q.splitCursorKey(key)
			if err != nil {
				return nil, err
			}
			if snap != nil {
				if qs.sc.snap != nil && !qs.sc.snap.same(snap) {
					return nil, userErrorf("InvalidCursor", "Invalid pagination end cursor: it belongs to another pagination of this search than the start cursor. Use cursors from the same pagination.")
				}
				qs.sc.snap = snap
			}
			endKey = key
			qs.sc.end = pos
		}
	}
	bounded := endKey != nil || endIsEnd
	page := []json.RawMessage{}
	rowsBefore := t.docsRead
	for !qs.done {
		if !bounded && len(page) >= int(pageSize) {
			break
		}
		if maxRows > 0 && t.docsRead-rowsBefore >= maxRows {
			break
		}
		e, err := qs.next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		v, err := e.encoded()
		if err != nil {
			return nil, err
		}
		page = append(page, v)
	}
	isDone := qs.done
	var cont string
	switch {
	case endKey != nil:
		cont = encodeCursor(indexID, false, endKey)
		isDone = false
	case isDone:
		cont = encodeCursor(indexID, true, nil)
	default:
		cont = encodeCursor(indexID, false, joinCursorKey(qs.sc.snap, qs.sc.after))
	}
	if first {
		t.journalOut = &cont
	}
	return encodeResult(map[string]any{
		"page":           page,
		"isDone":         isDone,
		"continueCursor": cont,
		"splitCursor":    nil,
		"pageStatus":     nil,
	})
}

func (t *Tx) sysCount(a args) ([]byte, error) {
	table, err := a.mustStr("1.0/count", "table")
	if err != nil {
		return nil, err
	}
	ti, err := t.readableTable(table)
	if err != nil {
		return nil, err
	}
	t.reads.add(KeyRange{Table: table, Index: "by_id"})
	if ti == nil {
		return []byte("0"), nil
	}
	var n int64
	if err := t.tx.QueryRow(`SELECT COUNT(*) FROM documents WHERE table_number = ?`, ti.number).Scan(&n); err != nil {
		return nil, err
	}
	return encodeResult(float64(n))
}

func (t *Tx) sysNormalizeID(a args) ([]byte, error) {
	table, err := a.mustStr("1.0/db/normalizeId", "table")
	if err != nil {
		return nil, err
	}
	idString, err := a.mustStr("1.0/db/normalizeId", "idString")
	if err != nil {
		return nil, err
	}
	null := []byte(`{"id":null}`)
	ti, err := t.tableByName(table)
	if err != nil {
		return nil, err
	}
	if ti == nil {
		return null, nil
	}
	if num, _, err := values.DecodeID(idString); err == nil {
		if num != ti.number {
			return null, nil
		}
		return encodeResult(map[string]string{"id": idString})
	}
	// Legacy ids wrote the internal id as 32 hex digits, optionally as a UUID.
	h := strings.ReplaceAll(idString, "-", "")
	if len(h) == 32 && (len(idString) == 32 || len(idString) == 36) {
		if b, err := hex.DecodeString(h); err == nil {
			var internal [16]byte
			copy(internal[:], b)
			return encodeResult(map[string]string{"id": values.EncodeID(ti.number, internal)})
		}
	}
	return null, nil
}
