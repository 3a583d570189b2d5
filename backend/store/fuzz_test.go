package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/convex-go/convex/backend/values"
)

// FuzzCompileRange checks that any sequence of range expressions either
// fails with a UserError or yields a range whose keys are exactly those the
// expressions select.
func FuzzCompileRange(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{3, 1, 0, 2})
	f.Fuzz(func(t *testing.T, prog []byte) {
		fields := []string{"a", "b", "_creationTime", "_id"}
		types := []string{"Eq", "Gt", "Gte", "Lt", "Lte", "Bad"}
		vals := []values.Value{values.Undefined, nil, int64(1), 2.0, "x", "x\x00"}
		var exprs []rangeExpr
		for i := 0; i+2 < len(prog) && len(exprs) < 6; i += 3 {
			exprs = append(exprs, rangeExpr{
				Type:      types[int(prog[i])%len(types)],
				FieldPath: fields[int(prog[i+1])%len(fields)],
				Value:     vals[int(prog[i+2])%len(vals)],
			})
		}
		lo, hi, err := compileRange("t.idx", fields, exprs)
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("non-user error %v", err)
			}
			return
		}
		// Every candidate key inside [lo, hi) must satisfy every expression,
		// and every satisfying key must be inside.
		for _, a := range vals {
			for _, b := range vals {
				for _, c := range vals[1:4] {
					tuple := []values.Value{a, b, c, "id"}
					key := values.IndexKey(tuple...)
					in := (lo == nil || bytes.Compare(key, lo) >= 0) && (hi == nil || bytes.Compare(key, hi) < 0)
					want := true
					for _, e := range exprs {
						var v values.Value
						for i, f := range fields {
							if f == e.FieldPath {
								v = tuple[i]
							}
						}
						cmp := values.Compare(v, e.Value)
						ok := map[string]bool{"Eq": cmp == 0, "Gt": cmp > 0, "Gte": cmp >= 0, "Lt": cmp < 0, "Lte": cmp <= 0}[e.Type]
						want = want && ok
					}
					if in != want {
						t.Fatalf("exprs %+v: tuple %v in range = %v, want %v", exprs, tuple, in, want)
					}
				}
			}
		}
	})
}

// FuzzQuery runs arbitrary query JSON: it must never panic, and every
// failure must be a UserError.
func FuzzQuery(f *testing.F) {
	f.Add([]byte(scan("desc", `{"filter":{"$eq":[{"$field":"n"},{"$literal":3}]}}`, `{"limit":2}`)))
	f.Add([]byte(indexQuery("by_channel_n", "", rng("Eq", "channel", `"x"`), rng("Gt", "n", "1"))))
	f.Add([]byte(`{"source":{"type":"Search","indexName":"messages.search_body","filters":[{"type":"Search","fieldPath":"body","value":"hello"}]},"operators":[]}`))
	f.Add([]byte(`{"source":{"type":"FullTableScan","tableName":"messages","order":null},"operators":[{"filter":{"$and":[{"$not":{"$literal":false}},{"$gt":[{"$mod":[{"$field":"n"},{"$literal":2}]},{"$neg":{"$literal":1}}]}]}}]}`))
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	seed(f, s)
	f.Fuzz(func(t *testing.T, query []byte) {
		tx, err := s.Begin(false)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		check := func(err error) bool {
			if err == nil {
				return true
			}
			if !IsUserError(err) {
				t.Fatalf("query %s: non-user error %v", query, err)
			}
			return false
		}
		args, err := json.Marshal(map[string]json.RawMessage{"query": query})
		if err != nil {
			return // not JSON at all
		}
		out, err := tx.Syscall("1.0/queryStream", args)
		if !check(err) {
			return
		}
		var r struct{ QueryID int }
		_ = json.Unmarshal(out, &r)
		for i := 0; i < 20; i++ {
			out, err := tx.Syscall("1.0/queryStreamNext", []byte(`{"queryId":`+strconv.Itoa(r.QueryID)+`}`))
			if !check(err) || bytes.HasPrefix(out, []byte(`{"done":true`)) {
				return
			}
		}
	})
}

// FuzzSyscall sends arbitrary arguments to every syscall inside a write
// transaction that is then rolled back: no panics, and failures are
// UserErrors.
func FuzzSyscall(f *testing.F) {
	ops := []string{"1.0/get", "1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove", "1.0/count",
		"1.0/db/normalizeId", "1.0/schedule", "1.0/cancel_job", "1.0/storageGetUrl", "1.0/storageGetMetadata",
		"1.0/storageDelete", "1.0/queryPage", "1.0/queryCleanup", "1.0/queryStreamNext", "1.0/actions/vectorSearch",
		"1.0/storageStore", "1.0/storageGet"}
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	seed(f, s)
	tx := begin(f, s, false)
	docs := collect(f, tx, scan(""))
	tx.Rollback()
	id := docs[0]["_id"].(string)
	f.Add(uint8(1), []byte(`{"table":"messages","value":{"a":[1,{"$integer":"AQAAAAAAAAA="}]}}`))
	f.Add(uint8(2), []byte(`{"id":"`+id+`","value":{"author":{"$undefined":null}}}`))
	f.Add(uint8(3), []byte(`{"id":"`+id+`","value":{"_id":"`+id+`"}}`))
	f.Add(uint8(7), []byte(`{"name":"a","ts":1e308,"args":{}}`))
	f.Add(uint8(12), []byte(`{"query":`+scan("")+`,"cursor":"c","pageSize":1e9}`))
	f.Fuzz(func(t *testing.T, op uint8, args []byte) {
		tx, err := s.Begin(true)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		name := ops[int(op)%len(ops)]
		if _, err := tx.Syscall(name, args); err != nil && !IsUserError(err) {
			t.Fatalf("%s %s: non-user error %v", name, args, err)
		}
	})
}
