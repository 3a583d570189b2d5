package store

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/values"
)

const strictSchema = `{"tables":[{"tableName":"messages","indexes":[{"indexDescriptor":"by_author","fields":["author"]}],"stagedDbIndexes":[],"searchIndexes":[],"stagedSearchIndexes":[],"vectorIndexes":[],"stagedVectorIndexes":[],
"documentType":{"type":"object","value":{"author":{"fieldType":{"type":"string"},"optional":false},"body":{"fieldType":{"type":"string"},"optional":false},"user":{"fieldType":{"type":"id","tableName":"users"},"optional":true}}}},
{"tableName":"users","indexes":[],"searchIndexes":[],"vectorIndexes":[],"documentType":{"type":"object","value":{"name":{"fieldType":{"type":"string"},"optional":false}}}}],"schemaValidation":true}`

func TestSchemaValidationOnWrites(t *testing.T) {
	s := openTest(t)
	if err := s.ApplySchema([]byte(strictSchema)); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, s, true)
	uid := insert(t, tx, "users", `{"name":"ann"}`)
	id := insert(t, tx, "messages", `{"author":"ann","body":"hi","user":"`+uid+`"}`)
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":{"author":"ann"}}`, "SchemaValidation", "missing the required field `body`")
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":{"author":1,"body":"x"}}`, "SchemaValidation", "Path: .author")
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":{"author":"a","body":"x","extra":1}}`, "SchemaValidation", "extra field `extra`")
	// An id of the wrong table fails the id validator.
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":{"author":"a","body":"x","user":"`+id+`"}}`, "SchemaValidation", `not for table "users"`)
	sysErr(t, tx, "1.0/shallowMerge", `{"id":"`+id+`","value":{"body":{"$undefined":null}}}`, "SchemaValidation", "body")
	sysErr(t, tx, "1.0/replace", `{"id":"`+id+`","value":{"author":"x"}}`, "SchemaValidation", "body")
	sys(t, tx, "1.0/shallowMerge", `{"id":"`+id+`","value":{"user":{"$undefined":null}}}`)
	// Tables the schema does not mention are unconstrained.
	insert(t, tx, "scratch", `{"anything":[1,2]}`)
	commit(t, tx)
	// With schemaValidation false nothing is checked.
	if err := s.ApplySchema([]byte(strings.Replace(strictSchema, `"schemaValidation":true`, `"schemaValidation":false`, 1))); err != nil {
		t.Fatal(err)
	}
	tx = begin(t, s, true)
	insert(t, tx, "messages", `{"author":1}`)
	tx.Rollback()
}

func TestApplySchemaValidatesExistingDocuments(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	insert(t, tx, "users", `{"name":"ann"}`)
	bad := insert(t, tx, "messages", `{"author":"a"}`)
	commit(t, tx)
	err := s.ApplySchema([]byte(strictSchema))
	var se *SchemaError
	if !errors.As(err, &se) || se.Table != "messages" || se.DocID != bad || !strings.Contains(se.Message, "body") {
		t.Fatalf("ApplySchema: %v", err)
	}
	// Nothing changed: the index was not added and writes are unchecked.
	if s.Schema() != nil {
		t.Fatal("failed schema became active")
	}
	diff, err := s.PrepareSchema([]byte(strictSchema))
	if err != nil || len(diff.Added) != 1 {
		t.Fatalf("diff after failed apply: %+v %v", diff, err)
	}
	tx = begin(t, s, true)
	sys(t, tx, "1.0/shallowMerge", `{"id":"`+bad+`","value":{"body":"now valid"}}`)
	commit(t, tx)
	if err := s.ApplySchema([]byte(strictSchema)); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaIndexDiffAndBackfill(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	for _, a := range []string{"c", "a", "b"} {
		insert(t, tx, "messages", `{"author":"`+a+`","body":"x"}`)
	}
	commit(t, tx)
	diff, err := s.PrepareSchema([]byte(strictSchema))
	if err != nil {
		t.Fatal(err)
	}
	want := []IndexConfig{{Name: "messages.by_author", Type: "database", Fields: []string{"author"}}}
	if !reflect.DeepEqual(diff.Added, want) || len(diff.Removed) != 0 || diff.Enabled == nil {
		t.Fatalf("diff %+v", diff)
	}
	if err := s.ApplySchema([]byte(strictSchema)); err != nil {
		t.Fatal(err)
	}
	// The index was backfilled.
	r := begin(t, s, false)
	got := field(collect(t, r, indexQuery("by_author", "")), "author")
	if !reflect.DeepEqual(got, []any{"a", "b", "c"}) {
		t.Fatalf("backfilled index order %v", got)
	}
	r.Rollback()
	// Same schema: no diff. Changed fields: remove + add. No schema: remove.
	if diff, _ := s.PrepareSchema([]byte(strictSchema)); len(diff.Added)+len(diff.Removed) != 0 {
		t.Fatalf("diff against itself %+v", diff)
	}
	changed := strings.Replace(strictSchema, `"fields":["author"]`, `"fields":["author","body"]`, 1)
	diff, _ = s.PrepareSchema([]byte(changed))
	if len(diff.Added) != 1 || len(diff.Removed) != 1 || !reflect.DeepEqual(diff.Added[0].Fields, []string{"author", "body"}) {
		t.Fatalf("changed diff %+v", diff)
	}
	if err := s.ApplySchema([]byte(changed)); err != nil {
		t.Fatal(err)
	}
	r = begin(t, s, false)
	if got := collect(t, r, indexQuery("by_author", "", rng("Eq", "author", `"b"`), rng("Eq", "body", `"x"`))); len(got) != 1 {
		t.Fatalf("rebuilt index query: %v", got)
	}
	r.Rollback()
	if err := s.ApplySchema(nil); err != nil {
		t.Fatal(err)
	}
	r = begin(t, s, false)
	sysErr(t, r, "1.0/queryStream", `{"query":`+indexQuery("by_author", "")+`}`, "IndexNotFound", "")
	r.Rollback()
	// The users table named by the schema was created by ApplySchema.
	if _, ok := s.TableNumber("users"); !ok {
		t.Error("schema table not created")
	}
}

func TestInvalidSchemas(t *testing.T) {
	s := openTest(t)
	bad := map[string]string{
		"json":            `{"tables":`,
		"reserved by_id":  `{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"by_id","fields":["a"]}]}]}`,
		"reserved _ name": `{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"_x","fields":["a"]}]}]}`,
		"duplicate":       `{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"x","fields":["a"]},{"indexDescriptor":"x","fields":["b"]}]}]}`,
		"creation first":  `{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"x","fields":["_creationTime","a"]}]}]}`,
		"no fields":       `{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"x","fields":[]}]}]}`,
		"bad table":       `{"tables":[{"tableName":"_t","indexes":[]}]}`,
		"bad validator":   `{"tables":[{"tableName":"t","indexes":[],"documentType":{"type":"wat"}}]}`,
	}
	for name, js := range bad {
		_, err := s.PrepareSchema([]byte(js))
		var se *SchemaError
		if !errors.As(err, &se) {
			t.Errorf("%s: PrepareSchema gave %v", name, err)
		}
		if err := s.ApplySchema([]byte(js)); err == nil {
			t.Errorf("%s: ApplySchema succeeded", name)
		}
	}
	// _creationTime as the last field is allowed.
	if _, err := s.PrepareSchema([]byte(`{"tables":[{"tableName":"t","indexes":[{"indexDescriptor":"x","fields":["a","_creationTime"]}]}]}`)); err != nil {
		t.Error(err)
	}
}

func TestSchemaSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySchema([]byte(strictSchema)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx := begin(t, s, true)
	sysErr(t, tx, "1.0/insert", `{"table":"messages","value":{"author":"a"}}`, "SchemaValidation", "body")
}

func TestScheduler(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	s, err := OpenWith(t.TempDir(), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx := begin(t, s, true)
	early := sys(t, tx, "1.0/schedule", `{"name":"messages.js:send","ts":1699999999.5,"args":{"n":{"$integer":"AQAAAAAAAAA="}},"version":"1.48.0"}`).(string)
	late := sys(t, tx, "1.0/schedule", `{"name":"messages:later","ts":1800000000,"args":{}}`).(string)
	mid := sys(t, tx, "1.0/schedule", `{"name":"messages:mid","ts":1700000000,"args":{}}`).(string)
	commit(t, tx)
	if n, _, _ := values.DecodeID(early); n != ScheduledFunctionsTable {
		t.Fatalf("job id table %d", n)
	}
	jobs, err := s.DueJobs(now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != early || jobs[1].ID != mid {
		t.Fatalf("due jobs %+v", jobs)
	}
	if jobs[0].Name != "messages:send" || string(jobs[0].Args) != `{"n":{"$integer":"AQAAAAAAAAA="}}` || jobs[0].State != JobPending {
		t.Fatalf("job fields %+v", jobs[0])
	}
	if !jobs[0].ScheduledTime.Equal(time.UnixMilli(1699999999500)) {
		t.Fatalf("scheduled time %v", jobs[0].ScheduledTime)
	}
	if next, ok, _ := s.NextJobTime(); !ok || !next.Equal(jobs[0].ScheduledTime) {
		t.Fatalf("NextJobTime %v %v", next, ok)
	}
	// User code sees the virtual table.
	r := begin(t, s, false)
	docs := collect(t, r, `{"source":{"type":"FullTableScan","tableName":"_scheduled_functions","order":null},"operators":[]}`)
	if len(docs) != 3 || docs[0]["state"].(map[string]any)["kind"] != "pending" || docs[0]["scheduledTime"] != 1699999999500.0 {
		t.Fatalf("_scheduled_functions docs %v", docs)
	}
	r.Rollback()

	if err := s.SetJobState(early, JobInProgress); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobState(early, JobFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	if failed, err := s.Jobs(JobFailed, 0); err != nil || len(failed) != 1 || failed[0].ID != early {
		t.Fatalf("Jobs(failed) = %+v, %v", failed, err)
	}
	j, err := s.GetJob(early)
	if err != nil || j.State != JobFailed || j.Error != "boom" {
		t.Fatalf("job after failure %+v %v", j, err)
	}
	if err := s.SetJobState(early, "weird"); err == nil {
		t.Error("unknown state accepted")
	}
	if err := s.SetJobState(values.NewID(ScheduledFunctionsTable), JobSuccess); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing job: %v", err)
	}

	// cancel_job, self-cancel, bad ids; a rolled back schedule leaves nothing.
	tx = begin(t, s, true)
	sys(t, tx, "1.0/cancel_job", `{"id":"`+late+`"}`)
	tx.SetCurrentJob(mid)
	sysErr(t, tx, "1.0/cancel_job", `{"id":"`+mid+`"}`, "ScheduledFunctionCancelingItself", "")
	sysErr(t, tx, "1.0/cancel_job", `{"id":"`+values.NewID(FirstUserTable)+`"}`, "InvalidId", "")
	sysErr(t, tx, "1.0/schedule", `{"name":"a:b","ts":"soon","args":{}}`, "InvalidArgument", "ts")
	sysErr(t, tx, "1.0/schedule", `{"name":"a:b","ts":1,"args":[1]}`, "InvalidArgument", "object")
	sysErr(t, tx, "1.0/schedule", `{"reference":"x","ts":1,"args":{}}`, "Unsupported", "")
	commit(t, tx)
	if j, _ := s.GetJob(late); j.State != JobCanceled {
		t.Fatalf("canceled job state %s", j.State)
	}
	tx = begin(t, s, true)
	sys(t, tx, "1.0/schedule", `{"name":"a:b","ts":1,"args":{}}`)
	tx.Rollback()
	jobs, _ = s.DueJobs(now, 0)
	if len(jobs) != 1 || jobs[0].ID != mid {
		t.Fatalf("due after rollback %+v", jobs)
	}
}

func TestFileStorage(t *testing.T) {
	s := openTest(t)
	id, err := s.PutBlob(strings.NewReader("hello"), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	rc, meta, err := s.GetBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "hello" || meta.Size != 5 || meta.ContentType != "text/plain" || len(meta.SHA256) != 32 {
		t.Fatalf("blob %q %+v", data, meta)
	}
	tx := begin(t, s, true)
	if u := sys(t, tx, "1.0/storageGetUrl", `{"storageId":"`+id+`"}`); u != "http://127.0.0.1:3210/api/storage/"+id {
		t.Fatalf("url %v", u)
	}
	md := sys(t, tx, "1.0/storageGetMetadata", `{"storageId":"`+id+`"}`).(map[string]any)
	if md["sha256"] != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || md["size"] != 5.0 || md["contentType"] != "text/plain" {
		t.Fatalf("metadata %v", md)
	}
	doc := sys(t, tx, "1.0/get", `{"id":"`+id+`","isSystem":true}`).(map[string]any)
	if doc["size"] != 5.0 || doc["sha256"] != "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" {
		t.Fatalf("_storage doc %v", doc)
	}
	// The legacy UUID form of the same file works too.
	_, internal, _ := values.DecodeID(id)
	h := fmt.Sprintf("%x", internal[:])
	uuid := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	if u := sys(t, tx, "1.0/storageGetUrl", `{"storageId":"`+uuid+`"}`); u != "http://127.0.0.1:3210/api/storage/"+id {
		t.Fatalf("url by uuid %v", u)
	}
	if rc, _, err := s.GetBlob(uuid); err != nil {
		t.Fatalf("GetBlob by uuid: %v", err)
	} else {
		rc.Close()
	}
	sysErr(t, tx, "1.0/storageGetUrl", `{"storageId":"`+values.NewID(FirstUserTable)+`"}`, "InvalidStorageId", "")
	uploadURL := sys(t, tx, "1.0/storageGenerateUploadUrl", `{}`).(string)
	sys(t, tx, "1.0/storageDelete", `{"storageId":"`+id+`"}`)
	if u := sys(t, tx, "1.0/storageGetUrl", `{"storageId":"`+id+`"}`); u != nil {
		t.Fatalf("url of deleted file %v", u)
	}
	sysErr(t, tx, "1.0/storageDelete", `{"storageId":"`+id+`"}`, "StorageIdNotFound", "")
	sysErr(t, tx, "1.0/storageGetUrl", `{"storageId":"nope"}`, "InvalidStorageId", "")
	commit(t, tx)
	if _, _, err := s.GetBlob(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted blob: %v", err)
	}
	prefix := "http://127.0.0.1:3210/api/storage/upload?token="
	if !strings.HasPrefix(uploadURL, prefix) {
		t.Fatalf("upload url %s", uploadURL)
	}
	if err := s.CheckUploadToken(strings.TrimPrefix(uploadURL, prefix)); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckUploadToken("forged"); err == nil {
		t.Fatal("forged token accepted")
	}
	s.SetOrigin("http://example.test/")
	if got := s.StorageURL("x"); got != "http://example.test/api/storage/x" {
		t.Fatalf("StorageURL %s", got)
	}
}

func TestEnvAndMeta(t *testing.T) {
	s := openTest(t)
	if err := s.EnvSet("API_KEY", "one"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnvSet("API_KEY", "two"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnvSet("OTHER", ""); err != nil {
		t.Fatal(err)
	}
	env, err := s.EnvList()
	if err != nil || !reflect.DeepEqual(env, map[string]string{"API_KEY": "two", "OTHER": ""}) {
		t.Fatalf("env %v %v", env, err)
	}
	if err := s.EnvDelete("OTHER"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"1X", "has space", "", strings.Repeat("A", 41)} {
		if err := s.EnvSet(bad, "v"); !IsUserError(err) {
			t.Errorf("EnvSet(%q): %v", bad, err)
		}
	}
	if err := s.EnvSet("BIG", strings.Repeat("x", MaxEnvValueLen+1)); !IsUserError(err) {
		t.Errorf("oversized value: %v", err)
	}
	v := "3"
	if err := s.EnvApply(map[string]*string{"A": &v, "API_KEY": nil}); err != nil {
		t.Fatal(err)
	}
	if env, _ := s.EnvList(); !reflect.DeepEqual(env, map[string]string{"A": "3"}) {
		t.Fatalf("after apply %v", env)
	}

	if _, ok, err := s.GetMeta("modules"); ok || err != nil {
		t.Fatalf("missing meta: %v %v", ok, err)
	}
	if err := s.PutMeta("modules", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if b, ok, _ := s.GetMeta("modules"); !ok || string(b) != `{"a":1}` {
		t.Fatalf("meta %s %v", b, ok)
	}
	if err := s.PutMetas(map[string][]byte{"x": []byte("1"), "modules": nil}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetMeta("modules"); ok {
		t.Fatal("PutMetas did not delete")
	}
	if err := s.DeleteMeta("x"); err != nil {
		t.Fatal(err)
	}
}

func TestLegacyStorageSyscalls(t *testing.T) {
	s := openTest(t)
	tx := begin(t, s, true)
	id := sys(t, tx, "1.0/storageStore", `{"blob":"aGVsbG8=","contentType":"text/plain","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}`).(string)
	got := sys(t, tx, "1.0/storageGet", `{"storageId":"`+id+`"}`).(map[string]any)
	if got["blob"] != "aGVsbG8=" || got["contentType"] != "text/plain" {
		t.Fatalf("storageGet %v", got)
	}
	sysErr(t, tx, "1.0/storageStore", `{"blob":"aGVsbG8=","sha256":"00"}`, "StorageHashMismatch", "")
	sysErr(t, tx, "1.0/storageStore", `{"blob":"!!"}`, "InvalidArgument", "base64")
	commit(t, tx)
	rc, meta, err := s.GetBlob(id)
	if err != nil || meta.Size != 5 {
		t.Fatalf("GetBlob after storageStore: %+v %v", meta, err)
	}
	rc.Close()
	r := begin(t, s, false)
	if got := sys(t, r, "1.0/storageGet", `{"storageId":"`+values.NewID(StorageTable)+`"}`); got != nil {
		t.Fatalf("storageGet of a missing file %v", got)
	}
	sysErr(t, r, "1.0/storageStore", `{"blob":""}`, "ReadOnlyTransaction", "")
}

func TestTransactionMetricsAndSnapshotTs(t *testing.T) {
	s := openTest(t)
	w := begin(t, s, true)
	insert(t, w, "t", `{"a":1}`)
	sys(t, w, "1.0/schedule", `{"name":"a:b","ts":1,"args":{"x":1}}`)
	collect(t, w, `{"source":{"type":"FullTableScan","tableName":"t","order":null},"operators":[]}`)
	m := sys(t, w, "1.0/getTransactionMetrics", `{}`).(map[string]any)
	used := func(k string) float64 { return m[k].(map[string]any)["used"].(float64) }
	if used("documentsWritten") != 2 || used("functionsScheduled") != 1 || used("databaseQueries") != 1 || used("documentsRead") != 1 || used("bytesWritten") == 0 {
		t.Fatalf("metrics %v", m)
	}
	if rem := m["documentsRead"].(map[string]any)["remaining"].(float64); rem != defaultMaxDocsRead-1 {
		t.Fatalf("remaining %v", rem)
	}
	if len(m) != 11 {
		t.Fatalf("metrics has %d fields", len(m))
	}
	ts := commit(t, w)
	r := begin(t, s, false)
	out, err := r.Syscall("1.0/getSnapshotTs", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := values.Decode(out)
	if v != ts {
		t.Fatalf("snapshot ts %v, want %d", v, ts)
	}
}

// DueJobs skips its scan while nothing pending was written and nothing has
// come due, and never misses a job because of that.
func TestDueJobsWhenIdle(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	s, err := OpenWith(t.TempDir(), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	due := func(at time.Time) []Job {
		t.Helper()
		jobs, err := s.DueJobs(at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	if jobs := due(now); len(jobs) != 0 {
		t.Fatalf("due jobs in an empty store: %+v", jobs)
	}
	tx := begin(t, s, true)
	later := sys(t, tx, "1.0/schedule", `{"name":"a:later","ts":1700000060,"args":{}}`).(string)
	commit(t, tx)
	for i := 0; i < 2; i++ { // the second call answers from the cache
		if jobs := due(now); len(jobs) != 0 {
			t.Fatalf("call %d: job due before its time: %+v", i, jobs)
		}
	}
	if jobs := due(now.Add(time.Minute)); len(jobs) != 1 || jobs[0].ID != later {
		t.Fatalf("job not due at its time: %+v", jobs)
	}
	// A job written after the cache was filled is seen at once.
	if jobs := due(now); len(jobs) != 0 {
		t.Fatalf("%+v", jobs)
	}
	tx = begin(t, s, true)
	soon := sys(t, tx, "1.0/schedule", `{"name":"a:soon","ts":1699999999,"args":{}}`).(string)
	commit(t, tx)
	if jobs := due(now); len(jobs) != 1 || jobs[0].ID != soon {
		t.Fatalf("new due job missed: %+v", jobs)
	}
	// Finishing it is a write too: it is no longer due.
	if err := s.SetJobState(soon, JobSuccess); err != nil {
		t.Fatal(err)
	}
	if jobs := due(now); len(jobs) != 0 {
		t.Fatalf("finished job still due: %+v", jobs)
	}
}
