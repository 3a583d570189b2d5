package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/convex-go/convex/backend/values"
	"github.com/convex-go/convex/internal/lazy"
)

const maxQueryOperators = 256

// compiledQuery is a parsed query, ready to run.
type compiledQuery struct {
	tableName string
	indexName string     // short name of the index scanned; empty for search
	table     *tableInfo // nil: the table does not exist (the query is empty)
	index     *indexInfo
	lo, hi    []byte // key range [lo, hi); nil means unbounded
	desc      bool
	ops       []operator
	search    *searchSpec
}

type operator struct {
	filter expr
	limit  int // used when filter == nil
}

type searchSpec struct {
	field   string
	text    string
	filters []rangeExpr // Eq only
}

type rawQuery struct {
	Source struct {
		Type      string            `json:"type"`
		TableName string            `json:"tableName"`
		IndexName string            `json:"indexName"`
		Range     []json.RawMessage `json:"range"`
		Filters   []json.RawMessage `json:"filters"`
		Order     *string           `json:"order"`
	} `json:"source"`
	Operators []map[string]json.RawMessage `json:"operators"`
}

type rangeExpr struct {
	Type      string
	FieldPath string
	Value     values.Value
}

func parseRangeExpr(raw json.RawMessage) (rangeExpr, error) {
	var r struct {
		Type      string          `json:"type"`
		FieldPath string          `json:"fieldPath"`
		Value     json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return rangeExpr{}, userErrorf("InvalidQuery", "Invalid index range expression: %v", err)
	}
	re := rangeExpr{Type: r.Type, FieldPath: r.FieldPath, Value: values.Undefined}
	if len(r.Value) > 0 {
		v, err := values.Decode(r.Value)
		if err != nil {
			return rangeExpr{}, userErrorf("InvalidQuery", "Invalid value in index range on %q: %v", r.FieldPath, err)
		}
		re.Value = v
	}
	return re, nil
}

// compileQuery parses query JSON and resolves its table and index.
func (t *Tx) compileQuery(raw json.RawMessage) (*compiledQuery, error) {
	var rq rawQuery
	if err := json.Unmarshal(raw, &rq); err != nil {
		return nil, userErrorf("InvalidQuery", "Invalid query: %v", err)
	}
	q := &compiledQuery{}
	if o := rq.Source.Order; o != nil {
		switch *o {
		case "asc":
		case "desc":
			q.desc = true
		default:
			return nil, userErrorf("InvalidQuery", "Invalid query order %q: expected \"asc\" or \"desc\"", *o)
		}
	}
	if len(rq.Operators) > maxQueryOperators {
		return nil, userErrorf("InvalidQuery", "Can't construct query with more than %d operators", maxQueryOperators)
	}
	for _, op := range rq.Operators {
		if f, ok := op["filter"]; ok && len(op) == 1 {
			e, err := parseExpr(f)
			if err != nil {
				return nil, err
			}
			q.ops = append(q.ops, operator{filter: e})
			continue
		}
		if l, ok := op["limit"]; ok && len(op) == 1 {
			var n float64
			if err := json.Unmarshal(l, &n); err != nil || n < 0 || n != math.Trunc(n) || n > math.MaxInt32 {
				return nil, userErrorf("InvalidQuery", "Invalid query limit %s: expected a non-negative integer", l)
			}
			q.ops = append(q.ops, operator{limit: int(n)})
			continue
		}
		return nil, userErrorf("InvalidQuery", "Invalid query operator %v", op)
	}
	switch rq.Source.Type {
	case "FullTableScan":
		ti, err := t.readableTable(rq.Source.TableName)
		if err != nil {
			return nil, err
		}
		q.tableName, q.indexName, q.table = rq.Source.TableName, "by_creation_time", ti
		if ti != nil {
			q.index = ti.indexes["by_creation_time"]
		}
		return q, nil
	case "IndexRange":
		tableName, indexName, ok := strings.Cut(rq.Source.IndexName, ".")
		if !ok || indexName == "" {
			return nil, userErrorf("IndexNotFound", "Invalid index name %q: expected \"table.index\"", rq.Source.IndexName)
		}
		ti, err := t.readableTable(tableName)
		if err != nil {
			return nil, err
		}
		q.tableName, q.indexName = tableName, indexName
		var ranges []rangeExpr
		for _, r := range rq.Source.Range {
			re, err := parseRangeExpr(r)
			if err != nil {
				return nil, err
			}
			ranges = append(ranges, re)
		}
		var fields []string
		if ti == nil {
			// A table that does not exist yet has no documents, but the index
			// must still be one it will have.
			fields, err = t.declaredIndexFields(tableName, indexName)
			if err != nil {
				return nil, err
			}
		} else {
			ix := ti.indexes[indexName]
			if ix == nil {
				return nil, indexNotFound(tableName, indexName)
			}
			if ix.kind != "database" {
				return nil, userErrorf("IndexNotFound", "Index %s.%s is a %s index; use withSearchIndex for search indexes.", tableName, indexName, ix.kind)
			}
			q.table, q.index = ti, ix
			fields = ix.fields
		}
		q.lo, q.hi, err = compileRange(rq.Source.IndexName, fields, ranges)
		if err != nil {
			return nil, err
		}
		return q, nil
	case "Search":
		tableName, indexName, ok := strings.Cut(rq.Source.IndexName, ".")
		if !ok {
			return nil, userErrorf("IndexNotFound", "Invalid index name %q: expected \"table.index\"", rq.Source.IndexName)
		}
		ti, err := t.readableTable(tableName)
		if err != nil {
			return nil, err
		}
		q.tableName = tableName
		spec := &searchSpec{}
		if ti != nil {
			ix := ti.indexes[indexName]
			if ix == nil || ix.kind != "search" {
				return nil, userErrorf("IndexNotFound", "Search index %s.%s not found.", tableName, indexName)
			}
			var c IndexConfig
			_ = json.Unmarshal([]byte(ix.config), &c)
			spec.field = c.SearchField
			q.table, q.index = ti, ti.indexes["by_creation_time"]
		}
		for _, f := range rq.Source.Filters {
			re, err := parseRangeExpr(f)
			if err != nil {
				return nil, err
			}
			switch re.Type {
			case "Search":
				s, ok := re.Value.(string)
				if !ok {
					return nil, userErrorf("InvalidQuery", "Search text must be a string")
				}
				spec.text = s
				if spec.field == "" {
					spec.field = re.FieldPath
				}
			case "Eq":
				spec.filters = append(spec.filters, re)
			default:
				return nil, userErrorf("InvalidQuery", "Invalid search filter type %q", re.Type)
			}
		}
		q.search = spec
		return q, nil
	}
	return nil, userErrorf("InvalidQuery", "Invalid query source type %q", rq.Source.Type)
}

func indexNotFound(table, index string) error {
	return userErrorf("IndexNotFound", "Index %s.%s not found.", table, index)
}

// declaredIndexFields returns the key fields of an index of a table that
// does not exist yet.
func (t *Tx) declaredIndexFields(table, index string) ([]string, error) {
	switch index {
	case "by_id", "by_creation_time":
		return keyFieldsFor(index, nil), nil
	}
	if sc := t.s.activeSchema(); sc != nil {
		if td := sc.Tables[table]; td != nil {
			for _, ix := range td.Indexes {
				if ix.Name == index && ix.Kind == "database" {
					return keyFieldsFor(index, ix.Fields), nil
				}
			}
		}
	}
	return nil, indexNotFound(table, index)
}

// readableTable resolves a table a query may read: user tables and the
// virtual system tables. It returns nil for a user table that does not exist.
func (t *Tx) readableTable(name string) (*tableInfo, error) {
	if strings.HasPrefix(name, "_") && name != StorageName && name != ScheduledFunctionsName {
		return nil, userErrorf("SystemTableAccess", "Table %q is a private system table and cannot be read.", name)
	}
	return t.tableByName(name)
}

// compileRange turns range expressions into a key range, enforcing that
// equalities cover a prefix of the index fields and bounds constrain only
// the next field.
func compileRange(indexName string, fields []string, exprs []rangeExpr) (lo, hi []byte, err error) {
	pos := map[string]int{}
	for i, f := range fields {
		pos[f] = i
	}
	var eqs []values.Value
	var lower, upper *rangeExpr
	boundField := ""
	for i := range exprs {
		e := exprs[i]
		p, ok := pos[e.FieldPath]
		if !ok {
			return nil, nil, userErrorf("FieldNotInIndex", "The index range included a comparison with %q, but %q is not a field of index %s (fields: %s).",
				e.FieldPath, e.FieldPath, indexName, strings.Join(fields, ", "))
		}
		switch e.Type {
		case "Eq":
			if lower != nil || upper != nil {
				return nil, nil, userErrorf("InvalidIndexRange", "Invalid index range for %s: the equality on %q comes after a range bound; equalities must come first.", indexName, e.FieldPath)
			}
			if p < len(eqs) {
				return nil, nil, userErrorf("InvalidIndexRange", "Invalid index range for %s: the field %q is compared more than once or out of index order.", indexName, e.FieldPath)
			}
			if p > len(eqs) {
				return nil, nil, userErrorf("InvalidIndexRange", "Invalid index range for %s: the equality on %q skips an earlier index field (%q); equalities must be on the index fields in order.", indexName, e.FieldPath, fields[len(eqs)])
			}
			eqs = append(eqs, e.Value)
		case "Gt", "Gte", "Lt", "Lte":
			if boundField != "" && boundField != e.FieldPath {
				return nil, nil, userErrorf("BoundsOnMultipleFields", "Invalid index range for %s: range bounds are on both %q and %q; bounds may only constrain one field.", indexName, boundField, e.FieldPath)
			}
			if p != len(eqs) {
				next := "none: every field already has an equality"
				if len(eqs) < len(fields) {
					next = fmt.Sprintf("%q", fields[len(eqs)])
				}
				return nil, nil, userErrorf("InvalidIndexRange", "Invalid index range for %s: the bound on %q must be on the field right after the equalities (%s).", indexName, e.FieldPath, next)
			}
			boundField = e.FieldPath
			if e.Type == "Gt" || e.Type == "Gte" {
				if lower != nil {
					return nil, nil, userErrorf("AlreadyDefinedBound", "Invalid index range for %s: the lower bound on %q is defined twice.", indexName, e.FieldPath)
				}
				lower = &exprs[i]
			} else {
				if upper != nil {
					return nil, nil, userErrorf("AlreadyDefinedBound", "Invalid index range for %s: the upper bound on %q is defined twice.", indexName, e.FieldPath)
				}
				upper = &exprs[i]
			}
		default:
			return nil, nil, userErrorf("InvalidIndexRange", "Invalid index range type %q.", e.Type)
		}
	}
	prefix := values.IndexKey(eqs...)
	lo = prefix
	if lower != nil {
		k := append(bytes.Clone(prefix), values.IndexKey(lower.Value)...)
		if lower.Type == "Gt" {
			lo = values.PrefixSuccessor(k)
		} else {
			lo = k
		}
	}
	if len(lo) == 0 {
		lo = nil
	}
	if len(prefix) > 0 {
		hi = values.PrefixSuccessor(prefix)
	}
	if upper != nil {
		k := append(bytes.Clone(prefix), values.IndexKey(upper.Value)...)
		if upper.Type == "Lte" {
			hi = values.PrefixSuccessor(k)
		} else {
			hi = k
		}
	}
	return lo, hi, nil
}

// position is where a scan stands: after (asc) or before (desc) key.
type entry struct {
	key []byte
	doc Document // nil until decoded
	enc string   // the stored document, decoded lazily
	raw int
}

// scanner reads an index range in batches inside the transaction.
type scanner struct {
	t         *Tx
	q         *compiledQuery
	after     []byte // last key returned; nil at the start
	end       []byte // inclusive last key to return (from an end cursor), nil for none
	buf       []entry
	exhausted bool
	snap      *searchSnapshot // search ranking the positions refer to; nil: rank afresh
	pin       bool            // keep a fresh search ranking for later pages
	batch     int             // rows per fetch; grows so short scans stay cheap
}

const (
	firstScanBatch = 16
	maxScanBatch   = 256
)

func (sc *scanner) next() (*entry, error) {
	if len(sc.buf) == 0 && !sc.exhausted {
		if err := sc.fill(); err != nil {
			return nil, err
		}
	}
	if len(sc.buf) == 0 {
		return nil, nil
	}
	e := sc.buf[0]
	sc.buf = sc.buf[1:]
	sc.after = e.key
	if err := sc.t.countRead(e.raw); err != nil {
		return nil, err
	}
	return &e, nil
}

// document returns the entry's document, decoding the stored text on first
// use. Documents that go straight back to the function are never decoded.
func (e *entry) document() (Document, error) {
	if e.doc == nil {
		doc, err := decodeDoc(e.enc)
		if err != nil {
			return nil, err
		}
		e.doc = doc
	}
	return e.doc, nil
}

// encoded returns the entry's document as encoded JSON: the stored text
// itself when there is one (the store writes values.Encode's canonical
// form, so it needs no re-encoding).
func (e *entry) encoded() (json.RawMessage, error) {
	if e.enc != "" {
		return json.RawMessage(e.enc), nil
	}
	return rawValue(e.doc)
}

// scanShape is what varies in the index scan statement; every shape is
// prepared when the store opens.
type scanShape struct {
	desc bool
	lo   int  // noLo, loIncl or loExcl
	hi   bool // exclusive upper bound
	end  bool // inclusive end key (>= when descending, <= ascending)
}

const (
	noLo = iota
	loIncl
	loExcl
)

// scanSQL holds the statement text of every shape, built on first use so
// commands that never open a store do not pay for it at start-up.
var scanSQL = lazy.Value[map[scanShape]string]{New: func() map[scanShape]string {
	m := map[scanShape]string{}
	for _, desc := range []bool{false, true} {
		for lo := noLo; lo <= loExcl; lo++ {
			for _, hi := range []bool{false, true} {
				for _, end := range []bool{false, true} {
					sh := scanShape{desc: desc, lo: lo, hi: hi, end: end}
					m[sh] = sh.build()
				}
			}
		}
	}
	return m
}}

func (sh scanShape) sql() string { return scanSQL.Get()[sh] }

func (sh scanShape) build() string {
	var b strings.Builder
	b.WriteString(`SELECT e.key, d.value FROM index_entries e
		JOIN documents d ON d.table_number = ? AND d.internal = e.internal
		WHERE e.index_id = ?`)
	switch sh.lo {
	case loIncl:
		b.WriteString(" AND e.key >= ?")
	case loExcl:
		b.WriteString(" AND e.key > ?")
	}
	if sh.hi {
		b.WriteString(" AND e.key < ?")
	}
	if sh.end {
		if sh.desc {
			b.WriteString(" AND e.key >= ?")
		} else {
			b.WriteString(" AND e.key <= ?")
		}
	}
	if sh.desc {
		b.WriteString(" ORDER BY e.key DESC LIMIT ?")
	} else {
		b.WriteString(" ORDER BY e.key ASC LIMIT ?")
	}
	return b.String()
}

// scanQueries lists the statement of every scan shape.
func scanQueries() []string {
	out := make([]string, 0, len(scanSQL.Get()))
	for _, q := range scanSQL.Get() {
		out = append(out, q)
	}
	return out
}

func (sc *scanner) fill() error {
	q := sc.q
	if q.table == nil || q.index == nil {
		sc.exhausted = true
		return nil
	}
	if q.search != nil {
		return sc.fillSearch()
	}
	args := []any{q.table.number, q.index.id}
	lo, hi := q.lo, q.hi
	if q.desc {
		if sc.after != nil {
			hi = sc.after
		}
	} else if sc.after != nil {
		lo = sc.after
	}
	var shape scanShape
	shape.desc = q.desc
	if lo != nil {
		shape.lo = loIncl
		if !q.desc && sc.after != nil {
			shape.lo = loExcl
		}
		args = append(args, lo)
	}
	if hi != nil {
		shape.hi = true
		args = append(args, hi)
	}
	if sc.end != nil {
		shape.end = true
		args = append(args, sc.end)
	}
	switch {
	case sc.batch == 0:
		sc.batch = firstScanBatch
	case sc.batch < maxScanBatch:
		sc.batch *= 2
	}
	args = append(args, sc.batch)
	rows, err := sc.t.query(shape.sql(), args...)
	if err != nil {
		return fmt.Errorf("scan index: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var key []byte
		var raw string
		if err := rows.Scan(&key, &raw); err != nil {
			return err
		}
		sc.buf = append(sc.buf, entry{key: key, enc: raw, raw: len(raw)})
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n < sc.batch {
		sc.exhausted = true
	}
	return nil
}

// fillSearch implements search sources by scanning the table: a document
// matches when its search field has any of the query's terms (the last one
// also as a prefix) and it passes the equality filters. Matches are ranked
// by BM25 over the filtered documents, at most 1024 of them. Each entry's
// key is its rank key (see searchpage.go), so the scanner's cursor
// positions (after, end) page through the ranking. Without a snapshot the
// ranking is fresh and becomes the snapshot later pages are pinned to.
func (sc *scanner) fillSearch() error {
	sc.exhausted = true
	spec := sc.q.search
	terms := spec.terms()
	if len(terms) == 0 {
		return nil
	}
	type hit struct {
		e      entry
		base   []byte // creation-order key: identifies the document
		ct     float64
		tf     []int
		length int
		score  float64
	}
	var hits []hit
	cur := searchStats{df: make([]int, len(terms))}
	maxCreation := 0.0
	err := sc.t.scanTable(sc.q.table.number, func(_ []byte, doc Document) error {
		ct, _ := doc["_creationTime"].(float64)
		maxCreation = max(maxCreation, ct)
		for _, f := range spec.filters {
			if values.Compare(fieldValue(doc, f.FieldPath), f.Value) != 0 {
				return nil
			}
		}
		text, _ := fieldValue(doc, spec.field).(string)
		toks := tokenize(text)
		cur.docs++
		cur.totalLen += len(toks)
		tf := make([]int, len(terms))
		matched := false
		for i, w := range terms {
			for _, tok := range toks {
				if tok == w || (i == len(terms)-1 && strings.HasPrefix(tok, w)) {
					tf[i]++
				}
			}
			if tf[i] > 0 {
				cur.df[i]++
				matched = true
			}
		}
		if !matched {
			return nil
		}
		enc, _ := values.Encode(doc)
		base := indexKeyOf(sc.q.index, doc)
		hits = append(hits, hit{e: entry{doc: doc, raw: len(enc)}, base: base, ct: ct, tf: tf, length: len(toks)})
		return nil
	})
	if err != nil {
		return err
	}
	snap, fresh := sc.snap, sc.snap == nil
	if fresh {
		snap = &searchSnapshot{spec: spec.hash(terms), maxCreation: maxCreation, stats: cur}
	}
	var pinned map[string]float64
	if !fresh {
		pinned = sc.t.s.searchSnaps.get(snapID{sc.q.table.number, snap.spec, snap.sum})
	}
	kept := hits[:0]
	for _, h := range hits {
		switch {
		case !fresh && h.ct > snap.maxCreation:
			h.e.key = rankKey(rankNewer, 0, h.base)
		case pinned != nil:
			s, ok := pinned[string(h.base)]
			if !ok {
				continue // not ranked by the snapshot
			}
			h.score = s
			h.e.key = rankKey(rankSnapshot, s, h.base)
		default:
			h.score = snap.stats.score(h.tf, h.length)
			h.e.key = rankKey(rankSnapshot, h.score, h.base)
		}
		kept = append(kept, h)
	}
	hits = kept
	sort.Slice(hits, func(i, j int) bool { return bytes.Compare(hits[i].e.key, hits[j].e.key) < 0 })
	if len(hits) > maxSearchResults {
		hits = hits[:maxSearchResults]
	}
	if fresh {
		bases := make([][]byte, len(hits))
		scores := make([]float64, len(hits))
		for i, h := range hits {
			bases[i], scores[i] = h.base, h.score
		}
		snap.sum = snapshotSum(sc.q.table.number, snap, bases, scores)
		if sc.pin {
			ranked := make(map[string]float64, len(hits))
			for i, b := range bases {
				ranked[string(b)] = scores[i]
			}
			sc.t.s.searchSnaps.put(snapID{sc.q.table.number, snap.spec, snap.sum}, ranked)
		}
		sc.snap = snap
	}
	for _, h := range hits {
		if sc.after != nil && bytes.Compare(h.e.key, sc.after) <= 0 {
			continue
		}
		if sc.end != nil && bytes.Compare(h.e.key, sc.end) > 0 {
			break
		}
		sc.buf = append(sc.buf, h.e)
	}
	return nil
}

const (
	maxSearchTerms   = 16
	maxSearchResults = 1024
)

func tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// queryStream is a running query: a scanner plus its operators.
type queryStream struct {
	sc     *scanner
	counts []int
	done   bool
}

func (t *Tx) newStream(q *compiledQuery) *queryStream {
	// A table that does not exist yet is recorded too: creating it later
	// must invalidate the result.
	kr := KeyRange{Table: q.tableName, Index: "by_creation_time"}
	if q.search == nil && q.indexName != "" {
		kr = KeyRange{Table: q.tableName, Index: q.indexName, Lo: q.lo, Hi: q.hi}
	}
	t.reads.add(kr)
	return &queryStream{sc: &scanner{t: t, q: q}, counts: make([]int, len(q.ops))}
}

// next returns the next document passing every operator, or nil at the end.
func (qs *queryStream) next() (*entry, error) {
	for !qs.done {
		e, err := qs.sc.next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			qs.done = true
			return nil, nil
		}
		pass := true
		for i, op := range qs.sc.q.ops {
			if op.filter != nil {
				doc, err := e.document()
				if err != nil {
					return nil, err
				}
				v, err := op.filter.eval(doc)
				if err != nil {
					return nil, err
				}
				if b, ok := v.(bool); !ok || !b {
					pass = false
					break
				}
				continue
			}
			if qs.counts[i] >= op.limit {
				qs.done = true
				return nil, nil
			}
			qs.counts[i]++
		}
		if pass {
			return e, nil
		}
	}
	return nil, nil
}

// Cursors are opaque to clients: "c" + base64url(index id, flag, key). Flag
// 1 marks the end of the range.
func encodeCursor(indexID int64, end bool, key []byte) string {
	buf := binary.AppendUvarint(nil, uint64(indexID))
	if end {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = append(buf, key...)
	return "c" + base64.RawURLEncoding.EncodeToString(buf)
}

func decodeCursor(s string, indexID int64) (end bool, key []byte, err error) {
	bad := userErrorf("InvalidCursor", "Invalid pagination cursor %q: it does not come from this query. Cursors are only valid for the query that produced them.", truncate(s, 40))
	if !strings.HasPrefix(s, "c") {
		return false, nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return false, nil, bad
	}
	id, n := binary.Uvarint(b)
	if n <= 0 || int64(id) != indexID || len(b) < n+1 || b[n] > 1 {
		return false, nil, bad
	}
	key = b[n+1:]
	if len(key) == 0 {
		key = nil // the start of the range
	}
	return b[n] == 1, key, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
