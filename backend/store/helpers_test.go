package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/convex-go/convex/backend/values"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := OpenWith(t.TempDir(), Options{Origin: "http://127.0.0.1:3210"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func begin(t testing.TB, s *Store, write bool) *Tx {
	t.Helper()
	tx, err := s.Begin(write)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tx.Rollback)
	return tx
}

func commit(t testing.TB, tx *Tx) int64 {
	t.Helper()
	ts, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// sys runs a syscall whose args are given as JSON text and returns the
// decoded JSON result.
func sys(t testing.TB, tx *Tx, op, args string) any {
	t.Helper()
	out, err := tx.Syscall(op, []byte(args))
	if err != nil {
		t.Fatalf("%s %s: %v", op, args, err)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s result %s is not JSON: %v", op, out, err)
	}
	return v
}

// sysErr runs a syscall that must fail with a user error of the given code
// whose message contains want.
func sysErr(t testing.TB, tx *Tx, op, args, code, want string) {
	t.Helper()
	out, err := tx.Syscall(op, []byte(args))
	if err == nil {
		t.Fatalf("%s %s succeeded with %s; want error %s", op, args, out, code)
	}
	var ue *UserError
	if !errors.As(err, &ue) {
		t.Fatalf("%s %s: error %v is not a UserError", op, args, err)
	}
	if code != "" && ue.Code != code {
		t.Fatalf("%s %s: code %s (%s), want %s", op, args, ue.Code, ue.Message, code)
	}
	if !strings.Contains(ue.Message, want) {
		t.Fatalf("%s %s: message %q does not contain %q", op, args, ue.Message, want)
	}
}

func insert(t testing.TB, tx *Tx, table, value string) string {
	t.Helper()
	r := sys(t, tx, "1.0/insert", `{"table":"`+table+`","value":`+value+`}`)
	return r.(map[string]any)["_id"].(string)
}

func get(t testing.TB, tx *Tx, id string) map[string]any {
	t.Helper()
	r := sys(t, tx, "1.0/get", `{"id":"`+id+`","isSystem":false}`)
	if r == nil {
		return nil
	}
	return r.(map[string]any)
}

// collect runs a query to the end through queryStream/queryStreamNext.
func collect(t testing.TB, tx *Tx, query string) []map[string]any {
	t.Helper()
	r := sys(t, tx, "1.0/queryStream", `{"query":`+query+`,"version":"1.48.0"}`)
	qid, _ := json.Marshal(r.(map[string]any)["queryId"])
	var out []map[string]any
	for i := 0; i < 10000; i++ {
		n := sys(t, tx, "1.0/queryStreamNext", `{"queryId":`+string(qid)+`}`).(map[string]any)
		if n["done"].(bool) {
			return out
		}
		out = append(out, n["value"].(map[string]any))
	}
	t.Fatal("query did not finish")
	return nil
}

func field(docs []map[string]any, name string) []any {
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d[name]
	}
	return out
}

func enc(v values.Value) string { return string(values.MustEncode(v)) }
