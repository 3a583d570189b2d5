package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestTimestampEncoding(t *testing.T) {
	if got := EncodeTS(0); got != "AAAAAAAAAAA=" {
		t.Errorf("EncodeTS(0) = %q", got)
	}
	if got := EncodeTS(1); got != "AQAAAAAAAAA=" {
		t.Errorf("EncodeTS(1) = %q", got)
	}
	for _, ts := range []int64{0, 1, 255, 1 << 40, 1764000000000000000, 1<<63 - 1} {
		got, err := DecodeTS(EncodeTS(ts))
		if err != nil || got != ts {
			t.Errorf("round trip %d: %d, %v", ts, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "AQAAAAAAAA==", "//////////8=", "AQAAAAAAAAAA"} {
		if _, err := DecodeTS(bad); err == nil {
			t.Errorf("DecodeTS(%q) accepted", bad)
		}
	}
}

func TestIsSyncPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/sync": true, "/api/1.48.0/sync": true, "/api/sync/x": false,
		"/api//sync": false, "/api/a/b/sync": false, "/sync": false, "/api/1.48.0/syncx": false,
	} {
		if got := IsSyncPath(p); got != want {
			t.Errorf("IsSyncPath(%q) = %v", p, got)
		}
	}
}

func TestSubscribeExactJSON(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.connect("11111111-1111-4111-8111-111111111111")
	c.send(addQuery(0, 0, "messages:list", map[string]any{}))
	_, data := c.expect("Transition")
	var tr map[string]json.RawMessage
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	if got := string(tr["startVersion"]); got != `{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="}` {
		t.Errorf("startVersion = %s", got)
	}
	wantEnd := fmt.Sprintf(`{"querySet":1,"identity":0,"ts":"%s"}`, EncodeTS(1000))
	if got := string(tr["endVersion"]); got != wantEnd {
		t.Errorf("endVersion = %s, want %s", got, wantEnd)
	}
	if got := string(tr["modifications"]); got != `[{"type":"QueryUpdated","queryId":0,"value":[],"logLines":[],"journal":null}]` {
		t.Errorf("modifications = %s", got)
	}
	for _, k := range []string{"clientClockSkew", "serverTs"} {
		if _, ok := tr[k]; !ok {
			t.Errorf("transition lacks %s", k)
		}
	}
}

func TestMutationUpdatesOtherSubscriber(t *testing.T) {
	s := newTestServer(t, Options{})
	sub := s.dial()
	sub.connect("sub")
	sub.send(addQuery(0, 7, "messages:list", map[string]any{}))
	sub.expect("Transition")

	w := s.dial()
	w.connect("writer")
	w.send(mutation(0, "messages:send", map[string]any{"author": "ann", "body": "hi"}))
	resp, raw := w.expect("MutationResponse")
	if resp["success"] != true || resp["requestId"].(float64) != 0 || resp["result"].(float64) != 1 {
		t.Fatalf("response %s", raw)
	}
	if got := fmt.Sprint(resp["logLines"]); got != "[[LOG] 'sent']" {
		t.Errorf("logLines %s", got)
	}
	commitTS := tsOf(t, resp["ts"])
	// Read-your-writes: a Transition at or past the commit follows, even
	// though the writer subscribes to nothing.
	tr, raw := w.expect("Transition")
	if end := tsOf(t, tr["endVersion"].(map[string]any)["ts"]); end < commitTS {
		t.Fatalf("transition ends at %d before the commit %d: %s", end, commitTS, raw)
	}
	if len(tr["modifications"].([]any)) != 0 {
		t.Errorf("writer got modifications: %s", raw)
	}

	tr, raw = sub.expect("Transition")
	mods := modsOf(t, tr)
	if mods[7].str("type") != "QueryUpdated" || !strings.Contains(string(raw), `"body":"hi"`) {
		t.Fatalf("subscriber update %s", raw)
	}
	if end := tsOf(t, tr["endVersion"].(map[string]any)["ts"]); end < commitTS {
		t.Errorf("subscriber transition at %d, before commit %d", end, commitTS)
	}
}

func TestOnlyAffectedQueriesRerun(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.connect("s")
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": []any{map[string]any{}}},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "counter:get", "args": []any{map[string]any{}}},
	}})
	tr, raw := c.expect("Transition")
	if len(modsOf(t, tr)) != 2 {
		t.Fatalf("want both results: %s", raw)
	}
	if got := fmt.Sprint(modsOf(t, tr)[1]["logLines"]); got != "[[LOG] 'reading counter']" {
		t.Errorf("log lines %s", got)
	}
	listRuns := s.fake.count("messages:list").Load()
	_, _, mods := c.mutate(0, "counter:inc", map[string]any{})
	if len(mods) != 1 || mods[1]["value"].(float64) != 1 {
		t.Fatalf("want only the counter: %v", mods)
	}
	if n := s.fake.count("messages:list").Load(); n != listRuns {
		t.Errorf("messages:list re-ran %d times after a counter commit", n-listRuns)
	}
	// A mutation that writes nothing still gets its Transition, with no
	// modifications.
	resp, _, mods := c.mutate(1, "noop:mutation", map[string]any{})
	if resp["result"] != "nothing" {
		t.Errorf("noop result %v", resp["result"])
	}
	if len(mods) != 0 {
		t.Errorf("unchanged results were sent again: %v", mods)
	}
}

func TestRemoveAndReAdd(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.send(addQuery(0, 0, "counter:get", map[string]any{}))
	c.expect("Transition")
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2, "modifications": []any{
		map[string]any{"type": "Remove", "queryId": 0},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "counter:get", "args": []any{map[string]any{}}, "journal": "j1"},
	}})
	tr, raw := c.expect("Transition")
	mods := modsOf(t, tr)
	if mods[0].str("type") != "QueryRemoved" || mods[1].str("type") != "QueryUpdated" {
		t.Fatalf("got %s", raw)
	}
	if strings.Contains(string(raw), `"queryId":0,"value"`) {
		t.Errorf("removed query got a value: %s", raw)
	}
	// An id removed and added again in one batch ends up present.
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 2, "newVersion": 3, "modifications": []any{
		map[string]any{"type": "Remove", "queryId": 1},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "messages:list", "args": []any{map[string]any{}}},
	}})
	tr, raw = c.expect("Transition")
	if mods := modsOf(t, tr); len(mods) != 1 || mods[1].str("type") != "QueryUpdated" {
		t.Fatalf("re-added id: %s", raw)
	}
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 3, "newVersion": 4, "modifications": []any{
		map[string]any{"type": "Remove", "queryId": 1},
	}})
	c.expect("Transition")
	// Removed queries no longer update.
	c.send(addQuery(4, 2, "messages:list", map[string]any{}))
	c.expect("Transition")
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 5, "newVersion": 6, "modifications": []any{
		map[string]any{"type": "Remove", "queryId": 2},
	}})
	c.expect("Transition")
	if _, _, mods := c.mutate(0, "messages:send", map[string]any{"author": "a", "body": "b"}); len(mods) != 0 {
		t.Errorf("removed query updated: %v", mods)
	}
}

func TestFailuresAreResults(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": 0, "udfPath": "fail:query", "args": []any{map[string]any{}}},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "counter:get", "args": []any{}},
		map[string]any{"type": "Add", "queryId": 2, "udfPath": "nope:missing", "args": []any{map[string]any{}}},
	}})
	tr, raw := c.expect("Transition")
	mods := modsOf(t, tr)
	if got, _ := json.Marshal(mods[0]); string(got) != `{"errorData":{"code":"NOPE"},"errorMessage":"Uncaught ConvexError: nope","journal":null,"logLines":[],"queryId":0,"type":"QueryFailed"}` {
		t.Errorf("fail:query %s", got)
	}
	if mods[1].str("type") != "QueryFailed" || !strings.Contains(mods[1].str("errorMessage"), "exactly one argument") {
		t.Errorf("bad args: %s", raw)
	}
	if _, ok := mods[2]["errorData"]; ok || mods[2].str("type") != "QueryFailed" {
		t.Errorf("missing function: %s", raw)
	}

	resp, raw, _ := c.mutate(0, "fail:mutation", map[string]any{})
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	if resp["success"] != false || resp["result"] != "Uncaught Error: refused" || string(m["errorData"]) != `{"why":"because"}` {
		t.Errorf("failed mutation %s", raw)
	}
	if ts, ok := m["ts"]; ok && string(ts) != "null" {
		t.Errorf("failed mutation has ts %s", ts)
	}
	resp, raw, _ = c.mutate(1, "counter:inc", "not an object")
	if resp["success"] != false {
		t.Errorf("mutation with bad args: %s", raw)
	}

	c.send(map[string]any{"type": "Action", "requestId": 2, "udfPath": "actions:echo", "args": []any{map[string]any{"x": 1}}})
	resp, raw = c.expect("ActionResponse")
	if string(raw) != `{"type":"ActionResponse","requestId":2,"success":true,"result":{"x":1},"logLines":["[INFO] 'echo'"]}` {
		t.Errorf("action %s", raw)
	}
	c.send(map[string]any{"type": "Action", "requestId": 3, "udfPath": "actions:fail", "args": []any{map[string]any{}}})
	resp, raw = c.expect("ActionResponse")
	if resp["success"] != false || resp["result"] != "Uncaught Error: action failed" {
		t.Errorf("failed action %s", raw)
	}
	c.send(map[string]any{"type": "Event", "eventType": "ClientConnect", "event": map[string]any{"x": 1}})
	// Still alive after the Event.
	c.mutate(4, "counter:inc", map[string]any{})
}

func TestMalformedMessagesAreFatalForThatClientOnly(t *testing.T) {
	s := newTestServer(t, Options{})
	other := s.dial()
	other.connect("other")
	other.send(addQuery(0, 0, "counter:get", map[string]any{}))
	other.expect("Transition")

	cases := []struct {
		name   string
		setup  []string
		frame  string
		binary bool
		want   string
	}{
		{name: "not json", frame: `{"type":`, want: "not a JSON object"},
		{name: "array", frame: `[1]`, want: "not a JSON object"},
		{name: "unknown type", frame: `{"type":"Hello"}`, want: `unknown message type "Hello"`},
		{name: "no type", frame: `{"x":1}`, want: `"type" is missing`},
		{name: "base version", frame: `{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[]}`, want: "BaseVersionMismatch"},
		{name: "version not increasing", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":0,"modifications":[]}`, want: "must be greater"},
		{name: "negative id", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":-1,"udfPath":"a:b","args":[{}]}]}`, want: "non-negative integer"},
		{name: "bad modification", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Swap","queryId":1}]}`, want: "Swap"},
		{name: "args not array", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":1,"udfPath":"a:b","args":{}}]}`, want: `"args" must be an array`},
		{name: "duplicate query", setup: []string{`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":1,"udfPath":"counter:get","args":[{}]}]}`},
			frame: `{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":1,"udfPath":"counter:get","args":[{}]}]}`, want: "already in the query set"},
		{name: "remove unknown", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Remove","queryId":9}]}`, want: "not in the query set"},
		{name: "mutation without path", frame: `{"type":"Mutation","requestId":0,"args":[{}]}`, want: `"udfPath" is missing`},
		{name: "fractional request id", frame: `{"type":"Action","requestId":1.5,"udfPath":"a:b","args":[{}]}`, want: "non-negative integer"},
		{name: "auth base version", frame: `{"type":"Authenticate","tokenType":"None","baseVersion":3}`, want: "BaseVersionMismatch"},
		{name: "auth token type", frame: `{"type":"Authenticate","tokenType":"Magic","baseVersion":0,"value":"x"}`, want: "unknown tokenType"},
		{name: "user impersonating", frame: `{"type":"Authenticate","tokenType":"User","baseVersion":0,"value":"jwt-a","impersonating":{}}`, want: "only allowed with an Admin token"},
		{name: "double connect", setup: []string{`{"type":"Connect","sessionId":"x","connectionCount":0,"lastCloseReason":null,"clientTs":1}`},
			frame: `{"type":"Connect","sessionId":"x","connectionCount":0,"lastCloseReason":null,"clientTs":1}`, want: "twice"},
		{name: "bad max observed ts", frame: `{"type":"Connect","sessionId":"x","connectionCount":1,"lastCloseReason":null,"clientTs":1,"maxObservedTimestamp":"zz"}`, want: "maxObservedTimestamp"},
		{name: "admin without key", frame: `{"type":"Authenticate","tokenType":"Admin","baseVersion":0}`, want: `"value" is missing`},
		{name: "connect without session", frame: `{"type":"Connect","connectionCount":0,"lastCloseReason":null,"clientTs":1}`, want: `"sessionId" is missing`},
		{name: "modifications not array", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":{}}`, want: `"modifications" must be an array`},
		{name: "journal not string", frame: `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":1,"udfPath":"a:b","args":[{}],"journal":5}]}`, want: `"journal" must be a string`},
		{name: "binary frame", binary: true, frame: `{"type":"Event"}`, want: "binary frames"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial()
			for _, f := range tc.setup {
				c.sendRaw(f)
			}
			if tc.binary {
				c.ws.Write(t.Context(), websocket.MessageBinary, []byte(tc.frame))
			} else {
				c.sendRaw(tc.frame)
			}
			for {
				m, raw := c.expectAny()
				if m.str("type") == "Transition" {
					continue // answer to the setup
				}
				if m.str("type") != "FatalError" || !strings.Contains(m.str("error"), tc.want) {
					t.Fatalf("got %s, want FatalError containing %q", raw, tc.want)
				}
				break
			}
			c.expectClosed()
		})
	}
	// The hub kept serving the other client throughout.
	if _, _, mods := other.mutate(0, "counter:inc", map[string]any{}); mods[0]["value"].(float64) != 1 {
		t.Fatalf("other client: %v", mods)
	}
}

func (c *client) expectAny() (msg, []byte) {
	c.t.Helper()
	m, data, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m, data
}

func TestAuthenticate(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.connect("auth")
	c.send(addQuery(0, 0, "auth:whoami", map[string]any{}))
	tr, _ := c.expect("Transition")
	if v, ok := modsOf(t, tr)[0]["value"]; !ok || v != nil {
		t.Fatalf("unauthenticated whoami = %v", v)
	}
	c.send(map[string]any{"type": "Authenticate", "tokenType": "User", "value": "jwt-ann", "baseVersion": 0})
	tr, raw := c.expect("Transition")
	end := tr["endVersion"].(map[string]any)
	if end["identity"].(float64) != 1 || modsOf(t, tr)[0]["value"] != "user:ann" {
		t.Fatalf("after Authenticate: %s", raw)
	}
	c.send(map[string]any{"type": "Authenticate", "tokenType": "Admin", "value": "admin-key", "baseVersion": 1, "actingAs": map[string]any{"subject": "u1"}})
	tr, raw = c.expect("Transition")
	if modsOf(t, tr)[0]["value"] != `admin-as:{"subject":"u1"}` {
		t.Fatalf("impersonation: %s", raw)
	}
	// Clearing auth goes back to no identity; an identity change always
	// sends a Transition, even when no result changes.
	c.send(map[string]any{"type": "Authenticate", "tokenType": "None", "baseVersion": 2})
	tr, _ = c.expect("Transition")
	if tr["endVersion"].(map[string]any)["identity"].(float64) != 3 || modsOf(t, tr)[0]["value"] != nil {
		t.Fatalf("after None: %v", tr)
	}

	bad := s.dial()
	bad.connect("bad")
	bad.send(addQuery(0, 0, "counter:get", map[string]any{}))
	bad.expect("Transition")
	bad.send(map[string]any{"type": "Authenticate", "tokenType": "User", "value": "forged", "baseVersion": 0})
	m, raw := bad.expect("AuthError")
	if string(raw) != `{"type":"AuthError","error":"Could not verify token claim","baseVersion":0,"authUpdateAttempted":true}` {
		t.Errorf("AuthError %s (%v)", raw, m)
	}
	bad.expectClosed()

	exp := s.dial()
	exp.send(addQuery(0, 0, "expired:query", map[string]any{}))
	m, raw = exp.expect("AuthError")
	if m["authUpdateAttempted"] != false {
		t.Errorf("expired identity: %s", raw)
	}
	exp.expectClosed()
}

func TestInternalErrorClosesWith1011(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.send(addQuery(0, 0, "broken:query", map[string]any{}))
	if code := c.expectClosed(); code != websocket.StatusInternalError {
		t.Fatalf("close code %d", code)
	}
	c = s.dial()
	c.send(mutation(0, "broken:mutation", map[string]any{}))
	if code := c.expectClosed(); code != websocket.StatusInternalError {
		t.Fatalf("close code %d", code)
	}
	// A panicking backend is an internal error too, not a crash.
	c = s.dial()
	c.send(addQuery(0, 0, "panic:query", map[string]any{}))
	if code := c.expectClosed(); code != websocket.StatusInternalError {
		t.Fatalf("close code %d", code)
	}
	c = s.dial()
	c.send(map[string]any{"type": "Action", "requestId": 0, "udfPath": "actions:panic", "args": []any{map[string]any{}}})
	m, raw := c.expect("ActionResponse")
	if m["success"] != false || !strings.Contains(m.str("result"), "panicked") {
		t.Fatalf("%s", raw)
	}
}

func TestReconnectMidMutationAppliesOnce(t *testing.T) {
	s := newTestServer(t, Options{})
	const session = "22222222-2222-4222-8222-222222222222"
	c := s.dial()
	c.connect(session)
	c.send(mutation(0, "slow:send", map[string]any{"author": "a", "body": "once"}))
	<-s.fake.slowStart
	c.ws.CloseNow() // the network drops while the mutation runs

	// The client reconnects and re-sends its query set and the mutation.
	c2 := s.dial()
	c2.connect(session)
	c2.send(addQuery(0, 0, "messages:list", map[string]any{}))
	c2.send(mutation(0, "slow:send", map[string]any{"author": "a", "body": "once"}))
	tr, raw := c2.expect("Transition")
	if len(tr["modifications"].([]any)) != 1 || strings.Contains(string(raw), "once") {
		t.Fatalf("before the commit: %s", raw)
	}
	close(s.fake.release)
	// The response and a Transition showing the message, in either order,
	// then (if the Transition came first) another one at or past the commit.
	commitTS, sawMessage := int64(-1), false
	for commitTS < 0 || c2.lastTS < commitTS || !sawMessage {
		m, raw := c2.expectAny()
		switch m.str("type") {
		case "MutationResponse":
			if m["success"] != true {
				t.Fatalf("response %s", raw)
			}
			commitTS = tsOf(t, m["ts"])
		case "Transition":
			sawMessage = sawMessage || strings.Contains(string(raw), "once")
		}
	}
	// A third connection re-sending the already answered mutation (the
	// client re-sends completed ones it has not seen reflected) gets the
	// same answer and a Transition past it, without applying it again.
	c3 := s.dial()
	c3.connect(session)
	c3.send(mutation(0, "slow:send", map[string]any{"author": "a", "body": "once"}))
	resp3, raw3 := c3.expect("MutationResponse")
	if tsOf(t, resp3["ts"]) != commitTS {
		t.Fatalf("second answer %s", raw3)
	}
	c3.expect("Transition")
	if n := s.fake.mutations.Load(); n != 1 {
		t.Fatalf("mutation applied %d times", n)
	}
	// A different session with the same request id is a different mutation.
	c4 := s.dial()
	c4.connect("another")
	c4.send(mutation(0, "messages:send", map[string]any{"author": "b", "body": "two"}))
	c4.expect("MutationResponse")
	if n := s.fake.mutations.Load(); n != 2 {
		t.Fatalf("mutations applied %d times", n)
	}
}

func TestProtocolPing(t *testing.T) {
	s := newTestServer(t, Options{ProtocolPingAfter: 50 * time.Millisecond, PingInterval: 20 * time.Millisecond})
	c := s.dial()
	ctx := t.Context()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) == `{"type":"Ping"}` {
			return
		}
	}
	t.Fatal("no Ping")
}

func TestInvalidateAll(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.send(addQuery(0, 0, "counter:get", map[string]any{}))
	c.expect("Transition")
	before := s.fake.count("counter:get").Load()
	s.hub.InvalidateAll(0)
	deadline := time.Now().Add(3 * time.Second)
	for s.fake.count("counter:get").Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("InvalidateAll did not re-run the query")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Unchanged result: nothing is sent; a later real change still is.
	if _, _, mods := c.mutate(0, "counter:inc", map[string]any{}); mods[0]["value"].(float64) != 1 {
		t.Fatalf("%v", mods)
	}
}

func TestHubCloseAndRejectAfter(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.send(addQuery(0, 0, "counter:get", map[string]any{}))
	c.expect("Transition")
	closed := make(chan error, 1)
	go func() { closed <- s.hub.Close() }()
	if code := c.expectClosed(); code != websocket.StatusGoingAway {
		t.Errorf("close code %d", code)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := s.hub.ConnCount(); n != 0 {
		t.Errorf("%d connections left", n)
	}
	_, _, err := websocket.Dial(t.Context(), s.wsURL(), nil)
	if err == nil {
		t.Error("dial after Close succeeded")
	}
}

// TestConsistentSnapshotsUnderLoad checks that every Transition is a
// consistent snapshot: both:inc writes the counter and a message in one
// commit, so a client subscribed to both must always see them agree, while
// other clients commit concurrently.
func TestConsistentSnapshotsUnderLoad(t *testing.T) {
	s := newTestServerWith(t, Options{Logf: t.Logf}, true)
	s.fake.queryCost = 200 * time.Microsecond
	sub := s.dial()
	sub.connect("watcher")
	sub.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{
		map[string]any{"type": "Add", "queryId": 0, "udfPath": "counter:get", "args": []any{map[string]any{}}},
		map[string]any{"type": "Add", "queryId": 1, "udfPath": "messages:list", "args": []any{map[string]any{}}},
	}})
	counter, messages := -1.0, -1.0
	apply := func(tr msg) {
		for id, m := range modsOf(t, tr) {
			switch id {
			case 0:
				counter = m["value"].(float64)
			case 1:
				messages = float64(len(m["value"].([]any)))
			}
		}
	}
	tr, _ := sub.expect("Transition")
	apply(tr)

	const writers, perWriter = 4, 25
	var wg gosync.WaitGroup
	for w := 0; w < writers; w++ {
		wc := s.dial()
		wc.connect(fmt.Sprintf("w%d", w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				wc.send(mutation(int64(i), "both:inc", map[string]any{}))
				for {
					m, _, err := wc.read(5 * time.Second)
					if err != nil {
						t.Errorf("writer: %v", err)
						return
					}
					if m.str("type") == "Transition" {
						break
					}
				}
			}
		}()
	}
	total := float64(writers * perWriter)
	for counter < total || messages < total {
		tr, raw := sub.expect("Transition")
		apply(tr)
		if counter != messages {
			t.Fatalf("inconsistent snapshot: counter %v, messages %v: %s", counter, messages, raw)
		}
	}
	wg.Wait()
	if s.fake.batches.Load() == 0 {
		t.Error("the hub never used RunQueries")
	}
}

// TestStartupWithoutInitialCommit: a backend that never reported its
// starting timestamp still gets prompt, chained answers.
func TestStartupWithoutInitialCommit(t *testing.T) {
	fake := newFake()
	hub := NewHub(fake, Options{})
	fake.hub = hub
	s := &testServer{t: t, fake: fake, hub: hub}
	s.srv = httptest.NewServer(hub)
	t.Cleanup(func() { hub.Close(); s.srv.Close() })
	c := s.dial()
	start := time.Now()
	c.send(addQuery(0, 0, "counter:get", map[string]any{}))
	tr, _ := c.expect("Transition")
	if ts := tsOf(t, tr["endVersion"].(map[string]any)["ts"]); ts != 1000 {
		t.Errorf("ts %d", ts)
	}
	c.send(addQuery(1, 1, "messages:list", map[string]any{}))
	c.expect("Transition")
	if d := time.Since(start); d > 2*unreportedWait+500*time.Millisecond {
		t.Errorf("answers took %v", d)
	}
	_, _, mods := c.mutate(0, "counter:inc", map[string]any{})
	if mods[0]["value"].(float64) != 1 {
		t.Errorf("%v", mods)
	}
}

// TestIdleConnectionIsClosed: a peer that stops answering WebSocket pings
// (this client never reads, so it never answers) is dropped.
func TestIdleConnectionIsClosed(t *testing.T) {
	s := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, IdleTimeout: 100 * time.Millisecond})
	c := s.dial()
	c.send(addQuery(0, 0, "counter:get", map[string]any{}))
	deadline := time.Now().Add(3 * time.Second)
	for s.hub.ConnCount() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the silent connection is still open")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUnreportedCommitStillUpdates: if the backend forgets Committed, the
// hub re-runs everything rather than leave subscribers stale.
func TestUnreportedCommitStillUpdates(t *testing.T) {
	s := newTestServer(t, Options{})
	sub := s.dial()
	sub.send(addQuery(0, 0, "counter:get", map[string]any{}))
	sub.expect("Transition")
	w := s.dial()
	resp, raw, _ := w.mutate(0, "unreported:inc", map[string]any{})
	if resp["success"] != true {
		t.Fatalf("%s", raw)
	}
	tr, raw := sub.expect("Transition")
	if modsOf(t, tr)[0]["value"].(float64) != 1 {
		t.Fatalf("subscriber: %s", raw)
	}
	if end := tsOf(t, tr["endVersion"].(map[string]any)["ts"]); end < tsOf(t, resp["ts"]) {
		t.Errorf("subscriber at %d, commit at %d", end, tsOf(t, resp["ts"]))
	}
}

// TestNoGoroutinesLeft: clients that go away and a closed hub leave
// nothing running.
func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	s := newTestServer(t, Options{PingInterval: 10 * time.Millisecond})
	var clients []*client
	for i := 0; i < 5; i++ {
		c := s.dial()
		c.connect(fmt.Sprintf("leak-%d", i))
		c.send(addQuery(0, 0, "counter:get", map[string]any{}))
		c.expect("Transition")
		c.send(map[string]any{"type": "Action", "requestId": 0, "udfPath": "actions:echo", "args": []any{map[string]any{}}})
		c.expect("ActionResponse")
		clients = append(clients, c)
	}
	clients[0].mutate(1, "counter:inc", map[string]any{})
	for _, c := range clients[:3] {
		c.ws.Close(websocket.StatusNormalClosure, "")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.hub.Close() }()
	for _, c := range clients[3:] {
		for {
			if _, _, err := c.read(5 * time.Second); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatal("not closed")
				}
				break
			}
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s.srv.Close()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCLIOneShotAndWatch follows the CLI's use (spec convex-cli §7.3):
// admin auth, a system query, its result, Remove, close; and a watch that
// updates when an environment variable (a pseudo table) changes.
func TestCLIOneShotAndWatch(t *testing.T) {
	s := newTestServer(t, Options{})
	s.fake.setEnv("A", "1")
	c := s.dial()
	c.connect("33333333-3333-4333-8333-333333333333")
	c.send(map[string]any{"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": "admin-key"})
	c.send(addQuery(0, 0, "_system/cli/queryEnvironmentVariables:default", map[string]any{}))
	var got msg
	for got == nil {
		tr, _ := c.expect("Transition")
		if m, ok := modsOf(t, tr)[0]; ok {
			got = m
		}
	}
	if got.str("type") != "QueryUpdated" || fmt.Sprint(got["value"]) != "[map[name:A value:1]]" {
		t.Fatalf("env list: %v", got)
	}
	if c.ver.Identity != 1 || c.ver.QuerySet != 1 {
		t.Fatalf("version %+v", c.ver)
	}

	// Watching: an env change re-runs the query.
	s.fake.setEnv("B", "2")
	tr, raw := c.expect("Transition")
	if fmt.Sprint(modsOf(t, tr)[0]["value"]) != "[map[name:A value:1] map[name:B value:2]]" {
		t.Fatalf("after setEnv: %s", raw)
	}
	c.send(map[string]any{"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2, "modifications": []any{
		map[string]any{"type": "Remove", "queryId": 0},
	}})
	tr, _ = c.expect("Transition")
	if modsOf(t, tr)[0].str("type") != "QueryRemoved" {
		t.Fatalf("remove: %v", tr)
	}
	c.ws.Close(websocket.StatusNormalClosure, "")

	// Without admin auth the same query fails with the permission message.
	u := s.dial()
	u.send(addQuery(0, 0, "_system/cli/queryEnvironmentVariables:default", map[string]any{}))
	tr, raw = u.expect("Transition")
	if m := modsOf(t, tr)[0]; m.str("type") != "QueryFailed" || !strings.Contains(m.str("errorMessage"), "permission") {
		t.Fatalf("%s", raw)
	}
}

// A subscription's re-runs get the journal of its previous result, so a
// paginated query keeps the page end it first had.
func TestRerunKeepsJournal(t *testing.T) {
	s := newTestServer(t, Options{})
	c := s.dial()
	c.connect("pager")
	c.send(addQuery(0, 0, "messages:page", map[string]any{}))
	tr, raw := c.expect("Transition")
	first := modsOf(t, tr)[0]
	if first.str("journal") != "end@0" || !strings.Contains(string(raw), `"given":null`) {
		t.Fatalf("first run: %s", raw)
	}
	_, _, mods := c.mutate(0, "messages:send", map[string]any{"author": "a", "body": "b"})
	if len(mods) != 1 {
		t.Fatalf("no update after a write: %v", mods)
	}
	b, _ := json.Marshal(mods[0])
	if !strings.Contains(string(b), `"given":"end@0"`) || mods[0].str("journal") != "end@0" {
		t.Errorf("re-run did not get the journal: %s", b)
	}
}
