package store

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/convex-go/convex/backend/values"
)

func TestSnapshotBulkOperations(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	tx, err := s.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	// A wanted number that is free is taken; a taken one is not.
	n, created, err := tx.SnapshotEnsureTable("b", FirstUserTable+5)
	if err != nil || !created || n != FirstUserTable+5 {
		t.Fatalf("ensure b: %d %v %v", n, created, err)
	}
	n2, created, err := tx.SnapshotEnsureTable("c", FirstUserTable+5)
	if err != nil || !created || n2 == n {
		t.Fatalf("ensure c: %d %v %v", n2, created, err)
	}
	if again, created, _ := tx.SnapshotEnsureTable("b", 0); again != n || created {
		t.Errorf("ensure existing b: %d %v", again, created)
	}
	for _, bad := range []string{"_x", "9x", ""} {
		if _, _, err := tx.SnapshotEnsureTable(bad, 0); err == nil {
			t.Errorf("table %q accepted", bad)
		}
	}
	keepID := values.NewID(n)
	foreignID := values.NewID(n2)
	id, err := tx.SnapshotInsert("b", Document{"_id": keepID, "_creationTime": 5e12, "v": int64(1)})
	if err != nil || id != keepID {
		t.Fatalf("insert with own id: %q %v", id, err)
	}
	id2, err := tx.SnapshotInsert("b", Document{"_id": foreignID, "_creationTime": "bad", "v": int64(2)})
	if err != nil || id2 == foreignID {
		t.Fatalf("insert with a foreign id: %q %v", id2, err)
	}
	if _, err := tx.SnapshotInsert("b", Document{"_id": keepID, "v": 3.0}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := tx.SnapshotInsert("b", Document{"_secret": 1.0}); err == nil {
		t.Errorf("underscore field accepted")
	}
	if _, err := tx.SnapshotInsert("missing", Document{"v": 1.0}); err == nil {
		t.Errorf("insert into a missing table accepted")
	}
	sid, err := tx.SnapshotInsertBlob(Document{"_id": values.NewID(StorageTable), "_creationTime": 4e12, "contentType": "text/plain", "sha256": "ignored"}, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// Imported creation times do not move later ones.
	tx, _ = s.Begin(true)
	out, err := tx.Syscall("1.0/insert", []byte(`{"table":"b","value":{"v":4}}`))
	if err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	newID := strings.Split(string(out), `"`)[3]

	rc, meta, err := s.GetBlob(sid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "data" || meta.Size != 4 || meta.ContentType != "text/plain" || len(meta.SHA256) != 32 {
		t.Errorf("blob %q %+v", b, meta)
	}

	tx, _ = s.Begin(false)
	var order []string
	var times []float64
	if err := tx.SnapshotScan("b", func(d Document) error {
		order = append(order, d["_id"].(string))
		times = append(times, d["_creationTime"].(float64))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(order) != 3 || order[0] != id2 || order[1] != newID || order[2] != keepID ||
		!(times[0] < times[1] && times[1] < 5e12 && times[2] == 5e12) {
		t.Errorf("scan order %v times %v", order, times)
	}
	if data, err := tx.SnapshotBlob(sid); err != nil || string(data) != "data" {
		t.Errorf("SnapshotBlob: %q %v", data, err)
	}
	if _, err := tx.SnapshotBlob(values.NewID(StorageTable)); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing blob: %v", err)
	}
	tables, _ := tx.SnapshotTables()
	if tables[0].Name != "b" || tables[0].Count != 3 || tables[1].Name != "c" || !tables[len(tables)-1].System {
		t.Errorf("tables %+v", tables)
	}
	if err := tx.SnapshotScan("nothing", func(Document) error { t.Error("doc in a missing table"); return nil }); err != nil {
		t.Error(err)
	}
	if _, err := tx.SnapshotClear("b"); err == nil {
		t.Errorf("clear in a read transaction")
	}
	tx.Rollback()

	tx, _ = s.Begin(true)
	if n, err := tx.SnapshotClear("b"); err != nil || n != 3 {
		t.Errorf("clear b: %d %v", n, err)
	}
	if n, err := tx.SnapshotClear(StorageName); err != nil || n != 1 {
		t.Errorf("clear _storage: %d %v", n, err)
	}
	if _, err := tx.SnapshotClear(ScheduledFunctionsName); err == nil {
		t.Errorf("cleared _scheduled_functions")
	}
	tx.Commit()
	if _, _, err := s.GetBlob(sid); !errors.Is(err, ErrNotFound) {
		t.Errorf("blob after clear: %v", err)
	}
	tables, _ = s.Tables()
	if tables[0].Name != "b" || tables[0].Count != 0 {
		t.Errorf("after clear %+v", tables)
	}
}
