package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/convex-go/convex/backend/snapshot"
)

func TestImportRoutes(t *testing.T) {
	e := newTestEnv(t)
	if code, _, _ := e.do("POST", "/api/import/start_upload", nil, nil); code != 401 {
		t.Errorf("start_upload without a key: %d", code)
	}
	code, m, raw := e.do("POST", "/api/import/start_upload", nil, e.admin())
	tok, _ := m["uploadToken"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("start_upload: %d %s", code, raw)
	}
	var parts []any
	for i, chunk := range []string{"{\"text\":\"a\"}\n{\"te", "xt\":\"b\"}\n"} {
		code, _, raw := e.do("POST", fmt.Sprintf("/api/import/upload_part?uploadToken=%s&partNumber=%d", tok, i+1), []byte(chunk),
			map[string]string{"Authorization": "Convex " + e.key, "Content-Type": "application/octet-stream"})
		var pt string
		if code != 200 || json.Unmarshal(raw, &pt) != nil {
			t.Fatalf("upload_part: %d %s", code, raw)
		}
		parts = append(parts, pt)
	}
	code, m, raw = e.do("POST", "/api/import/finish_upload", map[string]any{
		"import": map[string]any{"tableName": "notes", "mode": "requireEmpty", "format": "jsonLines"}, "uploadToken": tok, "partTokens": parts,
	}, e.admin())
	id, _ := m["importId"].(string)
	if code != 200 || id == "" {
		t.Fatalf("finish_upload: %d %s", code, raw)
	}
	// The CLI lists imports over HTTP and follows one over sync; both are
	// system queries.
	r := e.call("query", "_system/cli/queryImport:list", []any{map[string]any{}}, e.admin())
	if list, _ := r["value"].([]any); len(list) != 1 || get(list[0], "state", "state") != "waiting_for_confirmation" {
		t.Fatalf("queryImport:list: %v", r)
	}
	if code, _, raw := e.do("POST", "/api/perform_import", map[string]any{"importId": id}, e.admin()); code != 200 {
		t.Fatalf("perform_import: %d %s", code, raw)
	}
	r = e.call("query", "_system/cli/queryImport", map[string]any{"importId": id}, e.admin())
	if get(r, "value", "state", "state") != "completed" || get(r, "value", "state", "num_rows_written") != "2" {
		t.Errorf("queryImport: %v", r)
	}
	r = e.call("query", "_system/cli/tableSize", map[string]any{"tableName": "notes"}, e.admin())
	if r["value"] != 2.0 {
		t.Errorf("tableSize after import: %v", r)
	}
	if code, m, _ := e.do("POST", "/api/perform_import", map[string]any{"importId": id}, e.admin()); code != 400 || m["code"] != "InvalidImport" {
		t.Errorf("perform_import twice: %d %v", code, m)
	}
	if code, m, _ := e.do("POST", "/api/cancel_import", map[string]any{"importId": "nope"}, e.admin()); code != 400 {
		t.Errorf("cancel unknown: %d %v", code, m)
	}
	code, m, raw = e.do("POST", "/api/import/finish_upload", map[string]any{
		"import": map[string]any{"mode": "requireEmpty", "format": "jsonLines"}, "uploadToken": tok, "partTokens": parts,
	}, e.admin())
	if code != 400 || !strings.Contains(fmt.Sprint(m["message"]), "table name is required") {
		t.Errorf("finish_upload without a table: %d %s", code, raw)
	}

	// One-shot import.
	code, m, raw = e.do("POST", "/api/import?tableName=more&format=csv&mode=append", []byte("text,n\nx,1\ny,2\n"), e.admin())
	if code != 200 || m["numWritten"] != 2.0 {
		t.Errorf("one-shot import: %d %s", code, raw)
	}
	code, m, _ = e.do("POST", "/api/import?tableName=more&format=csv&mode=append", []byte("text,n\nx,1,3\n"), e.admin())
	if code != 400 || !strings.Contains(fmt.Sprint(m["message"]), "CSV line 2") {
		t.Errorf("ragged one-shot import: %d %v", code, m)
	}
	if r := e.call("query", "_system/cli/tableSize", map[string]any{"tableName": "more"}, e.admin()); r["value"] != 2.0 {
		t.Errorf("a failed import left documents: %v", r)
	}
}

func TestExportRoutes(t *testing.T) {
	e := newTestEnv(t)
	e.push(pushRequest(e.key, []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}, nil, nil))
	e.call("mutation", "notes:add", map[string]any{"text": "kept"}, nil)

	// Follow the export over sync, as `convex export` does.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.http.URL, "http")+"/api/sync", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "Connect", "sessionId": "6f1c2b8e-3d4a-4c5b-8e9f-0a1b2c3d4e5f", "connectionCount": 0, "lastCloseReason": "InitialConnect", "clientTs": time.Now().UnixMilli()})
	send(map[string]any{"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": e.key})
	send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": 0, "udfPath": "_system/cli/exports:getLatest", "args": []any{map[string]any{}}},
	}})
	latest := func() any {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			if m["type"] != "Transition" {
				continue
			}
			for _, mod := range m["modifications"].([]any) {
				if get(mod, "queryId") == 0.0 {
					if get(mod, "type") != "QueryUpdated" {
						t.Fatalf("getLatest: %v", mod)
					}
					return get(mod, "value")
				}
			}
		}
	}
	if v := latest(); v != nil {
		t.Fatalf("getLatest before any export: %v", v)
	}
	if code, _, raw := e.do("POST", "/api/export/request/zip?includeStorage=false", nil, e.admin()); code != 200 || len(raw) != 0 {
		t.Fatalf("request export: %d %s", code, raw)
	}
	var doc any
	for i := 0; i < 5; i++ {
		doc = latest()
		if get(doc, "state") == "completed" {
			break
		}
	}
	if get(doc, "state") != "completed" {
		t.Fatalf("export did not complete: %v", doc)
	}
	ts, _ := get(doc, "start_ts", "$integer").(string)
	if ts == "" {
		t.Fatalf("start_ts is not an int64: %v", doc)
	}
	r := e.call("query", "_system/cli/exports:getLatest", map[string]any{}, e.admin())
	startTS, _ := get(r, "value", "start_ts").(string) // clean JSON: int64 as a string
	code, _, raw := e.do("GET", "/api/export/zip/"+startTS, nil, e.admin())
	if code != 200 {
		t.Fatalf("download: %d %s", code, raw)
	}
	p, err := snapshot.Parse(snapshot.FormatZIP, "", raw)
	if err != nil || len(p.Tables) != 1 || p.Tables[0].Name != "notes" || len(p.Tables[0].Docs) != 1 {
		t.Errorf("downloaded export: %v %+v", err, p)
	}
	if code, _, _ := e.do("GET", "/api/export/zip/"+startTS, nil, nil); code != 401 {
		t.Errorf("download without a key: %d", code)
	}
	if code, m, _ := e.do("GET", "/api/export/zip/123", nil, e.admin()); code != 404 {
		t.Errorf("download unknown: %d %v", code, m)
	}
	if code, m, _ := e.do("POST", "/api/export/request/csv", nil, e.admin()); code != 400 {
		t.Errorf("csv export: %d %v", code, m)
	}
}
