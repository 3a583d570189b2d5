package store

import (
	"encoding/json"
	"math"
	"sort"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

const (
	defaultVectorLimit = 10
	maxVectorLimit     = 256
)

// sysVectorSearch answers 1.0/actions/vectorSearch by brute force: cosine
// similarity against every document of the table that passes the filter.
func (t *Tx) sysVectorSearch(a args) ([]byte, error) {
	var q struct {
		IndexName   string          `json:"indexName"`
		Limit       *float64        `json:"limit"`
		Vector      []float64       `json:"vector"`
		Expressions json.RawMessage `json:"expressions"`
	}
	raw, ok := a["query"]
	if !ok {
		return nil, userErrorf("InvalidArgument", "vectorSearch: missing argument \"query\"")
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, userErrorf("InvalidArgument", "vectorSearch: invalid query: %v", err)
	}
	limit := defaultVectorLimit
	if q.Limit != nil {
		if *q.Limit < 1 || *q.Limit > maxVectorLimit || *q.Limit != math.Trunc(*q.Limit) {
			return nil, userErrorf("InvalidArgument", "vectorSearch: limit must be an integer between 1 and %d", maxVectorLimit)
		}
		limit = int(*q.Limit)
	}
	var filter expr
	if len(q.Expressions) > 0 && string(q.Expressions) != "null" {
		f, err := parseExpr(q.Expressions)
		if err != nil {
			return nil, err
		}
		filter = f
	}
	tableName, indexName, _ := strings.Cut(q.IndexName, ".")
	ti, err := t.readableTable(tableName)
	if err != nil {
		return nil, err
	}
	empty := []byte(`{"results":[]}`)
	if ti == nil {
		return empty, nil
	}
	ix := ti.indexes[indexName]
	if ix == nil || ix.kind != "vector" {
		return nil, userErrorf("IndexNotFound", "Vector index %s not found.", q.IndexName)
	}
	var c IndexConfig
	_ = json.Unmarshal([]byte(ix.config), &c)
	if c.Dimensions > 0 && len(q.Vector) != c.Dimensions {
		return nil, userErrorf("InvalidArgument", "vectorSearch: the vector has %d dimensions, but index %s has %d.", len(q.Vector), q.IndexName, c.Dimensions)
	}
	t.reads.add(KeyRange{Table: ti.name, Index: "by_creation_time"})
	type hit struct {
		id    string
		score float64
	}
	var hits []hit
	err = t.scanTable(ti.number, func(_ []byte, doc Document) error {
		vec, ok := fieldValue(doc, c.VectorField).([]values.Value)
		if !ok || len(vec) != len(q.Vector) {
			return nil
		}
		if filter != nil {
			v, err := filter.eval(doc)
			if err != nil {
				return err
			}
			if b, _ := v.(bool); !b {
				return nil
			}
		}
		var dot, na, nb float64
		for i, x := range vec {
			f, ok := x.(float64)
			if !ok {
				return nil
			}
			dot += f * q.Vector[i]
			na += f * f
			nb += q.Vector[i] * q.Vector[i]
		}
		score := 0.0
		if na > 0 && nb > 0 {
			score = dot / math.Sqrt(na*nb)
		}
		id, _ := doc["_id"].(string)
		hits = append(hits, hit{id, score})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	results := make([]map[string]any, len(hits))
	for i, h := range hits {
		results[i] = map[string]any{"_id": h.id, "_score": h.score}
	}
	return encodeResult(map[string]any{"results": results})
}

// TxMetrics counts what a transaction did, for 1.0/getTransactionMetrics.
type TxMetrics struct {
	DocsRead    int
	BytesRead   int
	DocsWritten int
	MaxDocsRead int
	MaxBytes    int
	MaxWrites   int
}

// Metrics returns the transaction's usage so far and its limits.
func (t *Tx) Metrics() TxMetrics {
	o := t.s.opts
	return TxMetrics{t.docsRead, t.bytesRead, t.writes, o.MaxDocsRead, o.MaxBytesRead, o.MaxWrites}
}

// EnterFunction starts a nested function frame: the one-paginated-query rule
// applies per function, so the count restarts; call the returned function
// when the nested function ends to restore the caller's count.
func (t *Tx) EnterFunction() (leave func()) {
	saved := t.pageQueries
	t.pageQueries = 0
	return func() { t.pageQueries = saved }
}

// Limits reported by getTransactionMetrics that this store does not enforce
// itself (those of the real backend).
const (
	maxBytesWritten      = 16 << 20
	maxDatabaseQueries   = 4096
	maxScheduled         = 1000
	maxScheduledArgBytes = 16 << 20
	maxFiles             = 1000
	maxFileBytes         = 64 << 20
)

func (t *Tx) metricsJSON() ([]byte, error) {
	o := t.s.opts
	metric := func(used, limit int) map[string]values.Value {
		return map[string]values.Value{"used": float64(used), "remaining": float64(max(limit-used, 0))}
	}
	return values.Encode(map[string]values.Value{
		"bytesRead":                  metric(t.bytesRead, o.MaxBytesRead),
		"bytesWritten":               metric(t.bytesWritten, maxBytesWritten),
		"databaseQueries":            metric(t.dbQueries, maxDatabaseQueries),
		"documentsRead":              metric(t.docsRead, o.MaxDocsRead),
		"documentsWritten":           metric(t.writes, o.MaxWrites),
		"functionsScheduled":         metric(t.scheduled, maxScheduled),
		"scheduledFunctionArgsBytes": metric(t.schedBytes, maxScheduledArgBytes),
		"filesWritten":               metric(t.filesWritten, maxFiles),
		"fileWriteBytes":             metric(t.fileWritten, maxFileBytes),
		"filesRead":                  metric(t.filesRead, maxFiles),
		"fileReadBytes":              metric(t.fileRead, maxFileBytes),
	})
}
